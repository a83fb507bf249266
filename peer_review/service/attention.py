"""What needs a signed-in person first, for the top of their home page: a coordinator's overdue tasks and
the proposals waiting for answers or to be published; a CEO's proposal waiting for their answer."""

from __future__ import annotations

from dataclasses import dataclass

from peer_review import clock
from peer_review.domain.proposals import Answer
from peer_review.service import proposals
from peer_review.service.access import Viewer
from peer_review.store.attention import overdue_counts
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id, trust_by_id


@dataclass(frozen=True)
class Attention:
    """One thing to look at, in words, with the page where it is done."""

    text: str
    href: str


def needs_attention(session: Session, viewer: Viewer) -> list[Attention]:
    found: list[Attention] = []
    coordinated = sorted(viewer.coordinates)
    overdue = overdue_counts(session, coordinated, clock.today())
    for partnership_id in coordinated:
        partnership = get_partnership_by_id(session, partnership_id)
        count = overdue.get(partnership_id, 0)
        if count:
            found.append(
                Attention(
                    f"{partnership.name}: {count} task{'s' if count != 1 else ''} overdue",
                    f"/partnerships/{partnership_id}#overdue-heading",
                )
            )
        view = proposals.standing(session, partnership)
        if view is None:
            continue
        asked = [a.trust for a in view.answers if a.answer is Answer.CHANGES_ASKED]
        waiting = [a.trust for a in view.answers if a.answer is Answer.WAITING]
        if asked:
            text = f"changes asked by {', '.join(asked)}: propose the cycle again"
        elif waiting:
            text = f"waiting for {', '.join(waiting)} to answer"
        else:
            text = "every trust has confirmed: ready to publish"
        found.append(
            Attention(
                f"{partnership.name}: proposal {view.proposal.number}, {text}",
                f"/partnerships/{partnership_id}/proposal",
            )
        )
    for trust_id in sorted(viewer.ceo_of):
        trust = trust_by_id(session, trust_id)
        if trust is None or trust.partnership_id in viewer.coordinates:
            continue
        view = proposals.standing(session, get_partnership_by_id(session, trust.partnership_id))
        mine = view.answer_of(trust_id) if view else None
        if view and mine and mine.answer is Answer.WAITING:
            found.append(
                Attention(
                    f"{trust.name}: a proposed review cycle is waiting for your answer", f"/trusts/{trust_id}/proposal"
                )
            )
    return found
