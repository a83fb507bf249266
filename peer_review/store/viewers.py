"""What access (service/access.py) reads to tell who a signed-in person is to a partnership, review or task.

The rows by id answer None for a missing one: the caller words the refusal, the same as for a row outside
the viewer's partnerships, whose very existence is private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from peer_review.store.tables import Assignment, Person

if TYPE_CHECKING:
    pass


def assignments_of(session: Session, review_id: int, person_ids: frozenset[int]) -> list[Assignment]:
    """A review's assignments (any status) of any of these people (one person's records)."""
    return list(
        session.exec(
            select(Assignment).where(Assignment.review_id == review_id, col(Assignment.person_id).in_(person_ids))
        )
    )


def own_record_in(session: Session, partnership_id: int, person_ids: frozenset[int]) -> Person:
    """Which of these people (one person's records) is in the partnership; raises when none is."""
    return session.exec(
        select(Person).where(Person.partnership_id == partnership_id, col(Person.id).in_(person_ids))
    ).one()
