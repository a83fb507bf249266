"""Areas for development followed up (the host trust's actions and the progress recorded on them) and good
practice shared in the library."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from peer_review.domain.lifecycle import Stage
from peer_review.store.tables import (
    ActionProgress,
    DevelopmentAction,
    EvidenceItem,
    Finding,
    LineOfEnquiry,
    Review,
    Trust,
)

# --- areas for development followed up ------------------------------------------------------------


def finding_ids_with_actions(session: Session, review_id: int) -> set[int]:
    """The findings of a review that already have an action (a finding has at most one)."""
    return set(session.exec(select(DevelopmentAction.finding_id).where(DevelopmentAction.review_id == review_id)).all())


def actions_of_trust(session: Session, trust_id: int, visited_before: dt.date | None = None) -> list[DevelopmentAction]:
    """A trust's actions in visit order (then as created): all of them, or those from reviews visited before
    that day."""
    query = (
        select(DevelopmentAction)
        .join(Review, col(Review.id) == DevelopmentAction.review_id)
        .where(DevelopmentAction.trust_id == trust_id)
        .order_by(col(Review.visit_start), col(DevelopmentAction.id))
    )
    if visited_before is not None:
        query = query.where(Review.visit_start < visited_before)
    return list(session.exec(query))


def actions_of_review(session: Session, review_id: int) -> list[DevelopmentAction]:
    """The actions a review's issued report gave its host trust, as created."""
    return list(
        session.exec(
            select(DevelopmentAction)
            .where(DevelopmentAction.review_id == review_id)
            .order_by(col(DevelopmentAction.id))
        )
    )


def last_visit_of(session: Session, host_trust_id: int) -> int | None:
    """The id of a trust's review with the latest visit among those going ahead (by strand order on the same day)."""
    return session.exec(
        select(Review.id)
        .where(Review.host_trust_id == host_trust_id, Review.stage != Stage.CANCELLED.value)
        .order_by(col(Review.visit_start).desc(), col(Review.position).desc())
    ).first()


def progress_of(session: Session, action_ids: list[int]) -> list[tuple[ActionProgress, str]]:
    """Every progress recorded on these actions with the strand of the review it was recorded at, oldest first."""
    return list(
        session.exec(
            select(ActionProgress, Review.strand_title)
            .join(Review, col(Review.id) == ActionProgress.review_id)
            .where(col(ActionProgress.action_id).in_(action_ids))
            .order_by(col(ActionProgress.recorded_at), col(ActionProgress.id))
        )
    )


def reviews_by_id(session: Session, review_ids: set[int]) -> dict[int, Review]:
    """These reviews, by id (one query)."""
    return {r.id: r for r in session.exec(select(Review).where(col(Review.id).in_(review_ids)))}


def actions_by_id(session: Session, action_ids: list[int]) -> dict[int, DevelopmentAction]:
    """These actions, by id; no query for none."""
    if not action_ids:
        return {}
    return {a.id: a for a in session.exec(select(DevelopmentAction).where(col(DevelopmentAction.id).in_(action_ids)))}


# --- good practice shared -------------------------------------------------------------------------


def _shared():
    """The conditions for a finding to be in the library."""
    return and_(
        col(Finding.kind) == "good_practice",
        col(Finding.status) == "supported",
        col(Review.issued_on).is_not(None),
        col(Review.good_practice_consent).is_(True),
    )


def _like(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere: `%`, `_` and the escape character mean themselves."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def shared_good_practice(
    session: Session,
    covering: list[tuple[int, str]] | None = None,
    strand: str | None = None,
    search: str | None = None,
) -> list[tuple]:
    """(text, evidence refs, review id, partnership id, strand id, strand title, issued on, trust name, line
    title) of the good practice shared, newest report first, in one query: only in the (partnership id, strand id)
    pairs `covering` when given, only in `strand` when given, and with `search` (ignoring case) in its text,
    its line of enquiry, its strand or its trust's name."""
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for 4 columns at most (sqlmodel#271)
            Finding.text,
            Finding.evidence,
            Review.id,
            Review.partnership_id,
            Review.strand_id,
            Review.strand_title,
            Review.issued_on,
            Trust.name,
            LineOfEnquiry.title,
        )
        .join(Review, col(Review.id) == Finding.review_id)
        .join(Trust, col(Trust.id) == Review.host_trust_id)
        .outerjoin(
            LineOfEnquiry,
            and_(
                col(LineOfEnquiry.review_id) == Review.id,
                col(LineOfEnquiry.round) == Review.lines_round,
                col(LineOfEnquiry.number) == Finding.line_number,
            ),
        )
        .where(_shared())
        .order_by(col(Review.issued_on).desc(), col(Review.id).desc(), col(Finding.id))
    )
    if covering is not None:
        query = query.where(
            or_(
                false(),
                *(and_(col(Review.partnership_id) == pid, col(Review.strand_id) == sid) for pid, sid in covering),
            )
        )
    if strand is not None:
        query = query.where(Review.strand_id == strand)
    if search and search.strip():
        pattern = _like(search.strip())
        query = query.where(
            or_(
                *(
                    col(column).ilike(pattern, escape="\\")
                    for column in (Finding.text, LineOfEnquiry.title, Review.strand_title, Trust.name)
                )
            )
        )
    return list(session.exec(query).all())


def evidence_types(session: Session, review_ids: list[int]) -> dict[tuple[int, str], str]:
    """The type of each evidence item of these reviews, by (review id, ref); no query for none."""
    types: dict[tuple[int, str], str] = {}
    if review_ids:
        for review_id, ref, type_ in session.exec(
            select(EvidenceItem.review_id, EvidenceItem.ref, EvidenceItem.type).where(
                col(EvidenceItem.review_id).in_(review_ids)
            )
        ):
            types[(review_id, ref)] = type_
    return types


def strands_with_shared_good_practice(session: Session) -> dict[str, str]:
    """(strand id: title) of the strands that have shared good practice."""
    rows = session.exec(
        select(Review.strand_id, Review.strand_title)
        .join(Finding, col(Finding.review_id) == Review.id)
        .where(_shared())
        .distinct()
    )
    return dict(rows.all())


# --- making actions and their progress -----------------------------------------------------------


def add_development_action(
    session: Session,
    *,
    partnership_id: int,
    trust_id: int,
    review_id: int,
    finding_id: int,
    text: str,
    created_at: dt.datetime,
) -> DevelopmentAction:
    """A supported area for development as an action its host trust owns, added to the session (follow_up)."""
    action = DevelopmentAction(
        partnership_id=partnership_id,
        trust_id=trust_id,
        review_id=review_id,
        finding_id=finding_id,
        text=text,
        created_at=created_at,
    )
    session.add(action)
    return action


def add_action_progress(
    session: Session,
    *,
    action_id: int,
    review_id: int,
    task_id: int,
    occasion: str,
    status: str,
    evidence: str,
    recorded_at: dt.datetime,
) -> ActionProgress:
    """The host's account of an action's progress, added to the session (kinds/record_progress.py)."""
    progress = ActionProgress(
        action_id=action_id,
        review_id=review_id,
        task_id=task_id,
        occasion=occasion,
        status=status,
        evidence=evidence,
        recorded_at=recorded_at,
    )
    session.add(progress)
    return progress
