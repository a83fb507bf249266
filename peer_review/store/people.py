"""Partnerships, their trusts and the people in them: each read in one place."""

from __future__ import annotations

from sqlmodel import Session, select

from peer_review.errors import NotFound, UserError
from peer_review.store.tables import Partnership, Person, Review, Trust

MAX_ID = 2**31 - 1  # the largest id a table can hold


def by_id(session: Session, table: type, row_id: int, what: str, hint: str):
    """One row by its id, or a clear refusal naming what was asked for and where to find the ids."""
    row = session.get(table, row_id) if 1 <= row_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no {what} with id {row_id}; {hint}")
    return row


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
    return by_id(session, Partnership, partnership_id, "partnership", "`peer-review status` names them")


def every_partnership_id(session: Session) -> frozenset[int]:
    return frozenset(session.exec(select(Partnership.id)).all())


def person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def person_by_email(session: Session, partnership_id: int, email: str) -> Person | None:
    """The partnership's person with that email (people who left included), however it was typed."""
    return session.exec(
        select(Person).where(Person.partnership_id == partnership_id, Person.email == email.strip().lower())
    ).first()


def people_with_email(session: Session, email: str, still_here: bool = False) -> list[Person]:
    """Everyone with that email in any partnership (one person may be in several), oldest first; with
    still_here, only those who have not left."""
    query = select(Person).where(Person.email == email.strip().lower())
    if still_here:
        query = query.where(Person.left_on.is_(None))
    return list(session.exec(query.order_by(Person.id)).all())


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
    """The review's host trust."""
    return session.get(Trust, review.host_trust_id)
