"""Loading a partnership into the database."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.errors import BadInput, UserError
from peer_review.files.partnerships import Contact, LoadedPartnership, PartnershipSpec
from peer_review.files.partnerships import Trust as TrustEntry
from peer_review.service.common import audit
from peer_review.store.db import Session
from peer_review.store.people import add_partnership, add_person, add_trust, partnership_named

if TYPE_CHECKING:
    from peer_review.store.tables import Partnership, Person, Trust


@dataclass(frozen=True)
class LoadResult:
    partnership_id: int
    name: str
    trusts: int
    people: int


def store_partnership(session: Session, loaded: LoadedPartnership) -> LoadResult:
    """Store a partnership that `load_partnership_file` has validated."""
    spec = loaded.spec
    if partnership_named(session, spec.name):
        raise UserError(f"a partnership named '{spec.name}' is already loaded", source=str(loaded.source), place="name")
    partnership = add_partnership(
        session,
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
    people = _store_people(session, partnership, loaded)
    audit(session, partnership.id, "partnership_loaded", source=str(loaded.source), framework=loaded.framework.id)
    return LoadResult(partnership.id, partnership.name, len(spec.trusts), people)


def set_up(session: Session, loaded: LoadedPartnership, coordinator_email: str) -> LoadResult:
    """A partnership set up on the web by a coordinator, who must be the coordinator the file names (so nobody
    sets up a partnership for someone else to run)."""
    named = loaded.spec.coordinator
    if named.email.strip().lower() != coordinator_email.strip().lower():
        raise BadInput(
            f"The file names {named.name} ({named.email}) as the partnership's coordinator: you can set up only a "
            "partnership you coordinate. Put your own name and email under coordinator.",
            source=str(loaded.source),
            place="coordinator.email",
        )
    return store_partnership(session, loaded)


def _store_people(session: Session, partnership: Partnership, loaded: LoadedPartnership) -> int:
    spec = loaded.spec
    trusts: dict[str, int] = {}
    for t in spec.trusts:
        trust = add_new_trust(session, partnership.id, t, loaded.calendars[t.id].id)
        session.flush()
        trusts[t.id] = trust.id
    people = people_of(spec)
    for attributes in people.values():
        add_new_person(session, partnership.id, attributes, trusts)
    session.flush()
    return len(people)


#: What a person's row holds when the file gives nothing for it.
PERSON_DEFAULTS: dict[str, object] = {
    "trust": None,
    "job_title": "",
    "organisation": "",
    "strands": [],
    "is_ceo": False,
    "is_reviewer": False,
    "is_moderator": False,
    "is_coordinator": False,
    "is_colleague": False,
    "max_reviews_per_term": None,
    "conflicts": [],
    "previous_employers": [],
    "digest_only": False,
    "survey_group": "",
}


def people_of(spec: PartnershipSpec) -> dict[str, dict]:
    """Each person as the file describes them, by email: one email is one person, their roles merged.

    The keys are Person's columns, with `trust` (the trust's id in the file) for trust_id and `loc` (where the
    file first lists them); loading a file and updating from it (service/roster.py) both read people this way.
    """
    people: dict[str, dict] = {}

    def person(contact: Contact, loc: tuple, **flags) -> None:
        found = people.setdefault(
            contact.email, {"email": contact.email, "name": contact.name, "loc": loc, **copy.deepcopy(PERSON_DEFAULTS)}
        )
        found["digest_only"] = found["digest_only"] or contact.digest_only
        found.update(flags)

    def lowered(conflicts: list[str]) -> list[str]:
        return [c.lower() if "@" in c else c for c in conflicts]

    person(spec.coordinator, ("coordinator",), is_coordinator=True, organisation="coordinating body")
    for i, m in enumerate(spec.moderators):
        person(
            m,
            ("moderators", i),
            is_moderator=True,
            organisation=m.organisation,
            max_reviews_per_term=m.max_reviews_per_term,
            conflicts=lowered(m.conflicts),
        )
    for i, t in enumerate(spec.trusts):
        person(t.ceo, ("trusts", i, "ceo"), trust=t.id, is_ceo=True, job_title="Chief Executive", organisation=t.name)
        for j, r in enumerate(t.reviewers):
            person(
                r,
                ("trusts", i, "reviewers", j),
                trust=t.id,
                is_reviewer=True,
                job_title=r.role,
                strands=list(r.strands),
                organisation=t.name,
                conflicts=lowered(r.conflicts),
                previous_employers=list(r.previous_employers),
            )
        for j, c in enumerate(t.colleagues):
            person(
                c, ("trusts", i, "colleagues", j), trust=t.id, is_colleague=True, job_title=c.role, organisation=t.name
            )
    for i, respondent in enumerate(spec.respondents):
        person(respondent, ("respondents", i), trust=respondent.trust, survey_group=respondent.group)
    return people


def add_new_person(session: Session, partnership_id: int, attributes: dict, trust_ids: dict[str, int]) -> Person:
    """Add a Person row from `people_of`'s attributes (`trust_ids`: trust key -> row id), written at the next flush."""
    columns = {k: v for k, v in attributes.items() if k not in ("trust", "loc")}
    return add_person(session, partnership_id=partnership_id, trust_id=trust_ids.get(attributes["trust"]), **columns)


def add_new_trust(session: Session, partnership_id: int, entry: TrustEntry, calendar_id: str) -> Trust:
    """Add a Trust row as the file's entry describes it, written at the next flush."""
    return add_trust(
        session,
        partnership_id=partnership_id,
        key=entry.id,
        name=entry.name,
        strand_order=list(entry.strand_order),
        conflicts=list(entry.conflicts),
        calendar_id=calendar_id,
    )
