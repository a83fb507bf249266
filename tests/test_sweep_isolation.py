"""One partnership's (or one review's) bad data does not stop the daily work of every other: the reminder
sweep, its survey reminders, the engine's sweep and the flows that run them carry on past a unit that fails,
roll back only that unit's work, and report it by name with the reason (the commands in one line each and a
non-zero exit, the traceback only in the log)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from peer_review import clock
from peer_review.domain.lifecycle import Stage
from peer_review.domain.reminders import ReminderRules, reminder_due
from peer_review.domain.surveys import SurveyRound
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, reminders, surveys, sweep
from peer_review.store import db
from peer_review.store.people import get_partnership
from peer_review.store.tables import (
    MachineWork,
    OutboxMessage,
    Partnership,
    Review,
    Task,
)

from helpers import EXAMPLE, plan_and_publish, run_cli

pytestmark = pytest.mark.db

HEALTHY = "Sheffield pilot triad"
BROKEN = "Broken triad"
START = dt.date(2023, 11, 1)
DAY = dt.date(2024, 6, 3)  # a Monday: reminders, escalations and digests are all owed
SWEPT = {"reminder": "reminders", "survey_reminder": "reminders", "escalation": "escalations", "digest": "digests"}


@pytest.fixture(autouse=True)
def _real_time_afterwards():
    yield
    clock.set_time(None)


def _copy_of_the_triad(tmp_path: Path, name: str, reminders_line: str | None = None) -> Path:
    """The bundled triad as another partnership: its own name, trusts and people (a moderator shared by two
    partnerships would be booked twice, and the second plan refuse)."""
    source = EXAMPLE.read_text()
    source = source.replace(f"name: {HEALTHY}", f"name: {name}" + (f"\n{reminders_line}" if reminders_line else ""), 1)
    for trust in ("steel-valley", "don-river", "peak-edge"):
        source = source.replace(trust, f"{trust}-2")
    path = tmp_path / "other.yaml"
    path.write_text(source.replace(".example.org", ".other.example.org"))
    return path


def _load(*files: Path, plan: bool) -> None:
    with clock.frozen_at(clock.at_london(START, 9)):
        for file in files:
            with db.session_scope() as session:
                loaded = load_partnership_file(file)
                loading.store_partnership(session, loaded)
                if plan:
                    plan_and_publish(session, loaded.spec.name)
        if plan:
            opened = sweep.sweep(db.session_scope)
            assert len(opened) == 12 * len(files) and not getattr(
                opened, "failures", None
            )  # every review opened, its team invited


@pytest.fixture
def two_triads(database_url, tmp_path):
    """A partnership whose reminder rule has a huge number of days (it loads and plans: issue 27 adds ranges
    at load time; a stored rule can still be wrong), loaded first, and the bundled triad; both planned and
    every review opened."""
    _load(_copy_of_the_triad(tmp_path, BROKEN, "reminders: {before: [1000000000, 2]}"), EXAMPLE, plan=True)
    return database_url


def _ids() -> dict[str, int]:
    with db.session_scope() as session:
        return {p.name: p.id for p in session.exec(select(Partnership))}


def _swept_rows() -> dict[int, Counter]:
    """Per partnership id, the reminder sweep's rows in the outbox, counted as the sweep counts them."""
    with db.session_scope() as session:
        rows = session.exec(
            select(OutboxMessage.partnership_id, OutboxMessage.event).where(OutboxMessage.event.in_(list(SWEPT)))
        ).all()
    counted: dict[int, Counter] = {}
    for partnership_id, event in rows:
        counted.setdefault(partnership_id, Counter())[SWEPT[event]] += 1
    return counted


def _owed_escalations(name: str) -> int:
    """Counted here from the rules: the partnership's open tasks whose reminders are exhausted on DAY."""
    with db.session_scope() as session:
        tasks = session.exec(
            select(Task)
            .join(Review, Review.id == Task.review_id)
            .join(Partnership, Partnership.id == Review.partnership_id)
            .where(Partnership.name == name, Task.status == "open")
        ).all()
        return sum(
            reminder_due(ReminderRules(), t.due, clock.local_date(t.created_at), DAY) == "escalate" for t in tasks
        )


def _check_the_healthy_one_is_done_and_the_broken_one_untouched(result, before: dict[int, Counter]) -> None:
    ids = _ids()
    [failure] = result.failures
    assert failure.unit == f"partnership '{BROKEN}'" and failure.reason.startswith("OverflowError: "), failure
    after = _swept_rows()
    assert after.get(ids[BROKEN], Counter()) == before.get(ids[BROKEN], Counter()) == Counter()  # nothing half-done
    healthy = after[ids[HEALTHY]]
    assert healthy["escalations"] == result.escalations == _owed_escalations(HEALTHY) > 0
    assert (healthy["reminders"], healthy["digests"]) == (result.reminders, result.digests) and result.digests > 0


def test_a_partnership_whose_reminders_fail_does_not_stop_the_others_and_is_reported(two_triads, caplog):
    before = _swept_rows()
    with clock.frozen_at(clock.at_london(DAY, 7)), caplog.at_level(logging.WARNING, logger="peer_review.sweeps"):
        result = reminders.sweep(db.session_scope)
    _check_the_healthy_one_is_done_and_the_broken_one_untouched(result, before)
    [logged] = [r for r in caplog.records if r.name == "peer_review.sweeps"]
    assert (
        logged.levelno == logging.ERROR and BROKEN in logged.getMessage() and logged.exc_info[0] is OverflowError
    )  # the traceback, in the log

    queued = _swept_rows()
    with clock.frozen_at(
        clock.at_london(DAY, 8)
    ):  # the same day again: nothing new for the healthy one, the broken one fails again
        again = reminders.sweep(db.session_scope)
    assert _swept_rows() == queued and [f.unit for f in again.failures] == [f"partnership '{BROKEN}'"]

    with db.session_scope() as session:  # with the rule put right, the broken partnership's own work is done
        session.exec(text("UPDATE partnership SET reminders = '{}' WHERE name = :name").bindparams(name=BROKEN))
    with clock.frozen_at(clock.at_london(DAY, 9)):
        fixed = reminders.sweep(db.session_scope)
    assert fixed.failures == [] and _swept_rows()[_ids()[BROKEN]]["escalations"] == _owed_escalations(BROKEN) > 0


def test_in_one_transaction_a_failing_partnership_rolls_back_only_its_own_work(two_triads):
    """A caller's session (as the tests of the rules use): each partnership's work is a savepoint of it."""
    before = _swept_rows()
    with clock.frozen_at(clock.at_london(DAY, 7)), db.session_scope() as session:
        result = reminders.sweep(session)
    _check_the_healthy_one_is_done_and_the_broken_one_untouched(result, before)


def test_remind_queues_the_healthy_partnerships_work_and_exits_1_naming_the_broken_one(two_triads, tmp_path):
    before = _swept_rows()
    done = run_cli(
        "remind", "--today", DAY.isoformat(), env={"PEER_REVIEW_DATABASE_URL": two_triads, "TMPDIR": str(tmp_path)}
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    healthy = _swept_rows()[_ids()[HEALTHY]]
    assert (
        done.stdout
        == f"queued {healthy['reminders']} reminder(s), {_owed_escalations(HEALTHY)} escalation(s), {healthy['digests']} digest(s), 0 timetable email(s)\n"
    )
    assert healthy["escalations"] == _owed_escalations(HEALTHY) > 0
    failed, summary = done.stderr.splitlines()
    assert failed.startswith(f"failed: partnership '{BROKEN}': OverflowError: ") and "must have magnitude" in failed
    assert _swept_rows().get(_ids()[BROKEN], Counter()) == before.get(_ids()[BROKEN], Counter())
    [log] = tmp_path.glob("peer-review-remind-*.log")
    assert str(log) in summary and "1 failed" in summary
    assert "Traceback" in log.read_text() and "OverflowError" in log.read_text() and BROKEN in log.read_text()


def test_the_reminder_flow_sends_the_healthy_partnerships_mail_then_fails_naming_the_broken_one(
    two_triads, tmp_path, monkeypatch
):
    """The flow's function, without a Prefect server: it queues and sends what it can, then fails the run."""
    from flows.outbox import reminder_sweep
    from peer_review.service.isolation import SweepFailed

    monkeypatch.setenv("PEER_REVIEW_OUTBOX_DIR", str(tmp_path / "mail"))
    with clock.frozen_at(clock.at_london(DAY, 7)), pytest.raises(SweepFailed) as failed:
        reminder_sweep.fn()
    assert [f.unit for f in failed.value.failures] == [f"partnership '{BROKEN}'"] and BROKEN in str(failed.value)
    owed = _owed_escalations(HEALTHY)
    assert failed.value.done["escalations"] == owed > 0 and failed.value.done["sent"] > 0
    with db.session_scope() as session:
        escalations = session.exec(select(OutboxMessage.status).where(OutboxMessage.event == "escalation")).all()
    assert escalations == ["sent"] * owed


def test_a_partnership_whose_survey_reminders_fail_does_not_stop_the_others(database_url, tmp_path):
    _load(_copy_of_the_triad(tmp_path, BROKEN), EXAMPLE, plan=False)
    with clock.frozen_at(clock.at_london(START, 9)):
        for name in (BROKEN, HEALTHY):
            with db.session_scope() as session:
                opened = surveys.open_round(session, get_partnership(session, name), SurveyRound.BASELINE)
    with db.session_scope() as session:  # a stored round damaged by hand
        session.exec(
            text("UPDATE surveyround SET questionnaire = '{}' WHERE partnership_id = :id").bindparams(id=_ids()[BROKEN])
        )
    with clock.frozen_at(clock.at_london(opened.due - dt.timedelta(days=2), 7)), db.session_scope() as session:
        result = reminders.sweep(session)  # in one transaction, as the surveys' own tests sweep
    [failure] = result.failures
    assert failure.unit == f"partnership '{BROKEN}'" and failure.reason == "KeyError: 'title'"
    reminded = _swept_rows()
    assert (
        reminded[_ids()[HEALTHY]]["reminders"] == result.reminders == opened.invited and _ids()[BROKEN] not in reminded
    )


def _break_review(review_id: int) -> None:
    with db.session_scope() as session:  # a stored row damaged by hand: the review's deadlines
        session.exec(
            text("UPDATE review SET deadlines = :bad WHERE id = :id").bindparams(
                bad='{"lines_of_enquiry": "not a date"}', id=review_id
            )
        )


def _review_7_wrote_nothing_half_done() -> None:
    """The step that failed (opening its team's tasks) left nothing behind: no task, no email. The step before
    it (opening the review) stands, as every step is a transaction of its own; the others were all moved on."""
    with db.session_scope() as session:
        assert session.exec(select(Task).where(Task.review_id == 7)).all() == []
        assert (
            session.exec(
                select(OutboxMessage).where(OutboxMessage.review_id == 7, OutboxMessage.event == "task_assigned")
            ).all()
            == []
        )
        assert session.exec(select(MachineWork.review_id).where(MachineWork.review_id == 7)).all() == [
            7
        ]  # still queued, for a later sweep
        assert {r.id: r.stage for r in session.exec(select(Review))} == {i: Stage.ASSIGNMENT for i in range(1, 13)}
        assert len(session.exec(select(Task).where(Task.review_id == 8)).all()) > 0


def test_a_review_that_fails_does_not_stop_the_engines_sweep_and_is_reported(planned, monkeypatch, caplog):
    _break_review(7)
    with caplog.at_level(logging.WARNING, logger="peer_review.sweeps"):
        done = sweep.sweep(db.session_scope)
    assert set(done) == set(range(2, 13)) - {7}
    [failure] = done.failures
    assert failure.unit == "review 7" and failure.reason == "ValueError: Invalid isoformat string: 'not a date'"
    assert [r.exc_info[0] for r in caplog.records if r.name == "peer_review.sweeps"] == [ValueError]
    _review_7_wrote_nothing_half_done()
    assert sweep.sweep(db.session_scope) == {}  # the failed review keeps its lease: the next sweep leaves it alone...
    later = sweep._now() + sweep.LEASE * 1.1
    monkeypatch.setattr(sweep, "_now", lambda: later)
    assert [f.unit for f in sweep.sweep(db.session_scope).failures] == ["review 7"]  # ...until the lease ends
    with db.session_scope() as session:
        session.get(Review, 7).deadlines = session.get(Review, 8).deadlines  # put right
    monkeypatch.setattr(sweep, "_now", lambda: later + sweep.LEASE * 1.1)
    fixed = sweep.sweep(db.session_scope)
    assert list(fixed) == [7] and fixed.failures == []


def test_advance_moves_the_other_reviews_on_and_exits_1_naming_the_broken_one(planned, tmp_path):
    """Through the Prefect flow (a temporary server of the command's own)."""
    _break_review(7)
    done = run_cli("advance", env={"PEER_REVIEW_DATABASE_URL": planned, "TMPDIR": str(tmp_path)})
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    moved = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert moved == {f"review {i}": "open_review, open_tasks" for i in range(2, 13) if i != 7} | {
        "review 7": "open_review"
    }  # its step before the one that failed
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    assert failed == ["failed: review 7: ValueError: Invalid isoformat string: 'not a date'"], done.stderr
    [log] = tmp_path.glob("peer-review-advance-*.log")
    assert "Traceback" in log.read_text() and "not a date" in log.read_text()
    _review_7_wrote_nothing_half_done()
