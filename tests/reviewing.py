"""Moving a review on in tests as its people would, through the service layer (no Prefect, no web):
its open tasks, and one of them done with the simulated participants' answer."""

from __future__ import annotations

from peer_review.demo.simulation import answer
from peer_review.service import queries, workflow
from peer_review.store import db


def open_tasks(review_id: int = 1) -> list[queries.TaskRow]:
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def do(task: queries.TaskRow) -> None:
    """The task answered by its assignee, then the review moved on as far as the machine can."""
    with db.session_scope() as session:
        workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
    workflow.advance_review(db.session_scope, task.review_id)
