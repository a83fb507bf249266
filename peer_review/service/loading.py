"""Loading a partnership into the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from peer_review import clock
from peer_review.errors import UserError
from peer_review.partnerships import Contact, LoadedPartnership
from peer_review.service.common import audit
from peer_review.tables import Partnership, Person, Trust


@dataclass(frozen=True)
class LoadResult:
    partnership_id: int
    name: str
    trusts: int
    people: int


def store_partnership(session: Session, loaded: LoadedPartnership) -> LoadResult:
    """Store a partnership that `load_partnership_file` has validated."""
    spec = loaded.spec
    if session.exec(select(Partnership).where(Partnership.name == spec.name)).first():
        raise UserError(f"a partnership named '{spec.name}' is already loaded", source=str(loaded.source), place="name")
    partnership = Partnership(
        name=spec.name,
        framework_id=loaded.framework.id,
        framework=loaded.framework.model_dump(mode="json"),
        cycle_start=spec.cycle.start,
        cycle_months=spec.cycle.months,
        term_dates=spec.term_dates,
        visit_days=spec.visit_days,
        peers_per_trust=spec.peers_per_trust,
        deadlines=spec.deadlines.model_dump(),
        blackouts=[b.model_dump(mode="json") for b in spec.blackouts],
        calendars={c.id: c.to_dict() for c in loaded.calendars.values()},
        reminders=spec.reminders.model_dump(),
        source=str(loaded.source),
        loaded_at=clock.now(),
    )
    session.add(partnership)
    session.flush()
    people = _store_people(session, partnership, loaded)
    audit(session, partnership.id, "partnership_loaded", source=str(loaded.source), framework=loaded.framework.id)
    return LoadResult(partnership.id, partnership.name, len(spec.trusts), people)


def _store_people(session: Session, partnership: Partnership, loaded: LoadedPartnership) -> int:
    spec = loaded.spec
    people: dict[str, Person] = {}

    def person(contact: Contact, **flags) -> Person:
        found = people.get(contact.email)
        if found is None:
            found = people[contact.email] = Person(partnership_id=partnership.id, email=contact.email, name=contact.name)
        found.digest_only = found.digest_only or contact.digest_only
        for key, value in flags.items():
            setattr(found, key, value)
        return found

    def lowered(conflicts: list[str]) -> list[str]:
        return [c.lower() if "@" in c else c for c in conflicts]

    person(spec.coordinator, is_coordinator=True, organisation="coordinating body")
    for m in spec.moderators:
        person(m, is_moderator=True, organisation=m.organisation, max_reviews_per_term=m.max_reviews_per_term, conflicts=lowered(m.conflicts))
    for t in spec.trusts:
        trust = Trust(partnership_id=partnership.id, key=t.id, name=t.name, strand_order=list(t.strand_order), conflicts=list(t.conflicts), calendar_id=loaded.calendars[t.id].id)
        session.add(trust)
        session.flush()
        person(t.ceo, trust_id=trust.id, is_ceo=True, job_title="Chief Executive", organisation=t.name)
        for r in t.reviewers:
            person(
                r, trust_id=trust.id, is_reviewer=True, job_title=r.role, strands=list(r.strands), organisation=t.name,
                conflicts=lowered(r.conflicts), previous_employers=list(r.previous_employers),
            )
    session.add_all(people.values())
    session.flush()
    return len(people)
