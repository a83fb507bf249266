"""Moving a review's visit: every constraint re-checked, deadlines and open tasks shifted, history kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.calendar import OutsideCalendar
from peer_review.domain.lifecycle import Stage, visit_is_past
from peer_review.domain.model import TaskKind, stage_deadlines, task_due
from peer_review.errors import BadInput, UserError
from peer_review.service.common import audit, checked_text, host_calendar
from peer_review.service.planning import change_checker
from peer_review.store.db import Session
from peer_review.store.people import coordinator_of, get_partnership_by_id, host_ceo, person_by_email, trust_of
from peer_review.store.reviews import add_visit_change, get_review
from peer_review.store.tasks import open_tasks

if TYPE_CHECKING:
    from peer_review.store.tables import VisitChange


def can_still_move(review) -> bool:
    """A visit can move until it has happened (the findings stage starts after it); a cancelled one never."""
    stage = Stage(review.stage)
    return stage != Stage.CANCELLED and not visit_is_past(stage)


def reschedule(
    session: Session, review_id: int, first_day: dt.date, reason: str, actor_email: str | None = None
) -> VisitChange:
    """Move a visit (by the host trust's CEO or the coordinator, who is assumed when nobody is named)."""
    review = get_review(session, review_id)
    partnership = get_partnership_by_id(session, review.partnership_id)
    if actor_email is None:
        actor_email = coordinator_of(session, partnership.id).email
    actor = person_by_email(session, partnership.id, actor_email)
    if actor is None or not (actor.is_coordinator or (actor.is_ceo and actor.trust_id == review.host_trust_id)):
        raise UserError(f"only the coordinator or the host trust's CEO can move a visit; {actor_email} is neither")
    reason = checked_text(reason, "a reason for moving the visit (--reason)")
    if not can_still_move(review):
        raise UserError(
            f"review {review.id} is at '{Stage(review.stage).label}': its visit has happened and cannot move"
        )
    if first_day == review.visit_start:
        raise UserError(f"the visit already starts on {clock.long_date(first_day)}")
    calendar = host_calendar(session, review)
    check = change_checker(session, review)
    problems = _problems_moving_to(review, first_day, partnership, calendar, check)
    if problems:
        host = trust_of(session, review).name
        later = next_dates(review, first_day, partnership, calendar, check)
        way_forward = (
            f" The next dates that keep every rule: {', '.join(clock.long_date(day) for day in later)}."
            if later
            else " No later date in the cycle keeps every rule: ask the coordinator."
        )
        raise BadInput(
            f"The {review.strand_title} visit to {host} cannot move to {clock.long_date(first_day)}: "
            + "; ".join(problems)
            + "."
            + way_forward
        )
    days = [first_day + dt.timedelta(days=i) for i in range(partnership.visit_days)]
    half = calendar.half_term_of(first_day)
    assert half is not None  # a day in term time, checked above
    deadlines = stage_deadlines(days[0], days[-1], calendar, partnership.deadlines)
    change = add_visit_change(
        session,
        review_id=review.id,
        old_start=review.visit_start,
        old_end=review.visit_end,
        new_start=days[0],
        new_end=days[-1],
        reason=reason,
        changed_by=actor.email,
        changed_at=clock.now(),
    )
    review.visit_start, review.visit_end, review.term = days[0], days[-1], half.term
    review.deadlines = {k: d.isoformat() for k, d in deadlines.items()}
    review.sequence += 1
    session.add(review)
    for task in open_tasks(session, review_id=review.id):
        task.due = task_due(TaskKind(task.kind), deadlines, calendar, task.round)
        session.add(task)
    from peer_review.service.timetable import follow_the_visit

    follow_the_visit(session, review, change.old_start, change.old_end, actor.id)
    _notify_moved(session, review, change, tell_coordinator=not actor.is_coordinator)
    audit(
        session,
        partnership.id,
        "visit_moved",
        actor.email,
        review.id,
        before=[change.old_start.isoformat(), change.old_end.isoformat()],
        after=[days[0].isoformat(), days[-1].isoformat()],
        reason=change.reason,
    )
    return change


#: How far ahead a refused move looks for dates that would do: past the end of any cycle.
SEARCH_DAYS = 2 * 366


def next_dates(review, after: dt.date, partnership, calendar, check, count: int = 3) -> list[dt.date]:
    """The first `count` school days from `after` (not today's date of the visit, nor a day already past)
    on which the visit could start, keeping every rule."""
    found: list[dt.date] = []
    day = max(after, clock.today() + dt.timedelta(days=1))
    for _ in range(SEARCH_DAYS):
        if len(found) == count:
            break
        if day != review.visit_start and calendar.is_school_day(day):
            if not _problems_moving_to(review, day, partnership, calendar, check):
                found.append(day)
        day += dt.timedelta(days=1)
    return found


def _problems_moving_to(review, first_day: dt.date, partnership, calendar, check) -> list[str]:
    """What stops the visit starting on `first_day`, in words: term time, every rule of the plan, and the
    stage deadlines falling in the host's calendar."""
    if first_day <= clock.today():
        return [f"{clock.long_date(first_day)} is not after today"]
    half = calendar.half_term_of(first_day)
    if half is None:
        return [f"{clock.long_date(first_day)} is not in term time for the host trust"]
    days = [first_day + dt.timedelta(days=i) for i in range(partnership.visit_days)]
    problems = check(lambda visit: dataclasses.replace(visit, visit_start=days[0], visit_end=days[-1], term=half.term))
    if problems:
        return problems
    try:
        stage_deadlines(days[0], days[-1], calendar, partnership.deadlines)
    except OutsideCalendar as exc:
        return [f"a stage deadline falls outside the host's school calendar ({exc})"]
    return []


def _notify_moved(session: Session, review, change: VisitChange, tell_coordinator: bool) -> None:
    """Everyone on the visit hears of the move, with the updated calendar entry (a higher SEQUENCE);
    so does the coordinator, when the host moved it."""
    from peer_review.service.calendars import reviews_calendar
    from peer_review.service.outbox import notify, review_context
    from peer_review.store.records import team

    context = review_context(session, review)
    old = clock.date_span(change.old_start, change.old_end)
    ics = reviews_calendar(session, [review], f"Peer review visit: {context['host']}")
    peers, moderator = team(session, review)
    told = (
        [host_ceo(session, review), *peers]
        + ([moderator] if moderator else [])  # none while the place is empty
        + ([coordinator_of(session, review.partnership_id)] if tell_coordinator else [])
    )
    for person in told:
        notify(
            session,
            key=f"visit_moved/{review.id}/{review.sequence}/{person.id}",
            event="visit_moved",
            person=person,
            subject=f"Visit moved to {context['visit']}: peer review of {context['host']} ({context['strand']})",
            context=context | {"old_visit": old, "reason": change.reason},
            review=review,
            ics=ics,
        )
