"""Who is in a partnership and on which team: its trusts and people as a roster update reads them, the places
people hold on review teams, and what changes hands when someone joins, leaves or is replaced."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, select

from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import TaskKind, TaskStatus
from peer_review.store.tables import Assignment, Partnership, Person, Review, Task, Trust

if TYPE_CHECKING:
    from peer_review.store.tables import LineOfEnquiry

# The audit log's, findings' and lines' tables are imported in the functions that read them: loading a partnership
# and the task kinds import this module, and a table is defined when first named (docs/architecture.md).

#: Reviews something can still happen on (not closed, not cancelled).
_STILL_OPEN = Review.stage.not_in([Stage.CLOSED.value, Stage.CANCELLED.value])


# --- the partnership, its trusts and people ---------------------------------------------------------


def partnership_named(session: Session, name: str) -> Partnership | None:
    return session.exec(select(Partnership).where(Partnership.name == name)).first()


def trusts_in(session: Session, partnership_id: int, still_here: bool = False) -> list[Trust]:
    """A partnership's trusts; with still_here, only those that have not left."""
    query = select(Trust).where(Trust.partnership_id == partnership_id)
    if still_here:
        query = query.where(Trust.left_on.is_(None))
    return list(session.exec(query).all())


def left_trust_keys(session: Session, partnership_id: int) -> list[str]:
    """The keys of a partnership's trusts that have left."""
    return list(
        session.exec(select(Trust.key).where(Trust.partnership_id == partnership_id, Trust.left_on.is_not(None))).all()
    )


def trust_by_key(session: Session, partnership_id: int, key: str) -> Trust:
    """The partnership's trust with that key; raises when there is none."""
    return session.exec(select(Trust).where(Trust.partnership_id == partnership_id, Trust.key == key)).one()


def trust_by_id(session: Session, trust_id: int) -> Trust | None:
    return session.get(Trust, trust_id)


def people_in(session: Session, partnership_id: int, still_here: bool = False, by_email: bool = False) -> list[Person]:
    """A partnership's people (those who left included), oldest first, or with by_email in the order of their
    emails; with still_here, only those who have not left."""
    query = select(Person).where(Person.partnership_id == partnership_id)
    if still_here:
        query = query.where(Person.left_on.is_(None))
    return list(session.exec(query.order_by(Person.email if by_email else Person.id)).all())


def member_by_email(session: Session, partnership_id: int, email: str) -> Person:
    """The partnership's person with that email, as stored; raises when there is none (unlike
    people.person_by_email, which tidies the email and answers None)."""
    return session.exec(select(Person).where(Person.partnership_id == partnership_id, Person.email == email)).one()


def ceo_of_trust(session: Session, partnership_id: int, trust_id: int) -> Person:
    """The trust's CEO; raises when it has none. By partnership first: person.partnership_id is indexed."""
    return session.exec(
        select(Person).where(Person.partnership_id == partnership_id, Person.trust_id == trust_id, Person.is_ceo)
    ).one()


def host_ceo_if_any(session: Session, review: Review) -> Person | None:
    """The host trust's CEO, or None when the trust has left (and has none)."""
    return session.exec(select(Person).where(Person.trust_id == review.host_trust_id, Person.is_ceo)).first()


# --- what an update must keep -------------------------------------------------------------------------


def people_with_records(session: Session, partnership_id: int) -> set[int | None]:
    """The ids of everyone who has held a place on a review, been given a task or written a finding."""
    from peer_review.store.tables import Finding

    return {
        *session.exec(
            select(Assignment.person_id)
            .join(Review, Review.id == Assignment.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all(),
        *session.exec(
            select(Task.assignee_id)
            .join(Review, Review.id == Task.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all(),
        *session.exec(
            select(Finding.author_id)
            .join(Review, Review.id == Finding.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all(),
    }


def reviews_with_host_keys(session: Session, partnership_id: int) -> list[tuple[Review, str]]:
    """Every review of a partnership, with the key of its host trust."""
    return list(
        session.exec(
            select(Review, Trust.key)
            .join(Trust, Trust.id == Review.host_trust_id)
            .where(Review.partnership_id == partnership_id)
        ).all()
    )


def emails_added_by_hand(session: Session, partnership_id: int) -> frozenset[str | None]:
    """Who was added to the partnership outside its file (a coordinator's new replacement), from the audit log."""
    from peer_review.store.tables import AuditEntry

    added = session.exec(
        select(AuditEntry.detail).where(
            AuditEntry.partnership_id == partnership_id, AuditEntry.action == "person_added"
        )
    ).all()
    return frozenset(detail.get("person") for detail in added)


# --- reviews a roster change reaches ---------------------------------------------------------------


def open_review_ids(session: Session, partnership_id: int) -> list[int]:
    """The ids of a partnership's reviews not closed or cancelled, in id order (the order their locks are taken)."""
    return list(
        session.exec(
            select(Review.id).where(Review.partnership_id == partnership_id, _STILL_OPEN).order_by(Review.id)
        ).all()
    )


def open_reviews(session: Session, partnership_id: int) -> list[Review]:
    """A partnership's reviews not closed or cancelled."""
    return list(session.exec(select(Review).where(Review.partnership_id == partnership_id, _STILL_OPEN)).all())


def hosted_reviews(session: Session, trust_id: int) -> list[Review]:
    """The reviews a trust hosts, cancelled ones aside, in the order of its strands (position)."""
    return list(
        session.exec(
            select(Review)
            .where(Review.host_trust_id == trust_id, Review.stage != Stage.CANCELLED.value)
            .order_by(Review.position)
        ).all()
    )


def open_tasks_hosted_by(session: Session, trust_id: int, assignee_id: int) -> list[tuple[Task, Review]]:
    """Someone's open tasks on the reviews a trust hosts, oldest first, each with its review."""
    return list(
        session.exec(
            select(Task, Review)
            .join(Review, Review.id == Task.review_id)
            .where(
                Review.host_trust_id == trust_id, Task.assignee_id == assignee_id, Task.status == TaskStatus.OPEN.value
            )
            .order_by(Task.id)
        ).all()
    )


# --- places on review teams ---------------------------------------------------------------------------


def place_of(session: Session, review_id: int, person_id: int) -> Assignment:
    """A person's place on a review's team; raises when they have none."""
    return session.exec(
        select(Assignment).where(Assignment.review_id == review_id, Assignment.person_id == person_id)
    ).one()


def places_of(session: Session, person_id: int) -> list[tuple[Assignment, Review]]:
    """The places someone holds on review teams (not those declined), earliest visit first, with their reviews."""
    return list(
        session.exec(
            select(Assignment, Review)
            .join(Review, Review.id == Assignment.review_id)
            .where(Assignment.person_id == person_id, Assignment.status != "declined")
            .order_by(Review.visit_start, Review.id)
        ).all()
    )


def choosing_rounds(session: Session, review_id: int) -> int:
    """How many times the coordinator has been asked to choose a replacement on a review, whatever came of it."""
    return len(
        session.exec(
            select(Task.id).where(Task.review_id == review_id, Task.kind == TaskKind.CHOOSE_REPLACEMENT.value)
        ).all()
    )


def lines_led_by(session: Session, review_id: int, person_id: int) -> list[LineOfEnquiry]:
    """The lines of enquiry (every round's) someone was to lead on a review, in the order made."""
    from peer_review.store.tables import LineOfEnquiry

    return list(
        session.exec(
            select(LineOfEnquiry)
            .where(LineOfEnquiry.review_id == review_id, LineOfEnquiry.lead_id == person_id)
            .order_by(LineOfEnquiry.id)
        ).all()
    )
