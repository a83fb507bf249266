"""Small helpers shared by the service modules: the audit log, text typed outside a form, ending a task, the
host's calendar, and the people and trusts the records name (by a stored id; a review's moderator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from peer_review import clock
from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.text import Text
from peer_review.errors import UserError
from peer_review.store import task_drafts
from peer_review.store.audit_log import add_audit_entry
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id, person, trust_by_id, trust_of
from peer_review.store.records import team

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task, Trust

ENGINE = "engine"


def audit(
    session: Session, partnership_id: int, action: str, actor: str = ENGINE, review_id: int | None = None, **detail: Any
) -> None:
    add_audit_entry(
        session,
        at=clock.now(),
        actor=actor,
        partnership_id=partnership_id,
        review_id=review_id,
        action=action,
        detail=detail,
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


def end_task(session: Session, task: Task, status: str, outcome: str | None) -> None:
    """A task is done or cancelled: its drafts (everyone's) go with it, since nobody can send them any more."""
    task.status, task.outcome, task.completed_at = status, outcome, clock.now()
    session.add(task)
    task_drafts.discard_all(session, task.id)


def host_calendar(session: Session, review: Review) -> SchoolCalendar:
    """The host trust's school calendar as stored with the partnership: a review's dates fall on its school days."""
    partnership = get_partnership_by_id(session, review.partnership_id)
    calendar_id = trust_of(session, review).calendar_id
    return SchoolCalendar.from_dict(calendar_id, partnership.calendars[calendar_id])


def stored_person(session: Session, person_id: int) -> Person:
    """The person a stored row names by id (an assignment, a task, a finding, a survey invitation): the foreign key
    keeps them in the database, so finding nobody is a fault in the records, said as one."""
    found = person(session, person_id)
    if found is None:
        raise LookupError(f"no person with id {person_id}, though the records name one")
    return found


def stored_trust(session: Session, trust_id: int) -> Trust:
    """The trust a stored row names by id (a person's, a review's host): as with stored_person, it is always there."""
    found = trust_by_id(session, trust_id)
    if found is None:
        raise LookupError(f"no trust with id {trust_id}, though the records name one")
    return found


def moderator_of(session: Session, review: Review) -> Person:
    """The review's moderator, for work that needs one; refused while the place is empty (they declined or left,
    and the coordinator has still to choose who takes it)."""
    _, moderator = team(session, review)
    if moderator is None:
        raise UserError(f"review {review.id} has no moderator; the coordinator must choose one first")
    return moderator
