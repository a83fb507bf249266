"""Loading a partnership into the database and planning its review cycle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from peer_review import clock
from peer_review.domain.model import stage_deadlines
from peer_review.domain.planning import PlanningError, cycle_end, simple_plan
from peer_review.errors import UserError
from peer_review.partnerships import LoadedPartnership
from peer_review.service.common import audit, get_partnership
from peer_review.tables import Cycle, Partnership, Person, Review, Trust


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

    def person(email: str, name: str, **flags) -> Person:
        found = people.get(email)
        if found is None:
            found = people[email] = Person(partnership_id=partnership.id, email=email, name=name)
        for key, value in flags.items():
            setattr(found, key, value)
        return found

    person(spec.coordinator.email, spec.coordinator.name, is_coordinator=True, organisation="coordinating body")
    for m in spec.moderators:
        person(m.email, m.name, is_moderator=True, organisation=m.organisation, max_reviews_per_term=m.max_reviews_per_term)
    for t in spec.trusts:
        trust = Trust(partnership_id=partnership.id, key=t.id, name=t.name, strand_order=list(t.strand_order), conflicts=list(t.conflicts))
        session.add(trust)
        session.flush()
        person(t.ceo.email, t.ceo.name, trust_id=trust.id, is_ceo=True, job_title="Chief Executive", organisation=t.name)
        for r in t.reviewers:
            person(r.email, r.name, trust_id=trust.id, is_reviewer=True, job_title=r.role, strands=list(r.strands), organisation=t.name)
    session.add_all(people.values())
    session.flush()
    return len(people)


def plan_cycle(session: Session, partnership_name: str | None, start: dt.date | None = None, months: int | None = None) -> Cycle:
    """Create the cycle and its reviews: each trust's strands in its CEO's order, one per half-term."""
    partnership = get_partnership(session, partnership_name)
    if session.exec(select(Cycle).where(Cycle.partnership_id == partnership.id)).first():
        raise UserError(f"partnership '{partnership.name}' already has a planned cycle")
    start = start or partnership.cycle_start
    months = months or partnership.cycle_months
    trusts = session.exec(select(Trust).where(Trust.partnership_id == partnership.id).order_by(Trust.id)).all()
    try:
        plan = simple_plan({t.key: list(t.strand_order) for t in trusts}, start, months, partnership.visit_days)
    except PlanningError as exc:
        raise UserError(str(exc)) from None
    titles = {s["id"]: s["title"] for s in partnership.framework["strands"]}
    by_key = {t.key: t for t in trusts}
    cycle = Cycle(partnership_id=partnership.id, start=start, end=cycle_end(start, months), months=months)
    session.add(cycle)
    session.flush()
    for p in plan:
        deadlines = stage_deadlines(p.visit_start, p.visit_end)
        session.add(
            Review(
                partnership_id=partnership.id,
                cycle_id=cycle.id,
                host_trust_id=by_key[p.trust].id,
                strand_id=p.strand,
                strand_title=titles[p.strand],
                position=p.position,
                visit_start=p.visit_start,
                visit_end=p.visit_end,
                deadlines={k: v.isoformat() for k, v in deadlines.items()},
            )
        )
    audit(session, partnership.id, "cycle_planned", start=start.isoformat(), months=months, reviews=len(plan))
    return cycle
