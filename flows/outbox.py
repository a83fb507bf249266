"""Sending the notifications in the outbox (a Prefect flow; the sending itself is in peer_review)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.settings import require_worker_settings
from peer_review.channels import FolderChannel, channel_from_environment
from peer_review.db import session_scope
from peer_review.service.outbox import deliver


@flow(name="send-outbox")
def deliver_outbox(folder: str | None = None) -> int:
    """Deliver every pending message (to `folder` as .eml files, else by the configured channel).

    Failures stay queued with their error. Returns how many went.
    """
    require_worker_settings(mail=folder is None)
    channel = FolderChannel(Path(folder)) if folder else channel_from_environment()
    return deliver(session_scope, channel).sent


@flow(name="reminder-sweep")
def reminder_sweep() -> dict[str, int]:
    """Queue today's reminders, escalations and digests (Europe/London), then send them."""
    from peer_review.service.reminders import sweep

    require_worker_settings(mail=True)
    with session_scope() as session:
        queued = sweep(session)
    sent = deliver(session_scope, channel_from_environment()).sent
    return {"reminders": queued.reminders, "escalations": queued.escalations, "digests": queued.digests, "sent": sent}
