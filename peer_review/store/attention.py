"""What a coordinator's home page reads first: how many of their partnership's tasks are overdue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import col, select

from peer_review.store.db import Session
from peer_review.store.tables import Review, Task


def overdue_counts(session: Session, partnership_ids: list[int], today: dt.date) -> dict[int, int]:
    """Open tasks past their due date, by partnership (partnerships with none left out)."""
    if not partnership_ids:
        return {}
    rows = session.exec(
        select(Review.partnership_id, func.count(col(Task.id)))
        .join(Review, col(Review.id) == col(Task.review_id))
        .where(Task.status == "open", col(Task.due) < today, col(Review.partnership_id).in_(partnership_ids))
        .group_by(col(Review.partnership_id))
    ).all()
    return {partnership_id: count for partnership_id, count in rows}
