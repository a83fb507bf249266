"""Sending the notifications in the outbox (a Prefect flow; the sending itself is in peer_review)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.reporting import end_run
from flows.settings import require_worker_settings
from peer_review.adapters.mail import FolderChannel, channel_from_environment
from peer_review.service.sending import deliver
from peer_review.store.db import session_scope


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
    """Queue today's reminders, escalations and digests (Europe/London), each partnership's in a transaction
    of its own, then send them. A partnership whose work fails is left out, and the run fails at the end
    naming it (SweepFailed), after the others' mail is sent."""
    from peer_review.service.reminders import sweep

    require_worker_settings(mail=True)
    queued = sweep(session_scope)
    sent = deliver(session_scope, channel_from_environment()).sent
    return end_run(
        queued.failures,
        {
            "reminders": queued.reminders,
            "escalations": queued.escalations,
            "digests": queued.digests,
            "timetables": queued.timetables,
            "sent": sent,
        },
    )
