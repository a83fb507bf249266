"""Sending the outbox: each pending message through a channel (adapters/mail.py), a sign-in email with its link
made as it goes (signin.link_for_sending); then forgetting what has been kept long enough.

Apart from the outbox (outbox.py), which queues messages, and from signing in (signin.py), which queues a
sign-in email there: sending needs both, so it sits above them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peer_review import clock, settings
from peer_review.adapters.email_text import render
from peer_review.adapters.mail import Channel, build_email
from peer_review.service.outbox import purge_sent
from peer_review.service.signin import forget_old, link_for_sending
from peer_review.store import messages
from peer_review.store.db import Session

if TYPE_CHECKING:
    from peer_review.store.tables import OutboxMessage


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    expired: int = 0  # sign-in emails whose link could no longer be used by the time they were sent: not sent


def deliver(session_factory: Callable[[], Any], channel: Channel, events: frozenset[str] | None = None) -> Delivery:
    """Send every pending message (of `events`, when given), each marked sent in its own transaction after
    it went out; then forget what has been kept long enough (`outbox.purge_sent`, `signin.forget_old`).

    A failure is recorded on the row, which stays pending, and the sweep goes on. A crash between
    sending and marking leaves the row pending: it goes again, with the same Message-ID.
    """
    keep_days = settings.sent_mail_days()  # a bad setting stops the sending before anything is sent
    with session_factory() as session:
        ids = messages.pending_ids(session, events)
    sent = failed = expired = 0
    for row_id in ids:
        with session_factory() as session:
            # Another sender (send-outbox on another worker, the reminder sweep) may have the same list: the
            # row is locked before it is read again, so of two senders one sends it and the other finds it sent.
            row = messages.locked_message(session, row_id)
            if row is None or row.status != "pending":  # sent by the other, or a sign-in email purged meanwhile
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
        purge_sent(session, clock.now() - dt.timedelta(days=keep_days))
        forget_old(session, clock.now())  # spent sign-in requests and ended sessions, a day on
    return Delivery(sent, failed, expired)


def _body(session: Session, row: OutboxMessage) -> tuple[str, str] | None:
    """The (text, HTML) to send: as stored, or for a sign-in email written now, since its link is a bearer
    secret; None when a sign-in email must not be sent (its link could no longer be used)."""
    if row.sign_in_request_id is None:
        return row.text, row.html
    values = link_for_sending(session, row)
    return render(row.event, values) if values is not None else None
