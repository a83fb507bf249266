"""Submitting a task on the scale-out set-up: how long `peer-review submit` takes, and how long until the review's
next task exists, with a Prefect server (on PostgreSQL) and one `peer-review worker` moving reviews on.

    python benchmarks/bench_submit.py                                  # 20 rounds, the worker polling every 10 s (Prefect's default)
    python benchmarks/bench_submit.py --query-seconds default,2        # the same, then again with PREFECT_WORKER_QUERY_SECONDS=2
    python benchmarks/bench_submit.py --postgres postgresql://postgres@127.0.0.1:5432/postgres --rounds 20 --query-seconds default,2

Targets: the next task exists within 15 s of the submit starting (median of 20), and `submit` takes at most 1.5x
the floor, `python -c "import sqlmodel"` (a fresh process, median).

PostgreSQL only: on the server named by --postgres this makes PREFIX_domain (the domain database) and
PREFIX_prefect (the Prefect server's own), PREFIX from --prefix (bench_submit), and drops them at the end.

Set-up, as an operator does it (docs/operations.md), on a free port: `prefect server start` with its
scheduler service off (prefect.yaml's cron schedules would add advance-cycle and send-outbox runs in the middle of
a measurement; the triggers service, which turns a submission's event into an advance-review run, stays on);
`prefect work-pool create peer-review --type process` and `prefect deploy --all` with prefect.yaml as it is; one
`peer-review worker` (`--limit 1`, as deploy/peer-review-worker@.service runs it), with mail as .eml files.
The domain data: the bundled triad, its cycle starting today (with a school calendar made up for the dates, as
the bundled one ends in July 2026), loaded as many times as the rounds need (12 reviews each; every copy has
trusts and people of its own), each copy planned with `peer-review plan`; then one advance-cycle run through
the worker opens every review (stage assignment: each team member is asked to accept their place).

Each round takes a review still in assignment whose other team members have accepted (through the service layer
in this process, before the rounds: nothing is announced for those), and its last invitee accepts with
`peer-review submit TASK answer.yaml --as EMAIL` (`response: accept`), a fresh process with PREFECT_API_URL
set: it records the answer and announces it to the server, whose trigger creates an advance-review run; the
worker picks it up at its next poll, starts a flow-run process, and the engine closes the assignment stage and
opens the host CEO's propose_lines task. Measured: the submit's wall time, and the time from the submit
starting until the review's next task exists in the domain database (polled every 0.2 s from this process).
Before each submit, the floor (`python -c "import sqlmodel"`, the same interpreter) once, then a random pause of
up to one worker poll interval, so that submits do not fall at the same point of the worker's polling each
time. After each round the benchmark waits for the run to end and the worker to be idle. --warmup rounds
(2) come first and are not counted. From the server's records, each round's advance-review run is split into:
event (submit start to the run created), poll (created to Pending: the worker's poll), start (Pending to
Running: the flow-run process starting and loading the flow) and work (Running to the task seen).

The load average is printed with each round (the machine may have other jobs); nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from installed import compile_sources
from prefect_setup import (
    BIN,
    FINISHED,
    REPO,
    PrefectOnPostgres,
    admin,
    database_url,
    instant,
    run_command,
    wait_for,
)
from sqlalchemy import create_engine, select, text

from peer_review.errors import UserError
from peer_review.service import workflow
from peer_review.store import db
from peer_review.store.people import coordinator_of
from peer_review.store.tables import Person, Review, Task

TRIAD = REPO / "peer_review" / "demo" / "examples" / "sheffield-triad.yaml"
TRUST_IDS = ("steel-valley", "don-river", "peak-edge")
REVIEWS_PER_TRIAD = 12
LONDON = ZoneInfo("Europe/London")


# The partnership files: the bundled triad, its cycle starting today, on a calendar that covers it


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def write_calendar(path: Path, first_year: int, years: int) -> None:
    """Half-terms shaped like Sheffield's for the school years first_year-(first_year+1) on (made up: the bundled
    calendar stops in July 2026, and a cycle starting today needs terms for its two years)."""
    shape = [
        ((9, 2), (10, 23)),
        ((11, 2), (12, 18)),
        ((1, 5), (2, 12)),
        ((2, 22), (3, 27)),
        ((4, 13), (5, 22)),
        ((6, 1), (7, 20)),
    ]
    lines = [
        "id: bench-submit",
        "name: Made-up term dates for bench_submit.py",
        "source: invented",
        "bank_holidays: england",
        "terms:",
    ]
    for year in range(first_year, first_year + years):
        for i, ((m1, d1), (m2, d2)) in enumerate(shape):
            y = year if i < 2 else year + 1
            start, end = _weekday_on_or_after(dt.date(y, m1, d1)), _weekday_on_or_before(dt.date(y, m2, d2))
            lines.append(f"  - {{start: {start}, end: {end}}}")
    lines.append("closures: []")
    path.write_text("\n".join(lines) + "\n")


def write_triads(folder: Path, copies: int, start: dt.date) -> list[tuple[Path, str]]:
    """The bundled triad `copies` times, each with its own name, trust ids and email addresses."""
    calendar = folder / "calendar.yaml"
    write_calendar(calendar, start.year - 1, 4)
    source = TRIAD.read_text()
    source = re.sub(r"cycle: \{start: [0-9-]+,", f"cycle: {{start: {start},", source)
    source = re.sub(r"(?m)^term_dates: .*$", f"term_dates: {calendar}", source)
    name = re.search(r"(?m)^name: (.*)$", source).group(1).strip()
    files = []
    for n in range(1, copies + 1):
        text_ = source
        if n > 1:
            text_ = re.sub(r"(?m)^name: .*$", f"name: {name} {n}", text_)
            text_ = re.sub(r"\b(" + "|".join(TRUST_IDS) + r")\b", rf"\1-{n}", text_)
            text_ = text_.replace(".example.org", f".example{n}.org")
        path = folder / f"triad-{n}.yaml"
        path.write_text(text_)
        files.append((path, name if n == 1 else f"{name} {n}"))
    return files


# The Prefect server, the deployments and the worker


class Setup(PrefectOnPostgres):
    """The domain database (PREFIX_domain), a Prefect server on its own (PREFIX_prefect) with the deployments, and
    the worker (one at a time)."""

    def __init__(self, postgres: str, prefix: str, folder: Path):
        self.domain_db = f"{prefix}_domain"
        admin(postgres, f"DROP DATABASE IF EXISTS {self.domain_db} WITH (FORCE)", f"CREATE DATABASE {self.domain_db}")
        self.domain_url = database_url(postgres, self.domain_db, "postgresql")
        # nothing of this process's Prefect or peer-review settings: the worker's are those of peer-review.env
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PEER_REVIEW_"))}
        super().__init__(postgres, f"{prefix}_prefect", folder, dict(base, PEER_REVIEW_DATABASE_URL=self.domain_url))

    def ready(self) -> str:
        self.automations = self.api.post("automations/filter", json={}).raise_for_status().json()
        return f"automations: {[a['name'] for a in self.automations]}"

    def peer_review(self, *args: str, api: bool = True) -> str:
        env = self.env if api else {k: v for k, v in self.env.items() if k != "PREFECT_API_URL"}
        return run_command([str(BIN / "peer-review"), *args], env, "peer-review " + " ".join(args))

    def start_worker(self, query_seconds: str) -> None:
        settings = {} if query_seconds == "default" else {"PREFECT_WORKER_QUERY_SECONDS": query_seconds}
        self.start_workers(1, **settings)

    def stop_worker(self) -> None:
        for ended in self.stop_workers():
            print(f"worker {ended}")

    def busy(self) -> bool:
        """Any flow run not finished (scheduled, pending, running...)."""
        runs = (
            self.api.post("flow_runs/filter", json={"flow_runs": {"state": {"type": {"not_any_": list(FINISHED)}}}})
            .raise_for_status()
            .json()
        )
        return bool(runs)

    def run_deployment(self, name: str, parameters: dict, timeout: float) -> dict:
        deployment = self.api.get(f"deployments/name/{name}").raise_for_status().json()["id"]
        run = (
            self.api.post(f"deployments/{deployment}/create_flow_run", json={"parameters": parameters})
            .raise_for_status()
            .json()
        )

        def finished() -> dict | None:
            r = self.api.get(f"flow_runs/{run['id']}").raise_for_status().json()
            return r if r["state_type"] in FINISHED else None

        return wait_for(finished, timeout, f"the {name} run", every=0.5)

    def review_run(self, review_id: int, after: float) -> dict | None:
        """The advance-review run for this review created after `after` (epoch seconds), with its state times."""
        runs = (
            self.api.post(
                "flow_runs/filter",
                json={
                    "deployments": {"name": {"any_": ["advance-review"]}},
                    "sort": "EXPECTED_START_TIME_DESC",
                    "limit": 20,
                },
            )
            .raise_for_status()
            .json()
        )
        mine = [r for r in runs if r["parameters"].get("review_id") == review_id and instant(r["created"]) >= after - 1]
        if not mine:
            return None
        run = min(mine, key=lambda r: r["created"])
        states = self.state_times(run["id"])
        return {
            "run": run,
            "created": instant(run["created"]),
            "pending": states.get("PENDING"),
            "running": states.get("RUNNING"),
            "ended": instant(run["end_time"]) if run["end_time"] else None,
            "runs": len(mine),
        }

    def close(self) -> None:
        self.stop_worker()
        super().close()
        db.dispose_all()
        admin(self.postgres, f"DROP DATABASE IF EXISTS {self.domain_db} WITH (FORCE)")


# The domain data


def open_invitations(review_ids: list[int] | None = None) -> dict[int, list[tuple[int, str]]]:
    """Open respond_to_assignment tasks by review (task id, assignee's email), in task order."""
    with db.session_scope() as session:
        query = (
            select(Task.review_id, Task.id, Person.email)
            .join(Person, Person.id == Task.assignee_id)
            .where(Task.kind == "respond_to_assignment", Task.status == "open")
            .order_by(Task.review_id, Task.id)
        )
        if review_ids is not None:
            query = query.where(Task.review_id.in_(review_ids))
        found: dict[int, list[tuple[int, str]]] = {}
        for review_id, task_id, email in session.execute(query).all():
            found.setdefault(review_id, []).append((task_id, email))
    return found


def accept_all_but_last(invitations: dict[int, list[tuple[int, str]]]) -> int:
    """Every invitee but the last accepts, through the service layer (nothing announced: no run is started)."""
    accepted = 0
    for tasks in invitations.values():
        for task_id, email in tasks[:-1]:
            try:
                with db.session_scope() as session:
                    workflow.submit(session, task_id, {"response": "accept"}, email)
            except UserError:  # someone who may not answer it themselves: their coordinator does, on their behalf
                with db.session_scope() as session:
                    task = session.get(Task, task_id)
                    coordinator = coordinator_of(session, session.get(Review, task.review_id).partnership_id)
                    workflow.submit(session, task_id, {"response": "accept"}, coordinator.email)
            accepted += 1
    return accepted


class TaskWatch(threading.Thread):
    """Polls the domain database every `every` s for a task of the review newer than `after_id`."""

    def __init__(self, engine, review_id: int, after_id: int, every: float, timeout: float):
        super().__init__(daemon=True)
        self.engine, self.review_id, self.after_id, self.every, self.timeout = (
            engine,
            review_id,
            after_id,
            every,
            timeout,
        )
        self.seen_at: float | None = None
        self.kind: str | None = None
        self.polls = 0

    def run(self) -> None:
        deadline = time.perf_counter() + self.timeout
        with self.engine.connect() as c:
            while time.perf_counter() < deadline:
                row = c.execute(
                    text("SELECT kind FROM task WHERE review_id = :r AND id > :m ORDER BY id LIMIT 1"),
                    {"r": self.review_id, "m": self.after_id},
                ).first()
                self.polls += 1
                if row is not None:
                    self.seen_at, self.kind = time.perf_counter(), row[0]
                    return
                time.sleep(self.every)


# Measuring


def measure_floor() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sqlmodel"], check=True)
    return time.perf_counter() - started


def one_round(
    setup: Setup, watch_engine, review_id: int, task_id: int, email: str, answer: Path, args, pause_max: float
) -> dict:
    floor = measure_floor()
    time.sleep(random.uniform(0, pause_max))
    with watch_engine.connect() as c:
        newest = c.execute(text("SELECT max(id) FROM task WHERE review_id = :r"), {"r": review_id}).scalar_one()
    load = os.getloadavg()[0]
    watch = TaskWatch(watch_engine, review_id, newest, args.poll, args.timeout)
    wall_start = time.time()
    started = time.perf_counter()
    watch.start()
    result = subprocess.run(
        [str(BIN / "peer-review"), "submit", str(task_id), str(answer), "--as", email],
        env=setup.env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    submitted = time.perf_counter()
    if result.returncode != 0:
        raise RuntimeError(f"submit {task_id} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    announced = "will be moved on by the advance-review deployment" in " ".join(
        result.stdout.split()
    )  # not: "warning: ... is queued"
    watch.join(args.timeout)
    if watch.seen_at is None:
        raise RuntimeError(
            f"review {review_id}: no new task within {args.timeout:.0f} s of submitting task {task_id}; submit said:\n"
            f"{result.stdout}{result.stderr}"
        )
    # let the run end and the worker go idle before the next round
    wait_for(
        lambda: setup.review_run(review_id, wall_start) if not setup.busy() else None,
        args.timeout,
        "the advance-review run to end",
        every=0.5,
    )
    run = setup.review_run(review_id, wall_start)
    seen_wall = wall_start + (watch.seen_at - started)
    return {
        "review": review_id,
        "task": task_id,
        "submit": submitted - started,
        "next": watch.seen_at - started,
        "kind": watch.kind,
        "floor": floor,
        "load": load,
        "announced": announced,
        "state": run["run"]["state_name"],
        "runs": run["runs"],
        "event": run["created"] - wall_start,
        "poll": (run["pending"] - run["created"]) if run["pending"] else float("nan"),
        "start": (run["running"] - run["pending"]) if run["running"] and run["pending"] else float("nan"),
        "work": (seen_wall - run["running"]) if run["running"] else float("nan"),
    }


def _list(rounds: list[dict], key: str, places: int) -> str:
    return ", ".join(f"{r[key]:.{places}f}" for r in rounds)


def report(setting: str, rounds: list[dict]) -> dict:
    med = {
        k: statistics.median(r[k] for r in rounds)
        for k in ("submit", "next", "floor", "event", "poll", "start", "work", "load")
    }
    ratio = med["submit"] / med["floor"]
    print(f"\nPREFECT_WORKER_QUERY_SECONDS={setting}: {len(rounds)} rounds; medians")
    print(
        f"  next task exists after submit start: {med['next']:.2f} s   (target <= 15 s: {'met' if med['next'] <= 15 else 'NOT met'})"
    )
    print(f"  submit wall time:                    {med['submit']:.3f} s")
    print(f"  floor, python -c 'import sqlmodel':  {med['floor']:.3f} s")
    print(
        f"  submit / floor:                      {ratio:.2f}x   (target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})"
    )
    print(
        f"  next task, split (server's times): event {med['event']:.2f} s, poll {med['poll']:.2f} s, process start {med['start']:.2f} s, "
        f"work {med['work']:.2f} s; load {med['load']:.2f} (1-minute average, median over the rounds)"
    )
    print(f"  next task, each round (s): {_list(rounds, 'next', 2)}")
    print(f"  submit, each round (s):    {_list(rounds, 'submit', 3)}")
    print(f"  floor, each round (s):     {_list(rounds, 'floor', 3)}")
    print(
        f"  min/max next task: {min(r['next'] for r in rounds):.2f} / {max(r['next'] for r in rounds):.2f} s; "
        f"p90 {statistics.quantiles([r['next'] for r in rounds], n=10)[-1]:.2f} s"
    )
    return med | {"ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server (any database's URL names it): PREFIX_domain and PREFIX_prefect are made there, and dropped after",
    )
    parser.add_argument(
        "--prefix", default="bench_submit", help="the two databases' names start with this (bench_submit)"
    )
    parser.add_argument("--rounds", type=int, default=20, help="measured rounds for each worker setting (20)")
    parser.add_argument("--warmup", type=int, default=2, help="rounds before those, not counted (2)")
    parser.add_argument(
        "--query-seconds",
        default="default",
        help="the worker's PREFECT_WORKER_QUERY_SECONDS, comma-separated to measure several in one run; "
        "'default' leaves it unset (Prefect's 10 s) (default)",
    )
    parser.add_argument(
        "--poll", type=float, default=0.2, help="seconds between looks at the domain database for the next task (0.2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=180, help="seconds a round may take before it counts as stuck (180)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    compile_sources()
    sys.stdout.reconfigure(line_buffering=True)
    random.seed(args.seed)
    for name in [k for k in os.environ if k.startswith("PREFECT_")]:  # this process works on the domain database only
        os.environ.pop(name)
    settings = [s.strip() for s in args.query_seconds.split(",") if s.strip()]
    needed = (args.rounds + args.warmup) * len(settings)
    copies = -(-needed // REVIEWS_PER_TRIAD)
    print(
        f"{os.cpu_count()} cores; load {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start; "
        f"{needed} rounds in all: {copies} cop{'y' if copies == 1 else 'ies'} of the triad ({copies * REVIEWS_PER_TRIAD} reviews)"
    )

    folder = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    setup = None
    results: dict[str, dict] = {}
    try:
        setup = Setup(args.postgres, args.prefix, folder)
        db.configure(setup.domain_url)
        started = time.perf_counter()
        today = dt.datetime.now(LONDON).date()
        for path, name in write_triads(folder, copies, today):
            setup.peer_review("partnership", "load", str(path), api=False)
            setup.peer_review("plan", "--partnership", name, api=False)
        print(f"loaded and planned {copies} triad(s), cycle from {today}, in {time.perf_counter() - started:.0f} s")
        answer = folder / "answer.yaml"
        answer.write_text('response: accept\nreason: ""\n')
        watch_engine = create_engine(db._normalise(setup.domain_url), isolation_level="AUTOCOMMIT")
        opened = False
        queue: list[tuple[int, int, str]] = []
        for setting in settings:
            setup.start_worker(setting)
            if not opened:  # the scheduled advance-cycle's work, run once through the worker: every review opens
                run = setup.run_deployment("advance-cycle/advance-cycle", {"parallel_runs": 1}, 600)
                invitations = open_invitations()
                accepted = accept_all_but_last(invitations)
                queue = [(review_id, *tasks[-1]) for review_id, tasks in sorted(invitations.items())]
                print(
                    f"advance-cycle run: {run['state_name']}; {len(invitations)} reviews waiting on their teams; "
                    f"{accepted} invitations accepted beforehand, one left on each"
                )
                if len(queue) < needed:
                    raise RuntimeError(f"only {len(queue)} reviews to measure, {needed} needed")
                opened = True
            pause_max = 10.0 if setting == "default" else float(setting)
            rounds = []
            print(
                f"\nPREFECT_WORKER_QUERY_SECONDS={setting}: round, review, next task (kind), submit, floor, split event/poll/start/work, load"
            )
            for i in range(args.warmup + args.rounds):
                review_id, task_id, email = queue.pop(0)
                r = one_round(setup, watch_engine, review_id, task_id, email, answer, args, pause_max)
                counted = i >= args.warmup
                print(
                    f"  {'warm-up' if not counted else i - args.warmup + 1:>7} review {r['review']:>3}: next {r['next']:6.2f} s ({r['kind']}), "
                    f"submit {r['submit']:.3f} s, floor {r['floor']:.3f} s, {r['event']:.2f}/{r['poll']:.2f}/{r['start']:.2f}/{r['work']:.2f}, "
                    f"load {r['load']:.2f}"
                    + ("" if r["announced"] else ", NOT announced")
                    + ("" if r["state"] == "Completed" else f", run {r['state']}")
                    + ("" if r["runs"] == 1 else f", {r['runs']} runs")
                )
                if counted:
                    rounds.append(r)
            setup.stop_worker()
            results[setting] = report(setting, rounds)
        watch_engine.dispose()
        print(
            "\nsummary (medians): "
            + "; ".join(
                f"query seconds {s}: next task {m['next']:.2f} s, submit {m['submit']:.3f} s = {m['ratio']:.2f}x the floor "
                f"({m['floor']:.3f} s)"
                for s, m in results.items()
            )
        )
        print(f"load at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if setup is not None:
            setup.close()
        print(f"logs of the Prefect server and worker: {folder}")


if __name__ == "__main__":
    main()
