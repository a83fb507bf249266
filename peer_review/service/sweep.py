"""The engine's sweep: find the reviews with machine work (one indexed query on the MachineWork queue),
claim a batch with a lease, and take each on one step at a time until it waits on people.

Several sweeps at once (threads, processes, workers on other machines) share the queue: a claim skips rows
another sweep holds, and every step runs under the review's lock after re-checking it is still pending, so
no step is done twice. A sweep killed part-way leaves its claimed rows to the next sweep once the lease ends.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from typing import Any

from peer_review import settings
from peer_review.domain.model import NextStep, next_step
from peer_review.service.isolation import Failures
from peer_review.service.steps import (
    MAX_STEPS,
    STEPS,
    StuckReview,
    lock_review,
    review_view,
)
from peer_review.store import machine_work, reviews
from peer_review.store.db import Session
from peer_review.store.machine_work import queue
from peer_review.store.people import get_partnership
from peer_review.store.reviews import get_review

#: How long a sweep may hold a claimed review before another sweep may take it (a killed worker's rows).
LEASE = dt.timedelta(seconds=settings.sweep_lease_seconds())
#: Reviews claimed at once: one claim query per batch, and a killed worker delays at most this many.
BATCH = 100


def requeue_open(session: Session, partnership: str | None = None) -> int:
    """Queue every open review (of one partnership, or all), for the next sweep to look at each: a repair
    after changes the engine did not see (a fix made in SQL, a process older than the queue). Returns how many."""
    partnership_id = get_partnership(session, partnership).id if partnership is not None else None
    review_ids = reviews.open_review_ids(session, partnership_id)
    queue(session.connection(), review_ids)
    return len(review_ids)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def claim(session: Session, limit: int = BATCH, partnership: str | None = None, by: str | None = None) -> list[int]:
    """Take up to `limit` queued reviews no other sweep holds (or whose holder's lease ran out), lowest id first.

    On PostgreSQL, rows another sweep is claiming at this moment are skipped, not waited for."""
    now = _now()
    partnership_id = get_partnership(session, partnership).id if partnership is not None else None
    return machine_work.claim_free(
        session, limit, now, now + LEASE, by or f"{socket.gethostname()}:{os.getpid()}", partnership_id
    )


def release(session: Session, review_ids: list[int]) -> None:
    """Hand back claimed reviews still queued (one changed again while it was being taken on)."""
    if review_ids:  # rows locked in review order, as every other writer of the queue does
        machine_work.release_claims(session, review_ids)


def advance_one_step(session: Session, review_id: int) -> tuple[NextStep | None, bool]:
    """Do the review's pending machine step, if any, under its lock; returns it, and whether another follows.

    When none follows, the review leaves the queue in the same transaction (unless something else changed it
    since this look at it), so a review taken on costs one transaction per step and no extra look."""
    token = _lock_and_token(session, review_id)
    review = get_review(session, review_id)
    step = next_step(review_view(session, review))
    if step is not None:
        STEPS[step.step](session, review, step)
        session.flush()
        if next_step(review_view(session, review)) is not None:
            return step, True
    _settle(session, review_id, token)
    return step, False


def waits_on_people(session: Session, review_id: int) -> bool:
    """Whether the review has no machine step pending (looked at under its lock); if so it leaves the queue
    in this transaction, unless something changed it since. A sweep looks first, so a queued review with
    nothing to do (a peer accepted, others have still to answer) costs no step task run."""
    token = _lock_and_token(session, review_id)
    if next_step(review_view(session, get_review(session, review_id))) is not None:
        return False
    _settle(session, review_id, token)
    return True


def _lock_and_token(session: Session, review_id: int) -> int | None:
    lock_review(session, review_id)
    return machine_work.token_of(session, review_id)


def _settle(session: Session, review_id: int, token: int | None) -> None:
    """Off the queue at commit (what this transaction did is accounted for), unless its token moved meanwhile."""
    settled = session.info.setdefault("settled_reviews", {})
    if token is not None:
        settled[review_id] = token
    else:
        settled.setdefault(review_id, None)


def advance_review(session_factory: Callable[[], Any], review_id: int) -> list[NextStep]:
    """Run machine steps, each in its own transaction, until the review waits on people; returns them."""
    done: list[NextStep] = []
    while True:
        with session_factory() as session:
            step, more = advance_one_step(session, review_id)
        if step is not None:
            done.append(step)
        if not more:
            return done
        if len(done) > MAX_STEPS:  # a step that changes nothing would loop for ever: a bug, reported as such
            raise StuckReview(review_id, done)


class Swept(dict[int, list[NextStep]]):
    """The steps a sweep did, per review it moved on, and the reviews that failed (`failures`)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = Failures()


def sweep(session_factory: Callable[[], Any], partnership: str | None = None, batch: int = BATCH) -> Swept:
    """Take every queued review on, batch by batch, in this process: the engine without Prefect (what the
    flows are measured against, and what the tests' simulated pilots use).

    A review whose step fails (bad stored data, a bug) is logged and listed in the result's `failures`, the
    failed step rolled back; the others carry on. It keeps its lease, so the next sweep after the lease
    ends tries it again (and this one does not claim it twice)."""
    done = Swept()
    while True:
        with session_factory() as session:
            claimed = claim(session, batch, partnership)
        if not claimed:
            return done
        for review_id in claimed:
            if steps := done.failures.run(
                f"review {review_id}", advance_review, session_factory, review_id, key=review_id
            ):
                done.setdefault(review_id, []).extend(steps)
        with session_factory() as session:
            release(session, [review_id for review_id in claimed if review_id not in done.failures.keys])
