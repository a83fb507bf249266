"""The outbox: one row per notification event, written with the change that caused it, and its delivery.

What is kept, and for how long: a message's text waits here until it is sent and for SENT_MAIL_DAYS after
(so a coordinator can see what went out), then only its envelope (event, recipient, subject, times) and
key stay, the key so that a rerun never sends the event again. A sign-in email is never stored with its
link: the link is made as it is sent (`signin.link_for_sending`), and the row itself goes SENT_MAIL_DAYS
after it was asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from peer_review import clock, settings
from peer_review.adapters.email_text import render
from peer_review.adapters.mail import Channel, build_email
from peer_review.store.tables import OutboxMessage, Person, Review, Task


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
    sign_in_request_id: int | None = None,
) -> OutboxMessage:
    """Queue one message for one event; the same key never queues a second one.

    A sign-in email (`sign_in_request_id`) is queued without its text, which is written as it is sent.
    """
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if existing:
        return existing
    text, html = (
        ("", "") if sign_in_request_id else render(event, {"name": person.name, "email": person.email} | context)
    )
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
        sign_in_request_id=sign_in_request_id,
        message_id=f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@peer-review>",
        created_at=clock.now(),
    )
    session.add(row)
    return row


def review_context(session: Session, review: Review) -> dict[str, Any]:
    from peer_review.store.people import trust_of

    visit = clock.date_span(review.visit_start, review.visit_end)
    return {
        "host": trust_of(session, review).name,
        "strand": review.strand_title,
        "visit": visit,
        "review_id": review.id,
    }


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    expired: int = 0  # sign-in emails whose link could no longer be used by the time they were sent: not sent


def deliver(session_factory: Callable[[], Any], channel: Channel, events: frozenset[str] | None = None) -> Delivery:
    """Send every pending message (of `events`, when given), each marked sent in its own transaction after
    it went out; then forget what has been kept long enough (`purge_sent`, `signin.forget_old`).

    A failure is recorded on the row, which stays pending, and the sweep goes on. A crash between
    sending and marking leaves the row pending: it goes again, with the same Message-ID.
    """
    keep_days = settings.sent_mail_days()  # a bad setting stops the sending before anything is sent
    query = select(OutboxMessage.id).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    if events is not None:
        query = query.where(OutboxMessage.event.in_(sorted(events)))
    with session_factory() as session:
        ids = session.exec(query).all()
    sent = failed = expired = 0
    for row_id in ids:
        with session_factory() as session:
            # Another sender (send-outbox on another worker, the reminder sweep) may have the same list: the
            # row is locked before it is read again (an UPDATE that changes nothing: a row lock on PostgreSQL,
            # the write lock on SQLite), so of two senders one sends it and the other finds it sent.
            session.exec(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=OutboxMessage.status)
                .execution_options(synchronize_session=False)
            )
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            if row.status != "pending":
                continue
            try:
                body = _body(session, row)
                if body is None:
                    row.status, row.last_error = (
                        "expired",
                        "not sent: the sign-in link expired, was used, or its person left, before it could be sent",
                    )
                    session.add(row)
                    expired += 1
                    continue
                channel.send(build_email(row, body=body), row)
            except (
                Exception
            ) as exc:  # a refusing or absent server, or one message that cannot be made, must not stop the sweep
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                session.add(row)
                failed += 1
                continue
            row.status, row.sent_at, row.attempts, row.last_error = "sent", clock.now(), row.attempts + 1, ""
            session.add(row)
            sent += 1
    with session_factory() as session:
        from peer_review.service.signin import forget_old

        purge_sent(session, clock.now() - dt.timedelta(days=keep_days))
        forget_old(session, clock.now())  # spent sign-in requests and ended sessions, a day on
    return Delivery(sent, failed, expired)


def _body(session: Session, row: OutboxMessage) -> tuple[str, str] | None:
    """The (text, HTML) to send: as stored, or for a sign-in email written now, since its link is a bearer
    secret; None when a sign-in email must not be sent (its link could no longer be used)."""
    if row.sign_in_request_id is None:
        return row.text, row.html
    from peer_review.service.signin import link_for_sending

    values = link_for_sending(session, row)
    return render(row.event, values) if values is not None else None


def purge_sent(session: Session, before: dt.datetime) -> None:
    """Forget sent messages' text once sent before `before`, and sign-in emails asked for before then
    (they hold no text, and their envelope has no later use). Envelopes and keys of the others stay."""
    now = clock.now()
    session.exec(delete(OutboxMessage).where(OutboxMessage.event == "sign_in", OutboxMessage.created_at < before))
    session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.body_deleted_at.is_(None), OutboxMessage.sent_at < before)
        .values(text="", html="", ics=None, body_deleted_at=now)
        .execution_options(synchronize_session=False)
    )


def pending(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)))
