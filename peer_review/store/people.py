"""Partnerships, their trusts and the people in them: each read in one place (a partnership by name or id,
trusts by id or key, people by id or email, the coordinator, a trust's CEO, and the lists and names of each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

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
        partnership = partnership_named(session, name)
        if partnership is not None:
            return partnership
    names = session.exec(select(Partnership.name).order_by(col(Partnership.id)).limit(10)).all()
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
        query = query.where(col(Person.left_on).is_(None))
    return list(session.exec(query.order_by(col(Person.id))).all())


def coordinator_of(session: Session, partnership_id: int) -> Person:
    return session.exec(select(Person).where(Person.partnership_id == partnership_id, Person.is_coordinator)).one()


def host_ceo(session: Session, review: Review) -> Person:
    return ceo_of_trust(session, review.partnership_id, review.host_trust_id)


def trust_of(session: Session, review: Review) -> Trust:
    """The review's host trust."""
    return session.get_one(Trust, review.host_trust_id)


def partnership_named(session: Session, name: str) -> Partnership | None:
    return session.exec(select(Partnership).where(Partnership.name == name)).first()


def trusts_in(session: Session, partnership_id: int, still_here: bool = False) -> list[Trust]:
    """A partnership's trusts in the order loaded (the partnership file's); with still_here, only those that have
    not left."""
    query = select(Trust).where(Trust.partnership_id == partnership_id)
    if still_here:
        query = query.where(col(Trust.left_on).is_(None))
    return list(session.exec(query.order_by(col(Trust.id))).all())


def left_trust_keys(session: Session, partnership_id: int) -> list[str]:
    """The keys of a partnership's trusts that have left."""
    return list(
        session.exec(
            select(Trust.key).where(Trust.partnership_id == partnership_id, col(Trust.left_on).is_not(None))
        ).all()
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
        query = query.where(col(Person.left_on).is_(None))
    return list(session.exec(query.order_by(col(Person.email) if by_email else col(Person.id))).all())


def names_by_id(session: Session, person_ids: set[int]) -> dict[int, str]:
    """These people's names, by id (one query; none for no ids)."""
    if not person_ids:
        return {}
    return dict(session.exec(select(Person.id, Person.name).where(col(Person.id).in_(person_ids))).all())


def member_by_email(session: Session, partnership_id: int, email: str) -> Person:
    """The partnership's person with that email, as stored; raises when there is none (unlike person_by_email,
    which tidies the email and answers None)."""
    return session.exec(select(Person).where(Person.partnership_id == partnership_id, Person.email == email)).one()


def ceo_of_trust(session: Session, partnership_id: int, trust_id: int) -> Person:
    """The trust's CEO; raises when it has none. By partnership first: person.partnership_id is indexed, so this
    stays one short read at any scale."""
    return session.exec(
        select(Person).where(Person.partnership_id == partnership_id, Person.trust_id == trust_id, Person.is_ceo)
    ).one()


def host_ceo_if_any(session: Session, review: Review) -> Person | None:
    """The host trust's CEO, or None when the trust has left (and has none)."""
    return session.exec(select(Person).where(Person.trust_id == review.host_trust_id, Person.is_ceo)).first()


def partnership_names_by_id(session: Session) -> dict[int, str]:
    """Every loaded partnership's name, by id."""
    return dict(session.exec(select(Partnership.id, Partnership.name)).all())


def several_partnerships(session: Session) -> bool:
    """Whether more than one partnership is loaded (reads two ids at most)."""
    return len(session.exec(select(Partnership.id).limit(2)).all()) > 1


def trust_names(session: Session, ids) -> list[tuple[int, str]]:
    """(id, name) of these trusts, by name; no query for none."""
    if not ids:
        return []
    return list(session.exec(select(Trust.id, Trust.name).where(col(Trust.id).in_(ids)).order_by(Trust.name)).all())


def partnership_names(session: Session, ids) -> list[tuple[int, str]]:
    """(id, name) of these partnerships, by name; no query for none."""
    if not ids:
        return []
    return list(
        session.exec(
            select(Partnership.id, Partnership.name).where(col(Partnership.id).in_(ids)).order_by(Partnership.name)
        ).all()
    )


def trusts_with_key(session: Session, key: str) -> list[Trust]:
    """The trust of that key in every loaded partnership (one trust may be in several)."""
    return list(session.exec(select(Trust).where(Trust.key == key)).all())


def people_of_trusts(session: Session, trust_ids: list[int]) -> list[Person]:
    """Everyone in these trusts (people who left included)."""
    return list(session.exec(select(Person).where(col(Person.trust_id).in_(trust_ids))))


def every_partnership(session: Session) -> list[Partnership]:
    """Every loaded partnership, whole (with its framework)."""
    return list(session.exec(select(Partnership)))


def add_partnership(
    session: Session,
    *,
    name: str,
    framework_id: str,
    framework: dict,
    cycle_start: dt.date,
    cycle_months: int,
    term_dates: str,
    visit_days: int,
    peers_per_trust: int,
    deadlines: dict,
    blackouts: list,
    calendars: dict,
    reminders: dict,
    source: str,
    loaded_at: dt.datetime,
) -> Partnership:
    """A partnership loaded from its file, flushed so that its trusts and people can refer to its id."""
    partnership = Partnership(
        name=name,
        framework_id=framework_id,
        framework=framework,
        cycle_start=cycle_start,
        cycle_months=cycle_months,
        term_dates=term_dates,
        visit_days=visit_days,
        peers_per_trust=peers_per_trust,
        deadlines=deadlines,
        blackouts=blackouts,
        calendars=calendars,
        reminders=reminders,
        source=source,
        loaded_at=loaded_at,
    )
    session.add(partnership)
    session.flush()
    return partnership


def add_trust(
    session: Session,
    *,
    partnership_id: int,
    key: str,
    name: str,
    strand_order: list[str],
    conflicts: list[str],
    calendar_id: str,
) -> Trust:
    """A trust of a partnership's file, written at the next flush (loading flushes each; an update flushes them all)."""
    trust = Trust(
        partnership_id=partnership_id,
        key=key,
        name=name,
        strand_order=strand_order,
        conflicts=conflicts,
        calendar_id=calendar_id,
    )
    session.add(trust)
    return trust


def add_person(
    session: Session,
    *,
    partnership_id: int,
    email: str,
    name: str,
    trust_id: int | None = None,
    job_title: str = "",
    organisation: str = "",
    strands: Sequence[str] = (),
    is_ceo: bool = False,
    is_reviewer: bool = False,
    is_moderator: bool = False,
    is_coordinator: bool = False,
    is_colleague: bool = False,
    max_reviews_per_term: int | None = None,
    conflicts: Sequence[str] = (),
    previous_employers: Sequence[str] = (),
    digest_only: bool = False,
    survey_group: str = "",
) -> Person:
    """Someone joining a partnership (the defaults are the table's), written at the next flush."""
    person = Person(
        partnership_id=partnership_id,
        email=email,
        name=name,
        trust_id=trust_id,
        job_title=job_title,
        organisation=organisation,
        strands=list(strands),
        is_ceo=is_ceo,
        is_reviewer=is_reviewer,
        is_colleague=is_colleague,
        is_moderator=is_moderator,
        is_coordinator=is_coordinator,
        max_reviews_per_term=max_reviews_per_term,
        conflicts=list(conflicts),
        previous_employers=list(previous_employers),
        digest_only=digest_only,
        survey_group=survey_group,
    )
    session.add(person)
    return person
