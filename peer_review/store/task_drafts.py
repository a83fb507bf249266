"""Drafts of answers to tasks: each person working on a task keeps their own until the task ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from peer_review.store.tables import Person, TaskDraft


class DraftClash(Exception):
    """The same person's first draft was being saved somewhere else at the same moment (two tabs), twice over."""


@dataclass(frozen=True)
class DraftHolder:
    person_id: int
    name: str
    saved_at: dt.datetime


def draft_of(session: Session, task_id: int, person_id: int) -> TaskDraft | None:
    """One person's draft of a task."""
    return session.exec(select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.person_id == person_id)).first()


def save_draft(session: Session, task_id: int, person_id: int, answer: dict, now: dt.datetime) -> None:
    """Keep a person's draft, replacing only their own. Two saves of a first draft at once both insert: the one
    that finds the other's row already there replaces it instead; raises DraftClash if that happens twice."""
    for _ in range(2):
        draft = draft_of(session, task_id, person_id) or TaskDraft(task_id=task_id, person_id=person_id, saved_at=now)
        draft.data, draft.saved_at = answer, now
        try:
            with session.begin_nested():
                session.add(draft)
            return
        except IntegrityError:  # the other save's row: the next round finds it and replaces it
            continue
    raise DraftClash()


def draft_holders(session: Session, task_id: int) -> list[DraftHolder]:
    """Who holds a draft of the task, and when they saved it, first saved first."""
    rows = session.exec(
        select(TaskDraft, Person)
        .join(Person, col(Person.id) == TaskDraft.person_id)
        .where(TaskDraft.task_id == task_id)
        .order_by(col(TaskDraft.saved_at), col(TaskDraft.id))
    ).all()
    return [DraftHolder(draft.person_id, person.name, draft.saved_at) for draft, person in rows]


def discard_all(session: Session, task_id: int) -> None:
    """Everyone's drafts of a task that is done or cancelled: nobody can send them any more."""
    session.exec(delete(TaskDraft).where(col(TaskDraft.task_id) == task_id))
