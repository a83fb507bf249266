"""A partnership's trusts and people, listed (one of them by id or email is people.py's)."""

from __future__ import annotations

from sqlmodel import select

from peer_review.store.db import Session
from peer_review.store.tables import Person, Trust


def partnership_trusts(session: Session, partnership_id: int, still_here: bool = False) -> list[Trust]:
    """The partnership's trusts in the order loaded (the partnership file's); with still_here, not those that left."""
    query = select(Trust).where(Trust.partnership_id == partnership_id)
    if still_here:
        query = query.where(Trust.left_on.is_(None))
    return list(session.exec(query.order_by(Trust.id)).all())


def partnership_people(session: Session, partnership_id: int, still_here: bool = False) -> list[Person]:
    """Everyone in the partnership in the order loaded; with still_here, not those who left."""
    query = select(Person).where(Person.partnership_id == partnership_id)
    if still_here:
        query = query.where(Person.left_on.is_(None))
    return list(session.exec(query.order_by(Person.id)).all())
