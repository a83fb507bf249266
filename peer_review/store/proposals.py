"""Proposed cycles and their answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from peer_review.domain.proposals import ProposalStatus
from peer_review.store.db import Session
from peer_review.store.tables import CycleProposal, Partnership, ProposalAnswer


def standing_proposal(session: Session, partnership_id: int) -> CycleProposal | None:
    """The proposal CEOs are answering now, if any (at most one stands)."""
    return session.exec(
        select(CycleProposal).where(
            CycleProposal.partnership_id == partnership_id, CycleProposal.status == ProposalStatus.PROPOSED.value
        )
    ).first()


def proposals_of(session: Session, partnership_id: int) -> list[CycleProposal]:
    """Every proposal of the partnership, first first."""
    return list(
        session.exec(
            select(CycleProposal)
            .where(CycleProposal.partnership_id == partnership_id)
            .order_by(col(CycleProposal.number))
        ).all()
    )


def proposal_or_none(session: Session, proposal_id: int) -> CycleProposal | None:
    return session.get(CycleProposal, proposal_id)


def answers_to(session: Session, proposal_ids: list[int]) -> list[ProposalAnswer]:
    """The trusts' answers to these proposals, by proposal then trust."""
    if not proposal_ids:
        return []
    return list(
        session.exec(
            select(ProposalAnswer)
            .where(col(ProposalAnswer.proposal_id).in_(proposal_ids))
            .order_by(col(ProposalAnswer.proposal_id), col(ProposalAnswer.trust_id))
        ).all()
    )


def answer_of(session: Session, proposal_id: int, trust_id: int) -> ProposalAnswer | None:
    return session.exec(
        select(ProposalAnswer).where(ProposalAnswer.proposal_id == proposal_id, ProposalAnswer.trust_id == trust_id)
    ).first()


def lock_partnership(session: Session, partnership_id: int) -> None:
    """Take turns on a partnership's proposals (proposing, answering, publishing): hold its row until this
    transaction ends, then forget what was read before the wait (as review_locks.lock_review does for a review)."""
    session.exec(
        update(Partnership)
        .where(col(Partnership.id) == partnership_id)
        .values(name=Partnership.name)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def add_proposal(session: Session, **columns: Any) -> CycleProposal:
    """A proposed cycle (columns as the table's), flushed for its id (the trusts' answers refer to it)."""
    proposal = CycleProposal(**columns)
    session.add(proposal)
    session.flush()
    return proposal


def add_answer(session: Session, **columns: Any) -> ProposalAnswer:
    """A trust's answer to a proposal, waiting or carried over from the last one."""
    answer = ProposalAnswer(**columns)
    session.add(answer)
    return answer
