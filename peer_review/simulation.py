"""The demo's simulated participants: simulated time passes, and whoever has a task due does it."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from peer_review import clock, db
from peer_review.service import queries, workflow
from peer_review.service.kinds import KINDS


LEAD_DAYS = 2


def simulate_cycle(
    partnership: str,
    start: dt.date,
    advance: Callable[[str], object],
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    until: dt.date | None = None,
) -> tuple[int, int]:
    """Move simulated time from `start`: on each day something is due, the participants whose tasks
    fall due do them (two days early, on a weekday), then `advance(partnership)` moves every review on.
    Stops when no task is open, or after `until`. Returns (advance calls, tasks done)."""
    today, advances, done = start, 0, 0
    while True:
        clock.set_time(clock.at_london(today, 17))
        advance(partnership)
        advances += 1
        with db.session_scope() as session:
            reviews = queries.status(session, partnership)
            tasks = queries.open_tasks(session, partnership_name=partnership)
        closed = sum(1 for r in reviews if r.stage == "closed")
        progress(f"{today:%d %b %Y}: {closed} of {len(reviews)} reviews closed, {len(tasks)} open tasks", closed, len(reviews))
        if not tasks:
            return advances, done
        today = max(today, min(_acting_day(t.due) for t in tasks))
        if until is not None and today > until:
            return advances, done
        for task in tasks:
            if _acting_day(task.due) <= today:
                clock.set_time(clock.at_london(today, 16))
                with db.session_scope() as session:
                    workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
                done += 1


def _acting_day(due: dt.date) -> dt.date:
    day = due - dt.timedelta(days=LEAD_DAYS)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def answer(ctx: dict) -> dict:
    """A simulated participant's answer to a task, from its kind's registry entry."""
    return KINDS[ctx["kind"]].simulate(ctx)
