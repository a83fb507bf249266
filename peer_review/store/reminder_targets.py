"""Whom the daily reminder sweep may write to: the partnerships in turn, and each one's open tasks with their people."""

from __future__ import annotations

from sqlmodel import col, select

from peer_review.store.db import Session
from peer_review.store.tables import Partnership, Person, Review, Task


def partnerships_in_order(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every partnership, in the order loaded."""
    return list(session.exec(select(Partnership.id, Partnership.name).order_by(col(Partnership.id))).all())


def open_tasks_with_people(session: Session, partnership_id: int) -> list[tuple[Task, Review, Person]]:
    """The partnership's open tasks, oldest first, each with its review and its assignee."""
    return list(
        session.exec(
            select(Task, Review, Person)
            .join(Review, col(Review.id) == Task.review_id)
            .join(Person, col(Person.id) == Task.assignee_id)
            .where(Review.partnership_id == partnership_id, Task.status == "open")
            .order_by(col(Task.id))
        ).all()
    )
