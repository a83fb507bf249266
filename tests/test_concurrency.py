"""One winner per task and per machine step: answers sent at once (threads, command-line processes and
web requests) and `advance-review` runs at once, on every database under test. The losers are told the
task is already done, and nothing is written twice."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from peer_review.domain.lifecycle import Stage
from peer_review.errors import UserError
from peer_review.service import queries, steps, sweep, workflow
from peer_review.store import db
from peer_review.store.tables import (
    Assignment,
    AuditEntry,
    Document,
    Person,
    Review,
    Task,
)

from helpers import all_at_once, csrf_of, run_cli, sign_in

pytestmark = pytest.mark.db

SUBMITTERS = 20
PROCESSES = 4
ADVANCERS = 10
COORDINATOR = "ruth.ashby@coordinator.example.org"
ANSWERS = ({"response": "accept"}, {"response": "decline", "reason": "A clash with our own inspection"})


def _invitation(review_id: int, trust_domain: str) -> queries.TaskRow:
    with db.session_scope() as session:
        return next(
            t
            for t in queries.open_tasks(session)
            if t.review_id == review_id and t.assignee_email.endswith(trust_domain)
        )


def _entries(action: str, review_id: int) -> list[AuditEntry]:
    with db.session_scope() as session:
        return list(
            session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.review_id == review_id)).all()
        )


def _assert_answered_once(task: queries.TaskRow, outcome: str) -> None:
    """The task's answer, and what it brings about, are recorded once: one completion, one decline
    (and one replacement invited) or one acceptance, and every task opened once."""
    completed = [e for e in _entries("task_completed", task.review_id) if e.detail["task"] == task.id]
    assert len(completed) == 1 and completed[0].detail["outcome"] == outcome
    with db.session_scope() as session:
        assignee = select(Person.id).where(Person.email == task.assignee_email).scalar_subquery()
        mine = session.exec(
            select(Assignment).where(Assignment.person_id == assignee, Assignment.review_id == task.review_id)
        ).one()
        team = session.exec(select(Assignment).where(Assignment.review_id == task.review_id)).all()
        tasks = session.exec(select(Task).where(Task.review_id == task.review_id)).all()
        answered = session.get(Task, task.id)
    assert answered.status == "done" and answered.outcome == outcome
    assert mine.status == outcome and mine.reason.count("declined:") == (outcome == "declined")
    assert len(team) == 3 + (outcome == "declined")  # a decline brings in exactly one replacement
    opened = Counter(e.detail["task"] for e in _entries("task_opened", task.review_id))
    assert opened == Counter(t.id for t in tasks)


def test_twenty_answers_to_one_task_at_once_have_one_winner(planned):
    task = _invitation(1, "donriver.example.org")

    def answer(i: int) -> workflow.Submitted:
        with db.session_scope() as session:
            return workflow.submit(session, task.id, ANSWERS[i % 2], task.assignee_email)

    outcomes = all_at_once(SUBMITTERS, answer)
    won = [o for o in outcomes if isinstance(o, workflow.Submitted)]
    lost = [o for o in outcomes if not isinstance(o, workflow.Submitted)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, UserError) and "already done" in str(o) for o in lost), lost
    _assert_answered_once(task, won[0].outcome)


def test_answers_sent_at_once_from_the_command_line_have_one_winner(planned, tmp_path):
    task = _invitation(1, "peakedge.example.org")
    files = []
    for i, data in enumerate(ANSWERS):
        files.append(tmp_path / f"answer-{i}.yaml")
        files[-1].write_text("".join(f"{key}: {value}\n" for key, value in data.items()))
    env = {"PEER_REVIEW_DATABASE_URL": planned}

    results = all_at_once(
        PROCESSES,
        lambda i: run_cli("submit", task.id, files[i % 2], "--as", task.assignee_email, cwd=tmp_path, env=env),
    )
    assert sorted(r.returncode for r in results) == [0] + [2] * (PROCESSES - 1), [r.stderr for r in results]
    for result in results:
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 0 or "already done" in result.stderr, result.stderr
    [winner] = [r for r in results if r.returncode == 0]
    _assert_answered_once(task, "accepted" if "(accepted)" in winner.stdout else "declined")


def test_a_form_sent_from_several_browsers_at_once_has_one_winner(planned):
    task = _invitation(1, "coordinator.example.org")  # the moderator; the coordinator may answer for them
    browsers = [sign_in(email) for email in (task.assignee_email, COORDINATOR) for _ in range(2)]
    tokens = [csrf_of(browser.get(f"/tasks/{task.id}").text) for browser in browsers]

    def send(i: int):
        fields = {"csrf_token": tokens[i], "action": "submit", **ANSWERS[i % 2]}
        return browsers[i].post(f"/tasks/{task.id}", data=fields)

    responses = all_at_once(len(browsers), send)
    assert sorted(r.status_code for r in responses) == [303] + [409] * (len(browsers) - 1), [
        r.text[:300] for r in responses
    ]
    assert all("Task done" in r.text for r in responses if r.status_code == 409)
    with db.session_scope() as session:
        outcome = session.get(Task, task.id).outcome
    _assert_answered_once(task, outcome)


def _accept_all(review_id: int) -> None:
    with db.session_scope() as session:
        invitations = [t for t in queries.open_tasks(session) if t.review_id == review_id]
        for task in invitations:
            workflow.submit(session, task.id, ANSWERS[0], task.assignee_email)


def _shape(review_id: int) -> tuple:
    """What the machine steps leave on a review, without what differs between reviews (ids, people, times)."""
    with db.session_scope() as session:
        stage = session.get(Review, review_id).stage
        tasks = sorted(
            (t.kind, t.round, t.status) for t in session.exec(select(Task).where(Task.review_id == review_id))
        )
        documents = sorted(session.exec(select(Document.kind).where(Document.review_id == review_id)).all())
        entries = session.exec(select(AuditEntry).where(AuditEntry.review_id == review_id)).all()
    history = sorted(
        (e.action, e.detail.get("event", ""), e.detail.get("kind", ""), e.detail.get("after", "")) for e in entries
    )
    return stage, tasks, documents, history


def _advance_at_once(review_id: int, twin: int) -> None:
    """Ten runs of one review at once: none fails, and between them they do the steps one run does on its twin."""
    results = all_at_once(ADVANCERS, lambda _i: sweep.advance_review(db.session_scope, review_id))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(step for result in results for step in result) == Counter(
        sweep.advance_review(db.session_scope, twin)
    )


def test_ten_advance_runs_of_one_review_at_once_do_each_step_once(planned):
    """Review 2 is opened, then moved past its team's acceptances, by ten runs at once each time; review 3
    by one run: both end the same, with each stage change, task and document recorded once."""
    _advance_at_once(2, twin=3)  # opening the review and inviting its team
    _accept_all(2)
    _accept_all(3)
    _advance_at_once(2, twin=3)  # closing the assignment stage and asking the host for lines of enquiry
    assert _shape(2) == _shape(3)
    changes = Counter((e.detail["before"], e.detail["after"]) for e in _entries("stage_changed", 2))
    assert changes == {(Stage.SCHEDULED, Stage.ASSIGNMENT): 1, (Stage.ASSIGNMENT, Stage.LINES_OF_ENQUIRY): 1}
    opened = Counter(e.detail["task"] for e in _entries("task_opened", 2))
    assert set(opened.values()) == {1} and len(opened) == 4


def test_a_step_another_run_did_meanwhile_is_not_done_again(planned):
    """A run that read the review before another run's step committed (and still holds what it read)
    reads it again once it has the lock, and finds the step done."""
    with db.session_scope() as session:
        step = steps.pending_step(session, 2)
        held = session.get(Review, 2)
        assert sweep.advance_review(db.session_scope, 2)  # the other run
        assert not steps.run_step(session, 2, step)
        assert held.stage == Stage.ASSIGNMENT
    assert len(_entries("stage_changed", 2)) == 1
