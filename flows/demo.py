"""The demo: a whole review cycle for a partnership, with simulated participants, through the flows.

Simulated time moves from the start of the cycle to its end. On each day that something is due,
the participants whose tasks fall due do them (two days early, on a weekday), and then the
`advance-cycle` flow moves every review on as far as the machine can. Around the cycle, everyone
answers the baseline and end-of-cycle surveys, and at the end the evaluation report is written.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from prefect import flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows.outbox import deliver_outbox
from flows.review import sweep_with_tasks
from peer_review import clock
from peer_review.demo import folder as demo_folder
from peer_review.demo.simulation import run_pilot, start_pilot
from peer_review.files.partnerships import (
    LoadedPartnership,
    default_partnership_path,
    load_partnership_file,
)
from peer_review.service import evaluation, queries
from peer_review.service.documents import export_documents
from peer_review.service.evaluation import Render
from peer_review.store import db
from peer_review.store.people import get_partnership


@dataclass
class DemoResult:
    partnership: str
    database: str
    out: Path
    reviews: list[queries.ReviewStatus]
    documents: list[Path]
    advances: int
    tasks_done: int
    emails: int
    evaluation: list[Path]


def run_demo(
    partnership_file: str | Path | None = None,
    framework: str | Path | None = None,
    out: str | Path = "demo-output",
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    database: str | None = None,
    until: dt.date | None = None,
    render: Render | None = None,
) -> DemoResult:
    """Run the cycle into a fresh SQLite file in `out`, or into `database` (which must hold no such partnership).

    `out` must be new, empty or an earlier demo's (see demo_folder): only the demo's own files there are replaced.

    With `until`, the simulated participants stop working after that date, leaving the cycle part-way.
    `render` builds the evaluation's Word report (see report_builder.ReportBuilder; by default in this process).
    """
    path = Path(partnership_file) if partnership_file else default_partnership_path()
    loaded = load_partnership_file(path, framework)  # every check before anything is written
    out = Path(out)
    demo_folder.prepare(
        out, own_database=database is None, partnership=loaded.spec.name
    )  # a folder or database of the user's is refused, untouched
    if database is None:
        database = f"sqlite:///{(out / demo_folder.DATABASE).resolve()}"
    url = database
    db.configure(url)
    try:
        return _simulate(loaded, out, url, progress, until, render)
    finally:
        db.configure(None)
        clock.set_time(None)


def _simulate(
    loaded: LoadedPartnership, out: Path, url: str, progress, until: dt.date | None, render: Render | None
) -> DemoResult:
    prefect_ready = _start_prefect()
    name, first_day = start_pilot(loaded)  # while Prefect's server starts
    prefect_ready.result()
    # Heartbeats detect crashed runs on workers; in-process they only add a second per flow run.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        advances, tasks_done, emails = demo_cycle(name, first_day, str(out / demo_folder.EMAILS), progress, until)
    with db.session_scope() as session:
        documents = export_documents(session, out)
        reviews = queries.status(session, name)
        result = evaluation.evaluate(session, get_partnership(session, name))
    evaluation_files = evaluation.write_evaluation(result, out / demo_folder.EVALUATION, render)
    return DemoResult(name, url, out, reviews, documents, advances, tasks_done, emails, evaluation_files)


def _start_prefect() -> Future:
    """Get Prefect's API ready in a thread: without PREFECT_API_URL that starts its temporary server, which
    takes several seconds of its own process; the caller waits on the result before the first flow run. A
    daemon thread, so a failure meanwhile (a partnership that cannot be planned) ends the command at once
    (Prefect stops the server it started when the process exits)."""
    from prefect.client.orchestration import get_client

    ready: Future = Future()

    def start() -> None:
        try:
            ready.set_result(get_client(sync_client=True))
        except BaseException as exc:  # re-raised by the caller's result()
            ready.set_exception(exc)

    threading.Thread(target=start, name="prefect-start", daemon=True).start()
    return ready


# One SQLite file takes one writer at a time: more threads would only wait for each other.
# Prefect's annotation of task_runner refuses its own runners (PrefectHQ/prefect#16938)
@flow(name="demo-cycle", task_runner=ThreadPoolTaskRunner(max_workers=1))  # type: ignore[arg-type]
def demo_cycle(
    partnership: str, first_day: dt.date, emails: str, progress, until: dt.date | None
) -> tuple[int, int, int]:
    """One flow run for the whole simulated cycle, the partnership loaded and planned: each simulated day's
    sweep runs its machine steps as task runs of this flow (a flow run per day would cost Prefect far more
    than the steps themselves). Returns (sweeps, tasks and answers done, emails written)."""
    advances, tasks_done = run_pilot(partnership, first_day, sweep_with_tasks, progress, until)
    return advances, tasks_done, deliver_outbox(emails)
