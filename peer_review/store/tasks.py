"""Tasks: which are open, on a review, of a kind, for a person; each read in one place."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from peer_review.domain.model import TaskKind, TaskStatus
from peer_review.store.tables import DueDateChange, Review, Task


def open_tasks(
    session: Session, *, review_id: int | None = None, kind: TaskKind | None = None, assignee_id: int | None = None
) -> list[Task]:
    """The open tasks matching every filter given, oldest first."""
    query = select(Task).where(Task.status == TaskStatus.OPEN.value)
    if review_id is not None:
        query = query.where(Task.review_id == review_id)
    if kind is not None:
        query = query.where(Task.kind == kind.value)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    return list(session.exec(query.order_by(col(Task.id))).all())


def tasks_of(session: Session, review_id: int) -> list[Task]:
    """Every task of a review, whatever its status, oldest first."""
    return list(session.exec(select(Task).where(Task.review_id == review_id).order_by(col(Task.id))).all())


def task_by_key(session: Session, key: str) -> Task | None:
    """The task opened under that key (a kind, a round and a person on a review), if any: opening it twice would
    give the person the same work twice."""
    return session.exec(select(Task).where(Task.key == key)).first()


def last_done(session: Session, review_id: int, kind: TaskKind) -> Task | None:
    """The latest round of a kind of task that was done on a review."""
    return session.exec(
        select(Task)
        .where(Task.review_id == review_id, Task.kind == kind.value, Task.status == TaskStatus.DONE.value)
        .order_by(col(Task.round).desc())
    ).first()


def task_or_none(session: Session, task_id: int) -> Task | None:
    return session.get(Task, task_id)


def open_tasks_hosted_by(session: Session, trust_id: int, assignee_id: int) -> list[tuple[Task, Review]]:
    """Someone's open tasks on the reviews a trust hosts, oldest first, each with its review."""
    return list(
        session.exec(
            select(Task, Review)
            .join(Review, col(Review.id) == Task.review_id)
            .where(
                Review.host_trust_id == trust_id, Task.assignee_id == assignee_id, Task.status == TaskStatus.OPEN.value
            )
            .order_by(col(Task.id))
        ).all()
    )


def choosing_rounds(session: Session, review_id: int) -> int:
    """How many times the coordinator has been asked to choose a replacement on a review, whatever came of it."""
    return len(
        session.exec(
            select(Task.id).where(Task.review_id == review_id, Task.kind == TaskKind.CHOOSE_REPLACEMENT.value)
        ).all()
    )


def add_task(
    session: Session,
    *,
    key: str,
    review_id: int,
    kind: str,
    round: int,
    assignee_id: int,
    due: dt.date,
    created_at: dt.datetime,
) -> Task:
    """A new task, added to the session: steps.open_task opens each task once, under its key."""
    task = Task(
        key=key, review_id=review_id, kind=kind, round=round, assignee_id=assignee_id, due=due, created_at=created_at
    )
    session.add(task)
    return task


def add_due_date_change(
    session: Session,
    *,
    task_id: int,
    old_due: dt.date,
    new_due: dt.date,
    reason: str,
    changed_by: str,
    changed_at: dt.datetime,
) -> DueDateChange:
    """A task's due date moved, added to its history (reminders.extend)."""
    change = DueDateChange(
        task_id=task_id, old_due=old_due, new_due=new_due, reason=reason, changed_by=changed_by, changed_at=changed_at
    )
    session.add(change)
    return change
