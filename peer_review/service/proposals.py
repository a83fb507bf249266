"""A cycle proposed, answered by each host trust's CEO, planned again around what they asked, then published.

Nobody is invited while a proposal stands: reviews, teams, invitations, calendars and tasks start when the
coordinator publishes (`book_cycle`). What a CEO asks stays asked: every later proposal of the partnership
honours every change asked of an earlier one (domain/proposals.py turns each into a constraint the planner
keeps). A confirmation carries over to the next proposal only when the trust's part of it is unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.proposals import (
    Answer,
    ChangeKind,
    ChangeRequest,
    ProposalStatus,
    part_of,
    unhonoured,
)
from peer_review.domain.scheduling import PlanSettings, monday_of, violations, visit_days
from peer_review.errors import BadInput, Conflict, Refused, UserError
from peer_review.service.common import audit
from peer_review.service.planning import (
    Plan,
    book_cycle,
    choosable,
    existing_bookings,
    names_for_requests,
    plan_cycle,
    scheduling_inputs,
)
from peer_review.store import proposals as stored
from peer_review.store.db import Session
from peer_review.store.people import ceo_of_trust, get_partnership, get_partnership_by_id, people_in, trusts_in
from peer_review.store.reviews import latest_cycle

if TYPE_CHECKING:
    from peer_review.store.tables import CycleProposal, Partnership, Person, ProposalAnswer, Review, Trust

MAX_REQUESTS = 20  # a CEO's changes to one proposal: far more than a cycle of four to six visits needs
MAX_REASON = 2000


@dataclass(frozen=True)
class Proposed:
    proposal: CycleProposal
    plan: Plan
    carried: list[str]  # trusts whose confirmation carried over, by name
    asked: list[str]  # every change honoured, in people's words


@dataclass(frozen=True)
class Published:
    proposal: CycleProposal
    plan: Plan
    reviews: list[Review]
    unconfirmed: list[str]  # trusts whose CEO had not confirmed, by name


def plan_of(partnership: Partnership, proposal: CycleProposal) -> Plan:
    return Plan.from_json(partnership.name, proposal.start, proposal.end, proposal.visits)


def requests_asked(session: Session, partnership_id: int) -> list[ChangeRequest]:
    """Every change asked of the partnership's proposals so far that still stands, oldest first: of a trust's
    strand orders only the latest, each other change once, and none from a trust that has left."""
    here = {t.key for t in trusts_in(session, partnership_id, still_here=True)}
    ids = [p.id for p in stored.proposals_of(session, partnership_id)]
    asked = [
        ChangeRequest.from_dict(r)
        for a in stored.answers_to(session, ids)
        if a.answer == Answer.CHANGES_ASKED
        for r in a.requests
    ]
    latest_order = {r.trust: r for r in asked if r.kind is ChangeKind.STRAND_ORDER}
    kept: list[ChangeRequest] = []
    for r in asked:
        if r.trust not in here or (r.kind is ChangeKind.STRAND_ORDER and latest_order[r.trust] is not r):
            continue
        if not any(r.same_change(k) for k in kept):
            kept.append(r)
    return kept


def preview(session: Session, partnership_name: str | None, start: dt.date | None = None) -> Plan:
    """The plan `propose` would make now (honouring every change asked so far), kept nowhere."""
    partnership = get_partnership(session, partnership_name)
    return plan_cycle(session, partnership.name, start, requests_asked(session, partnership.id))


def propose(session: Session, partnership_name: str | None, start: dt.date | None = None, by: str = "") -> Proposed:
    """Plan the cycle around every change asked so far and keep it as the standing proposal (the one before
    is superseded); each host trust's CEO is told it awaits their answer. Nobody else hears anything yet."""
    partnership = get_partnership(session, partnership_name)
    stored.lock_partnership(session, partnership.id)  # two proposals at once: one after the other
    partnership = get_partnership_by_id(session, partnership.id)
    requests = requests_asked(session, partnership.id)
    plan = plan_cycle(session, partnership.name, start, requests)
    left = unhonoured(requests, plan.visits)
    if left:  # the planner keeps every request as a constraint: this would be a defect, never a user's doing
        names = names_for_requests(session, partnership)
        raise UserError("the new plan does not keep: " + "; ".join(r.describe(names) for r in left))
    earlier = stored.proposals_of(session, partnership.id)
    before = stored.standing_proposal(session, partnership.id)
    if before is not None:
        before.status = ProposalStatus.SUPERSEDED.value
        session.add(before)
    proposal = stored.add_proposal(
        session,
        partnership_id=partnership.id,
        number=max((p.number for p in earlier), default=0) + 1,
        start=plan.start,
        end=plan.end,
        visits=plan.as_json(),
        proposed_at=clock.now(),
        proposed_by=by,
    )
    old_answers = {a.trust_id: a for a in stored.answers_to(session, [before.id])} if before else {}
    old_plan = plan_of(partnership, before).visits if before else []
    carried = []
    for trust in trusts_in(session, partnership.id, still_here=True):
        old = old_answers.get(trust.id)
        keep = (
            old is not None
            and old.answer == Answer.CONFIRMED
            and part_of(trust.key, old_plan) == part_of(trust.key, plan.visits)
        )
        stored.add_answer(
            session,
            proposal_id=proposal.id,
            trust_id=trust.id,
            answer=Answer.CONFIRMED.value if keep else Answer.WAITING.value,
            answered_by_id=old.answered_by_id if keep and old else None,
            answered_at=old.answered_at if keep and old else None,
            carried_over=keep,
        )
        if keep:
            carried.append(trust.name)
        else:
            _tell_ceo(session, partnership, trust, proposal)
    names = names_for_requests(session, partnership)
    asked = [r.describe(names) for r in requests]
    audit(
        session,
        partnership.id,
        "cycle_proposed",
        actor=by or "command line",
        proposal=proposal.number,
        start=plan.start.isoformat(),
        end=plan.end.isoformat(),
        reviews=len(plan.visits),
        honouring=asked,
    )
    return Proposed(proposal, plan, carried, asked)


def _tell_ceo(session: Session, partnership: Partnership, trust: Trust, proposal: CycleProposal) -> None:
    from peer_review.service.outbox import notify

    ceo = ceo_of_trust(session, partnership.id, trust.id)
    hosted = sorted((v for v in proposal.visits if v["trust"] == trust.key), key=lambda v: v["position"])
    titles = {s["id"]: s["title"] for s in partnership.framework["strands"]}
    visits = [
        f"{titles[v['strand']]}: "
        + clock.date_span(dt.date.fromisoformat(v["visit_start"]), dt.date.fromisoformat(v["visit_end"]))
        + (" (provisional dates)" if v.get("provisional") else "")
        for v in hosted
    ]
    notify(
        session,
        key=f"cycle_proposed/{proposal.id}/{ceo.id}",
        event="cycle_proposed",
        person=ceo,
        subject=f"Proposed review cycle for {trust.name}: please confirm or ask for changes",
        context={
            "trust": trust.name,
            "trust_id": trust.id,
            "partnership": partnership.name,
            "number": proposal.number,
            "visits": visits,
        },
    )


def answer(
    session: Session,
    trust: Trust,
    person: Person,
    requests: list[ChangeRequest],
    proposal_id: int | None = None,
) -> ProposalAnswer:
    """A host trust's answer to the standing proposal: confirmed (no requests) or changes asked, each with
    its reason. Only the trust's CEO (or the partnership's coordinator, on their behalf) answers; each
    request must be about this trust's part of the proposal. `proposal_id`, when given, is the proposal the
    person was looking at: answering a newer one by mistake is refused."""
    stored.lock_partnership(session, trust.partnership_id)  # an answer and a new proposal (or publishing) at once
    proposal = stored.standing_proposal(session, trust.partnership_id)
    if proposal is None:
        raise Conflict("There is no proposed cycle to answer: it has been published, or not yet proposed.")
    if proposal_id is not None and proposal.id != proposal_id:
        raise Conflict(f"A newer proposal (number {proposal.number}) has been made since: answer that one.")
    if not (person.is_coordinator or (person.is_ceo and person.trust_id == trust.id)):
        raise Refused(f"Only the CEO of {trust.name} or the coordinator can answer for {trust.name}.")
    row = stored.answer_of(session, proposal.id, trust.id)
    if row is None:
        raise Refused(f"{trust.name} has no part in this proposal.")
    partnership = get_partnership_by_id(session, trust.partnership_id)
    _check_requests(session, partnership, trust, proposal, requests)
    row.answer = (Answer.CHANGES_ASKED if requests else Answer.CONFIRMED).value
    row.requests = [r.to_dict() for r in requests]
    row.answered_by_id = person.id
    row.answered_at = clock.now()
    row.carried_over = False
    session.add(row)
    names = names_for_requests(session, partnership)
    audit(
        session,
        trust.partnership_id,
        "proposal_answered",
        actor=person.email,
        proposal=proposal.number,
        trust=trust.key,
        answer=row.answer,
        asked=[r.describe(names) for r in requests],
    )
    return row


def _check_requests(
    session: Session, partnership: Partnership, trust: Trust, proposal: CycleProposal, requests: list[ChangeRequest]
) -> None:
    """Each change asked is about this trust's part of the proposal and has a reason; refused in words otherwise."""
    if len(requests) > MAX_REQUESTS:
        raise BadInput(f"Ask for {MAX_REQUESTS} changes or fewer at a time")
    hosted = [v for v in plan_of(partnership, proposal).visits if v.trust == trust.key]
    strands = [s["id"] for s in partnership.framework["strands"]]
    titles = names_for_requests(session, partnership)
    for request in requests:
        if request.trust != trust.key:
            raise Refused(f"A change for {titles.get(request.trust, request.trust)} is for that trust's CEO to ask.")
        if not request.reason.strip():
            raise BadInput("Say why you are asking for this change")
        if len(request.reason) > MAX_REASON:
            raise BadInput(f"The reason must be {MAX_REASON:,} characters or fewer")
        if request.kind is ChangeKind.OTHER_WEEK:
            weeks = {monday_of(v.visit_start) for v in hosted}
            if request.week is None or monday_of(request.week) not in weeks:
                raise BadInput("Choose one of your proposed visits' weeks")
        elif request.kind is ChangeKind.STRAND_ORDER:
            if sorted(request.strand_order) != sorted(strands) or len(set(request.strand_order)) != len(strands):
                raise BadInput("Put every strand in the order you want, each once")
        elif request.kind is ChangeKind.NOT_THIS_REVIEWER:
            team = {e for v in hosted for e in (*v.peers, v.moderator)}
            if request.reviewer not in team:
                raise BadInput("Choose someone proposed to review your trust")


def publish(session: Session, partnership_name: str | None, by: str = "") -> Published:
    """Book the standing proposal: its reviews and teams are stored, host CEOs hear of their visits and the
    teams are asked to join (by the engine's next step). Refused if the partnership changed since so that the
    proposal breaks a rule now (plan again). Trusts whose CEO has not confirmed are named, not a bar: the
    coordinator decides."""
    partnership = get_partnership(session, partnership_name)
    stored.lock_partnership(session, partnership.id)  # of two publishers at once, the second finds it published
    partnership = get_partnership_by_id(session, partnership.id)
    proposal = stored.standing_proposal(session, partnership.id)
    if proposal is None and latest_cycle(session, partnership.id):
        raise Conflict(f"The cycle of {partnership.name} has already been published")
    if proposal is None:
        raise UserError(
            f"partnership '{partnership.name}' has no proposed cycle to publish: run `peer-review plan` first"
        )
    plan = plan_of(partnership, proposal)
    requests = requests_asked(session, partnership.id)
    inputs = scheduling_inputs(session, partnership)
    names = names_for_requests(session, partnership)
    gone = _left_since(inputs, plan, names)
    if gone:
        raise Conflict(
            f"Since proposal {proposal.number} was made, {'; '.join(gone)}. Propose the cycle again around them."
        )
    asked = inputs.honouring(requests)
    settings = PlanSettings(plan.start, plan.end, partnership.visit_days, partnership.peers_per_trust)
    problems = violations(plan.visits, asked.trusts, asked.people, asked.moderators, settings, asked.blackouts, names)
    problems += _booked_elsewhere_since(session, partnership, plan, choosable(inputs))
    if problems:
        raise Conflict(
            f"Proposal {proposal.number} no longer keeps every rule, since the partnership changed: "
            + "; ".join(problems[:5])
            + ". Propose the cycle again."
        )
    _keep_strand_orders(session, partnership, requests)
    trusts = {t.id: t for t in trusts_in(session, partnership.id)}
    waiting = [
        trusts[a.trust_id].name for a in stored.answers_to(session, [proposal.id]) if a.answer != Answer.CONFIRMED
    ]
    cycle, booked = book_cycle(session, partnership, plan)
    proposal.status = ProposalStatus.PUBLISHED.value
    proposal.published_at = clock.now()
    proposal.cycle_id = cycle.id
    session.add(proposal)
    audit(
        session,
        partnership.id,
        "cycle_published",
        actor=by or "command line",
        proposal=proposal.number,
        not_confirmed=waiting,
    )
    return Published(proposal, plan, booked, waiting)


def _left_since(inputs, plan: Plan, names: dict[str, str]) -> list[str]:
    """Trusts and team members of the plan that are no longer in the partnership (or no longer in that role)."""
    trusts = {t.id for t in inputs.trusts}
    people = {p.email for p in inputs.people} | {m.email for m in inputs.moderators}
    gone = sorted({v.trust for v in plan.visits} - trusts)
    left = sorted({e for v in plan.visits for e in (*v.peers, v.moderator) if e} - people)
    return [f"{names.get(t, t)} has left the partnership" for t in gone] + [
        f"{names.get(e, e)} is no longer one of its reviewers or moderators" for e in left
    ]


def _keep_strand_orders(session: Session, partnership: Partnership, requests: list[ChangeRequest]) -> None:
    """A strand order a CEO asked for, and the published plan keeps, becomes their trust's order (the order
    later moves and re-plans are checked against)."""
    wanted = {r.trust: list(r.strand_order) for r in requests if r.kind is ChangeKind.STRAND_ORDER}
    for trust in trusts_in(session, partnership.id, still_here=True):
        if trust.key in wanted and trust.strand_order != wanted[trust.key]:
            trust.strand_order = wanted[trust.key]
            session.add(trust)


def _booked_elsewhere_since(session: Session, partnership: Partnership, plan: Plan, emails: set[str]) -> list[str]:
    """Team members another partnership has booked on the same days since this proposal was made (people
    shared between partnerships, moderators most often)."""
    busy = existing_bookings(session, partnership.id, emails).busy
    names = {p.email: p.name for p in people_in(session, partnership.id)}
    return [
        f"{names.get(email, email)} is now on another partnership's visit during {clock.date_span(v.visit_start, v.visit_end)}"
        for v in plan.visits
        for email in (*v.peers, v.moderator)
        if busy.get(email, set()) & set(visit_days(v.visit_start, v.visit_end))
    ]


@dataclass(frozen=True)
class ProposedVisit:
    trust_id: int
    trust: str
    strand_id: str
    strand: str
    position: int
    start: dt.date
    end: dt.date
    term: str
    provisional: bool
    team: list[tuple[str, str, str, str]]  # (email, name, organisation or "moderator", why chosen)


@dataclass(frozen=True)
class TrustAnswer:
    trust_id: int
    trust: str
    answer: Answer
    by: str  # who answered, by name ("" while waiting)
    at: dt.datetime | None
    carried_over: bool
    asked: list[str]  # each change asked, in people's words


@dataclass(frozen=True)
class ProposalView:
    proposal: CycleProposal
    visits: list[ProposedVisit]  # by visit date
    answers: list[TrustAnswer]  # in the partnership file's order of trusts

    @property
    def waiting(self) -> list[str]:
        return [a.trust for a in self.answers if a.answer is not Answer.CONFIRMED]

    def answer_of(self, trust_id: int) -> TrustAnswer | None:
        return next((a for a in self.answers if a.trust_id == trust_id), None)

    def hosted_by(self, trust_id: int) -> list[ProposedVisit]:
        return sorted((v for v in self.visits if v.trust_id == trust_id), key=lambda v: v.position)

    def places_of(self, emails: set[str]) -> list[ProposedVisit]:
        """The visits these people (a trust's reviewers) are proposed for, elsewhere."""
        return [v for v in self.visits if any(member[0] in emails for member in v.team)]


def view(session: Session, partnership: Partnership, proposal: CycleProposal) -> ProposalView:
    """A proposal in people's terms: trusts, strands and people by name; each trust's answer in words."""
    trusts = trusts_in(session, partnership.id)
    by_key = {t.key: t for t in trusts}
    people = {p.email: p for p in people_in(session, partnership.id)}
    by_id = {p.id: p for p in people.values()}
    names = names_for_requests(session, partnership)

    def member(email: str, role: str, why: str) -> tuple[str, str, str, str]:
        person = people.get(email)
        name = person.name if person else email
        return email, name, "moderator" if role == "moderator" else (person.organisation if person else ""), why

    keys = re.compile(r"\b(" + "|".join(re.escape(t.key) for t in trusts) + r")\b") if trusts else None

    def in_words(why: str) -> str:  # the planner's reasons name trusts by id
        return keys.sub(lambda m: by_key[m.group(1)].name, why) if keys else why

    visits = []
    for v in plan_of(partnership, proposal).visits:
        reasons = {email: in_words(why) for email, why in v.reasons}
        team = [member(e, "peer", reasons.get(e, "")) for e in v.peers] + [
            member(v.moderator, "moderator", reasons.get(v.moderator, ""))
        ]
        visits.append(
            ProposedVisit(
                by_key[v.trust].id,
                by_key[v.trust].name,
                v.strand,
                names.get(v.strand, v.strand),
                v.position,
                v.visit_start,
                v.visit_end,
                v.term,
                v.provisional,
                team,
            )
        )
    order = {t.id: i for i, t in enumerate(trusts)}
    answers = [
        TrustAnswer(
            a.trust_id,
            next(t.name for t in trusts if t.id == a.trust_id),
            Answer(a.answer),
            by_id[a.answered_by_id].name if a.answered_by_id in by_id else "",
            a.answered_at,
            a.carried_over,
            [ChangeRequest.from_dict(r).describe(names) for r in a.requests],
        )
        for a in sorted(stored.answers_to(session, [proposal.id]), key=lambda a: order.get(a.trust_id, 0))
    ]
    return ProposalView(proposal, sorted(visits, key=lambda v: (v.start, v.trust)), answers)


def standing(session: Session, partnership: Partnership) -> ProposalView | None:
    """The standing proposal of the partnership, in people's terms, or None."""
    proposal = stored.standing_proposal(session, partnership.id)
    return view(session, partnership, proposal) if proposal else None


def ask(session: Session, trust: Trust, person: Person, request: ChangeRequest, proposal_id: int) -> ProposalAnswer:
    """One more change asked of the standing proposal, beside those this trust already asked of it."""
    row = stored.answer_of(session, proposal_id, trust.id)
    earlier = [ChangeRequest.from_dict(r) for r in row.requests] if row and row.answer == Answer.CHANGES_ASKED else []
    if any(request.same_change(e) for e in earlier):
        raise BadInput("You have already asked for this change")
    return answer(session, trust, person, [*earlier, request], proposal_id)
