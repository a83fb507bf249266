"""The review page holds the review: what each person reads of it (role x stage, domain/reading.py's rules),
the report as a page in the Word document's words, and the refusals, which write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain.reading import web_address
from peer_review.store import db
from peer_review.store.tables import EvidenceItem, Finding, LineOfEnquiry, Person, Review

from helpers import (
    block_texts,
    csrf_of,
    do,
    do_until,
    docx_paragraphs,
    open_tasks,
    row_counts,
    sign_in,
    visible_text,
)

pytestmark = pytest.mark.db

PEOPLE = {
    "coordinator": "ruth.ashby@coordinator.example.org",
    "host": "helen.marsh@steelvalley.example.org",  # Steel Valley hosts review 1
    "peer": "owen.fletcher@donriver.example.org",  # review 1's Don River peer
    "other peer": "joe.hartley@peakedge.example.org",  # review 1's Peak Edge peer
    "moderator": "daniel.okafor@coordinator.example.org",
}
MONDAY = clock.at_london(dt.date(2023, 11, 6), 9)


def _what_is_read(browsers: dict) -> dict[str, set[str]]:
    """For each person, which parts of review 1 its page shows them, read off the page as they see it."""
    with db.session_scope() as session:
        review = session.get(Review, 1)
        line = session.exec(select(LineOfEnquiry).where(LineOfEnquiry.review_id == 1)).first()
        findings = session.exec(select(Finding).where(Finding.review_id == 1)).all()
        authors = {p.id: p.email for p in session.exec(select(Person))}
        lines_round, se = review.lines_round, line.self_evaluation if line else None
    by = {role: [f.text for f in findings if authors[f.author_id] == email] for role, email in PEOPLE.items()}
    seen = {}
    for role, client in browsers.items():
        html = client.get("/reviews/1").text
        text = visible_text(html)
        parts = set()
        if se and se.split()[0] in text and "The host's self-evaluation" in text:
            parts.add("lines")
        if by["peer"] and all(t in text for t in by["peer"]):
            parts.add("peer's findings")
        if by["other peer"] and all(t in text for t in by["other peer"]):
            parts.add("other peer's findings")
        if "Moderation round 1:" in text:
            parts.add("decisions")
        if "How the self-evaluation compared with the evidence" in text:
            parts.add("alignment")
        if 'href="/reviews/1/report"' in html:
            parts.add("report")
        seen[role] = parts
    assert lines_round is not None
    return seen


def test_each_person_reads_the_review_as_far_as_their_role_allows(planned):
    with clock.frozen_at(MONDAY):
        browsers = {role: sign_in(email) for role, email in PEOPLE.items()}
        do_until("agree_lines")  # the host has proposed its lines; the moderator has not agreed them
        seen = _what_is_read(browsers)
        assert seen == {
            "coordinator": {"lines"},
            "host": {"lines"},
            "peer": set(),  # the lines reach the team once agreed
            "other peer": set(),
            "moderator": {"lines"},
        }
        assert "(proposed, not yet agreed)" in browsers["host"].get("/reviews/1").text

        do_until("record_findings")
        (peers_task,) = [t for t in open_tasks(1) if t.kind == "record_findings" and t.assignee_email == PEOPLE["peer"]]
        do(peers_task)  # one peer has submitted their findings, the other has not
        seen = _what_is_read(browsers)
        assert seen == {
            "coordinator": {"lines", "peer's findings"},
            "host": {"lines"},  # findings once the draft report exists
            "peer": {"lines", "peer's findings"},  # their own, and the other's once written (none yet)
            "other peer": {"lines"},  # not the other's findings before submitting their own
            "moderator": {"lines", "peer's findings"},
        }
        assert "once you have submitted your own" in browsers["other peer"].get("/reviews/1").text

        do_until("moderate")
        seen = _what_is_read(browsers)
        both = {"lines", "peer's findings", "other peer's findings"}
        assert seen == {
            "coordinator": both,
            "host": {"lines"},
            "peer": both,
            "other peer": both,
            "moderator": both,
        }

        do_until("check_report")  # moderated and the draft report written
        seen = _what_is_read(browsers)
        everything = both | {"decisions", "alignment", "report"}
        assert seen["coordinator"] == seen["moderator"] == seen["host"] == everything
        assert seen["peer"] == seen["other peer"] == everything  # decisions: on their own findings only (below)
        with db.session_scope() as session:
            theirs = session.exec(
                select(Finding)
                .join(Person, Person.id == Finding.author_id)
                .where(Finding.review_id == 1, Person.email == PEOPLE["other peer"])
            ).all()
        page = browsers["peer"].get("/reviews/1").text
        for finding in theirs:
            block = page[page.index(f'id="finding-{finding.ref}"') :]
            block = block[: block.index("</div>")]
            assert "Moderation round" not in block and "Supported by the evidence" not in block, finding.ref
        own = browsers["other peer"].get("/reviews/1").text
        assert all("Moderation round 1" in own[own.index(f'id="finding-{f.ref}"') :].split("</div>")[0] for f in theirs)


def test_the_report_page_holds_the_word_documents_text(planned):
    with clock.frozen_at(MONDAY):
        do_until("check_report")
        host = sign_in(PEOPLE["host"])
        page = host.get("/reviews/1/report")
        assert page.status_code == 200 and "This is the draft" in page.text
        word = host.get("/reviews/1/documents/review-report-draft")
        assert word.status_code == 200
        assert block_texts(page.text, "report-text") == docx_paragraphs(word.content)
        do_until("give_feedback", skip={"record_progress"})  # checked and issued
        issued = host.get("/reviews/1/report")
        assert "This is the draft" not in issued.text
        word = host.get("/reviews/1/documents/review-report")
        assert block_texts(issued.text, "report-text") == docx_paragraphs(word.content)
        assert "Final report, issued by the moderator." in block_texts(issued.text, "report-text")
        review = host.get("/reviews/1").text
        assert "Areas for development from this review" in review and 'id="actions"' in review


def test_the_report_page_is_refused_to_people_off_the_review_and_before_a_draft(planned):
    with clock.frozen_at(MONDAY):
        coordinator = sign_in(PEOPLE["coordinator"])
        assert coordinator.get("/reviews/1/report").status_code == 404  # no draft yet
        do_until("check_report")
        before = row_counts()
        bystander = sign_in("sian.pryce@donriver.example.org")  # a reviewer in the partnership, not on review 1
        other_ceo = sign_in("marcus.hale@donriver.example.org")
        after_sign_in = row_counts()
        assert bystander.get("/reviews/1/report").status_code == 403
        assert other_ceo.get("/reviews/1/report").status_code == 403
        assert row_counts() == after_sign_in  # a refusal writes nothing
        assert before.keys() == after_sign_in.keys()
        assert coordinator.get("/reviews/1/report").status_code == 200
        assert csrf_of(coordinator.get("/").text)  # still signed in and able to act


def test_evidence_kept_at_a_web_address_is_a_link_and_other_schemes_are_not(planned):
    with clock.frozen_at(MONDAY):
        do_until("record_findings")
        with db.session_scope() as session:
            items = session.exec(
                select(EvidenceItem).where(EvidenceItem.review_id == 1).order_by(EvidenceItem.id)
            ).all()
            items[0].location = "https://steelvalley.sharepoint.com/sites/review/Evidence?x=1&y=<2>"
            items[1].location = "javascript:alert(1)"
            items[2].location = "Filing cabinet, head's office"
            session.add_all(items[:3])
        html = sign_in(PEOPLE["peer"]).get("/reviews/1").text
        assert 'href="https://steelvalley.sharepoint.com/sites/review/Evidence?x=1&amp;y=&lt;2&gt;"' in html
        assert 'href="javascript' not in html and "javascript:alert(1)" in html  # shown as typed, never a link
        assert "Filing cabinet, head&#39;s office" in html


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("https://example.org/a b", None),
        ("http://example.org/evidence", "http://example.org/evidence"),
        ("HTTPS://Example.org", "HTTPS://Example.org"),
        ("ftp://example.org/file", None),
        ("https://", None),
        ("data:text/html,<b>hi</b>", None),
        ("//example.org/file", None),
        ("  https://example.org/x  ", "https://example.org/x"),
        ("", None),
    ],
)
def test_only_an_http_or_https_address_becomes_a_link(text, link):
    assert web_address(text) == link


def test_the_findings_and_moderation_forms_show_the_work_in_context(planned):
    with clock.frozen_at(MONDAY):
        do_until("record_findings")
        with db.session_scope() as session:
            lines = session.exec(
                select(LineOfEnquiry).where(LineOfEnquiry.review_id == 1, LineOfEnquiry.round == 1)
            ).all()
            items = session.exec(select(EvidenceItem).where(EvidenceItem.review_id == 1)).all()
        (task,) = [t for t in open_tasks(1) if t.kind == "record_findings" and t.assignee_email == PEOPLE["peer"]]
        form = visible_text(sign_in(PEOPLE["peer"]).get(f"/tasks/{task.id}").text)
        assert all(f"The host's self-evaluation: {' '.join(line.self_evaluation.split())}" in form for line in lines)
        assert f"The evidence index ({len(items)} items)" in form and all(e.location in form for e in items)
        do_until("moderate")
        (moderate,) = [t for t in open_tasks(1) if t.kind == "moderate"]
        form = visible_text(sign_in(PEOPLE["moderator"]).get(f"/tasks/{moderate.id}").text)
        assert "by Owen Fletcher" in form and "by Joe Hartley" in form  # each finding names its author
        assert all(f"The host's self-evaluation: {' '.join(line.self_evaluation.split())}" in form for line in lines)


def test_a_report_written_before_its_text_was_kept_offers_its_word_file(planned):
    from peer_review.store.tables import Document

    with clock.frozen_at(MONDAY):
        do_until("check_report")
        with db.session_scope() as session:
            draft = session.exec(select(Document).where(Document.kind == "review-report-draft")).one()
            draft.context = None  # as every document rendered before schema 0011
            session.add(draft)
        page = sign_in(PEOPLE["host"]).get("/reviews/1/report")
        assert page.status_code == 200 and "written before its text was kept" in page.text
        assert 'href="/reviews/1/documents/review-report-draft"' in page.text


def test_the_moderation_record_is_for_those_who_read_every_decision(planned):
    with clock.frozen_at(MONDAY):
        do_until("check_report")
        path = "/reviews/1/documents/moderation-record"
        for role, expected in (
            ("peer", 403),
            ("other peer", 403),
            ("host", 200),
            ("moderator", 200),
            ("coordinator", 200),
        ):
            client = sign_in(PEOPLE[role])
            assert client.get(path).status_code == expected, role
            assert (f'href="{path}"' in client.get("/reviews/1").text) == (expected == 200), role
        assert sign_in(PEOPLE["peer"]).get("/reviews/1/documents/review-report-draft").status_code == 200
