"""The good-practice library: only supported good practice from issued reports whose host said yes, across
partnerships; its filters (area, strand, search taken literally); the command line and the web page, with
their refusals; and the consent question in the factual accuracy check, which the host must answer."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
import yaml
from markupsafe import escape
from sqlalchemy import event
from sqlmodel import select

from peer_review import clock
from peer_review.demo import answers as simulated_answers
from peer_review.demo.simulation import answer
from peer_review.errors import UserError
from peer_review.files.frameworks import AREAS
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, queries, workflow
from peer_review.service.good_practice import library
from peer_review.service.kinds import yaml_template
from peer_review.store import db
from peer_review.store.tables import (
    AuditEntry,
    EvidenceItem,
    Finding,
    LineOfEnquiry,
    Person,
    Review,
)

from helpers import EXAMPLE, new_client, plan_and_publish, post_form, row_counts, run_cli, sign_in

pytestmark = pytest.mark.db

HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley's CEO: review 1's host
COORDINATOR = "ruth.ashby@coordinator.example.org"
REVIEWER = "sian.pryce@donriver.example.org"
OTHER = "helen.marsh@steelvalley.other.example.org"  # the same trust's CEO in another partnership
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} [bold]x[/] =1+1 :smile:"
LITERAL = "Attendance rose by 100% in the a_b schools."  # what searches for "100%" and "a_b" must find
LOOKALIKE = "Mentoring for 1000 new staff in the abb schools."  # what they would find if % and _ were wildcards
ABSENT = {"NOT SUPPORTED", "A STRENGTH", "NO CONSENT", "NOT ASKED", "NOT ISSUED"}


def _run_review_1(until: str | None = None) -> None:
    """Review 1 answered by the simulated participants until a task of kind `until` is open, or its report is issued."""
    for _ in range(40):
        with db.session_scope() as session:
            if session.get(Review, 1).issued_on:
                return
            tasks = [t for t in queries.open_tasks(session) if t.review_id == 1]
            if until in {t.kind for t in tasks}:
                return
            task = tasks[0]
            workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
        workflow.advance_review(db.session_scope, 1)
    raise AssertionError("review 1 did not get there")


def _shelve(
    session, review: Review, issued: dt.date | None, consent: bool | None, findings: list[tuple[str, str, str]]
) -> None:
    """Give a review agreed lines, evidence and moderated findings (kind, status, text) directly."""
    review.lines_round, review.issued_on, review.good_practice_consent = 1, issued, consent
    session.add(review)
    session.add(
        LineOfEnquiry(
            review_id=review.id,
            round=1,
            number=1,
            title=f"Line of review {review.id}: how is it shared?",
            self_evaluation="-",
        )
    )
    session.add(
        EvidenceItem(
            review_id=review.id,
            ref="E1",
            title="SECRET TITLE",
            type="board minutes",
            location="SECRET PLACE",
            lines=[1],
        )
    )
    session.add(
        EvidenceItem(
            review_id=review.id,
            ref="E2",
            title="SECRET TITLE",
            type="pupil survey",
            location="SECRET PLACE",
            lines=[1],
            personal_data=True,
        )
    )
    author = session.exec(select(Person.id).where(Person.partnership_id == review.partnership_id)).first()
    for i, (kind, status, text) in enumerate(findings, start=1):
        session.add(
            Finding(
                review_id=review.id,
                ref=f"F{i}",
                line_number=1,
                author_id=author,
                kind=kind,
                text=text,
                evidence=["E1", "E2"],
                status=status,
            )
        )


@pytest.fixture
def shelf(planned, tmp_path):
    """Review 1 run to its issued report by simulated people (who share); other reviews' findings written directly:
    shared ones in this partnership and another, and every kind that must stay out."""
    _run_review_1()
    other = tmp_path / "other.yaml"
    other.write_text(
        EXAMPLE.read_text()
        .replace("Sheffield pilot triad", "Other triad")
        .replace(".example.org", ".other.example.org")
    )
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(other))
        plan_and_publish(session, "Other triad")
    with db.session_scope() as session:
        gp, ok = "good_practice", "supported"
        review = lambda partnership, strand: session.exec(  # noqa: E731
            select(Review)
            .where(Review.partnership_id == partnership, Review.strand_id == strand, Review.issued_on.is_(None))
            .order_by(Review.id)
        ).first()
        _shelve(
            session,
            review(1, "governance-leadership-operations"),
            dt.date(2024, 3, 1),
            True,
            [
                (gp, ok, HOSTILE),
                (gp, ok, LITERAL),
                (gp, "needs_revision", "NOT SUPPORTED"),
                ("strength", ok, "A STRENGTH"),
            ],
        )
        _shelve(session, review(2, "workforce"), dt.date(2024, 5, 1), True, [(gp, ok, LOOKALIKE)])
        _shelve(session, review(1, "workforce"), dt.date(2024, 6, 1), False, [(gp, ok, "NO CONSENT")])
        _shelve(session, review(1, "workforce"), dt.date(2024, 6, 1), None, [(gp, ok, "NOT ASKED")])
        _shelve(session, review(1, "quality-inclusive-education"), None, True, [(gp, ok, "NOT ISSUED")])
    return planned


def _texts(**filters) -> list[str]:
    with db.session_scope() as session:
        return [e.text for e in library(session, **filters)]


def _review_1_texts() -> list[str]:
    with db.session_scope() as session:
        return [
            f.text
            for f in session.exec(
                select(Finding).where(Finding.review_id == 1, Finding.kind == "good_practice").order_by(Finding.id)
            )
        ]


def test_only_supported_good_practice_from_issued_reports_shared_by_their_host(shelf):
    mine = _review_1_texts()
    assert len(mine) == 2 and all("termly review cycle" in t for t in mine)
    assert _texts() == mine + [LOOKALIKE, HOSTILE, LITERAL]  # every partnership's; newest report first
    with db.session_scope() as session:
        entries = {e.text: e for e in library(session)}
        review_1 = session.get(Review, 1)
        assert review_1.good_practice_consent is True
        assert session.exec(
            select(AuditEntry).where(AuditEntry.review_id == 1, AuditEntry.action == "good_practice_consent")
        ).one().detail == {"share": True}
    hostile = entries[HOSTILE]
    assert (hostile.trust, hostile.partnership, hostile.strand_id, hostile.strand) == (
        "Peak Edge Schools Trust",
        "Sheffield pilot triad",
        "governance-leadership-operations",
        "Governance, leadership, finance and operations",
    )
    assert hostile.areas == ("governance-leadership", "finance-operations")
    assert hostile.line.startswith("Line of review ") and hostile.issued_on == dt.date(2024, 3, 1)
    assert hostile.evidence_types == ("board minutes", "pupil survey")  # the types only: never titles or places
    assert entries[LOOKALIKE].partnership == "Other triad"
    assert entries[mine[0]].line == "How does the trust know its schools, and how accurate is its self-evaluation?"


def test_filters_by_area_strand_and_literal_search(shelf):
    mine = _review_1_texts()
    assert _texts(area="school-improvement") == mine
    assert _texts(area="finance-operations") == [HOSTILE, LITERAL]  # a strand covering two areas is found by either
    assert _texts(area="governance-leadership") == [HOSTILE, LITERAL]
    assert _texts(area="workforce") == [LOOKALIKE]
    assert _texts(area="high-quality-inclusive-education") == []
    assert _texts(strand="workforce") == [LOOKALIKE]
    assert _texts(strand="governance-leadership-operations", area="workforce") == []
    assert _texts(search="100%") == [LITERAL]  # % and _ are what was typed, not wildcards
    assert _texts(search="a_b") == [LITERAL]
    assert _texts(search="100") == [LOOKALIKE, LITERAL]
    assert _texts(search="\\") == [] and _texts(search="%") == [LITERAL] and _texts(search="_") == [LITERAL]
    assert _texts(search="  ATTENDANCE rose ") == [LITERAL]  # ignoring case and the spaces around
    assert _texts(search="peak edge") == [t for t in mine if "Peak Edge" in t] + [
        HOSTILE,
        LITERAL,
    ]  # the host trust's name, or in the text
    assert _texts(search="line of review") == [LOOKALIKE, HOSTILE, LITERAL]  # the line of enquiry
    assert _texts(search="governance, leadership") == [HOSTILE, LITERAL]  # the strand
    assert _texts(search="{{ 7*7 }}") == [HOSTILE]
    assert _texts(search="termly", area="workforce") == []
    with db.session_scope() as session:
        with pytest.raises(UserError, match="there is no DfE area 'finance'; the areas are: " + ", ".join(AREAS)):
            library(session, area="finance")
        with pytest.raises(UserError, match="there is no strand 'nope'"):
            library(session, strand="nope")


def test_a_fixed_number_of_queries_however_many_entries(shelf):
    engine = db.get_engine()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        counts = []
        for filters in ({}, {"area": "workforce"}, {"search": "nothing like this"}):
            statements.clear()
            _texts(**filters)
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert counts[0] == counts[1] <= 3 and counts[2] <= counts[0], counts


def test_command_line(shelf):
    env = {"PEER_REVIEW_DATABASE_URL": shelf, "COLUMNS": "1000"}
    listed = run_cli("good-practice", env=env)
    assert listed.returncode == 0, listed.stderr
    assert HOSTILE in listed.stdout  # as typed: no markup, no emoji codes, no templates
    assert (
        LITERAL in listed.stdout
        and "Peak Edge Schools Trust: Governance, leadership, finance and operations" in listed.stdout
    )
    assert (
        "Evidence: board minutes; pupil survey" in listed.stdout
        and "DfE areas: Governance and leadership; Finance and operations" in listed.stdout
    )
    assert not any(text in listed.stdout for text in ABSENT) and "SECRET" not in listed.stdout

    found = run_cli("good-practice", "--area", "finance-operations", "--search", "100%", "--json", env=env)
    assert found.returncode == 0, found.stderr
    [entry] = json.loads(found.stdout)
    assert (
        entry["text"] == LITERAL
        and entry["areas"] == ["governance-leadership", "finance-operations"]
        and entry["issued_on"] == "2024-03-01"
    )

    none = run_cli("good-practice", "--strand", "workforce", "--search", "[bold]zzz[/]", env=env)
    assert (
        none.returncode == 0
        and none.stdout.strip() == 'No good practice matches strand workforce, search "[bold]zzz[/]".'
    )

    refused = run_cli("good-practice", "--area", "finances", env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "no DfE area 'finances'" in refused.stderr and all(area in refused.stderr for area in AREAS)


def test_web_page_for_participants_of_any_partnership(shelf):
    host = sign_in(HOST)
    assert 'href="/good-practice"' in host.get("/").text
    page = host.get("/good-practice")
    assert page.status_code == 200
    for text in _review_1_texts() + [LITERAL, LOOKALIKE]:
        assert escape(text) in page.text
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} [bold]x[/] =1+1 :smile:" in page.text
    )  # escaped, and as typed
    assert "<script>" not in page.text
    assert not any(text in page.text for text in ABSENT) and "SECRET" not in page.text
    assert (
        "Governance and leadership; Finance and operations" in page.text and "board minutes; pupil survey" in page.text
    )

    filtered = host.get("/good-practice", params={"area": "workforce", "search": "1000"})
    assert filtered.status_code == 200 and escape(LOOKALIKE) in filtered.text and escape(LITERAL) not in filtered.text
    assert '<option value="workforce" selected>' in filtered.text and 'value="1000"' in filtered.text
    assert "No good practice matches your search" in host.get("/good-practice", params={"search": "100%zzz"}).text

    for params, field in (
        ({"area": "finance"}, "area"),
        ({"strand": "<b>"}, "strand"),
        ({"search": "x" * 201}, "search"),
    ):
        wrong = host.get("/good-practice", params=params)
        assert wrong.status_code == 400 and f'<a href="#{field}">' in wrong.text and "<title>Error: " in wrong.text
        assert "<b>" not in wrong.text and escape(LITERAL) not in wrong.text

    elsewhere = sign_in(OTHER).get("/good-practice", params={"search": "termly"})  # shared across partnerships
    assert elsewhere.status_code == 200 and all(escape(text) in elsewhere.text for text in _review_1_texts())


def test_web_page_refuses_people_not_signed_in_and_those_who_left(shelf):
    anonymous = new_client().get("/good-practice?area=workforce")
    assert (
        anonymous.status_code == 303
        and anonymous.headers["location"] == "/sign-in?next=%2Fgood-practice%3Farea%3Dworkforce"
    )

    reviewer = sign_in(REVIEWER)
    assert reviewer.get("/good-practice").status_code == 200
    with db.session_scope() as session:
        person = session.exec(select(Person).where(Person.email == REVIEWER)).one()
        person.left_on = clock.today()
        session.add(person)
    before = row_counts()
    refused = reviewer.get("/good-practice")
    assert refused.status_code == 403 and escape(LITERAL) not in refused.text and "termly" not in refused.text
    assert 'href="/good-practice"' not in reviewer.get("/").text
    assert row_counts() == before


def test_the_host_must_answer_the_consent_question(planned):
    _run_review_1(until="check_report")
    with db.session_scope() as session:
        [task] = [t for t in queries.open_tasks(session) if t.review_id == 1 and t.kind == "check_report"]
        context = queries.task_context(session, task.id)
        shared = [f.text for f in context["good_practice"]]
        template = yaml_template(context)
    assert shared == _review_1_texts() and len(shared) == 2
    skeleton = yaml.safe_load(template)
    assert skeleton["share_good_practice"] is None and all(text in template for text in shared)
    with pytest.raises(
        workflow.InvalidAnswer, match="share_good_practice"
    ):  # the skeleton as it comes must be answered
        with db.session_scope() as session:
            workflow.submit(session, task.id, skeleton, HOST)

    host = sign_in(HOST)
    form = host.get(f"/tasks/{task.id}")
    assert (
        all(escape(text) in form.text for text in shared)
        and 'name="share_good_practice"' in form.text
        and " checked" not in form.text
    )
    before = row_counts()
    unanswered = post_form(
        host, f"/tasks/{task.id}", [("accurate", "true"), ("corrections-0", ""), ("action", "submit")]
    )
    assert unanswered.status_code == 400
    assert '<a href="#share_good_practice">Select whether we may share this good practice</a>' in unanswered.text
    assert (
        'id="accurate" name="accurate" type="radio" value="true" checked' in unanswered.text
    )  # the answer given is kept
    no_token = host.post(
        f"/tasks/{task.id}", data={"accurate": "true", "share_good_practice": "true", "action": "submit"}
    )
    assert no_token.status_code == 403
    assert row_counts() == before
    with db.session_scope() as session:
        assert session.get(Review, 1).good_practice_consent is None
    # the coordinator may check the facts on the host's behalf, but not consent for it
    with pytest.raises(UserError, match="only the host trust's CEO .* can agree to share"):
        with db.session_scope() as session:
            workflow.submit(session, task.id, {"accurate": True, "share_good_practice": True}, COORDINATOR)
    assert row_counts() == before

    done = post_form(
        host, f"/tasks/{task.id}", [("accurate", "true"), ("share_good_practice", "false"), ("action", "submit")]
    )
    assert done.status_code == 303
    with db.session_scope() as session:
        assert session.get(Review, 1).good_practice_consent is False
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "good_practice_consent")).all()
        assert (entry.actor, entry.review_id, entry.detail) == (HOST, 1, {"share": False})
    _run_review_1()
    assert _texts() == []  # issued, but the host said no


def test_simulated_hosts_mostly_share():
    answers = [
        simulated_answers.check({"review": SimpleNamespace(id=i, position=1 + i % 3)})["share_good_practice"]
        for i in range(1, 11)
    ]
    assert answers == [True, True, True, True, False] * 2
