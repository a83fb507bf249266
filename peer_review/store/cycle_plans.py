"""What planning reads: a partnership's cycle and planned reviews, their teams, and people's places elsewhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from peer_review.domain.lifecycle import Stage
from peer_review.store.db import Session
from peer_review.store.tables import Assignment, Cycle, Person, Review

EMAILS_PER_QUERY = 500  # well under every database's limit on bound parameters


def the_cycle(session: Session, partnership_id: int) -> Cycle:
    """The partnership's one planned cycle; raises if it has none (or, against the rules, several)."""
    return session.exec(select(Cycle).where(Cycle.partnership_id == partnership_id)).one()


def cycle_of(session: Session, review: Review) -> Cycle:
    return session.get_one(Cycle, review.cycle_id)


def planned_reviews(session: Session, partnership_id: int) -> list[Review]:
    """The partnership's reviews, cancelled ones left out, oldest first."""
    return list(
        session.exec(
            select(Review)
            .where(Review.partnership_id == partnership_id, Review.stage != Stage.CANCELLED.value)
            .order_by(col(Review.id))
        ).all()
    )


def places_elsewhere(
    session: Session, exclude_partnership: int, emails: Sequence[str]
) -> list[tuple[dt.date, dt.date, str, str, str]]:
    """(visit_start, visit_end, term, email, role) of every place these people hold on other partnerships'
    reviews, not those cancelled nor places declined (neither keeps anyone busy).

    Person by email, then their assignments and reviews, each by an index, EMAILS_PER_QUERY emails a query:
    the cost follows the people shared with other partnerships, not the number of partnerships loaded."""
    rows: list[tuple[dt.date, dt.date, str, str, str]] = []
    for at in range(0, len(emails), EMAILS_PER_QUERY):
        rows += session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() for 4 columns at most (sqlmodel#271)
                Review.visit_start, Review.visit_end, Review.term, Person.email, Assignment.role
            )
            .select_from(Person)
            .join(Assignment, col(Assignment.person_id) == Person.id)
            .join(Review, col(Review.id) == Assignment.review_id)
            .where(
                col(Person.email).in_(emails[at : at + EMAILS_PER_QUERY]),
                Review.partnership_id != exclude_partnership,
                Review.stage != Stage.CANCELLED.value,
                Assignment.status != "declined",
            )
        ).all()
    return rows


def teams_holding_roles(session: Session, partnership_id: int) -> list[tuple[int, str, str]]:
    """(review_id, role, email) of every place on the partnership's reviews not declined, whose person still
    holds that role (a moderator still a moderator, a peer still a reviewer), in the order the places were made."""
    holds_role = or_(
        and_(col(Assignment.role) == "moderator", col(Person.is_moderator)),
        and_(col(Assignment.role) == "peer", col(Person.is_reviewer)),
    )
    return list(
        session.exec(
            select(Assignment.review_id, Assignment.role, Person.email)
            .join(Person, col(Person.id) == Assignment.person_id)
            .join(Review, col(Review.id) == Assignment.review_id)
            .where(Review.partnership_id == partnership_id, Assignment.status != "declined", holds_role)
            .order_by(col(Assignment.id))
        ).all()
    )


def add_cycle(session: Session, *, partnership_id: int, start: dt.date, end: dt.date, months: int) -> Cycle:
    """A partnership's published cycle, flushed for its id (its reviews refer to it)."""
    cycle = Cycle(partnership_id=partnership_id, start=start, end=end, months=months)
    session.add(cycle)
    session.flush()
    return cycle


def add_review(session: Session, **columns: Any) -> Review:
    """One booked review of a cycle (columns as the table's), flushed for its id (its team refers to it)."""
    review = Review(**columns)
    session.add(review)
    session.flush()
    return review
