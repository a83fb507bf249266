"""The engine's sweep: every change to a review queues it, a sweep finds queued reviews with one query and
empties the queue, several sweeps at once never do a step twice, a sweep killed part-way loses nothing, and a
submission the Prefect server never heard of is still moved on by the next sweep."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import delete, func
from sqlmodel import select

from peer_review.domain.lifecycle import Stage
from peer_review.service import queries, sweep, workflow
from peer_review.store import db
from peer_review.store.tables import AuditEntry, MachineWork, Review, Task

from helpers import EXAMPLE, all_at_once, run_cli

pytestmark = pytest.mark.db

ACCEPT = {"response": "accept"}


def _queued() -> set[int]:
    with db.session_scope() as session:
        return set(session.exec(select(MachineWork.review_id)).all())


def _stages() -> dict[int, str]:
    with db.session_scope() as session:
        return {r.id: r.stage for r in session.exec(select(Review))}


def _accept_every_invitation() -> None:
    with db.session_scope() as session:
        invitations = [t for t in queries.open_tasks(session) if t.kind == "respond_to_assignment"]
    for task in invitations:
        with db.session_scope() as session:
            workflow.submit(session, task.id, ACCEPT, task.assignee_email)


def _duplicated_history() -> list:
    """Audit entries the engine wrote twice: a stage change, or a task opened, recorded more than once."""
    with db.session_scope() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action.in_(("stage_changed", "task_opened")))).all()
    seen = Counter(
        (e.review_id, e.action, e.detail.get("before"), e.detail.get("after"), e.detail.get("task")) for e in entries
    )
    return [key for key, count in seen.items() if count > 1]


def test_planning_queues_every_review_and_a_sweep_takes_each_on_until_it_waits_on_people(planned):
    assert _queued() == set(range(2, 13))  # review 1 was moved on (and taken off the queue) by the fixture
    done = sweep.sweep(db.session_scope)
    assert set(done) == set(range(2, 13)) and _queued() == set()
    assert set(_stages().values()) == {Stage.ASSIGNMENT}
    assert (
        sweep.sweep(db.session_scope) == {}
    )  # nothing changed, nothing to do: the queue says so without looking at a review


def test_a_submission_queues_its_review_and_a_review_that_changed_queues_its_trusts_other_reviews(planned):
    sweep.sweep(db.session_scope)
    with db.session_scope() as session:
        task = next(t for t in queries.open_tasks(session) if t.review_id == 5)
        workflow.submit(session, task.id, ACCEPT, task.assignee_email)
    assert _queued() == {5}
    _accept_every_invitation()
    queued = _queued()
    assert queued == set(range(1, 13))
    sweep.sweep(db.session_scope)
    assert set(_stages().values()) == {Stage.LINES_OF_ENQUIRY} and _queued() == set()
    with (
        db.session_scope() as session
    ):  # a review's own change (here its stage) queues the other reviews its trust hosts
        review = session.get(Review, 1)
        review.visit_start = review.visit_start  # unchanged: nothing queued
        session.add(review)
    assert _queued() == set()
    with db.session_scope() as session:
        review = session.get(Review, 1)
        review.moderator_statement = "changed"
        session.add(review)
        host = review.host_trust_id
        hosted = set(session.exec(select(Review.id).where(Review.host_trust_id == host)).all())
    assert _queued() == hosted and len(hosted) == 4


def test_a_sweep_killed_part_way_loses_nothing_and_the_next_sweep_finishes_its_work(planned, monkeypatch):
    """A worker that claimed a batch and died holds it until its lease ends; then the next sweep takes it on."""
    with db.session_scope() as session:
        held = sweep.claim(session, limit=5, by="a worker killed before it did anything")
    assert held == [2, 3, 4, 5, 6]
    assert set(sweep.sweep(db.session_scope)) == set(range(7, 13))  # another sweep leaves the held batch alone
    assert _queued() == set(held)
    later = sweep._now() + sweep.LEASE + sweep.LEASE / 10
    monkeypatch.setattr(sweep, "_now", lambda: later)
    assert set(sweep.sweep(db.session_scope)) == set(held)
    assert _queued() == set() and set(_stages().values()) == {Stage.ASSIGNMENT}
    assert _duplicated_history() == []


@pytest.mark.postgresql_only
def test_four_sweeps_at_once_share_the_work_and_do_no_step_twice(planned):
    """Four sweeps (as four workers would run them) at once, twice: when the reviews open, and when their
    teams have accepted. Claims keep them apart; between them they do every step once."""
    for _ in range(2):
        results = all_at_once(4, lambda _i: sweep.sweep(db.session_scope, batch=2))
        assert not [r for r in results if isinstance(r, Exception)], results
        by_review = Counter(review_id for result in results for review_id in result)
        assert set(by_review.values()) == {1}  # each review taken on by one sweep
        assert _queued() == set()
        _accept_every_invitation()
    assert set(_stages().values()) == {Stage.LINES_OF_ENQUIRY}
    assert _duplicated_history() == []


def _sweep_process(env: dict) -> subprocess.Popen:
    code = "from peer_review.store import db; from peer_review.service import sweep; sweep.sweep(db.session_scope, batch=3)"
    return subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_a_worker_process_killed_mid_sweep_loses_nothing(planned):
    """A real process is killed (SIGKILL) while it sweeps; the next sweep, once the lease is over, finishes
    the work, and nothing is recorded twice."""
    env = {"PEER_REVIEW_DATABASE_URL": planned, "PEER_REVIEW_SWEEP_LEASE_SECONDS": "2"}
    victim = _sweep_process(env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_queued()) > 8:  # it has done a batch or so
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    left = _queued()
    assert left, "the sweep finished before it was killed: the test shows nothing"
    time.sleep(2.5)  # the killed worker's lease runs out
    survivor = _sweep_process(env)
    _, stderr = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, stderr.decode()
    assert _queued() == set() and set(_stages().values()) == {Stage.ASSIGNMENT}
    assert _duplicated_history() == []
    with db.session_scope() as session:  # every team member asked to accept, once
        invitations = session.exec(
            select(func.count()).select_from(Task).where(Task.kind == "respond_to_assignment")
        ).one()
    assert invitations == 12 * 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket closes


def test_a_submission_the_prefect_server_never_hears_of_is_moved_on_by_the_next_sweep(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"PEER_REVIEW_DATABASE_URL": url}
    assert run_cli("partnership", "load", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", "--publish", cwd=tmp_path, env=env).returncode == 0
    db.configure(url)
    try:
        sweep.sweep(db.session_scope)
        with db.session_scope() as session:
            invitations = [t for t in queries.open_tasks(session) if t.review_id == 1]
        answer = tmp_path / "accept.yaml"
        answer.write_text("response: accept\n")
        server = f"http://127.0.0.1:{_closed_port()}/api"
        for task in invitations:
            result = run_cli(
                "submit",
                task.id,
                answer,
                "--as",
                task.assignee_email,
                cwd=tmp_path,
                env=env | {"PREFECT_API_URL": server},
            )
            assert result.returncode == 0, result.stderr  # the answer is recorded: that is what the person did
            message = " ".join(result.stderr.split())
            assert f"could not reach the Prefect server at {server}" in message
            assert "review 1 is queued, and the next advance-cycle run moves it on" in message
        assert _stages()[1] == Stage.ASSIGNMENT and _queued() == {1}  # nobody moved it on...
        sweep.sweep(db.session_scope)  # ...until the next sweep
        assert _stages()[1] == Stage.LINES_OF_ENQUIRY and _queued() == set()
    finally:
        db.configure(None)
        db.dispose_all()


@pytest.mark.postgresql_only
def test_transactions_on_one_trusts_reviews_at_once_do_not_deadlock(planned):
    """What closing a review does to the queue, on every review of one trust at once, twenty times: each
    transaction changes its review (which queues the trust's other reviews) and takes its own off the queue,
    as the engine's last step does. The queue's rows are locked in one order, so none deadlocks."""
    from peer_review.service import steps

    sweep.sweep(db.session_scope)
    with db.session_scope() as session:
        host = session.get(Review, 1).host_trust_id
        hosted = sorted(session.exec(select(Review.id).where(Review.host_trust_id == host)).all())

    def close_like_the_engine(i: int) -> None:
        review_id = hosted[i % len(hosted)]
        with db.session_scope() as session:
            steps.lock_review(session, review_id)
            token = session.exec(select(MachineWork.token).where(MachineWork.review_id == review_id)).first()
            review = session.get(Review, review_id)
            review.moderator_statement = f"round {i}"
            session.add(review)
            session.flush()
            session.info.setdefault("settled_reviews", {})[review_id] = token

    for _ in range(20):
        results = all_at_once(len(hosted), close_like_the_engine)
        assert not [r for r in results if isinstance(r, Exception)], results


def test_a_savepoint_rolled_back_keeps_what_the_transaction_changed_before_it(planned):
    sweep.sweep(db.session_scope)
    with db.session_scope() as session:
        review = session.get(Review, 2)
        review.moderator_statement = "kept"
        session.add(review)
        session.flush()
        with pytest.raises(RuntimeError):
            with session.begin_nested():
                session.get(Review, 3).moderator_statement = "undone"
                session.flush()
                raise RuntimeError("a savepoint rolled back")
    with db.session_scope() as session:
        hosted = set(
            session.exec(select(Review.id).where(Review.host_trust_id == session.get(Review, 2).host_trust_id)).all()
        )
    assert _queued() >= hosted


def test_a_rescan_queues_every_open_review_changed_around_the_engine(planned):
    sweep.sweep(db.session_scope)
    _accept_every_invitation()
    with db.session_scope() as session:  # a change the engine cannot see: the queue emptied behind its back
        session.exec(delete(MachineWork))
    assert sweep.sweep(db.session_scope) == {} and set(_stages().values()) == {Stage.ASSIGNMENT}
    with db.session_scope() as session:
        assert sweep.requeue_open(session) == 12
    sweep.sweep(db.session_scope)
    assert set(_stages().values()) == {Stage.LINES_OF_ENQUIRY}


def test_through_the_flow_a_queued_review_with_nothing_to_do_costs_no_step_task_run(
    prefect_server, planned, monkeypatch
):
    """The flow looks at each claimed review first: one that only waits on people leaves the queue there, and
    every advance-step task run it makes does a step."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.review import advance_cycle

    steps_run: list[int] = []
    advance_one_step = sweep.advance_one_step

    def counted(session, review_id):
        steps_run.append(review_id)
        return advance_one_step(session, review_id)

    monkeypatch.setattr(sweep, "advance_one_step", counted)
    advance_cycle()
    with db.session_scope() as session:
        task = next(t for t in queries.open_tasks(session) if t.review_id == 5)
        workflow.submit(session, task.id, ACCEPT, task.assignee_email)  # the others of the team have still to answer
    steps_run.clear()
    assert _queued() == {5}
    assert advance_cycle() == {} and steps_run == [] and _queued() == set()

    with db.session_scope() as session:
        rest = [t for t in queries.open_tasks(session) if t.review_id == 5 and t.kind == "respond_to_assignment"]
    for task in rest:
        with db.session_scope() as session:
            workflow.submit(session, task.id, ACCEPT, task.assignee_email)
    state = advance_cycle(return_state=True)
    done = state.result()
    assert list(done) == [5] and _stages()[5] == Stage.LINES_OF_ENQUIRY and _queued() == set()
    assert steps_run == [5] * len(done[5])  # no look at review 5 ran as a step that did nothing
    flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    with get_client(sync_client=True) as client:  # the server records task runs from events, a moment later
        deadline = time.monotonic() + 30
        while (
            len(runs := client.read_task_runs(flow_run_filter=flow_run)) < len(done[5]) and time.monotonic() < deadline
        ):
            time.sleep(0.5)
    assert sorted(run.name for run in runs) == ["advance-step-5"] * len(done[5])


def test_through_the_flow_a_look_that_fails_is_left_to_the_steps_task_run_which_retries(
    prefect_server, planned, monkeypatch
):
    """A passing fault in the flow's own look (a dropped connection) neither fails the sweep nor parks the
    review under its lease: the step's task run looks again, with its retries."""
    from sqlalchemy.exc import OperationalError

    from flows.review import advance_cycle

    advance_cycle()
    with db.session_scope() as session:
        task = next(t for t in queries.open_tasks(session) if t.review_id == 5)
        workflow.submit(session, task.id, ACCEPT, task.assignee_email)
    looks = sweep.waits_on_people
    faults = []

    def dropped_once(session, review_id):
        if not faults:
            faults.append(review_id)
            raise OperationalError("SELECT ...", {}, Exception("server closed the connection unexpectedly"))
        return looks(session, review_id)

    monkeypatch.setattr(sweep, "waits_on_people", dropped_once)
    state = advance_cycle(return_state=True)
    assert state.is_completed() and state.result() == {} and faults == [5]
    assert _queued() == set()  # looked at again by the task run, and settled: nothing left held
