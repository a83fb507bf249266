"""Correcting the report before it is issued: the moderator changes a finding's words to apply the host trust's
correction, the change is kept as a version with who and why, and the issued Word report and its page carry
the corrected text and list the change. Everyone else, and every other moment, is refused, writing nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import AuditEntry, DevelopmentAction, Finding, ReportCorrection

from helpers import (
    block_texts,
    csrf_of,
    do_until,
    docx_paragraphs,
    open_tasks,
    post_form,
    respond,
    row_counts,
    run_cli,
    send_answer,
    sign_in,
    visible_text,
)

pytestmark = pytest.mark.db

MODERATOR = "daniel.okafor@coordinator.example.org"
HOST = "helen.marsh@steelvalley.example.org"
PEER = "owen.fletcher@donriver.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"
BYSTANDER = "sian.pryce@donriver.example.org"
MONDAY = clock.at_london(dt.date(2023, 11, 6), 9)
ASKED = "F1 names the wrong school: it was Hillside Primary, not Hill Top"


def _checked_with_a_correction() -> Finding:
    """Review 1 moderated, its draft checked by the host, who asked for a correction: the area for development
    to correct (its action is made at issue, so its words matter beyond the report)."""
    [check] = do_until("check_report")
    respond(check, {"accurate": False, "corrections": [ASKED], "share_good_practice": False})
    with db.session_scope() as session:
        return session.exec(
            select(Finding).where(Finding.review_id == 1, Finding.kind == "area_for_development").order_by(Finding.id)
        ).first()


def test_the_moderator_corrects_a_finding_and_the_issued_report_carries_it(planned):
    with clock.frozen_at(MONDAY):
        finding = _checked_with_a_correction()
        moderator = sign_in(MODERATOR)
        listing = moderator.get("/reviews/1/report/wording")
        assert listing.status_code == 200 and ASKED in visible_text(listing.text)
        path = f"/reviews/1/report/wording/finding/{finding.ref}"
        assert f'href="{path}"' in listing.text
        corrected = finding.text.replace(finding.text.split()[0], "Hillside's", 1) + " (corrected)"
        saved = post_form(moderator, path, {"text": corrected, "reason": "The host's correction of the school's name"})
        assert saved.status_code == 303
        page = visible_text(moderator.get(saved.headers["location"]).text)
        assert "The wording is corrected" in page and "Daniel Okafor, 6 November 2023 at 09:00" in page
        with db.session_scope() as session:
            assert session.get(Finding, finding.id).text == corrected
            [version] = session.exec(select(ReportCorrection)).all()
            assert (version.before, version.after, version.part, version.ref) == (
                finding.text,
                corrected,
                "finding",
                finding.ref,
            )
            assert session.exec(select(AuditEntry).where(AuditEntry.action == "report_wording_corrected")).one()

        [issue] = [t for t in open_tasks(1) if t.kind == "issue_report"]
        fields = [
            ("statement", "The evidence supports the findings."),
            ("next_steps-0", "Share the plan with governors"),
        ]
        assert send_answer(moderator, issue.id, fields).status_code == 303
        host = sign_in(HOST)
        word = docx_paragraphs(host.get("/reviews/1/documents/review-report").content)
        text = "\n".join(word)
        draft = "\n".join(docx_paragraphs(host.get("/reviews/1/documents/review-report-draft").content))
        assert corrected in text and text.count(finding.text) == draft.count(finding.text)  # once, in "Corrected"
        assert f"The host trust asked for this correction: {ASKED}" in word
        why = "The host's correction of the school's name"
        assert f"Corrected: Finding {finding.ref}: “{finding.text}” now reads “{corrected}” ({why})" in word
        assert block_texts(host.get("/reviews/1/report").text, "report-text") == word  # the page says the same
        with db.session_scope() as session:
            action = session.exec(select(DevelopmentAction).where(DevelopmentAction.finding_id == finding.id)).one()
            assert action.text == corrected  # the host's action carries the corrected words
        assert moderator.get("/reviews/1/report/wording").status_code == 403  # issued: the wording is final


def test_a_correction_needs_new_words_and_a_reason_shown_together_and_writes_nothing(planned):
    with clock.frozen_at(MONDAY):
        finding = _checked_with_a_correction()
        moderator = sign_in(MODERATOR)
        path = f"/reviews/1/report/wording/finding/{finding.ref}"
        before = row_counts()
        empty = post_form(moderator, path, {"text": " ", "reason": ""})
        assert empty.status_code == 400
        summary = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', empty.text)
        assert summary == [("text", "Enter the corrected wording"), ("reason", "Enter why the wording changes")]
        same = post_form(moderator, path, {"text": finding.text, "reason": "no change"})
        assert same.status_code == 400 and "is the same as the report" in same.text
        long = post_form(moderator, path, {"text": "x" * 4001, "reason": "too long"})
        assert long.status_code == 400 and "4000" in long.text
        assert row_counts() == before
        hostile = post_form(moderator, path, {"text": "<script>alert(1)</script> & more", "reason": "<b>why</b>"})
        assert hostile.status_code == 303  # people's text is kept as typed...
        shown = moderator.get("/reviews/1/report/wording").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in shown and "<script>" not in shown  # ...and escaped
        assert "&lt;b&gt;why&lt;/b&gt;" in shown


def test_only_the_moderator_and_coordinator_correct_and_only_between_the_check_and_the_issue(planned):
    with clock.frozen_at(MONDAY):
        [check] = do_until("check_report")
        path = "/reviews/1/report/wording"
        people = {email: sign_in(email) for email in (MODERATOR, HOST, PEER, COORDINATOR, BYSTANDER)}
        assert people[MODERATOR].get(path).status_code == 403  # the host has not checked the draft yet
        respond(check, {"accurate": True, "corrections": [], "share_good_practice": False})
        with db.session_scope() as session:
            ref = session.exec(select(Finding.ref).where(Finding.review_id == 1, Finding.status == "supported")).first()
        for email, expected in ((MODERATOR, 200), (COORDINATOR, 200), (HOST, 403), (PEER, 403), (BYSTANDER, 403)):
            assert people[email].get(path).status_code == expected, email
        before = row_counts()
        for email in (HOST, PEER, BYSTANDER):
            client = people[email]
            refused = client.post(
                f"{path}/finding/{ref}",
                data={"csrf_token": csrf_of(client.get("/").text), "text": "rewritten", "reason": "mine"},
            )
            assert refused.status_code == 403 and row_counts() == before, email
        assert people[MODERATOR].get(f"{path}/finding/F999").status_code == 404
        assert people[MODERATOR].get(f"{path}/nonsense/{ref}").status_code == 404
        by_coordinator = post_form(
            people[COORDINATOR], f"{path}/finding/{ref}", {"text": "Better words", "reason": "typo"}
        )
        assert by_coordinator.status_code == 303
        assert "Ruth Ashby" in visible_text(people[MODERATOR].get(path).text)
        [issue] = [t for t in open_tasks(1) if t.kind == "issue_report"]
        assert "/reviews/1/report/wording" in people[MODERATOR].get(f"/tasks/{issue.id}").text


def test_the_command_line_corrects_with_the_same_checks(planned):
    env = {"PEER_REVIEW_DATABASE_URL": db.database_url()}
    with clock.frozen_at(MONDAY):
        finding = _checked_with_a_correction()
    before = row_counts()
    refused = run_cli("correct", "1", "--finding", finding.ref, "--text", "x", "--reason", "y", "--as", HOST, env=env)
    assert refused.returncode != 0 and "Only the review's moderator and the coordinator" in refused.stderr
    both = run_cli(
        "correct", "1", "--finding", "F1", "--line", "1", "--text", "x", "--reason", "y", "--as", MODERATOR, env=env
    )
    assert both.returncode != 0 and "--finding F3 or --line 2" in both.stderr
    no_reason = run_cli(
        "correct", "1", "--line", "1", "--text", "New words", "--reason", " ", "--as", MODERATOR, env=env
    )
    assert no_reason.returncode != 0 and "Enter why the wording changes" in no_reason.stderr
    assert row_counts() == before and "Traceback" not in refused.stderr + both.stderr + no_reason.stderr
    done = run_cli(
        "correct",
        "1",
        "--line",
        "1",
        "--text",
        "Compared with care.",
        "--reason",
        "clearer",
        "--as",
        MODERATOR,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    with db.session_scope() as session:
        [version] = session.exec(select(ReportCorrection)).all()
        assert (version.part, version.ref, version.after) == ("alignment", "1", "Compared with care.")
