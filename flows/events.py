"""Telling a Prefect server that someone submitted a task, so the `advance-review` deployment runs."""

from __future__ import annotations

from prefect.events import emit_event
from prefect.events.worker import EventsWorker

SUBMITTED = "peer-review.task.submitted"


def announce_submission(task_id: int, review_id: int, kind: str) -> None:
    """Emit the event the `advance-review` deployment's trigger waits for, and wait until it is sent."""
    emit_event(
        event=SUBMITTED,
        resource={"prefect.resource.id": f"peer-review.review.{review_id}", "peer-review.review-id": str(review_id)},
        payload={"review_id": review_id, "task_id": task_id, "kind": kind},  # a number in the payload stays a number
    )
    EventsWorker.drain_all()
