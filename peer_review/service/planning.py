"""Planning a partnership's cycle with the scheduler, and storing the plan: reviews, dates and teams."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.calendar import OutsideCalendar, SchoolCalendar
from peer_review.domain.model import stage_deadlines
from peer_review.domain.proposals import ChangeRequest, honour
from peer_review.domain.scheduling import (
    Blackout,
    Bookings,
    PlanInfeasible,
    PlannedVisit,
    PlanPerson,
    PlanSettings,
    PlanTrust,
    bookings_for,
    cycle_end,
    plan_partnership,
    plan_trust,
    violations,
    visit_days,
)
from peer_review.errors import UserError
from peer_review.service.common import audit
from peer_review.store.cycle_plans import (
    add_cycle,
    add_review,
    cycle_of,
    places_elsewhere,
    planned_reviews,
    teams_holding_roles,
    the_cycle,
)
from peer_review.store.db import Session
from peer_review.store.people import get_partnership, get_partnership_by_id, host_ceo, people_in, trust_of, trusts_in
from peer_review.store.reviews import add_assignment, latest_cycle

if TYPE_CHECKING:
    from peer_review.store.tables import Cycle, Partnership, Person, Review, Trust


@dataclass(frozen=True)
class Plan:
    partnership: str
    start: dt.date
    end: dt.date
    visits: list[PlannedVisit]
    deadlines: dict[tuple[str, str], dict[str, dt.date]]  # (trust, strand) -> stage -> date

    def as_json(self) -> list[dict]:
        return [
            {
                "trust": v.trust,
                "strand": v.strand,
                "position": v.position,
                "visit_start": v.visit_start.isoformat(),
                "visit_end": v.visit_end.isoformat(),
                "term": v.term,
                "moderator": v.moderator,
                "peers": list(v.peers),
                "deadlines": {k: d.isoformat() for k, d in self.deadlines[(v.trust, v.strand)].items()},
                "reasons": dict(v.reasons),
                "provisional": v.provisional,
            }
            for v in self.visits
        ]

    @classmethod
    def from_json(cls, partnership: str, start: dt.date, end: dt.date, visits: list[dict]) -> Plan:
        """A plan as `as_json` wrote it (a stored proposal)."""
        return cls(
            partnership,
            start,
            end,
            [
                PlannedVisit(
                    v["trust"],
                    v["strand"],
                    v["position"],
                    dt.date.fromisoformat(v["visit_start"]),
                    dt.date.fromisoformat(v["visit_end"]),
                    v["term"],
                    v["moderator"],
                    tuple(v["peers"]),
                    tuple(v["reasons"].items()),
                    v.get("provisional", False),
                )
                for v in visits
            ],
            {
                (v["trust"], v["strand"]): {k: dt.date.fromisoformat(d) for k, d in v["deadlines"].items()}
                for v in visits
            },
        )


@dataclass(frozen=True)
class Inputs:
    trusts: list[PlanTrust]
    people: list[PlanPerson]
    moderators: list[PlanPerson]
    blackouts: list[Blackout]

    def honouring(self, requests: Sequence[ChangeRequest]) -> Inputs:
        """These inputs with every change the CEOs asked applied (reviewers and moderators alike)."""
        if not requests:
            return self
        trusts, people, blackouts = honour(list(requests), self.trusts, self.people, self.blackouts)
        _, moderators, _ = honour(list(requests), trusts, self.moderators, [])
        return Inputs(trusts, people, moderators, blackouts)

    @property
    def trusts_by_id(self) -> dict[str, PlanTrust]:
        return {t.id: t for t in self.trusts}


def scheduling_inputs(session: Session, partnership: Partnership) -> Inputs:
    """The planner's view of the partnership now: its trusts (not those that left) and the people holding each role."""
    trusts = trusts_in(session, partnership.id, still_here=True)
    people = people_in(session, partnership.id)
    keys: dict[int | None, str] = {t.id: t.key for t in trusts}  # people outside every trust (moderators) have None
    trust_of_email = {p.email: keys.get(p.trust_id) for p in people}
    calendars = calendar_snapshots(partnership)

    def person(p: Person) -> PlanPerson:
        trusts_ = {c for c in p.conflicts if "@" not in c} | set(p.previous_employers)
        emails = {c for c in p.conflicts if "@" in c}
        trusts_ |= {trust_of_email[e] for e in emails if trust_of_email.get(e)}
        return PlanPerson(
            p.email,
            keys.get(p.trust_id),
            tuple(p.strands),
            frozenset(trusts_),
            p.max_reviews_per_term,
            frozenset(emails),
        )

    return Inputs(
        trusts=[
            PlanTrust(
                t.key,
                tuple(t.strand_order),
                calendars[t.calendar_id],
                frozenset(t.conflicts),
                frozenset(t.preferred_terms),
            )
            for t in trusts
        ],
        people=[person(p) for p in people if p.is_reviewer],
        moderators=[person(p) for p in people if p.is_moderator],
        blackouts=[
            Blackout(
                dt.date.fromisoformat(b["start"]), dt.date.fromisoformat(b["end"]), b["reason"], frozenset(b["trusts"])
            )
            for b in partnership.blackouts
        ]
        + [  # what each trust's CEO said is not possible for their trust
            Blackout(  # the CEO's reason is for the coordinator: others are told only that the trust is unavailable
                dt.date.fromisoformat(u["start"]),
                dt.date.fromisoformat(u["end"]),
                f"{t.name} is unavailable",
                frozenset({t.key}),
            )
            for t in trusts
            for u in t.unavailable
        ],
    )


def calendar_snapshots(partnership: Partnership) -> dict[str, SchoolCalendar]:
    """The school calendars stored with a partnership when it was loaded, by calendar id."""
    return {cid: SchoolCalendar.from_dict(cid, data) for cid, data in partnership.calendars.items()}


def existing_bookings(session: Session, exclude_partnership: int, emails: Iterable[str]) -> Bookings:
    """What these people (by email: one person may be in several partnerships, as a moderator often is)
    are already committed to in other partnerships' planned reviews (not those cancelled, nor places declined).

    Only the people the planner may choose matter (it looks bookings up by their emails alone), so only
    their places are read: person by email, then their assignments and reviews, each by an index. The
    cost follows the people shared with other partnerships, not the number of partnerships loaded.
    """
    bookings = Bookings()
    for visit_start, visit_end, term, email, role in places_elsewhere(
        session, exclude_partnership, sorted(set(emails))
    ):
        bookings.busy[email].update(visit_days(visit_start, visit_end))
        bookings.load[email] += 1
        if role == "moderator":
            bookings.per_term[(email, term)] += 1
    return bookings


def choosable(inputs: Inputs) -> set[str]:
    """The emails of everyone the planner may put on a team: the partnership's reviewers and moderators."""
    return {p.email for p in inputs.people} | {m.email for m in inputs.moderators}


def plan_cycle(
    session: Session,
    partnership_name: str | None,
    start: dt.date | None = None,
    requests: Sequence[ChangeRequest] = (),
) -> Plan:
    """Plan every review of the partnership's cycle, honouring the changes its CEOs asked of earlier proposals.
    Nothing is stored: proposals.propose keeps the plan, proposals.publish books it."""
    partnership = get_partnership(session, partnership_name)
    if latest_cycle(session, partnership.id):
        raise UserError(f"partnership '{partnership.name}' already has a published cycle")
    start = start or partnership.cycle_start
    end = cycle_end(start, partnership.cycle_months)
    inputs = scheduling_inputs(session, partnership)
    inputs = inputs.honouring(requests)
    settings = plan_settings(partnership, start, end)
    try:
        visits = plan_partnership(
            inputs.trusts,
            inputs.people,
            inputs.moderators,
            settings,
            inputs.blackouts,
            existing_bookings(session, partnership.id, choosable(inputs)),
        )
    except PlanInfeasible as exc:
        asked = "; ".join(r.describe(names_for_requests(session, partnership)) for r in requests)
        honouring = f" (honouring what was asked: {asked})" if asked else ""
        raise UserError(f"partnership '{partnership.name}'{honouring}: {exc}") from None
    return Plan(partnership.name, start, end, visits, visit_deadlines(partnership, inputs, visits))


def in_words(session: Session, partnership: Partnership, text: str) -> str:
    """A planner's message for a page: quoted trust, strand and people ids by name, ISO dates as "4 January
    2024" (the command line keeps the ids and dates a file uses)."""
    names = names_for_requests(session, partnership)
    text = re.sub(r"'([^'\s]+)'", lambda m: names.get(m.group(1), m.group(0)), text)
    return re.sub(
        r"\b(\d{4})-(\d{2})-(\d{2})\b",
        lambda m: clock.long_date(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))),
        text,
    )


def names_for_requests(session: Session, partnership: Partnership) -> dict[str, str]:
    """Trusts, strands and people by name, for saying what was asked in people's words."""
    names = {s["id"]: s["title"] for s in partnership.framework["strands"]}
    names |= {t.key: t.name for t in trusts_in(session, partnership.id)}
    names |= {p.email: p.name for p in people_in(session, partnership.id)}
    return names


def plan_settings(partnership: Partnership, start: dt.date, end: dt.date) -> PlanSettings:
    return PlanSettings(
        start,
        end,
        partnership.visit_days,
        partnership.peers_per_trust,
        lead_time=dt.timedelta(
            days=35 - partnership.deadlines["lines_of_enquiry"]
        ),  # two weeks to answer, three to propose lines
        report_time=dt.timedelta(days=partnership.deadlines["report"]),
        stagger=partnership.id - 1,  # partnerships sharing moderators spread their visits
    )


def visit_deadlines(
    partnership: Partnership, inputs: Inputs, visits: list[PlannedVisit]
) -> dict[tuple[str, str], dict[str, dt.date]]:
    """Each planned visit's stage deadlines, on its host's school days."""
    calendars = {t.id: t.calendar for t in inputs.trusts}
    try:
        return {
            (v.trust, v.strand): stage_deadlines(v.visit_start, v.visit_end, calendars[v.trust], partnership.deadlines)
            for v in visits
        }
    except OutsideCalendar as exc:  # only with deadlines set far from the visits
        raise UserError(
            f"partnership '{partnership.name}': a stage deadline falls outside its school calendar: {exc}"
        ) from None


def book_cycle(session: Session, partnership: Partnership, plan: Plan) -> tuple[Cycle, list[Review]]:
    """Store a plan as the partnership's cycle: its reviews and teams; each host CEO hears of their visits."""
    cycle = add_cycle(
        session, partnership_id=partnership.id, start=plan.start, end=plan.end, months=partnership.cycle_months
    )
    booked = store_visits(session, partnership, cycle, plan.visits, plan.deadlines)
    audit(
        session,
        partnership.id,
        "cycle_planned",
        start=plan.start.isoformat(),
        end=plan.end.isoformat(),
        reviews=len(plan.visits),
    )
    return cycle, booked


def store_visits(
    session: Session, partnership: Partnership, cycle: Cycle, visits: list[PlannedVisit], deadlines: dict
) -> list[Review]:
    """Store planned visits as reviews with their teams; each host CEO hears of their visit."""
    trusts = {t.key: t for t in trusts_in(session, partnership.id)}
    people = {p.email: p for p in people_in(session, partnership.id)}
    titles = {s["id"]: s["title"] for s in partnership.framework["strands"]}
    reviews = []
    for v in visits:
        review = add_review(
            session,
            partnership_id=partnership.id,
            cycle_id=cycle.id,
            host_trust_id=trusts[v.trust].id,
            strand_id=v.strand,
            strand_title=titles[v.strand],
            position=v.position,
            visit_start=v.visit_start,
            visit_end=v.visit_end,
            term=v.term,
            deadlines={k: d.isoformat() for k, d in deadlines[(v.trust, v.strand)].items()},
        )
        reviews.append(review)
        reasons = dict(v.reasons)
        for email in (*v.peers, v.moderator):
            role = "moderator" if email == v.moderator else "peer"
            add_assignment(
                session, review_id=review.id, person_id=people[email].id, role=role, reason=reasons.get(email, "")
            )
            audit(
                session,
                partnership.id,
                "assigned",
                review_id=review.id,
                person=email,
                role=role,
                reason=reasons.get(email, ""),
            )
        _notify_host(session, review, trusts[v.trust], [people[e] for e in (*v.peers, v.moderator)])
    return reviews


def plan_joining_trust(session: Session, partnership: Partnership, trust_key: str, today: dt.date) -> list[Review]:
    """Plan the reviews of a trust that joins a cycle under way, around every review already planned (and
    other partnerships' visits), leaving each time to accept places and agree lines of enquiry.

    Raises PlanInfeasible when the cycle has no room for them: the caller says what to do instead.
    """
    cycle = the_cycle(session, partnership.id)
    inputs = scheduling_inputs(session, partnership)
    plan = current_plan(session, partnership)
    settings = plan_settings(partnership, cycle.start, cycle.end)
    bookings = bookings_for(plan, {p.email: p.trust for p in inputs.people}, inputs.moderators)
    elsewhere = existing_bookings(session, partnership.id, choosable(inputs))
    for email, days in elsewhere.busy.items():
        bookings.busy[email] |= days
    bookings.load.update(elsewhere.load)
    bookings.per_term.update(elsewhere.per_term)
    bookings.by_load = []  # ranked again with the loads from elsewhere added
    trust = inputs.trusts_by_id[trust_key]
    others = [t for t in inputs.trusts if t.id != trust_key]
    visits = plan_trust(
        trust,
        others,
        inputs.people,
        inputs.moderators,
        settings,
        inputs.blackouts,
        bookings,
        max(cycle.start, today) + settings.lead_time,
    )
    return store_visits(session, partnership, cycle, visits, visit_deadlines(partnership, inputs, visits))


def _notify_host(session: Session, review: Review, trust: Trust, team: list[Person]) -> None:
    """The host trust's CEO hears of the visit, with its calendar entry (the team hear when asked to join)."""
    from peer_review.service.calendars import reviews_calendar
    from peer_review.service.outbox import notify, review_context

    ceo = host_ceo(session, review)
    context = review_context(session, review)
    lines_due = dt.date.fromisoformat(review.deadlines["lines_of_enquiry"])
    notify(
        session,
        key=f"visit_scheduled/{review.id}/{ceo.id}",
        event="visit_scheduled",
        person=ceo,
        review=review,
        subject=f"Visit planned for {context['visit']}: peer review of {trust.name} ({review.strand_title})",
        context=context
        | {"lines_due": clock.long_date(lines_due), "team": ", ".join(f"{p.name} ({p.organisation})" for p in team)},
        ics=reviews_calendar(session, [review], f"Peer review visit: {trust.name}"),
    )


def current_plan(session: Session, partnership: Partnership) -> list[PlannedVisit]:
    """The stored reviews of a partnership, with their teams, in the planner's terms: as they bind people now.

    Cancelled reviews are left out, and so are members who no longer hold their role (someone who left keeps
    their place in the review's records, but the planner neither books nor checks them).
    """
    trusts = {t.id: t.key for t in trusts_in(session, partnership.id)}
    teams: dict[int, tuple[list[str], str]] = {}
    for review_id, role, email in teams_holding_roles(session, partnership.id):
        peers, moderator = teams.setdefault(review_id, ([], ""))
        if role == "moderator":
            teams[review_id] = (peers, email)
        else:
            peers.append(email)
    reviews = planned_reviews(session, partnership.id)
    return [
        PlannedVisit(
            trusts[r.host_trust_id],
            r.strand_id,
            r.position,
            r.visit_start,
            r.visit_end,
            r.term,
            teams.get(r.id, ([], ""))[1],
            tuple(teams.get(r.id, ([], ""))[0]),
            (),
        )
        for r in reviews
    ]


def timeline(session: Session, plan: Plan) -> str:
    """The plan drawn as an SVG timeline."""
    from peer_review.adapters.timeline import timeline_svg

    partnership = get_partnership(session, plan.partnership)
    inputs = scheduling_inputs(session, partnership)
    trusts = trusts_in(session, partnership.id)
    return timeline_svg(
        f"{plan.partnership}: review cycle {plan.start} to {plan.end}",
        plan.visits,
        {t.id: t.calendar for t in inputs.trusts},
        {t.key: t.name for t in trusts},
        plan.start,
        plan.end,
    )


def stored_plan_of(session: Session, review: Review) -> tuple[Inputs, list[PlannedVisit], int]:
    """The planner's inputs and the stored plan of a review's partnership, and the review's place in it."""
    partnership = get_partnership_by_id(session, review.partnership_id)
    host = trust_of(session, review).key
    plan = current_plan(session, partnership)
    index = next(i for i, v in enumerate(plan) if v.trust == host and v.strand == review.strand_id)
    return scheduling_inputs(session, partnership), plan, index


def problems_after(session: Session, review: Review, change: Callable[[PlannedVisit], PlannedVisit]) -> list[str]:
    """The hard constraints that changing one review of the stored plan would break (old problems left out)."""
    return change_checker(session, review)(change)


def change_checker(session: Session, review: Review) -> Callable[[Callable[[PlannedVisit], PlannedVisit]], list[str]]:
    """What `problems_after` asks, for many changes of one review (the plan and its inputs read once): the
    problems in people's words, trusts, strands and people by name."""
    partnership = get_partnership_by_id(session, review.partnership_id)
    inputs, plan, index = stored_plan_of(session, review)
    cycle = cycle_of(session, review)
    settings = PlanSettings(cycle.start, cycle.end, partnership.visit_days, partnership.peers_per_trust)
    names = names_for_requests(session, partnership)

    def check(visits: list[PlannedVisit]) -> list[str]:
        return violations(visits, inputs.trusts, inputs.people, inputs.moderators, settings, inputs.blackouts, names)

    before = set(check(plan))

    def problems(change: Callable[[PlannedVisit], PlannedVisit]) -> list[str]:
        changed = list(plan)
        changed[index] = change(plan[index])
        return [problem for problem in check(changed) if problem not in before]

    return problems
