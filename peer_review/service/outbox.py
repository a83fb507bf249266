"""The outbox: one row per notification event, written with the change that caused it, and its delivery."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import update
from sqlmodel import Session, select

from peer_review import clock
from peer_review.channels import Channel, build_email
from peer_review.notifications import render
from peer_review.tables import OutboxMessage, Person, Review, Task


def notify(
    session: Session,
    key: str,
    event: str,
    person: Person,
    subject: str,
    context: dict,
    review: Review | None = None,
    task: Task | None = None,
    ics: bytes | None = None,
) -> OutboxMessage:
    """Queue one message for one event; the same key never queues a second one."""
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if existing:
        return existing
    text, html = render(event, {"name": person.name, "email": person.email} | context)
    row = OutboxMessage(
        key=key,
        partnership_id=person.partnership_id,
        review_id=review.id if review else None,
        task_id=task.id if task else None,
        event=event,
        recipient=person.email,
        subject=subject,
        text=text,
        html=html,
        ics=ics.decode() if ics else None,
        message_id=f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@peer-review>",
        created_at=clock.now(),
    )
    session.add(row)
    return row


def review_context(session: Session, review: Review) -> dict[str, Any]:
    from peer_review.service.common import trust_of

    visit = clock.date_span(review.visit_start, review.visit_end)
    return {"host": trust_of(session, review).name, "strand": review.strand_title, "visit": visit, "review_id": review.id}


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


def deliver(session_factory: Callable[[], Any], channel: Channel) -> Delivery:
    """Send every pending message, each marked sent in its own transaction after it went out.

    A failure is recorded on the row, which stays pending, and the sweep goes on. A crash between
    sending and marking leaves the row pending: it goes again, with the same Message-ID.
    """
    with session_factory() as session:
        ids = session.exec(select(OutboxMessage.id).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)).all()
    sent = failed = 0
    for row_id in ids:
        with session_factory() as session:
            # Another sender (send-outbox on another worker, the reminder sweep) may have the same list: the
            # row is locked before it is read again (an UPDATE that changes nothing: a row lock on PostgreSQL,
            # the write lock on SQLite), so of two senders one sends it and the other finds it sent.
            session.exec(update(OutboxMessage).where(OutboxMessage.id == row_id).values(status=OutboxMessage.status).execution_options(synchronize_session=False))
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            if row.status != "pending":
                continue
            try:
                channel.send(build_email(row), row)
            except Exception as exc:  # a refusing or absent server must not stop the sweep
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                session.add(row)
                failed += 1
                continue
            row.status, row.sent_at, row.attempts, row.last_error = "sent", clock.now(), row.attempts + 1, ""
            session.add(row)
            sent += 1
    return Delivery(sent, failed)


def pending(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)))
