"""Formative follow-up: an issued report's areas for development become actions the host trust owns; the
host records progress on them at the trust's next review and at the end of its cycle; the next review
team sees it on the review page, and the next report has a "Progress since earlier reviews" section."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import yaml
from docx import Document as Docx
from sqlmodel import select

from peer_review.demo.simulation import answer
from peer_review.service import follow_up, queries, workflow
from peer_review.service.kinds import KINDS, yaml_template
from peer_review.store import db
from peer_review.store.records import team
from peer_review.store.tables import (
    ActionProgress,
    AuditEntry,
    DevelopmentAction,
    Document,
    Finding,
    Review,
    Task,
)

from helpers import GRADE_WORDS, flatten, refused, row_counts, send_answer, sign_in

pytestmark = pytest.mark.db

CEO = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts reviews 1, 4, 7 and 10 of the bundled triad
OTHER_CEO = "marcus.hale@donriver.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"


def _open(review_id: int) -> list[queries.TaskRow]:
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def _context(task_id: int) -> dict:
    with db.session_scope() as session:
        return queries.task_context(session, task_id)


def _do(task: queries.TaskRow, data: dict | None = None) -> None:
    with db.session_scope() as session:
        workflow.submit(
            session,
            task.id,
            data if data is not None else answer(queries.task_context(session, task.id)),
            task.assignee_email,
        )
    workflow.advance_review(db.session_scope, task.review_id)


def _drive(review_id: int, stop=lambda tasks: False) -> list[queries.TaskRow]:
    """Move a review on, its simulated people doing their tasks soonest due first, until `stop(open tasks)`
    holds or nothing is left open; returns the tasks open then."""
    workflow.advance_review(db.session_scope, review_id)
    for _ in range(80):
        tasks = _open(review_id)
        if not tasks or stop(tasks):
            return tasks
        _do(tasks[0])
    raise AssertionError(f"review {review_id} did not get there")


def _until(review_id: int, kind: str, round_: int = 1) -> queries.TaskRow:
    tasks = _drive(review_id, lambda tasks: any(t.kind == kind and t.round == round_ for t in tasks))
    return next(t for t in tasks if t.kind == kind and t.round == round_)


def _steel_valley() -> list[Review]:
    with db.session_scope() as session:
        first = session.get(Review, 1)
        return list(
            session.exec(select(Review).where(Review.host_trust_id == first.host_trust_id).order_by(Review.visit_start))
        )


def _actions(review_id: int) -> list[str]:
    with db.session_scope() as session:
        return [
            f"A{i}"
            for i in session.exec(
                select(DevelopmentAction.id)
                .where(DevelopmentAction.review_id == review_id)
                .order_by(DevelopmentAction.id)
            )
        ]


def _progress() -> list[tuple]:
    with db.session_scope() as session:
        rows = session.exec(select(ActionProgress).order_by(ActionProgress.id)).all()
        return [(f"A{p.action_id}", p.review_id, p.occasion, p.status, p.evidence) for p in rows]


@pytest.fixture
def first_closed(planned):
    """The triad with Steel Valley's first review (review 1) run to the end: its areas for development are actions."""
    _drive(1)
    return planned


def test_an_issued_report_turns_its_supported_areas_for_development_into_actions_of_the_host(planned):
    issue = _until(1, "issue_report")
    assert _actions(1) == []
    _do(issue)
    with db.session_scope() as session:
        review = session.get(Review, 1)
        findings = session.exec(select(Finding).where(Finding.review_id == 1)).all()
        expected = {f.id: f.text for f in findings if f.kind == "area_for_development" and f.status == "supported"}
        assert expected and len(expected) < len(findings)  # strengths and good practice are not actions
        actions = session.exec(select(DevelopmentAction).where(DevelopmentAction.review_id == 1)).all()
        assert {a.finding_id: a.text for a in actions} == expected
        assert {(a.trust_id, a.partnership_id) for a in actions} == {(review.host_trust_id, review.partnership_id)}
        assert follow_up.create_actions(session, review) == []  # once per finding
        logged = session.exec(select(AuditEntry).where(AuditEntry.action == "development_actions_created")).one()
        assert logged.detail["actions"] == [f"A{a.id}" for a in actions]


def test_the_next_review_asks_the_host_about_exactly_the_earlier_actions_before_its_lines_close(first_closed):
    _drive(2)  # another trust's first review leaves actions of its own, which are not Steel Valley's to report on
    assert _actions(2)
    second = _steel_valley()[1]
    task = _until(second.id, "record_progress")
    assert (task.assignee_email, task.round) == (CEO, 1)
    assert task.due == dt.date.fromisoformat(second.deadlines["lines_of_enquiry"])  # a school day already
    assert {t.kind for t in _open(second.id)} == {"propose_lines", "record_progress"}  # opened together
    context = _context(task.id)
    assert [a.ref for a in context["actions"]] == _actions(1)
    assert all(a.review_id == 1 and a.strand == "School improvement" and not a.progress for a in context["actions"])
    skeleton = yaml.safe_load(
        yaml_template(context)
    )  # the YAML skeleton lists them, and is a valid answer as it stands
    assert [entry["action"] for entry in skeleton["actions"]] == _actions(1)
    with db.session_scope() as session:
        workflow.validate_answer(session, session.get(Task, task.id), session.get(Review, second.id), skeleton)

    # the lines are agreed, but the stage waits for the host's record of progress
    while others := [t for t in _open(second.id) if t.kind != "record_progress"]:
        _do(others[0])
    assert [t.id for t in _open(second.id)] == [task.id]
    with db.session_scope() as session:
        assert session.get(Review, second.id).stage == "lines_of_enquiry"
    simulated = answer(context)
    assert {e["status"] for e in simulated["actions"]} >= {"under_way", "done"}
    _do(task)
    with db.session_scope() as session:
        assert session.get(Review, second.id).stage == "evidence"
    assert _progress() == [
        (e["action"], second.id, "next_review", e["status"], e["evidence"]) for e in simulated["actions"]
    ]

    # it is not the trust's last review: nothing more is asked after its report
    assert _drive(second.id) == []
    with db.session_scope() as session:
        assert session.get(Review, second.id).stage == "closed"
        asked = session.exec(
            select(Task.round).where(Task.review_id == second.id, Task.kind == "record_progress")
        ).all()
    assert asked == [1]


def test_a_record_of_progress_is_refused_unless_it_answers_for_exactly_its_actions_with_evidence(first_closed):
    second = _steel_valley()[1]
    task = _until(second.id, "record_progress")
    good = answer(_context(task.id))
    refs = [e["action"] for e in good["actions"]]
    entries = [dict(e, status="under_way", evidence="Termly checks run in two schools.") for e in good["actions"]]

    refused(
        task.id,
        {"actions": entries[1:]},
        CEO,
        rf"Action {refs[0]} is missing: you are asked to record progress on actions {', '.join(refs[:-1])} and {refs[-1]}",
    )
    refused(
        task.id,
        {"actions": [*entries, dict(entries[0], action="A999")]},
        CEO,
        "Action A999 is not one you are asked to record progress on",
    )
    refused(task.id, {"actions": [*entries, entries[0]]}, CEO, f"Action {refs[0]} appears more than once")
    refused(
        task.id,
        {"actions": [dict(entries[0], status="done", evidence=" "), *entries[1:]]},
        CEO,
        r"actions\[0\]\.evidence: Enter what shows it is done",
    )
    refused(
        task.id, {"actions": [dict(entries[0], evidence=""), *entries[1:]]}, CEO, "Enter what shows it is under way"
    )
    refused(task.id, {"actions": [dict(entries[0], status="graded"), *entries[1:]]}, CEO, "not_started")
    peers, moderator = _team(second.id)
    for someone in (peers[0].email, moderator.email, OTHER_CEO):
        refused(
            task.id, {"actions": entries}, someone, f"assigned to {CEO}; only they or the coordinator can submit it"
        )

    not_started = [
        dict(entries[0], status="not_started", evidence=""),
        *entries[1:],
    ]  # nothing to show yet: no evidence needed
    with db.session_scope() as session:
        assert workflow.submit(session, task.id, {"actions": not_started}, CEO).outcome == "recorded"
    refused(task.id, {"actions": entries}, CEO, "already done")
    with db.session_scope() as session:
        logged = session.exec(select(AuditEntry).where(AuditEntry.action == "progress_recorded")).one()
    assert (logged.actor, logged.detail["occasion"]) == (CEO, "next_review")
    assert logged.detail["actions"] == {e["action"]: e["status"] for e in not_started}


def _team(review_id: int):
    with db.session_scope() as session:
        return team(session, session.get(Review, review_id))


def test_at_the_trusts_last_review_the_host_reports_on_every_action_at_the_end_of_the_cycle(first_closed):
    last = _steel_valley()[-1]
    assert last.position == 4
    next_review = _until(last.id, "record_progress")  # its lines of enquiry: the earlier review's actions
    assert [a.ref for a in _context(next_review.id)["actions"]] == _actions(1)
    end = _until(last.id, "record_progress", round_=2)
    with db.session_scope() as session:
        assert session.get(Review, last.id).stage == "feedback"
    assert end.assignee_email == CEO and "end of the trust's cycle" in end.note
    assert end.due == dt.date.fromisoformat(last.deadlines["feedback"])
    context = _context(end.id)
    own = _actions(last.id)
    assert own and [a.ref for a in context["actions"]] == _actions(1) + own  # its own report's areas too
    assert [bool(a.progress) for a in context["actions"]] == [True] * len(_actions(1)) + [False] * len(own)
    assert "end of the trust's cycle" in yaml_template(context)
    # the form starts from the progress recorded last
    start = KINDS[context["kind"]].form.initial(context)["actions"]
    assert [e.get("status") for e in start[: len(_actions(1))]] == [
        a.latest.status.value for a in context["actions"][: len(_actions(1))]
    ]
    assert "status" not in start[-1]
    assert _drive(last.id) == []
    with db.session_scope() as session:
        assert session.get(Review, last.id).stage == "closed"
    recorded = [row for row in _progress() if row[2] == "end_of_cycle"]
    assert [row[0] for row in recorded] == _actions(1) + own and {row[1] for row in recorded} == {last.id}
    # and the first review, not the last, never asked at its end
    with db.session_scope() as session:
        assert session.exec(select(Task).where(Task.review_id == 1, Task.kind == "record_progress")).all() == []


def test_the_host_answers_on_the_web_form_and_the_next_review_team_sees_the_progress(first_closed):
    second = _steel_valley()[1]
    task = _until(second.id, "record_progress")
    host = sign_in(CEO)
    form = host.get(f"/tasks/{task.id}")
    assert form.status_code == 200 and "Record progress on earlier areas for development" in form.text
    with db.session_scope() as session:
        earlier = follow_up.action_views(session, follow_up.earlier_actions(session, session.get(Review, second.id)))
    for a in earlier:
        assert (
            a.text.replace("<", "&lt;").replace(">", "&gt;") in form.text
            and f"Action {a.ref}: from review 1 (School improvement)" in form.text
        )
    good = answer(_context(task.id))
    fields = flatten(good)
    before = row_counts()
    wrong = [
        (name, "done" if name == "actions-0-status" else "" if name == "actions-0-evidence" else value)
        for name, value in fields
        if name != "actions-1-status"
    ]
    shown = send_answer(host, task.id, wrong)
    assert shown.status_code == 400
    links = dict(re.findall(r'<li><a href="#([^"]*)">([^<]*)</a>', shown.text))
    assert links["actions-0-evidence"] == f"Action {earlier[0].ref}: enter what shows it is done"
    assert links["actions-1-status"] == f"Action {earlier[1].ref}: select how far it has got"
    assert row_counts() == before
    assert send_answer(host, task.id, fields).status_code == 303
    assert _progress() == [(e["action"], second.id, "next_review", e["status"], e["evidence"]) for e in good["actions"]]

    peer = sign_in(_team(second.id)[0][0].email)
    page = peer.get(f"/reviews/{second.id}")
    assert page.status_code == 200 and "Progress on earlier areas for development" in page.text
    for a, entry in zip(earlier, good["actions"]):
        label = {"not_started": "Not started", "under_way": "Under way", "done": "Done"}[entry["status"]]
        row = re.search(rf'<dt class="govuk-summary-list__key">{a.ref}: .*?</dd>', page.text, re.S).group(0)
        assert (
            f"<strong>{label}</strong>" in row
            and entry["evidence"] in row
            and "From the School improvement review" in row
        )
    assert "has no areas for development from reviews before this one" in host.get("/reviews/1").text
    assert sign_in(OTHER_CEO).get(f"/reviews/{second.id}").status_code == 403


def _report_text(review_id: int) -> list[tuple[str, str]]:
    with db.session_scope() as session:
        content = session.exec(
            select(Document.content).where(Document.review_id == review_id, Document.kind == "review-report")
        ).one()
    return [(p.style.name, p.text) for p in Docx(io.BytesIO(content)).paragraphs]


def _section(paragraphs: list[tuple[str, str]], heading: str) -> list[str]:
    start = paragraphs.index(("Heading 1", heading))
    end = next(i for i in range(start + 1, len(paragraphs)) if paragraphs[i][0] == "Heading 1")
    return [text for _style, text in paragraphs[start + 1 : end]]


def test_the_next_report_says_what_progress_was_recorded_since_earlier_reviews(first_closed):
    assert _section(_report_text(1), "Progress since earlier reviews") == [
        "None: the trust has no areas for development from earlier reviews."
    ]
    second = _steel_valley()[1]
    task = _until(second.id, "record_progress")
    context = _context(task.id)
    data = answer(context)
    data["actions"][-1] = {
        "action": data["actions"][-1]["action"],
        "status": "done",
        "evidence": "Minutes & notes: <board>, 4 March.",
    }
    _do(task, data)
    _drive(second.id)
    section = _section(_report_text(second.id), "Progress since earlier reviews")
    assert section[0].startswith("The areas for development from the trust’s earlier reviews")
    issued = f"report issued {context['actions'][0].issued_on.day} {context['actions'][0].issued_on:%B %Y}"
    expected = []
    for a, entry in zip(context["actions"], data["actions"]):
        label = {"not_started": "Not started", "under_way": "Under way", "done": "Done"}[entry["status"]]
        progress = f"{label}: {entry['evidence']}" if entry["evidence"] else label
        expected += [
            f"{a.ref} (from review 1, School improvement, {issued}): {a.text}",
            f"Progress recorded at this review: {progress}",
        ]
    assert section[1:] == expected
    assert "Progress recorded at this review: Done: Minutes & notes: <board>, 4 March." in section  # kept as typed
    assert not GRADE_WORDS.search("\n".join(section))
