"""Advance reviews as far as the machine can take them, stopping wherever a review waits on people.

Each machine step is a Prefect task with retries. A step re-checks that it is still the pending one
before it acts, so running a flow twice (or two flows at once) creates nothing twice.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from peer_review.db import session_scope
from peer_review.domain.model import DocumentKind, NextStep, Step
from peer_review.errors import UserError
from peer_review.service import workflow
from peer_review.service.queries import status
from peer_review.service.steps import MAX_STEPS, StuckReview


def _retry_unless_user_error(_task, _task_run, state) -> bool:
    """Retry passing faults (a dropped connection), not problems a person must fix."""
    try:
        state.result()
    except UserError:
        return False
    except Exception:
        return True
    return True


def _step_task(step: Step, name: str):
    @task(name=name, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, retry_condition_fn=_retry_unless_user_error)
    def run(review_id: int, document: str | None = None) -> bool:
        with session_scope() as session:
            return workflow.run_step(session, review_id, NextStep(step, DocumentKind(document) if document else None))

    return run


open_review = _step_task(Step.OPEN_REVIEW, "open-review")
open_tasks = _step_task(Step.OPEN_TASKS, "open-people-tasks")
render_document = _step_task(Step.RENDER_DOCUMENT, "render-document")
close_stage = _step_task(Step.CLOSE_STAGE, "close-stage")

TASKS = {
    Step.OPEN_REVIEW: open_review,
    Step.OPEN_TASKS: open_tasks,
    Step.RENDER_DOCUMENT: render_document,
    Step.CLOSE_STAGE: close_stage,
}


def pending(review_id: int) -> NextStep | None:
    with session_scope() as session:
        return workflow.pending_step(session, review_id)


@flow(name="advance-review", flow_run_name="advance-review-{review_id}")
def advance_review(review_id: int) -> list[str]:
    """Run the review's machine steps until it waits on people; returns what was done."""
    done: list[str] = []
    while (step := pending(review_id)) is not None:
        if len(done) >= MAX_STEPS:  # a step that changes nothing would loop for ever
            raise StuckReview(review_id, done)
        document = step.document.value if step.document else None
        TASKS[step.step](review_id, document)
        done.append(step.step.value + (f":{document}" if document else ""))
    return done


@flow(name="advance-cycle")
def advance_cycle(partnership: str | None = None) -> dict[int, list[str]]:
    """Advance every review of a partnership (or of all partnerships) that has machine work pending."""
    with session_scope() as session:
        review_ids = [r.id for r in status(session, partnership)]
    return {review_id: advance_review(review_id) for review_id in review_ids if pending(review_id) is not None}
