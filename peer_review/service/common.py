"""Small helpers shared by the service modules: lookups that fail clearly, and the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, delete, select

from peer_review import clock
from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.text import Text
from peer_review.errors import NotFound, UserError
from peer_review.store.tables import Partnership, Person, Review, Task, TaskDraft, Trust

ENGINE = "engine"


def audit(
    session: Session, partnership_id: int, action: str, actor: str = ENGINE, review_id: int | None = None, **detail: Any
) -> None:
    from peer_review.store.tables import (
        AuditEntry,  # defined by what writes, not by every command that reads
    )

    session.add(
        AuditEntry(
            at=clock.now(),
            actor=actor,
            partnership_id=partnership_id,
            review_id=review_id,
            action=action,
            detail=detail,
        )
    )


def checked_text(value: str, what: str, kind: Any = Text) -> str:
    """Text typed outside an answer form (a command-line option such as --reason), held to the same
    limits as the same kind of text in a form; `what` names it in the refusal."""
    if not value.strip():
        raise UserError(f"give {what}")
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise UserError(f"{what}: {problem[0].lower()}{problem[1:]}") from None


def get_partnership(session: Session, name: str | None) -> Partnership:
    """The partnership of that name, or the only one loaded; reads one row, however many are stored."""
    if name is not None:
        partnership = session.exec(select(Partnership).where(Partnership.name == name)).first()
        if partnership is not None:
            return partnership
    names = session.exec(select(Partnership.name).order_by(Partnership.id).limit(10)).all()
    if not names:
        raise UserError("no partnership is loaded; run `peer-review partnership load FILE` first")
    listed = ", ".join(names) + (", ..." if len(names) == 10 else "")
    if name is None:
        if len(names) > 1:
            raise UserError(f"several partnerships are loaded; choose one with --partnership: {listed}")
        return session.exec(select(Partnership).where(Partnership.name == names[0])).one()
    raise UserError(f"no partnership named '{name}'; loaded: {listed}")


def get_partnership_by_id(session: Session, partnership_id: int) -> Partnership:
    return _get(session, Partnership, partnership_id, "partnership", "`peer-review status` names them")


def get_review(session: Session, review_id: int) -> Review:
    return _get(session, Review, review_id, "review", "`peer-review status` lists them")


def get_task(session: Session, task_id: int) -> Task:
    return _get(session, Task, task_id, "task", "`peer-review tasks` lists the open ones")


def end_task(session: Session, task: Task, status: str, outcome: str | None) -> None:
    """A task is done or cancelled: its drafts (everyone's) go with it, since nobody can send them any more."""
    task.status, task.outcome, task.completed_at = status, outcome, clock.now()
    session.add(task)
    session.exec(delete(TaskDraft).where(TaskDraft.task_id == task.id))


MAX_ID = 2**31 - 1  # the largest id a table can hold


def _get(session: Session, table: type, row_id: int, what: str, hint: str):
    row = session.get(table, row_id) if 1 <= row_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no {what} with id {row_id}; {hint}")
    return row


def person_by_email(session: Session, partnership_id: int, email: str) -> Person | None:
    return session.exec(
        select(Person).where(Person.partnership_id == partnership_id, Person.email == email.strip().lower())
    ).first()


def coordinator_of(session: Session, partnership_id: int) -> Person:
    return session.exec(select(Person).where(Person.partnership_id == partnership_id, Person.is_coordinator)).one()


def host_ceo(session: Session, review: Review) -> Person:
    # by partnership first: person.partnership_id is indexed, so this stays one short read at any scale
    return session.exec(
        select(Person).where(
            Person.partnership_id == review.partnership_id, Person.trust_id == review.host_trust_id, Person.is_ceo
        )
    ).one()


def trust_of(session: Session, review: Review) -> Trust:
    return session.get(Trust, review.host_trust_id)


def host_calendar(session: Session, review: Review) -> SchoolCalendar:
    """The host trust's school calendar as stored with the partnership: a review's dates fall on its school days."""
    partnership = session.get(Partnership, review.partnership_id)
    calendar_id = trust_of(session, review).calendar_id
    return SchoolCalendar.from_dict(calendar_id, partnership.calendars[calendar_id])
