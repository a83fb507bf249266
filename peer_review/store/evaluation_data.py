"""What the evaluation counts that nothing else reads: every moderation judgement, the feedback survey's
answers and the development actions of one partnership, each in one query however many reviews it has."""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import col, select

from peer_review.store.db import Session
from peer_review.store.tables import (
    DevelopmentAction,
    FeedbackResponse,
    LineOfEnquiry,
    Review,
    SelfEvaluationJudgement,
)


def partnership_actions(session: Session, partnership_id: int) -> list[DevelopmentAction]:
    """The partnership's development actions, trust by trust, in the order made."""
    return list(
        session.exec(
            select(DevelopmentAction)
            .where(DevelopmentAction.partnership_id == partnership_id)
            .order_by(col(DevelopmentAction.trust_id), col(DevelopmentAction.id))
        ).all()
    )


def judgements_with_titles(session: Session, partnership_id: int) -> list[tuple[SelfEvaluationJudgement, str | None]]:
    """Every round's judgement on the partnership's reviews (cancelled ones too), each with the title of its
    agreed line (None where the review's agreed round has no line of that number)."""
    return list(
        session.exec(
            select(SelfEvaluationJudgement, LineOfEnquiry.title)
            .join(Review, col(Review.id) == SelfEvaluationJudgement.review_id)
            .outerjoin(
                LineOfEnquiry,
                and_(
                    col(LineOfEnquiry.review_id) == Review.id,
                    col(LineOfEnquiry.round) == Review.lines_round,
                    col(LineOfEnquiry.number) == SelfEvaluationJudgement.line_number,
                ),
            )
            .where(Review.partnership_id == partnership_id)
        )
    )


def feedback_responses(session: Session, partnership_id: int) -> list[FeedbackResponse]:
    """Every answer to the per-review feedback survey on the partnership's reviews."""
    return list(
        session.exec(
            select(FeedbackResponse)
            .join(Review, col(Review.id) == FeedbackResponse.review_id)
            .where(Review.partnership_id == partnership_id)
        ).all()
    )
