"""What a trust's CEO sets for their trust's reviews, on the web: the order of strands, the dates the trust
cannot host or visit, the terms it would rather host in, and which strands each of its reviewers reviews.
Each feeds the next proposed cycle (planning.scheduling_inputs) and is held to the partnership file's rules.

Only the trust's CEO and the partnership's coordinator change them; every change is in the audit log. The
strand order is fixed once the cycle is published (moving a review is then a visit move, with history).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.scheduling import cycle_end
from peer_review.domain.text import Title
from peer_review.errors import BadInput, Conflict, Refused
from peer_review.service.common import audit, checked_text
from peer_review.store.people import get_partnership_by_id, people_in
from peer_review.store.reviews import latest_cycle

if TYPE_CHECKING:
    from peer_review.store.db import Session
    from peer_review.store.tables import Partnership, Person, Trust

SEASONS = ("autumn", "spring", "summer")
MOST_UNAVAILABLE = 60  # date ranges a trust keeps: a trust board a month, INSET days and exams, over two years


def _allowed(trust: Trust, person: Person) -> None:
    if not (person.is_coordinator or (person.is_ceo and person.trust_id == trust.id)):
        raise Refused(f"Only the CEO of {trust.name} or the partnership's coordinator can change this.")


def _strands(partnership: Partnership) -> dict[str, str]:
    return {s["id"]: s["title"] for s in partnership.framework["strands"]}


def set_strand_order(session: Session, trust: Trust, person: Person, order: list[str]) -> None:
    """The order the trust hosts its reviews in: every strand of the framework, each once."""
    _allowed(trust, person)
    partnership = get_partnership_by_id(session, trust.partnership_id)
    if latest_cycle(session, partnership.id) is not None:
        raise Conflict("The cycle has been published: its order is fixed. Ask the coordinator to move a visit.")
    strands = _strands(partnership)
    if sorted(order) != sorted(strands) or len(set(order)) != len(order):
        raise BadInput("Put every strand in the order once")
    before = list(trust.strand_order)
    trust.strand_order = list(order)
    session.add(trust)
    audit(session, partnership.id, "strand_order_set", actor=person.email, trust=trust.key, before=before, after=order)


def add_unavailable(
    session: Session, trust: Trust, person: Person, start: dt.date, end: dt.date, reason: str
) -> dict[str, str]:
    """Dates the trust can neither host a visit nor send its people on one (a trust board, INSET days, exams,
    an expected inspection), within the partnership's cycle."""
    _allowed(trust, person)
    partnership = get_partnership_by_id(session, trust.partnership_id)
    last = cycle_end(partnership.cycle_start, partnership.cycle_months)
    if end < start:
        raise BadInput("The last day must be the same as or after the first day", loc=("end",))
    if start < partnership.cycle_start or end > last:
        raise BadInput(
            f"The dates must be within the cycle, {clock.long_date(partnership.cycle_start)} to {clock.long_date(last)}",
            loc=("start",),
        )
    reason = checked_text(reason, "why the trust is unavailable", Title)
    if len(trust.unavailable) >= MOST_UNAVAILABLE:
        raise BadInput(f"A trust can list up to {MOST_UNAVAILABLE} periods: remove one first", loc=("start",))
    entry = {"start": start.isoformat(), "end": end.isoformat(), "reason": reason}
    if any((u["start"], u["end"]) == (entry["start"], entry["end"]) for u in trust.unavailable):
        raise BadInput("These dates are already listed", loc=("start",))
    trust.unavailable = sorted([*trust.unavailable, entry], key=lambda u: (u["start"], u["end"]))
    session.add(trust)
    audit(session, partnership.id, "unavailable_added", actor=person.email, trust=trust.key, dates=entry)
    return entry


def remove_unavailable(session: Session, trust: Trust, person: Person, start: str, end: str) -> None:
    """Forget one period (named by its dates, so a page drawn before another removal removes the right one)."""
    _allowed(trust, person)
    kept = [u for u in trust.unavailable if (u["start"], u["end"]) != (start, end)]
    if len(kept) == len(trust.unavailable):
        raise Conflict("That period is no longer listed.")
    trust.unavailable = kept
    session.add(trust)
    audit(
        session, trust.partnership_id, "unavailable_removed", actor=person.email, trust=trust.key, start=start, end=end
    )


def set_preferred_terms(session: Session, trust: Trust, person: Person, seasons: list[str]) -> None:
    """The terms the trust would rather host its visits in (none: any); the planner tries those first."""
    _allowed(trust, person)
    unknown = [s for s in seasons if s not in SEASONS]
    if unknown:
        raise BadInput("Select autumn, spring or summer")
    chosen = [s for s in SEASONS if s in seasons]
    trust.preferred_terms = chosen
    session.add(trust)
    audit(session, trust.partnership_id, "preferred_terms_set", actor=person.email, trust=trust.key, terms=chosen)


def reviewers_of(session: Session, trust: Trust) -> list[Person]:
    """The trust's reviewers who have not left, in the order loaded."""
    return [
        p for p in people_in(session, trust.partnership_id, still_here=True) if p.trust_id == trust.id and p.is_reviewer
    ]


def set_reviewer_strands(session: Session, trust: Trust, person: Person, strands: dict[str, list[str]]) -> None:
    """Which strands each of the trust's reviewers reviews (by email; none ticked: any strand)."""
    _allowed(trust, person)
    partnership = get_partnership_by_id(session, trust.partnership_id)
    known = _strands(partnership)
    reviewers = {p.email: p for p in reviewers_of(session, trust)}
    for email, chosen in strands.items():
        if email not in reviewers:
            raise Refused(f"{email} is not one of {trust.name}'s reviewers.")
        if any(s not in known for s in chosen):
            raise BadInput("Select strands of the framework only")
    for email, chosen in strands.items():
        reviewer = reviewers[email]
        ordered = [s for s in known if s in chosen]
        if ordered != list(reviewer.strands):
            audit(
                session,
                partnership.id,
                "reviewer_strands_set",
                actor=person.email,
                person=email,
                before=list(reviewer.strands),
                after=ordered,
            )
            reviewer.strands = ordered
            session.add(reviewer)
