"""The outbox's messages: finding, locking, listing and forgetting them (what a message says, and its sending,
is service/outbox.py and service/sending.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from peer_review.store.tables import OutboxMessage


def every_message(session: Session) -> list[OutboxMessage]:
    """Every message, sent or not, oldest first."""
    return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def message_by_key(session: Session, key: str) -> OutboxMessage | None:
    """The message queued for an event (its key names it), if any."""
    return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def pending_ids(session: Session, events: frozenset[str] | None = None) -> list[int]:
    """The ids of the messages waiting to be sent (of `events`, when given), oldest first."""
    query = select(OutboxMessage.id).where(OutboxMessage.status == "pending").order_by(col(OutboxMessage.id))
    if events is not None:
        query = query.where(col(OutboxMessage.event).in_(sorted(events)))
    return list(session.exec(query).all())


def pending_messages(session: Session) -> list[OutboxMessage]:
    """The messages waiting to be sent, oldest first."""
    return list(
        session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(col(OutboxMessage.id)))
    )


def locked_message(session: Session, message_id: int) -> OutboxMessage | None:
    """The message, read again after its row is locked until this transaction ends (an UPDATE that changes
    nothing: a row lock on PostgreSQL, the write lock on SQLite), so of two senders one sends it and the
    other finds it sent. None when the message has gone since its id was read (sign-in emails are deleted when old)."""
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OutboxMessage.status)
        .execution_options(synchronize_session=False)
    )
    return session.get(OutboxMessage, message_id, populate_existing=True)


def delete_sign_in_emails(session: Session, before: dt.datetime) -> None:
    """Sign-in emails asked for before `before` (they hold no text, and their envelope has no later use)."""
    session.exec(
        delete(OutboxMessage).where(col(OutboxMessage.event) == "sign_in", col(OutboxMessage.created_at) < before)
    )


def forget_sent_text(session: Session, before: dt.datetime, now: dt.datetime) -> None:
    """The text of messages sent before `before`, not yet forgotten; their envelopes and keys stay."""
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.body_deleted_at).is_(None), col(OutboxMessage.sent_at) < before)
        .values(text="", html="", ics=None, body_deleted_at=now)
        .execution_options(synchronize_session=False)
    )


def add_message(
    session: Session,
    *,
    key: str,
    partnership_id: int,
    review_id: int | None,
    task_id: int | None,
    event: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    ics: str | None,
    sign_in_request_id: int | None,
    message_id: str,
    created_at: dt.datetime,
) -> OutboxMessage:
    """A message queued in the outbox, added to the session with the change that caused it (outbox.notify)."""
    message = OutboxMessage(
        key=key,
        partnership_id=partnership_id,
        review_id=review_id,
        task_id=task_id,
        event=event,
        recipient=recipient,
        subject=subject,
        text=text,
        html=html,
        ics=ics,
        sign_in_request_id=sign_in_request_id,
        message_id=message_id,
        created_at=created_at,
    )
    session.add(message)
    return message


def keys_starting(session: Session, prefix: str) -> set[str]:
    """The keys of the messages whose key starts with `prefix` (an event's kind and its first parts)."""
    return set(
        session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).startswith(prefix, autoescape=True)))
    )


def latest_by_recipient(session: Session, partnership_id: int, prefix: str) -> dict[str, OutboxMessage]:
    """For each recipient in the partnership, their message with the greatest key starting with `prefix` (keys
    ending in an ISO date: their latest), by email; one query."""
    latest = (
        select(OutboxMessage.recipient, func.max(OutboxMessage.key).label("key"))
        .where(
            col(OutboxMessage.partnership_id) == partnership_id,
            col(OutboxMessage.key).startswith(prefix, autoescape=True),
        )
        .group_by(col(OutboxMessage.recipient))
        .subquery()
    )
    rows = session.exec(select(OutboxMessage).join(latest, col(OutboxMessage.key) == latest.c.key))
    return {row.recipient: row for row in rows}


def delete_pending_starting(
    session: Session, prefix: str, partnership_id: int, since: dt.datetime | None = None
) -> int:
    """Delete the partnership's messages not yet sent whose key starts with `prefix` (queued since `since`, when
    given): what they say should no longer go out. Returns how many."""
    query = delete(OutboxMessage).where(
        col(OutboxMessage.key).startswith(prefix, autoescape=True),
        col(OutboxMessage.partnership_id) == partnership_id,
        col(OutboxMessage.status) == "pending",
    )
    if since is not None:
        query = query.where(col(OutboxMessage.created_at) >= since)
    result = session.exec(query.execution_options(synchronize_session=False))
    return result.rowcount or 0
