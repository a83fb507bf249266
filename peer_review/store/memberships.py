"""What a roster update reads (people.py has the partnership, its trusts and people): what it must keep, the
reviews a change reaches, and the places people hold on review teams."""

from __future__ import annotations

from sqlmodel import Session, col, select

from peer_review.store.reviews import STILL_OPEN
from peer_review.store.tables import Assignment, Review, Task, Trust

# The audit log's, findings' and lines' tables are imported in the functions that read them: loading a partnership
# and the task kinds import this module, and a table is defined when first named (docs/architecture.md).


# --- what an update must keep -------------------------------------------------------------------------


def people_with_records(session: Session, partnership_id: int) -> set[int | None]:
    """The ids of everyone who has held a place on a review, been given a task or written a finding."""
    from peer_review.store.tables import Finding

    return {
        *session.exec(
            select(Assignment.person_id)
            .join(Review, col(Review.id) == Assignment.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all(),
        *session.exec(
            select(Task.assignee_id)
            .join(Review, col(Review.id) == Task.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all(),
        *session.exec(
            select(Finding.author_id)
            .join(Review, col(Review.id) == Finding.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all(),
    }


def reviews_with_host_keys(session: Session, partnership_id: int) -> list[tuple[Review, str]]:
    """Every review of a partnership, with the key of its host trust."""
    return list(
        session.exec(
            select(Review, Trust.key)
            .join(Trust, col(Trust.id) == Review.host_trust_id)
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


def open_reviews(session: Session, partnership_id: int) -> list[Review]:
    """A partnership's reviews not closed or cancelled, oldest first (what is said of them reads in a fixed order)."""
    return list(
        session.exec(
            select(Review).where(Review.partnership_id == partnership_id, STILL_OPEN).order_by(col(Review.id))
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
            .join(Review, col(Review.id) == Assignment.review_id)
            .where(Assignment.person_id == person_id, Assignment.status != "declined")
            .order_by(col(Review.visit_start), col(Review.id))
        ).all()
    )
