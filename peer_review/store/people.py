"""Reads of partnerships and the people in them that the entry points and the demo need as they are."""

from __future__ import annotations

from sqlmodel import Session, select

from peer_review.store.tables import Partnership, Person


def person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def every_partnership_id(session: Session) -> frozenset[int]:
    return frozenset(session.exec(select(Partnership.id)).all())
