"""The outbox: one row per notification event, written with the change that caused it (its delivery is
sending.py).

What is kept, and for how long: a message's text waits here until it is sent and for SENT_MAIL_DAYS after
(so a coordinator can see what went out), then only its envelope (event, recipient, subject, times) and
key stay, the key so that a rerun never sends the event again. A sign-in email is never stored with its
link: the link is made as it is sent (`signin.link_for_sending`), and the row itself goes SENT_MAIL_DAYS
after it was asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from peer_review import clock
from peer_review.adapters.email_text import render
from peer_review.store import messages
from peer_review.store.db import Session

if TYPE_CHECKING:
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
    existing = messages.message_by_key(session, key)
    if existing:
        return existing
    text, html = (
        ("", "") if sign_in_request_id else render(event, {"name": person.name, "email": person.email} | context)
    )
    row = messages.add_message(
        session,
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


def purge_sent(session: Session, before: dt.datetime) -> None:
    """Forget sent messages' text once sent before `before`, and sign-in emails asked for before then
    (they hold no text, and their envelope has no later use). Envelopes and keys of the others stay."""
    now = clock.now()
    messages.delete_sign_in_emails(session, before)
    messages.forget_sent_text(session, before, now)


def pending(session: Session) -> list[OutboxMessage]:
    return messages.pending_messages(session)
