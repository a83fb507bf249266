"""Choosing the review team: a peer from every other trust and one external moderator."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    email: str
    name: str
    trust: str | None  # None for moderators
    strands: tuple[str, ...] = ()  # empty: any strand


@dataclass(frozen=True)
class Choice:
    email: str
    role: str  # "peer" or "moderator"
    reason: str


class AssignmentError(ValueError):
    pass


def choose_team(
    host: str,
    strand: str,
    host_conflicts: set[str],
    reviewers: list[Candidate],
    moderators: list[Candidate],
    load: Counter,
) -> list[Choice]:
    """One peer from each other trust (matched on strand, least loaded) and the least-loaded moderator.

    `load` counts reviews already given to each email in this cycle and is updated in place, so
    calling this review by review spreads the work.
    """
    team: list[Choice] = []
    other_trusts = sorted({c.trust for c in reviewers if c.trust and c.trust != host and c.trust not in host_conflicts})
    for trust in other_trusts:
        people = [c for c in reviewers if c.trust == trust]
        matched = [c for c in people if not c.strands or strand in c.strands]
        pool, note = (matched, "declared this strand") if matched else (people, "no one declared this strand")
        pick = min(pool, key=lambda c: (load[c.email], bool(not c.strands), c.email))
        team.append(Choice(pick.email, "peer", f"from {trust}; {note}; {load[pick.email]} review(s) already this cycle"))
        load[pick.email] += 1
    if not team:
        raise AssignmentError(f"no peer reviewer is available for trust '{host}': every other trust is its own or declared a conflict")
    if not moderators:
        raise AssignmentError("no moderator is available")
    moderator = min(moderators, key=lambda c: (load[c.email], c.email))
    team.append(Choice(moderator.email, "moderator", f"external; {load[moderator.email]} review(s) already this cycle"))
    load[moderator.email] += 1
    return team
