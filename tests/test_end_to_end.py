"""Whole cycles through the Prefect flows, with simulated participants, and the Word documents read back."""

from __future__ import annotations

import csv
import email
import hashlib
import io
import re
from email import policy
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import func, select

from peer_review.domain.evaluation import find_grade_words
from peer_review.service.documents import ABOUT
from peer_review.store import db
from peer_review.store.tables import (
    Assignment,
    AuditEntry,
    Document,
    Finding,
    LineOfEnquiry,
    ModerationDecision,
    OutboxMessage,
    Person,
    Review,
    Task,
    Trust,
)

from helpers import EXAMPLE, GRADE_WORDS, docx_text

REPO = Path(__file__).resolve().parent.parent


def _run(tmp_path, partnership=EXAMPLE, framework=None, database=None):
    from flows.demo import run_demo

    return run_demo(partnership, framework, tmp_path / "out", database=database)


@pytest.mark.db
def test_triad_cycle_writes_every_document_and_is_idempotent(prefect_server, database_url, tmp_path):
    result = _run(tmp_path, database=database_url)
    out = tmp_path / "out"
    reports = sorted(out.glob("*-review-report.docx"))
    assert len(reports) == 12
    assert len(list(out.glob("*-lines-of-enquiry-agreement.docx"))) == 12
    assert len(list(out.glob("*-moderation-record.docx"))) == 12
    assert all(r.stage == "closed" for r in result.reviews)

    db.configure(database_url)
    with db.session_scope() as session:
        for review in session.exec(select(Review)):
            host = session.get(Trust, review.host_trust_id)
            report = next(p for p in reports if p.name.startswith(f"{review.id:03d}-"))
            text = docx_text(report)
            assert host.name in text and review.strand_title in text
            lines = session.exec(
                select(LineOfEnquiry).where(
                    LineOfEnquiry.review_id == review.id, LineOfEnquiry.round == review.lines_round
                )
            ).all()
            assert 2 <= len(lines) <= 4
            for line in lines:
                assert line.title in text and line.from_prompt  # the simulated host takes prompts verbatim
            findings = session.exec(select(Finding).where(Finding.review_id == review.id)).all()
            assert findings and all(f.status == "supported" for f in findings)
            for f in findings:
                if f.kind != "good_practice":
                    assert f.text in text
            # the text people wrote keeps its &, <, > and quotes
            assert 'Leaders & staff share a clear, consistent account of "' in text
            assert "(<2 of 3 sampled>)" in text
            assert "Moderator’s statement" in text and review.moderator_statement in text
            without_disclaimer = text.replace(ABOUT, "")  # which says that no grade is given
            assert not GRADE_WORDS.search(without_disclaimer), GRADE_WORDS.search(without_disclaimer)
            # peers come from every other trust, and never from the host
            peers = session.exec(
                select(Person)
                .join(Assignment, Assignment.person_id == Person.id)
                .where(Assignment.review_id == review.id, Assignment.role == "peer", Assignment.status == "accepted")
            ).all()
            assert len(peers) == 2 and host.id not in {p.trust_id for p in peers}
            declined = session.exec(
                select(Assignment).where(Assignment.review_id == review.id, Assignment.status == "declined")
            ).all()
            assert len(declined) == (1 if review.position == 3 else 0)  # the simulation declines once per trust
            assert (
                review.visit_start.isoformat() in " ".join(docx_text(report).split())
            ) or f"{review.visit_start.day} {review.visit_start:%B %Y}" in text
            # at least one finding went back to its reviewer and came back revised
            rounds = session.exec(
                select(func.max(ModerationDecision.round)).where(ModerationDecision.review_id == review.id)
            ).one()
            assert rounds >= 2
            moderation = docx_text(next(out.glob(f"{review.id:03d}-*-moderation-record.docx")))
            assert "needs revision" in moderation and "Round 2: supported" in moderation

        # the would-be emails: one .eml per notification event, readable, calendar attachments parse
        rows = session.exec(select(OutboxMessage)).all()
        emails = sorted((out / "emails").glob("*.eml"))
        assert len(emails) == len(rows) == result.emails and all(r.status == "sent" for r in rows)
        invitations = 0
        for path in emails:
            mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            assert mail["To"] and mail["Subject"] and mail.get_body(("plain",)).get_content().strip()
            for part in mail.iter_attachments():
                if part.get_content_type() == "text/calendar":
                    assert Calendar.from_ical(part.get_content()).walk("VEVENT")
                    invitations += 1
        assert invitations >= 12 * 3  # every team member is invited to their visit
        assert {r.event for r in rows} == {
            "cycle_proposed",
            "visit_scheduled",
            "task_assigned",
            "report_issued",
            "survey_invitation",
            "timetable_changed",  # the simulated hosts build each visit's timetable and tell the team
        }
        # the CEOs hear of the proposals (three, then two after one asked for another week) before anyone is invited
        in_order = [r.event for r in sorted(rows, key=lambda r: r.id)]
        assert in_order[:5] == ["cycle_proposed"] * 5 and "cycle_proposed" not in in_order[5:]

        # the evaluation report and its CSVs read back, naming every trust and strand, grading nobody
        evaluation = {path.name: path for path in result.evaluation}
        assert set(evaluation) >= {
            "evaluation.docx",
            "alignment.csv",
            "survey.csv",
            "external_comparison.csv",
            "headline_figures.csv",
        }
        report = docx_text(evaluation["evaluation.docx"])
        names = [t.name for t in session.exec(select(Trust))] + sorted(
            {r.strand_title for r in session.exec(select(Review))}
        )
        for name in names:
            assert name in report and name in evaluation["alignment.csv"].read_text(), name
        rows_by_file = {
            name: list(csv.DictReader(io.StringIO(path.read_text())))
            for name, path in evaluation.items()
            if name.endswith(".csv")
        }
        assert (
            len(rows_by_file["alignment.csv"])
            == session.exec(
                select(func.count())
                .select_from(LineOfEnquiry)
                .join(Review, Review.id == LineOfEnquiry.review_id)
                .where(LineOfEnquiry.round == Review.lines_round)
            ).one()
        )
        assert {r["round"] for r in rows_by_file["survey.csv"]} == {"baseline", "end"}
        assert rows_by_file["external_comparison.csv"] and rows_by_file["headline_figures.csv"]
        for name, path in evaluation.items():
            assert find_grade_words(report if name.endswith(".docx") else path.read_text()) == [], name

        before = _snapshot(session)

    # advancing again creates no second task, document or audit entry
    from flows.review import advance_cycle

    assert advance_cycle(result.partnership) == {}
    from flows.review import advance_review

    assert advance_review(1) == []
    with db.session_scope() as session:
        assert _snapshot(session) == before
    db.configure(None)


def _snapshot(session) -> dict:
    counts = {
        t.__name__: session.exec(select(func.count()).select_from(t)).one()
        for t in (Task, Document, AuditEntry, Finding, Assignment, OutboxMessage)
    }
    counts["documents"] = sorted(hashlib.sha256(d.content).hexdigest() for d in session.exec(select(Document)))
    return counts


def _five_strand_partnership(tmp_path: Path, trusts: int = 3) -> Path:
    text = EXAMPLE.read_text()
    order = "[school-improvement, quality-inclusive-education, workforce, finance-operations, governance-leadership]"
    text = re.sub(r"strand_order: \[[^\]]*\]", "strand_order: " + order, text)
    text = text.replace("governance-leadership-operations", "governance-leadership")
    path = tmp_path / "five.yaml"
    path.write_text(text)
    return path


def test_dfe_framework_with_five_strands(prefect_server, tmp_path):
    _run(tmp_path, _five_strand_partnership(tmp_path), REPO / "frameworks" / "dfe-trust-quality.yaml")
    reports = sorted((tmp_path / "out").glob("*-review-report.docx"))
    assert len(reports) == 15
    assert "Finance and operations" in "\n".join(docx_text(r) for r in reports)


def test_four_trusts_get_a_peer_from_each_other_trust(prefect_server, tmp_path):
    text = (
        EXAMPLE.read_text()
        + """  - id: loxley
    name: Loxley Valley Trust
    ceo: {name: Amir Shah, email: amir.shah@loxley.example.org}
    strand_order: [workforce, school-improvement, quality-inclusive-education, governance-leadership-operations]
    reviewers:
      - {name: Beth Ward, email: beth.ward@loxley.example.org, role: Director of Standards, strands: []}
"""
    )
    path = tmp_path / "four.yaml"
    path.write_text(text)
    result = _run(tmp_path, path)
    assert len(list((tmp_path / "out").glob("*-review-report.docx"))) == 16
    db.configure(result.database)
    with db.session_scope() as session:
        for review in session.exec(select(Review)):
            peer_trusts = session.exec(
                select(Person.trust_id)
                .join(Assignment, Assignment.person_id == Person.id)
                .where(Assignment.review_id == review.id, Assignment.role == "peer", Assignment.status == "accepted")
            ).all()
            assert len(peer_trusts) == 3 and len(set(peer_trusts)) == 3 and review.host_trust_id not in peer_trusts
    db.configure(None)
