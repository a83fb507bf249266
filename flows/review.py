"""Moving reviews on: the engine's sweep (`advance-cycle`, on a schedule) and one review at once
(`advance-review`, when someone submits a task).

Every machine step is one Prefect task run. A sweep claims a batch of reviews from the engine's queue,
looks at each (a review queued with nothing for the machine to do leaves the queue there, without a task
run) and takes the rest on in waves: each wave does the next step of every review still pending, as
parallel task runs (at most PEER_REVIEW_SWEEP_CONCURRENCY at once). Looks and steps re-check under the
review's lock, so sweeps on several workers at once (or a repeated run) do nothing twice; see
service/sweep.py.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.reporting import end_run
from flows.settings import require_worker_settings
from peer_review import settings
from peer_review.errors import UserError
from peer_review.service import sweep
from peer_review.service.isolation import Failures
from peer_review.service.steps import MAX_STEPS, StuckReview
from peer_review.store.db import session_scope

#: Task runs at once in a sweep (each holds one database connection while it runs).
CONCURRENCY = settings.sweep_concurrency()


def _retry_unless_user_error(_task, _task_run, state) -> bool:
    """Retry passing faults (a dropped connection), not problems a person must fix."""
    try:
        state.result()
    except UserError:
        return False
    except Exception:
        return True
    return True


@task(
    name="advance-step",
    task_run_name="advance-step-{review_id}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_retry_unless_user_error,
)
def advance_step(review_id: int) -> tuple[str | None, bool]:
    """Do the review's pending machine step (in its own transaction) and name it (None when there was none),
    and say whether another follows."""
    with session_scope() as session:
        step, more = sweep.advance_one_step(session, review_id)
    return (None if step is None else step.step.value + (f":{step.document.value}" if step.document else "")), more


def take_on(review_ids: list[int]) -> tuple[dict[int, list[str]], Failures]:
    """Move reviews on in waves of parallel step task runs, inside the calling flow, after a look at each
    leaves out those with nothing to do; returns the steps done per review, and the reviews whose step
    failed (the others carry on; each failure's key is its review's id)."""
    done: dict[int, list[str]] = {review_id: [] for review_id in review_ids}
    failures = Failures()
    wave = [review_id for review_id in review_ids if not _waits_on_people(review_id)]
    while wave:
        futures = [(review_id, advance_step.submit(review_id)) for review_id in wave]
        wave = []
        for review_id, future in futures:
            if (result := failures.run(f"review {review_id}", future.result, key=review_id)) is None:
                continue  # one review's fault must not hold up the rest of the programme
            step, more = result
            if step is not None:
                done[review_id].append(step)
            if len(done[review_id]) > MAX_STEPS:  # a step that changes nothing would loop for ever: a bug
                failures.add(f"review {review_id}", StuckReview(review_id, done[review_id]), key=review_id)
            elif more:
                wave.append(review_id)
    return {review_id: steps for review_id, steps in done.items() if steps}, failures


def _waits_on_people(review_id: int) -> bool:
    """A look, not a task run: many queued reviews only wait on people. A look that fails (a dropped
    connection) is left to the step's task run, which looks again and retries passing faults."""
    try:
        with session_scope() as session:
            return sweep.waits_on_people(session, review_id)
    except Exception:
        return False


def sweep_with_tasks(partnership: str | None = None) -> dict[int, list[str]]:
    """Take every queued review (of one partnership, or all) on, batch by batch, inside the calling flow;
    when any failed, raises SweepFailed at the end (carrying what was done), after the others moved on."""
    from prefect.runtime import flow_run

    done: dict[int, list[str]] = {}
    failures = Failures()
    while True:
        with session_scope() as session:
            claimed = sweep.claim(
                session, partnership=partnership, by=f"flow-run/{flow_run.id}" if flow_run.id else None
            )
        if not claimed:
            break
        batch_done, batch_failures = take_on(claimed)
        done |= batch_done
        failures += batch_failures
        with session_scope() as session:  # a failed review keeps its lease: a later sweep tries it again
            sweep.release(session, [review_id for review_id in claimed if review_id not in failures.keys])
    return end_run(failures, done, tracebacks=False)  # a failed step's traceback is in its task run's log


# Prefect's annotation of task_runner refuses its own runners (PrefectHQ/prefect#16938)
@flow(name="advance-cycle", task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY))  # type: ignore[arg-type]
def advance_cycle(partnership: str | None = None, parallel_runs: int = 1, rescan: bool = False) -> dict[int, list[str]]:
    """Move on every review (of one partnership, or of all) with machine work pending; returns the steps done.

    From a deployment, `parallel_runs` above 1 first starts that many more runs minus one of the same
    deployment, for other workers to pick up: the runs share the queue's work between them. `rescan`
    first queues every open review, to look at each (a repair after changes made around the engine).
    """
    require_worker_settings()
    if rescan:
        with session_scope() as session:
            sweep.requeue_open(session, partnership)
    _start_helpers(partnership, parallel_runs - 1)
    return sweep_with_tasks(partnership)


def _start_helpers(partnership: str | None, count: int) -> None:
    from prefect.deployments import run_deployment
    from prefect.runtime import deployment, flow_run

    if count <= 0 or deployment.id is None:
        return
    for i in range(count):  # not subflows: each is its own run, for any worker of the pool
        run_deployment(
            deployment.id,
            parameters={"partnership": partnership, "parallel_runs": 1},
            timeout=0,
            as_subflow=False,
            flow_run_name=f"{flow_run.name}-helper-{i + 1}",
        )


@flow(name="advance-review", flow_run_name="advance-review-{review_id}")
def advance_review(review_id: int) -> list[str]:
    """Run one review's machine steps until it waits on people; returns what was done."""
    require_worker_settings()
    done, failures = take_on([review_id])
    return end_run(failures, done.get(review_id, []), tracebacks=False)
