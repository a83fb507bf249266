"""A proposed cycle and the host trusts' answers to it, before anyone is invited.

Planning proposes; each trust's CEO confirms their trust's part or asks for changes; the coordinator
plans again around what was asked and publishes. A change asked for becomes a constraint of the next
plan, of a kind the planner already keeps (domain/scheduling.py), so a proposal never promises what the
planner cannot honour:

- another week for a visit: the trust is unavailable that week (a blackout for that trust);
- another strand order: the trust's strand order;
- a reviewer they would rather not host: that reviewer has a conflict with the trust.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import KW_ONLY, dataclass, replace
from enum import StrEnum

from peer_review.domain.scheduling import Blackout, PlannedVisit, PlanPerson, PlanTrust, monday_of


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"  # standing: CEOs answer it, the coordinator may publish it
    SUPERSEDED = "superseded"  # planned again: a newer proposal stands
    PUBLISHED = "published"  # booked: its reviews exist and their people are invited


class Answer(StrEnum):
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    CHANGES_ASKED = "changes_asked"


class ChangeKind(StrEnum):
    OTHER_WEEK = "other_week"
    STRAND_ORDER = "strand_order"
    NOT_THIS_REVIEWER = "not_this_reviewer"


@dataclass(frozen=True)
class ChangeRequest:
    """One change a host trust's CEO asks of a proposal, with their reason (shown to the coordinator)."""

    trust: str
    kind: ChangeKind
    reason: str
    _: KW_ONLY
    week: dt.date | None = None  # OTHER_WEEK: the Monday of the week that does not suit
    strand_order: tuple[str, ...] = ()  # STRAND_ORDER: every strand, in the order wanted
    reviewer: str = ""  # NOT_THIS_REVIEWER: the reviewer's email

    def describe(self, names: dict[str, str]) -> str:
        """In people's words, naming trusts, strands and people by `names` (id or email -> name)."""
        if self.kind is ChangeKind.OTHER_WEEK and self.week is not None:
            return f"not the week of {self.week.day} {self.week:%B %Y}: {self.reason}"
        if self.kind is ChangeKind.STRAND_ORDER:
            return f"strands in the order {', '.join(names.get(s, s) for s in self.strand_order)}: {self.reason}"
        return f"not {names.get(self.reviewer, self.reviewer)} as a reviewer: {self.reason}"

    def same_change(self, other: ChangeRequest) -> bool:
        """The same change asked again, whatever the reason given."""
        return replace(self, reason="") == replace(other, reason="")

    def to_dict(self) -> dict:
        return {
            "trust": self.trust,
            "kind": self.kind.value,
            "reason": self.reason,
            "week": self.week.isoformat() if self.week else None,
            "strand_order": list(self.strand_order),
            "reviewer": self.reviewer,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ChangeRequest:
        return cls(
            data["trust"],
            ChangeKind(data["kind"]),
            data["reason"],
            week=dt.date.fromisoformat(data["week"]) if data.get("week") else None,
            strand_order=tuple(data.get("strand_order", ())),
            reviewer=data.get("reviewer", ""),
        )


def honour(
    requests: list[ChangeRequest], trusts: list[PlanTrust], people: list[PlanPerson], blackouts: list[Blackout]
) -> tuple[list[PlanTrust], list[PlanPerson], list[Blackout]]:
    """The planner's inputs with every change asked for applied, so the next proposal honours them. `people`
    may be reviewers or moderators (call once for each): a reviewer not among them is left alone."""
    trusts_by_id = {t.id: t for t in trusts}
    people_by_email = {p.email: p for p in people}
    blackouts = list(blackouts)
    for request in requests:
        if request.kind is ChangeKind.OTHER_WEEK and request.week is not None:
            monday = monday_of(request.week)
            blackouts.append(
                Blackout(monday, monday + dt.timedelta(days=6), request.reason, frozenset({request.trust}))
            )
        elif request.kind is ChangeKind.STRAND_ORDER:
            trusts_by_id[request.trust] = replace(trusts_by_id[request.trust], strand_order=request.strand_order)
        elif request.kind is ChangeKind.NOT_THIS_REVIEWER and request.reviewer in people_by_email:
            person = people_by_email[request.reviewer]
            people_by_email[request.reviewer] = replace(person, conflicts=person.conflicts | {request.trust})
    return [trusts_by_id[t.id] for t in trusts], [people_by_email[p.email] for p in people], blackouts


def unhonoured(requests: list[ChangeRequest], plan: list[PlannedVisit]) -> list[ChangeRequest]:
    """The requests a plan does not keep (empty when it keeps them all): a check on the planner, and what the
    coordinator is told before publishing."""
    left = []
    for request in requests:
        hosted = sorted((v for v in plan if v.trust == request.trust), key=lambda v: v.position)
        if request.kind is ChangeKind.OTHER_WEEK and request.week is not None:
            monday = monday_of(request.week)
            kept = all(not (monday <= v.visit_start <= monday + dt.timedelta(days=6)) for v in hosted)
        elif request.kind is ChangeKind.STRAND_ORDER:
            kept = tuple(v.strand for v in hosted) == request.strand_order
        else:
            kept = all(request.reviewer not in (*v.peers, v.moderator) for v in hosted)
        if not kept:
            left.append(request)
    return left


def part_of(trust: str, plan: list[PlannedVisit]) -> list[tuple]:
    """What a trust's CEO confirms of a plan: the visits it hosts, with their weeks and teams. A CEO's
    confirmation carries over to a new proposal only if this is unchanged."""
    return sorted(
        (v.position, v.strand, v.visit_start, v.visit_end, v.moderator, tuple(sorted(v.peers)))
        for v in plan
        if v.trust == trust
    )


def waiting_for(trusts: list[str], answers: dict[str, Answer]) -> list[str]:
    """The trusts whose CEO has not confirmed the standing proposal, in the order given."""
    return [t for t in trusts if answers.get(t, Answer.WAITING) is not Answer.CONFIRMED]
