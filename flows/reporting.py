"""The end of a flow run whose sweep carried on past failures (peer_review.service.isolation): each failure
is written to the run's log, and the run fails naming them, after the others' work is done."""

from __future__ import annotations

from typing import TypeVar

from peer_review.errors import UserError
from peer_review.service.isolation import Failures, SweepFailed

T = TypeVar("T")


def end_run(failures: Failures, done: T, tracebacks: bool = True) -> T:
    """`done`, or SweepFailed carrying it. `tracebacks`: each failure's goes to the run's log too (not for
    failed task runs, whose own log has it)."""
    if failures:
        from prefect.exceptions import MissingContextError
        from prefect.logging import get_run_logger

        try:
            logger = get_run_logger()
        except MissingContextError:  # the flow's function called directly: the service layer's log has them
            return SweepFailed.check(failures, done)
        for failure in failures:
            error = failure.error if tracebacks and not isinstance(failure.error, UserError) else None
            logger.error("%s failed: %s", failure.unit, failure.reason, exc_info=error)
    return SweepFailed.check(failures, done)
