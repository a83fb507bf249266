"""Stage deadlines and task due dates fall on school days of the host's calendar: an offset from the visit
that lands on a weekend, a bank holiday or a school holiday moves back to the school day before it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain.calendar import HalfTerm, OutsideCalendar, SchoolCalendar
from peer_review.domain.model import (
    DEFAULT_DEADLINES,
    TaskKind,
    stage_deadlines,
    task_due,
)
from peer_review.files.school_calendars import resolve_calendar

from helpers import EXAMPLE

SHEFFIELD = resolve_calendar("sheffield")
DAY = dt.timedelta(days=1)

#: Two half-terms with a week's holiday between them, and one closure day (a Monday) in the second.
TINY = SchoolCalendar(
    "tiny",
    (HalfTerm(dt.date(2023, 9, 4), dt.date(2023, 10, 20)), HalfTerm(dt.date(2023, 10, 30), dt.date(2023, 12, 20))),
    frozenset({dt.date(2023, 11, 13)}),
)


def _walk_back(calendar: SchoolCalendar, day: dt.date) -> dt.date:
    """The school day on or before `day`, found the slow way: an independent check of the calendar's answer."""
    while not calendar.is_school_day(day):
        day -= DAY
    return day


def _raw(visit_start: dt.date, visit_end: dt.date, offsets: dict[str, int]) -> dict[str, dt.date]:
    """Each stage's date counted from the visit, before any moving."""
    return {
        stage: (visit_start if days < 0 else visit_end) + dt.timedelta(days=days) for stage, days in offsets.items()
    }


def _visits(calendar: SchoolCalendar) -> list[tuple[dt.date, dt.date]]:
    """Every two-day visit on school days, from eight weeks after the first term (so every deadline is in the calendar)."""
    days = calendar.school_days(calendar.first_day + dt.timedelta(weeks=8), calendar.last_day)
    return [(a, b) for a, b in zip(days, days[1:]) if b - a == DAY]


# --- the calendar ------------------------------------------------------------------------------


def test_a_school_day_stays_and_any_other_day_moves_back_to_the_school_day_before():
    assert TINY.school_day_on_or_before(dt.date(2023, 9, 5)) == dt.date(2023, 9, 5)  # a Tuesday in term
    assert TINY.school_day_on_or_before(dt.date(2023, 9, 9)) == dt.date(2023, 9, 8)  # Saturday: the Friday
    assert TINY.school_day_on_or_before(dt.date(2023, 11, 13)) == dt.date(2023, 11, 10)  # a closure Monday: the Friday
    assert TINY.school_day_on_or_before(dt.date(2023, 10, 25)) == dt.date(
        2023, 10, 20
    )  # half-term: its last school day before
    assert SHEFFIELD.school_day_on_or_before(dt.date(2024, 5, 6)) == dt.date(
        2024, 5, 3
    )  # early May bank holiday: the Friday
    assert SHEFFIELD.school_day_on_or_before(dt.date(2024, 8, 15)) == dt.date(
        2024, 7, 23
    )  # summer: the end of the summer term


def test_days_the_calendar_cannot_speak_for_are_refused():
    with pytest.raises(
        OutsideCalendar,
        match=r"before the first school day the 'tiny' calendar knows \(2023-24 to 2023-24\); add the school year 2022-23",
    ):
        TINY.school_day_on_or_before(dt.date(2023, 9, 3))  # the school day before it would be in July
    with pytest.raises(OutsideCalendar, match="after the school years the 'tiny' calendar covers"):
        TINY.school_day_on_or_before(dt.date(2023, 12, 27))  # its last term ends in December: January is unknown
    with pytest.raises(OutsideCalendar, match=r"covers \(2023-24 to 2028-29\); add the school year 2029-30"):
        SHEFFIELD.school_day_on_or_before(dt.date(2029, 9, 3))
    assert (
        SHEFFIELD.school_day_on_or_before(SHEFFIELD.known_until) == SHEFFIELD.last_day
    )  # the summer after it is known


def test_every_day_the_calendar_knows_moves_to_the_latest_school_day_not_after_it():
    day = SHEFFIELD.first_day
    while day <= SHEFFIELD.known_until:
        assert SHEFFIELD.school_day_on_or_before(day) == _walk_back(SHEFFIELD, day), day
        day += DAY


# --- deadlines and due dates -------------------------------------------------------------------


def test_every_stage_deadline_of_every_possible_visit_is_the_school_day_on_or_before_its_offset():
    moved = 0
    for start, end in _visits(SHEFFIELD):
        deadlines = stage_deadlines(start, end, SHEFFIELD)
        for stage, raw in _raw(start, end, DEFAULT_DEADLINES).items():
            assert deadlines[stage] == _walk_back(SHEFFIELD, raw), (start, stage)
            moved += deadlines[stage] != raw
        assert list(deadlines.values()) == sorted(deadlines.values())  # the stages keep their order
    assert moved > 0  # weekends and holidays were met, so the rule was exercised


def test_every_task_due_date_is_a_school_day_in_every_round():
    for start, end in _visits(SHEFFIELD):
        deadlines = stage_deadlines(start, end, SHEFFIELD)
        for kind in TaskKind:
            for round_ in (1, 2, 3):
                due = task_due(kind, deadlines, SHEFFIELD, round_)
                if due <= SHEFFIELD.last_day:
                    assert SHEFFIELD.is_school_day(due), (start, kind, round_, due)
                else:  # only a late round after the last term: nothing is known but weekends
                    assert due.weekday() < 5, (start, kind, round_, due)


def test_a_due_date_past_the_calendar_still_avoids_the_weekend():
    deadlines = dict.fromkeys(DEFAULT_DEADLINES, dt.date(2023, 12, 15))  # a Friday, the last week TINY knows
    due = task_due(TaskKind.MODERATE, deadlines, TINY, round_=3)  # two weeks on: Friday 29 December, not known
    assert due == dt.date(2023, 12, 29)
    saturday = dict.fromkeys(DEFAULT_DEADLINES, dt.date(2023, 12, 16))
    assert task_due(TaskKind.MODERATE, saturday, TINY, round_=3) == dt.date(2023, 12, 29)


# --- through the service: a planned cycle, its tasks, a moved visit, an extension ----------------


def _host_calendars() -> dict[str, SchoolCalendar]:
    """Each trust's calendar, from the partnership file itself rather than from what the service stored."""
    from peer_review.files.partnerships import load_partnership_file

    return load_partnership_file(EXAMPLE).calendars


def _off_school_days(session) -> list[str]:
    """Every stored deadline and task due date that is not a school day of its host trust's calendar."""
    from peer_review.store.tables import Review, Task, Trust

    calendars = _host_calendars()
    problems = []
    for review in session.exec(select(Review)):
        calendar = calendars[session.get(Trust, review.host_trust_id).key]
        for stage, day in review.deadlines.items():
            if not calendar.is_school_day(dt.date.fromisoformat(day)):
                problems.append(f"review {review.id} {stage} deadline {day}")
        for task in session.exec(select(Task).where(Task.review_id == review.id)):
            if not calendar.is_school_day(task.due):
                problems.append(f"task {task.id} ({task.kind}, review {review.id}) due {task.due}")
    return problems


def _moved_deadlines(session) -> int:
    """How many stored deadlines differ from their plain offset from the visit (so moving back happened)."""
    from peer_review.store.tables import Partnership, Review

    moved = 0
    for review in session.exec(select(Review)):
        offsets = session.get(Partnership, review.partnership_id).deadlines
        raw = _raw(review.visit_start, review.visit_end, offsets)
        moved += sum(dt.date.fromisoformat(day) != raw[stage] for stage, day in review.deadlines.items())
    return moved


@pytest.mark.db
def test_a_planned_cycle_and_the_tasks_it_opens_fall_on_school_days_of_the_host(planned):
    from peer_review.demo.simulation import answer
    from peer_review.service import queries, workflow
    from peer_review.store import db
    from peer_review.store.tables import Review, Task

    with db.session_scope() as session:
        review_ids = session.exec(select(Review.id)).all()
    for review_id in review_ids:  # every review asks its team to accept their places
        workflow.advance_review(db.session_scope, review_id)
    for _ in range(60):  # review 1 runs its whole course, so every stage's tasks are opened
        with db.session_scope() as session:
            tasks = [t for t in queries.open_tasks(session) if t.review_id == 1]
            if not tasks:
                break
            workflow.submit(
                session, tasks[0].id, answer(queries.task_context(session, tasks[0].id)), tasks[0].assignee_email
            )
        workflow.advance_review(db.session_scope, 1)
    with db.session_scope() as session:
        assert session.get(Review, 1).stage == "closed"
        kinds = set(session.exec(select(Task.kind).where(Task.review_id == 1)).all())
        # those need a decline, a send-back, or an earlier review's areas for development (tests/test_follow_up.py)
        assert kinds >= {
            k.value
            for k in TaskKind
            if k not in (TaskKind.CHOOSE_REPLACEMENT, TaskKind.REVISE_FINDINGS, TaskKind.RECORD_PROGRESS)
        }
        assert _moved_deadlines(session) > 0  # the bundled plan meets weekends and holidays
        assert _off_school_days(session) == []


@pytest.mark.db
def test_moving_a_visit_puts_its_deadlines_and_open_tasks_on_school_days(planned):
    from peer_review.service.rescheduling import reschedule
    from peer_review.store import db
    from peer_review.store.tables import Partnership, Review

    new_start = dt.date(2024, 2, 27)  # free for everyone on review 1; its feedback would fall in the Easter holiday
    calendar = _host_calendars()["steel-valley"]
    with db.session_scope() as session:
        offsets = session.get(Partnership, 1).deadlines
    raw = _raw(new_start, new_start + DAY, offsets)
    assert not all(calendar.is_school_day(day) for day in raw.values())
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)), db.session_scope() as session:
        reschedule(session, 1, new_start, "Ofsted inspection that week")
    with db.session_scope() as session:
        review = session.get(Review, 1)
        assert {stage: dt.date.fromisoformat(day) for stage, day in review.deadlines.items()} == {
            s: _walk_back(calendar, d) for s, d in raw.items()
        }
        assert _off_school_days(session) == []


@pytest.mark.db
def test_more_time_ends_on_a_school_day_of_the_host(planned):
    from peer_review import clock
    from peer_review.store import db
    from peer_review.store.tables import Task

    with db.session_scope() as session:
        task_id = session.exec(select(Task.id).where(Task.review_id == 1, Task.status == "open")).first()
        due = session.get(Task, task_id).due
    with clock.frozen_at(clock.at_london(due - dt.timedelta(days=7), 9)):  # a week before it is due
        _more_time_to_a_saturday(task_id, due)


def _more_time_to_a_saturday(task_id: int, due: dt.date) -> None:
    from peer_review.errors import UserError
    from peer_review.service.reminders import extend
    from peer_review.store import db
    from peer_review.store.tables import Task

    calendar = _host_calendars()["steel-valley"]
    saturday = due + dt.timedelta(days=(5 - due.weekday()) % 7 + 7)  # the Saturday of the week after
    with db.session_scope() as session:
        change = extend(session, task_id, saturday, "Governors' meeting")
    assert change.new_due == _walk_back(calendar, saturday) < saturday
    with db.session_scope() as session:
        assert session.get(Task, task_id).due == change.new_due
    # that Saturday again: the school day before it is now the due date, so it would give no more time
    with pytest.raises(
        UserError,
        match=f"after the current one, {clock.long_date(change.new_due)}; {clock.long_date(saturday)} is not a school "
        "day for the host trust",
    ):
        with db.session_scope() as session:
            extend(session, task_id, saturday, "More time")
