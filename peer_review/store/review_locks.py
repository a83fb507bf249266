"""Taking turns on a review: its row lock, held until the transaction ends, and the claim of one of its tasks
(of two answers sent at once, one wins)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from peer_review.domain.model import TaskStatus
from peer_review.store.tables import Review, Task


def lock_review(session: Session, review_id: int) -> None:
    """Hold the review's row until this transaction ends, with an UPDATE that changes nothing, then forget what
    the session read (it may be stale after the wait).

    A write is the one statement that waits for a lock on both databases with no dialect-specific code:
    PostgreSQL locks the row; Python's sqlite3 begins a transaction just before its first write, so on
    SQLite this statement takes the database's write lock, waiting (the busy timeout) while another
    writer holds it."""
    session.exec(
        update(Review)
        .where(col(Review.id) == review_id)
        .values(stage=Review.stage)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def claim_open_task(session: Session, task_id: int) -> bool:
    """Mark the task done if it is still open (a conditional UPDATE); False when another answer took it first:
    the database lets one of two at once through, and the other waits for it, then finds it taken."""
    return (
        session.exec(
            update(Task)
            .where(col(Task.id) == task_id, col(Task.status) == TaskStatus.OPEN.value)
            .values(status=TaskStatus.DONE.value)
        ).rowcount
        == 1
    )
