"""The daily reminder sweep (reminders, escalations, weekly digests, the daily digest of new comments) and due-date
extensions."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.calendar import OutsideCalendar
from peer_review.domain.model import KIND_RULES, TaskKind
from peer_review.domain.reminders import ReminderRules, reminder_due
from peer_review.errors import BadInput, Conflict, UserError
from peer_review.service import discussion, surveys, timetable
from peer_review.service.common import audit, checked_text, host_calendar
from peer_review.service.isolation import Failures, units_of
from peer_review.service.outbox import notify, review_context
from peer_review.service.queries import open_tasks
from peer_review.store.db import Session
from peer_review.store.overviews import reviews_of_partnership
from peer_review.store.people import coordinator_of, get_partnership_by_id, member_by_email, person_by_email
from peer_review.store.reminder_targets import open_tasks_with_people, partnerships_in_order
from peer_review.store.reviews import get_review, get_task
from peer_review.store.tasks import add_due_date_change

if TYPE_CHECKING:
    from peer_review.store.tables import DueDateChange, Partnership, Person, Review


@dataclass(frozen=True)
class Sweep:
    reminders: int
    escalations: int
    digests: int
    failures: Failures = field(default_factory=Failures)  # the partnerships whose work failed (rolled back), with why
    timetables: int = 0  # people told of timetable changes the host had not told them of (timetable.tell_untold)


def sweep(sessions: Session | Callable[[], ContextManager[Session]], today: dt.date | None = None) -> Sweep:
    """Queue every reminder, escalation and digest owed today, and tell teams of timetable changes nobody told
    them of; running it again the same day queues nothing.

    Each partnership's work is a unit of its own: given a session factory (db.session_scope), its own
    transaction, committed on its own; given a session, a savepoint of it. A partnership whose work fails
    (bad stored data, a bug) is rolled back, logged and listed in `failures`; the others carry on."""
    today = today or clock.today()
    units = units_of(sessions)
    with units() as session:
        partnerships = partnerships_in_order(session)

    def one(partnership_id: int) -> Counter:
        with units() as session:
            return _sweep_partnership(session, get_partnership_by_id(session, partnership_id), today)

    counts: Counter[str]
    counts, failures = Counter(), Failures()
    for partnership_id, name in partnerships:
        counts += failures.run(f"partnership '{name}'", one, partnership_id) or Counter()
    return Sweep(counts["reminders"], counts["escalations"], counts["digests"], failures, counts["timetables"])


def _sweep_partnership(session: Session, partnership: Partnership, today: dt.date) -> Counter:
    """One partnership's reminders, escalations, survey reminders and digests owed today, counted."""
    counts: Counter[str] = Counter()
    rules = ReminderRules.from_dict(partnership.reminders)
    coordinator = coordinator_of(session, partnership.id)
    for task, review, person in open_tasks_with_people(session, partnership.id):
        opened = clock.local_date(task.created_at)
        owed = reminder_due(rules, task.due, opened, today)
        if owed is None:
            continue
        key = f"{owed}/{task.id}/{task.due.isoformat()}"  # a new due date starts the reminders again
        context = review_context(session, review) | {
            "task_id": task.id,
            "task_title": TaskKind(task.kind).title,
            "due": clock.long_date(task.due),
        }
        if owed == "escalate":
            notify(
                session,
                key=f"escalation/{key}",
                event="escalation",
                person=coordinator,
                review=review,
                task=task,
                subject=f"Overdue {(today - task.due).days} days, reminders exhausted: {TaskKind(task.kind).title} ({context['host']}, {context['strand']})",
                context=context
                | {
                    "days_late": (today - task.due).days,
                    "assignee": person.name,
                    "assignee_email": person.email,
                    "web_path": f"/reviews/{review.id}",
                    "only_theirs": KIND_RULES[TaskKind(task.kind)].own_answer,
                },  # feedback: nobody answers it for them
            )
            counts["escalations"] += 1
        elif not person.digest_only:
            late = owed.startswith("overdue")
            headline = (
                f"This task was due on {clock.long_date(task.due)} and is now overdue."
                if late
                else f"This task is due on {clock.long_date(task.due)}."
            )
            subject = (
                "Overdue since " if late else "Reminder: due "
            ) + f"{clock.long_date(task.due)}: {TaskKind(task.kind).title} ({context['host']}, {context['strand']})"
            notify(
                session,
                key=f"reminder/{key}",
                event="reminder",
                person=person,
                review=review,
                task=task,
                subject=subject,
                context=context | {"headline": headline},
            )
            counts["reminders"] += 1
    counts["reminders"] += surveys.remind(session, partnership, rules, today)
    counts["digests"] += discussion.digests(session, partnership, today)  # new comments: every day
    counts["timetables"] += timetable.tell_untold(session, reviews_of_partnership(session, partnership.id))
    if today.weekday() == rules.digest_weekday:
        counts["digests"] += _digests(session, partnership, coordinator, today)
    return counts


def _digests(session: Session, partnership: Partnership, coordinator: Person, today: dt.date) -> int:
    """Each person's open tasks, and for the coordinator everything overdue in the partnership."""
    week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    tasks = open_tasks(session, partnership_name=partnership.name)
    by_person = defaultdict(list)
    for t in tasks:
        by_person[t.assignee_email].append(t)
    sent = 0
    for email, mine in by_person.items():
        person = member_by_email(session, partnership.id, email)  # a task's assignee's, as stored
        notify(
            session,
            key=f"digest/{person.id}/{week}",
            event="digest",
            person=person,
            subject=f"Your peer review tasks this week: {len(mine)} open"
            + (f", {sum(1 for t in mine if t.overdue_days)} overdue" if any(t.overdue_days for t in mine) else ""),
            context={"headline": "Your open peer review tasks:", "tasks": mine, "web_path": "/"},
        )
        sent += 1
    overdue = [t for t in tasks if t.overdue_days]
    if overdue:
        notify(
            session,
            key=f"overdue_digest/{partnership.id}/{week}",
            event="digest",
            person=coordinator,
            subject=f"{len(overdue)} overdue task(s) in {partnership.name}",
            context={
                "headline": f"Overdue tasks in {partnership.name}:",
                "tasks": overdue,
                "web_path": f"/partnerships/{partnership.id}",
            },
        )
        sent += 1
    return sent


def extend(
    session: Session, task_id: int, new_due: dt.date, reason: str, actor_email: str | None = None
) -> DueDateChange:
    """Move a task's due date (the coordinator, or the review's moderator) to a school day of the host's
    calendar, the one before the day asked if that is not one, like every planned date; the history is kept."""
    task = get_task(session, task_id)
    review = get_review(session, task.review_id)
    if actor_email is None:
        actor_email = coordinator_of(session, review.partnership_id).email
    actor = person_by_email(session, review.partnership_id, actor_email)
    from peer_review.store.records import team

    if actor is None or not (actor.is_coordinator or actor == team(session, review)[1]):
        raise UserError(f"only the coordinator or the review's moderator can extend a task; {actor_email} is neither")
    if task.status != "open":
        raise Conflict(f"This task is already {task.status}: only an open task can be given more time")
    reason = checked_text(reason, "a reason for the extension (--reason)")
    asked, new_due = new_due, _school_day_on_or_before(session, review, new_due)
    if new_due <= task.due:
        moved = (
            f"; {clock.long_date(asked)} is not a school day for the host trust, and the school day before it is "
            f"{clock.long_date(new_due)}"
            if new_due != asked
            else ""
        )
        raise BadInput(f"The new due date must be after the current one, {clock.long_date(task.due)}{moved}")
    today = clock.today()
    if new_due < today:  # the task would stay overdue, and its reminders say so
        moved = f" (the school day on or before {clock.long_date(asked)})" if new_due != asked else ""
        raise BadInput(
            f"{clock.long_date(new_due)}{moved} has passed: give a due date from today, {clock.long_date(today)}, on"
        )
    change = add_due_date_change(
        session,
        task_id=task.id,
        old_due=task.due,
        new_due=new_due,
        reason=reason,
        changed_by=actor.email,
        changed_at=clock.now(),
    )
    task.due = new_due
    session.add(task)
    audit(
        session,
        review.partnership_id,
        "due_date_extended",
        actor.email,
        review.id,
        task=task.id,
        before=change.old_due.isoformat(),
        after=new_due.isoformat(),
        reason=change.reason,
    )
    return change


def _school_day_on_or_before(session: Session, review: Review, day: dt.date) -> dt.date:
    """A new due date falls on a school day of the host's calendar, like the planned ones: moved back if need be."""
    try:
        return host_calendar(session, review).school_day_on_or_before(day)
    except OutsideCalendar as exc:
        raise UserError(f"cannot move the due date to {day}: {exc}") from None
