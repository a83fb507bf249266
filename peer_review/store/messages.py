"""Reads of the outbox's messages (the outbox itself, sending and purging, is service/outbox.py)."""

from __future__ import annotations

from sqlmodel import Session, select

from peer_review.store.tables import OutboxMessage


def every_message(session: Session) -> list[OutboxMessage]:
    """Every message, sent or not, oldest first."""
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
