"""The colleagues a host CEO names to act for the trust on one of its reviews (its own module: every access
check reads it, and defines only the tables of people and reviews)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from peer_review.store.tables import HostColleague, Person, Review


def _still_acting(query):
    """A query of HostColleague rows narrowed to the colleagues who still act: named and not withdrawn, still in
    the partnership and still a colleague of the review's host trust (someone who left, or whom the partnership
    file now lists at another trust or as no colleague at all, acts for it no more, withdrawn or not)."""
    return (
        query.join(Person, col(Person.id) == HostColleague.person_id)
        .join(Review, col(Review.id) == HostColleague.review_id)
        .where(
            col(HostColleague.withdrawn_at).is_(None),
            col(Person.left_on).is_(None),
            col(Person.is_colleague),
            col(Person.trust_id) == Review.host_trust_id,
        )
    )


def colleagues_of(session: Session, review_id: int, *, current: bool = True) -> list[tuple[HostColleague, Person]]:
    """A review's colleagues acting for its host trust (`current`), or every one ever named."""
    query = select(HostColleague, Person).where(HostColleague.review_id == review_id).order_by(col(HostColleague.id))
    query = _still_acting(query) if current else query.join(Person, col(Person.id) == HostColleague.person_id)
    return [(c, p) for c, p in session.exec(query)]


def acting_places(person_ids: frozenset[int] | set[int]):
    """The query of the reviews these people (one person's records) act on for their trust now (`_still_acting`)."""
    return _still_acting(select(HostColleague.review_id).where(col(HostColleague.person_id).in_(person_ids)))


def colleague_places(session: Session, person_ids: frozenset[int] | set[int]) -> set[int]:
    """The reviews these people (one person's records) act on for their trust now."""
    if not person_ids:
        return set()
    return set(session.exec(acting_places(person_ids)))


def name_colleague(
    session: Session, *, review_id: int, person_id: int, named_by_id: int, at: dt.datetime
) -> HostColleague:
    """Name (or name again, after a withdrawal) a colleague for a review."""
    row = session.exec(
        select(HostColleague).where(HostColleague.review_id == review_id, HostColleague.person_id == person_id)
    ).first()
    if row is None:
        row = HostColleague(review_id=review_id, person_id=person_id, named_by_id=named_by_id, named_at=at)
    else:
        row.named_by_id, row.named_at, row.withdrawn_at = named_by_id, at, None
    session.add(row)
    session.flush()
    return row
