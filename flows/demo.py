"""The demo: a whole review cycle for a partnership, with simulated participants, through the flows.

Simulated time moves from the start of the cycle to its end. On each day that something is due,
the participants whose tasks fall due do them (two days early, on a weekday), and then the
`advance-cycle` flow moves every review on as far as the machine can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from peer_review import clock, db
from peer_review.partnerships import LoadedPartnership, default_partnership_path, load_partnership_file
from peer_review.service import loading, planning, queries, workflow
from peer_review.service.documents import export_documents
from peer_review.simulation import answer

from flows.outbox import deliver_outbox
from flows.review import advance_cycle

LEAD_DAYS = 2


@dataclass
class DemoResult:
    partnership: str
    database: str
    out: Path
    reviews: list[queries.ReviewStatus]
    documents: list[Path]
    flow_runs: int
    tasks_done: int
    emails: int


def _acting_day(due: dt.date) -> dt.date:
    day = due - dt.timedelta(days=LEAD_DAYS)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def run_demo(
    partnership_file: str | Path | None = None,
    framework: str | Path | None = None,
    out: str | Path = "demo-output",
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    database: str | None = None,
    until: dt.date | None = None,
) -> DemoResult:
    """Run the cycle into a fresh SQLite file in `out`, or into `database` (which must hold no such partnership).

    With `until`, the simulated participants stop working after that date, leaving the cycle part-way.
    """
    path = Path(partnership_file) if partnership_file else default_partnership_path()
    loaded = load_partnership_file(path, framework)  # every check before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.docx"), *out.glob("emails/*.eml")]:
        old.unlink()
    if database is None:
        sqlite_file = out / "peer-review.db"
        for stale in (sqlite_file, Path(f"{sqlite_file}-wal"), Path(f"{sqlite_file}-shm")):
            stale.unlink(missing_ok=True)
        database = f"sqlite:///{sqlite_file.resolve()}"
    url = database
    db.configure(url)
    try:
        return _simulate(loaded, out, url, progress, until)
    finally:
        db.configure(None)
        clock.set_time(None)


def _simulate(loaded: LoadedPartnership, out: Path, url: str, progress, until: dt.date | None = None) -> DemoResult:
    clock.set_time(clock.at_london(loaded.spec.cycle.start, 9))  # the coordinator loads and plans on the cycle's first day
    with db.session_scope() as session:
        name = loading.store_partnership(session, loaded).name
        plan = planning.plan_cycle(session, name)
        total = len(queries.status(session, name))
    today = plan.start
    flow_runs = tasks_done = 0
    # Heartbeats detect crashed runs on workers; in-process they only add a second per flow run.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        while True:
            clock.set_time(clock.at_london(today, 17))
            advance_cycle(name)
            flow_runs += 1
            with db.session_scope() as session:
                reviews = queries.status(session, name)
                tasks = queries.open_tasks(session, partnership_name=name)
            closed = sum(1 for r in reviews if r.stage == "closed")
            progress(f"{today:%d %b %Y}: {closed} of {total} reviews closed, {len(tasks)} open tasks", closed, total)
            if not tasks:
                break
            today = max(today, min(_acting_day(t.due) for t in tasks))
            if until is not None and today > until:
                break
            for task in tasks:
                if _acting_day(task.due) <= today:
                    clock.set_time(clock.at_london(today, 16))
                    with db.session_scope() as session:
                        workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
                    tasks_done += 1
    emails = deliver_outbox(str(out / "emails"))
    with db.session_scope() as session:
        documents = export_documents(session, out)
        reviews = queries.status(session, name)
    return DemoResult(name, url, out, reviews, documents, flow_runs, tasks_done, emails)
