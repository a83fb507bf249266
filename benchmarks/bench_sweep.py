"""A sweep of the national database (issue 12): the engine's machine steps for every pending review, straight
through the service layer in one process, against the same steps through a Prefect server and its process
workers (`advance-cycle` deployed from prefect.yaml, `peer-review worker`), with 1 worker and with 2.

    cd benchmarks   # (or any folder: the script finds national_db.py beside it)
    ../.venv/bin/python bench_sweep.py --reviews 300                      # a quick check: 25 triads, about 2 minutes
    ../.venv/bin/python bench_sweep.py                                    # 10,008 reviews (834 triads), 10% pending
    ../.venv/bin/python bench_sweep.py --rounds 3 --max-load 1.0 --keep-template     # as measured for issue 12
    ../.venv/bin/python bench_sweep.py --rounds 3 --max-load 1.0 --reuse-template    # again, without the 3-minute build
    dropdb -h 127.0.0.1 -U postgres bench_sweep_tmpl                      # after --keep-template

--postgres names the server (postgresql://postgres@127.0.0.1:5432/postgres by default).

PostgreSQL only (the scale-out set-up): on the server named by --postgres this makes bench_sweep_tmpl (the
template), bench_sweep_run (a fresh copy for each measured run) and bench_sweep_prefect (the Prefect server's
own database), and drops them at the end (the template stays with --keep-template). The Prefect server is `prefect server start` on a free port, with its
scheduler service off (prefect.yaml's cron schedules would otherwise add advance-cycle, send-outbox and
reminder-sweep runs in the middle of a measurement); `prefect work-pool create peer-review --type process`
and `prefect deploy --all` with prefect.yaml as it is; workers are `peer-review worker` (a process worker,
`--limit 1`), polling every --query-seconds (2; Prefect's default is 10).

The template: the bundled triad worked by its simulated participants to 1 June 2024 (national_db.build_triad),
its queue drained, then renumbered copies with people of their own (national_db.copy_partnership) up to
--reviews; every review is queued and swept once (no step is due: all wait on people). Then --pending (10%)
of all reviews, chosen at random (seeded) among those in stage assignment, have every open invitation
accepted through the service layer (workflow.submit, as each invitee, one transaction each, on 22 June
2024): each such review then needs real steps (close the stage, open the lines-of-enquiry tasks), and its
host's other open reviews are queued too (a stage change queues them), to be checked and found waiting.

Measured, each on a fresh copy of the template (CREATE DATABASE ... TEMPLATE), the service run first in the
first round (the reference), then in an order shuffled each round:

- service: `sweep.sweep(db.session_scope)` in this process (engine warmed, clock not frozen, as on a worker);
- prefect xN: N workers started and online, then one run of advance-cycle/advance-cycle created through the
  API with parallel_runs=N; timed from creating it until every run of that sweep (it and its N-1 helper runs)
  is COMPLETED, by the server's timestamps (latest end_time minus the first run's created). Pick-up is the
  first run's Pending state minus its creation (the worker's poll), start its Running state minus Pending
  (the flow-run process starting and loading the flow).

Each run is then checked in the domain database: the queue empty; no (review, action, before, after, task)
appears twice among the audit entries the sweep wrote (stage_changed, task_opened), nor one task opened
twice, nor one document rendered twice; and what the sweep wrote (audit entries by action, reviews by stage,
tasks by kind and status, documents) equals the service run's. Figures only: nothing is asserted on time.
The 1-minute load average is printed before each measured run (the machine may have other jobs; with
--max-load the benchmark waits, up to --load-wait seconds, for the load to drop below it), with the CPU
seconds the runs used (this process; or the Prefect server, and the workers with their flow-run processes) and
how busy the whole machine was meanwhile. For Prefect runs it also prints each run's timeline, how long after
the sweep the API's task runs stopped changing (the server records task runs from events, behind the work),
how many event messages the server dropped ("Subscription queue is full" in its log), and the task runs it
still shows Pending or Running; the Prefect server's and workers' logs stay in a temporary folder, printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from national_db import LOOKING_ON, UNTIL, build_triad, copy_partnership
from prefect_setup import (
    FINISHED,
    PrefectOnPostgres,
    admin,
    database_url,
    instant,
    wait_for,
)
from sqlalchemy import create_engine, func, select, text

from peer_review import clock
from peer_review.errors import UserError
from peer_review.service import sweep, workflow
from peer_review.store import db
from peer_review.store.people import coordinator_of
from peer_review.store.tables import AuditEntry, MachineWork, Person, Review, Task

TEMPLATE, RUN, PREFECT_DB = "bench_sweep_tmpl", "bench_sweep_run", "bench_sweep_prefect"
WATCHED = ("stage_changed", "task_opened")


# PostgreSQL databases


def fresh_copy(server: str) -> str:
    """bench_sweep_run made afresh from the template; its URL (plain postgresql://, as a user writes it)."""
    db.dispose_all()
    admin(server, f"DROP DATABASE IF EXISTS {RUN} WITH (FORCE)", f"CREATE DATABASE {RUN} TEMPLATE {TEMPLATE}")
    return database_url(server, RUN, "postgresql")


# The template


def build_template(server: str, reviews: int, pending: float, seed: int) -> dict:
    admin(server, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE}")
    db.configure(database_url(server, TEMPLATE))
    started = time.perf_counter()
    build_triad(UNTIL)
    drained = sweep.sweep(
        db.session_scope
    )  # the simulation leaves reviews queued (nothing to do); copies need an empty queue
    with db.session_scope() as session:
        per_triad = session.execute(select(func.count()).select_from(Review)).scalar_one()
    copies = max(0, math.ceil(reviews / per_triad) - 1)
    triad_seconds = time.perf_counter() - started
    copy_partnership(copies)
    copied_seconds = time.perf_counter() - started
    with db.session_scope() as session:
        review_ids = session.execute(select(Review.id).order_by(Review.id)).scalars().all()
    with db.session_scope() as session:
        sweep.queue(session.connection(), review_ids)
    settled = sweep.sweep(db.session_scope)  # every review waits on people (copies have no stored documents)
    settle_seconds = time.perf_counter() - started

    clock.set_time(clock.at_london(LOOKING_ON, 10))
    with db.session_scope() as session:
        in_assignment = (
            session.execute(select(Review.id).where(Review.stage == "assignment").order_by(Review.id)).scalars().all()
        )
        chosen = sorted(
            random.Random(seed).sample(in_assignment, min(len(in_assignment), round(pending * len(review_ids))))
        )
        invitations = session.execute(
            select(Task.id, Person.email)
            .join(Person, Person.id == Task.assignee_id)
            .where(Task.review_id.in_(chosen), Task.kind == "respond_to_assignment", Task.status == "open")
            .order_by(Task.id)
        ).all()
    on_behalf = 0
    for task_id, email in invitations:  # each invitee accepts, as on the web or the command line
        try:
            with db.session_scope() as session:
                workflow.submit(session, task_id, {"response": "accept"}, email)
        except UserError:
            with db.session_scope() as session:
                task = session.get(Task, task_id)
                coordinator = coordinator_of(session, session.get(Review, task.review_id).partnership_id)
                workflow.submit(session, task_id, {"response": "accept"}, coordinator.email)
            on_behalf += 1
    clock.set_time(None)
    with db.session_scope() as session:
        queued = session.execute(select(func.count()).select_from(MachineWork)).scalar_one()
        audit_max = session.execute(select(func.max(AuditEntry.id))).scalar_one()
    db.dispose_all()
    built = time.perf_counter() - started
    print(
        f"template {TEMPLATE}: {len(review_ids)} reviews ({copies + 1} triads of {per_triad}); built in {built:.0f} s "
        f"(triad {triad_seconds:.0f} s, copies {copied_seconds - triad_seconds:.0f} s, queue-all and sweep {settle_seconds - copied_seconds:.0f} s "
        f"with {sum(map(len, settled.values()))} steps, invitations {built - settle_seconds:.0f} s); drained after the triad: {sum(map(len, drained.values()))} steps"
    )
    print(
        f"pending: {len(chosen)} of {len(in_assignment)} reviews in assignment ({len(chosen) / len(review_ids):.1%} of all), "
        f"{len(invitations)} invitations accepted ({on_behalf} by the coordinator); {queued} reviews queued"
    )
    made = {
        "reviews": len(review_ids),
        "pending": len(chosen),
        "queued": queued,
        "audit_max": audit_max,
        "asked": {"reviews": reviews, "pending": pending, "seed": seed},
    }
    admin(server, f"COMMENT ON DATABASE {TEMPLATE} IS '{json.dumps(made)}'")  # for --reuse-template
    return made


def existing_template(server: str, reviews: int, pending: float, seed: int) -> dict | None:
    """The template a run with --keep-template left, when it was made with the same options."""
    engine = create_engine(db._normalise(server))
    try:
        with engine.connect() as connection:
            comment = connection.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
                {"n": TEMPLATE},
            ).scalar()
    finally:
        engine.dispose()
    made = json.loads(comment) if comment else None
    return made if made and made["asked"] == {"reviews": reviews, "pending": pending, "seed": seed} else None


# What a sweep did, read back from the domain database


def what_was_done(url: str, audit_max: int) -> dict:
    engine = create_engine(db._normalise(url))
    try:
        with engine.connect() as c:
            new = f"FROM auditentry WHERE id > {audit_max}"
            duplicates = c.execute(
                text(
                    f"SELECT count(*) FROM (SELECT 1 {new} AND action IN ('stage_changed', 'task_opened') "
                    "GROUP BY review_id, action, detail->>'before', detail->>'after', detail->>'task' HAVING count(*) > 1) d"
                )
            ).scalar_one()
            tasks_twice = c.execute(
                text(
                    f"SELECT count(*) FROM (SELECT 1 {new} AND action = 'task_opened' "
                    "GROUP BY review_id, detail->>'kind', detail->>'round', detail->>'assignee' HAVING count(*) > 1) d"
                )
            ).scalar_one()
            documents_twice = c.execute(
                text(
                    f"SELECT count(*) FROM (SELECT 1 {new} AND action = 'document_rendered' GROUP BY review_id, detail->>'kind' HAVING count(*) > 1) d"
                )
            ).scalar_one()
            fingerprint = {
                "audit": dict(c.execute(text(f"SELECT action, count(*) {new} GROUP BY action ORDER BY action")).all()),
                "stages": dict(
                    c.execute(text("SELECT stage, count(*) FROM review GROUP BY stage ORDER BY stage")).all()
                ),
                "tasks": {
                    f"{k}/{s}": n
                    for k, s, n in c.execute(
                        text("SELECT kind, status, count(*) FROM task GROUP BY 1, 2 ORDER BY 1, 2")
                    ).all()
                },
                "documents": c.execute(text("SELECT count(*) FROM document")).scalar_one(),
            }
            queue = c.execute(text("SELECT count(*) FROM machinework")).scalar_one()
    finally:
        engine.dispose()
    return {
        "duplicates": duplicates + tasks_twice + documents_twice,
        "queue": queue,
        "fingerprint": fingerprint,
        "written": sum(fingerprint["audit"].values()),
    }


# The service layer, in this process


def run_service(url: str) -> dict:
    db.configure(url)
    db.get_engine()  # schema check and first connection before timing, as a worker's engine would be warm
    clock.set_time(None)
    calls = 0
    advance_one_step = sweep.advance_one_step

    def counted(*args, **kwargs):  # what an advance-step task run does on a worker
        nonlocal calls
        calls += 1
        return advance_one_step(*args, **kwargs)

    sweep.advance_one_step = counted
    gc.collect()
    try:
        box, cpu, started = box_cpu(), time.process_time(), time.perf_counter()
        done = sweep.sweep(db.session_scope)
        seconds = time.perf_counter() - started
        cpu, box = time.process_time() - cpu, [b - a for a, b in zip(box, box_cpu())]
    finally:
        sweep.advance_one_step = advance_one_step
        db.dispose_all()
        db.configure(None)
    steps = sum(map(len, done.values()))
    kinds = Counter(s.step.value for steps_ in done.values() for s in steps_)
    return {
        "seconds": seconds,
        "steps": steps,
        "calls": calls,
        "runs": 1,
        "reviews_moved": len(done),
        "kinds": dict(kinds),
        "cpu_ours": cpu,
        "busy": box[0] / box[1],
        "cpu": f"this process {cpu:.0f} CPU-s; machine {box[0]:.0f} of {box[1]:.0f} CPU-s busy ({box[0] / box[1]:.0%})",
    }


# The Prefect server and its workers


class PrefectServer(PrefectOnPostgres):
    """The Prefect server on bench_sweep_prefect, with the deployments; workers are started for each measured run,
    on that run's copy of the template."""

    def __init__(self, server: str, folder: Path, query_seconds: float):
        env = dict(os.environ, PREFECT_WORKER_QUERY_SECONDS=str(query_seconds), PREFECT_LOGGING_LEVEL="WARNING")
        super().__init__(server, PREFECT_DB, folder, env)

    def ready(self) -> str:
        self.deployment = self.api.get("deployments/name/advance-cycle/advance-cycle").raise_for_status().json()["id"]
        scheduled = (
            self.api.post("flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
            .raise_for_status()
            .json()
        )
        for run in scheduled:  # none with the scheduler off; any there would be taken by the workers
            self.api.delete(f"flow_runs/{run['id']}")
        return f"{len(scheduled)} scheduled runs deleted"

    def flow_run_processes(self) -> list[int]:
        """The workers' children (a process worker starts one for each flow run), still running or not yet reaped."""
        workers = {w.pid for w in self.workers}
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) in workers:
                    found.append(int(stat.parent.name))
            except (OSError, ValueError):
                continue
        return found

    def runs_named(self, name: str) -> list[dict]:
        return (
            self.api.post(
                "flow_runs/filter", json={"flow_runs": {"name": {"like_": name}}, "sort": "EXPECTED_START_TIME_ASC"}
            )
            .raise_for_status()
            .json()
        )

    def sweep(self, parallel_runs: int, timeout: float) -> dict:
        """One run of advance-cycle with parallel_runs, until it and its helpers are all finished."""
        log_from = (self.folder / "server.log").stat().st_size
        box = box_cpu()
        cpu = {"server": group_cpu(self.process.pid), "workers": sum(group_cpu(w.pid) for w in self.workers)}
        started = time.perf_counter()
        first = (
            self.api.post(
                f"deployments/{self.deployment}/create_flow_run", json={"parameters": {"parallel_runs": parallel_runs}}
            )
            .raise_for_status()
            .json()
        )

        def finished() -> list[dict] | None:
            runs = self.runs_named(first["name"])
            if len(runs) >= parallel_runs and all(r["state_type"] in FINISHED for r in runs):
                return runs
            return None

        runs = wait_for(finished, timeout, f"the sweep's {parallel_runs} run(s) to finish", every=0.25)
        polled = time.perf_counter() - started
        wait_for(
            lambda: not self.flow_run_processes(), 120, "the flow-run processes to exit", every=0.2
        )  # so their CPU time counts
        box = [b - a for a, b in zip(box, box_cpu())]
        cpu = {
            "server": group_cpu(self.process.pid) - cpu["server"],
            "workers": sum(group_cpu(w.pid) for w in self.workers) - cpu["workers"],
        }
        created = instant(first["created"])
        states = {r["id"]: self.state_times(r["id"]) for r in runs}

        def spans(r: dict) -> str:  # seconds after the first run was created: created / pending / running / ended
            marks = [
                instant(r["created"]),
                states[r["id"]].get("PENDING"),
                states[r["id"]].get("RUNNING"),
                instant(r["end_time"]) if r["end_time"] else None,
            ]
            return r["name"] + " " + "/".join("-" if m is None else f"{m - created:.1f}" for m in marks)

        # task runs and their states reach the API as events, after the flow run ends: wait until they stop
        # changing (all finished, or the same for 30 s: events the server dropped never come)
        task_runs, seen, settling, same_since = [], None, time.monotonic(), time.monotonic()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            task_runs = self.task_runs([r["id"] for r in runs])
            now = Counter(t["state_type"] for t in task_runs)
            if now != seen:
                seen, same_since = now, time.monotonic()
            elif set(now) <= {"COMPLETED", "FAILED", "CRASHED"} or time.monotonic() - same_since >= 30:
                break
            time.sleep(3)
        settled = (same_since if time.monotonic() < deadline else time.monotonic()) - settling
        flow_names = {r["id"]: r["name"] for r in runs}
        with open(self.folder / "server.log", errors="replace") as log:
            log.seek(log_from)
            dropped = sum(1 for line in log if "Subscription queue is full, dropping message" in line)
        unfinished = [
            f"{t['name']} ({t['state_name']}, run {flow_names[t['flow_run_id']]})"
            for t in task_runs
            if t["state_type"] not in ("COMPLETED", "FAILED", "CRASHED")
        ]
        return {
            "seconds": max(instant(r["end_time"]) for r in runs if r["end_time"]) - created,
            "polled": polled,
            "pickup": states[first["id"]]["PENDING"] - created,
            "start": states[first["id"]]["RUNNING"] - states[first["id"]]["PENDING"],
            "runs": len(runs),
            "states": Counter(r["state_name"] for r in runs),
            "messages": [
                f"{r['name']}: {r['state_name']}: {(r['state'] or {}).get('message')}"
                for r in runs
                if r["state_type"] != "COMPLETED"
            ],
            "timeline": [spans(r) for r in runs],
            "calls": sum(1 for t in task_runs if t["name"].startswith("advance-step")),
            "task_states": Counter(t["state_name"] for t in task_runs),
            "retried": sum(1 for t in task_runs if t["run_count"] > 1),
            "unfinished": unfinished,
            "settled": settled,
            "dropped": dropped,
            "cpu_ours": cpu["server"] + cpu["workers"],
            "busy": box[0] / box[1],
            "cpu": (
                f"Prefect server {cpu['server']:.0f} CPU-s, workers and their flow-run processes {cpu['workers']:.0f} CPU-s; "
                f"machine {box[0]:.0f} of {box[1]:.0f} CPU-s busy ({box[0] / box[1]:.0%}) from creating the run until its processes exited"
            ),
        }

    def task_runs(self, flow_run_ids: list[str]) -> list[dict]:
        found, offset = [], 0
        while True:
            page = (
                self.api.post(
                    "task_runs/filter",
                    json={"task_runs": {"flow_run_id": {"any_": flow_run_ids}}, "limit": 200, "offset": offset},
                )
                .raise_for_status()
                .json()
            )
            found += page
            if len(page) < 200:
                return found
            offset += 200


# Where the CPU went

TICK = os.sysconf("SC_CLK_TCK")


def box_cpu() -> tuple[float, float]:
    """Seconds of CPU busy and in all, summed over cores, since boot (/proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / TICK, sum(fields) / TICK


def group_cpu(pgid: int) -> float:
    """CPU seconds of the live processes in a process group, with their children that have ended."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ... utime (11), stime, cutime, cstime
            total += sum(int(f) for f in fields[11:15]) / TICK
    return total


# Running it


def wait_for_quiet(max_load: float | None, seconds: float) -> float:
    if max_load is not None:
        deadline = time.monotonic() + seconds
        while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
            time.sleep(5)
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reviews",
        type=int,
        default=10_000,
        help="reviews in the national database, rounded up to whole triads (10,000: 834 triads, 10,008 reviews)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help=f"the PostgreSQL server (any database's URL names it): {TEMPLATE}, {RUN} and {PREFECT_DB} are made there, and dropped after",
    )
    parser.add_argument("--pending", type=float, default=0.10, help="share of all reviews made pending (0.10)")
    parser.add_argument(
        "--workers", default="1,2", help="worker counts to measure, each with parallel_runs equal to it (1,2)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="times each configuration is measured, in an order shuffled each round (1)",
    )
    parser.add_argument(
        "--query-seconds", type=float, default=2, help="PREFECT_WORKER_QUERY_SECONDS for the workers (2)"
    )
    parser.add_argument(
        "--max-load",
        type=float,
        help="before each measured run, wait (up to --load-wait s) for the 1-minute load to drop below this",
    )
    parser.add_argument("--load-wait", type=float, default=300)
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds a Prefect sweep may take before it counts as stuck (3600)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep-template",
        action="store_true",
        help=f"leave {TEMPLATE} on the server (drop it yourself: dropdb {TEMPLATE})",
    )
    parser.add_argument(
        "--reuse-template",
        action="store_true",
        help=f"use {TEMPLATE} left by --keep-template, when made with the same options",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    os.environ.pop("PREFECT_API_URL", None)  # this process works on the domain database only
    worker_counts = [int(n) for n in args.workers.split(",") if n]
    print(
        f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f} at the start; PEER_REVIEW_SWEEP_CONCURRENCY={os.environ.get('PEER_REVIEW_SWEEP_CONCURRENCY', '4 (default)')}"
    )

    server = folder = None
    results: dict[str, list[dict]] = {}
    try:
        template = args.reuse_template and existing_template(args.postgres, args.reviews, args.pending, args.seed)
        if template:
            print(
                f"template {TEMPLATE} reused: {template['reviews']} reviews, {template['pending']} pending, {template['queued']} queued"
            )
        else:
            template = build_template(args.postgres, args.reviews, args.pending, args.seed)
        folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
        server = PrefectServer(args.postgres, folder, args.query_seconds)
        reference = None
        order = random.Random(args.seed)
        slots = ["service", *(f"prefect x{n}" for n in worker_counts)]
        for round_ in range(args.rounds):
            # the service run first in round 1: the reference every Prefect run is compared with
            todo = slots if round_ == 0 else order.sample(slots, len(slots))
            for slot in todo:
                url = fresh_copy(args.postgres)
                if slot == "service":
                    load = wait_for_quiet(args.max_load, args.load_wait)
                    result = run_service(url)
                else:
                    n = int(slot.split("x")[1])
                    server.start_workers(n, PEER_REVIEW_DATABASE_URL=url)
                    load = wait_for_quiet(args.max_load, args.load_wait)
                    try:
                        result = server.sweep(n, args.timeout)
                    finally:
                        server.stop_workers()
                result |= what_was_done(url, template["audit_max"])
                result["load"] = load
                if slot == "service" and reference is None:
                    reference = result["fingerprint"]
                result["same"] = result["fingerprint"] == reference
                results.setdefault(slot, []).append(result)
                report_one(slot, result, reference)
        print_table(results, template)
    finally:
        if server is not None:
            server.close()
        db.dispose_all()
        admin(
            args.postgres,
            *(
                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                for name in (RUN, *(() if args.keep_template else (TEMPLATE,)))
            ),
        )
        if folder is not None:
            print(f"logs of the Prefect server and workers: {folder}")


def report_one(slot: str, r: dict, reference: dict | None) -> None:
    line = f"  {slot}: {r['seconds']:.1f} s, load {r['load']:.2f}, audit entries written {r['written']}, duplicates {r['duplicates']}, queue left {r['queue']}, same as service: {r['same']}"
    if slot == "service":
        line += f"; steps {r['steps']} {r['kinds']} on {r['reviews_moved']} reviews, {r['calls']} step calls"
    else:
        line += (
            f"; runs {dict(r['states'])}, pick-up {r['pickup']:.1f} s, process start {r['start']:.1f} s, "
            f"advance-step task runs {r['calls']} {dict(r['task_states'])}, retried {r['retried']}, polled {r['polled']:.1f} s"
            f"\n    runs (s after creating the first: created/pending/running/ended): {'; '.join(r['timeline'])}"
        )
        for message in r["messages"]:
            line += f"\n    {message}"
        line += f"\n    task runs in the API stopped changing {r['settled']:.0f} s after the sweep ended; server log: {r['dropped']} event messages dropped (subscription queue full)"
        if r["unfinished"]:
            line += f"\n    task runs not finished in the API a while after their flow run: {len(r['unfinished'])}: {'; '.join(r['unfinished'][:10])}"
    line += f"\n    CPU: {r['cpu']}; load {os.getloadavg()[0]:.2f} after"
    print(line, flush=True)
    if not r["same"] and reference is not None:
        for key, value in r["fingerprint"].items():
            if value != reference[key]:
                print(f"    differs in {key}: {value} (service: {reference[key]})")


def print_table(results: dict[str, list[dict]], template: dict) -> None:
    import statistics

    base = statistics.median(r["seconds"] for r in results["service"])
    print(
        f"\n{template['reviews']} reviews, {template['pending']} made pending ({template['queued']} queued); medians over {len(results['service'])} round(s)"
    )
    print(
        f"{'':12}{'seconds':>8}{'ratio':>7}{'each run':>22}{'start s':>8}{'CPU-s':>7}{'busy':>6}{'steps':>6}{'calls':>6}{'audit':>7}{'runs':>5}{'dupes':>6}{'queue':>6}  same"
    )
    for slot, rs in results.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        each = " ".join(f"{r['seconds']:.0f}" for r in rs)
        start = statistics.median(r["pickup"] + r["start"] for r in rs) if "pickup" in rs[0] else 0.0
        steps = rs[0]["steps"] if "steps" in rs[0] else results["service"][0]["steps"]
        calls = f"{rs[0]['calls']}" if slot == "service" else f"{max(r['calls'] for r in rs)}*"
        print(
            f"{slot:12}{seconds:8.1f}{seconds / base:7.2f}{each:>22}{start:8.1f}{statistics.median(r['cpu_ours'] for r in rs):7.0f}"
            f"{statistics.median(r['busy'] for r in rs):6.0%}{steps:6d}{calls:>6}{rs[0]['written']:7d}"
            f"{max(r['runs'] for r in rs):5d}{max(r['duplicates'] for r in rs):6d}{max(r['queue'] for r in rs):6d}  {all(r['same'] for r in rs)}"
        )
    print(
        "seconds: until the last run ended (Prefect: from creating the first run, by the server's timestamps), median, and each run's; "
        "start: until the first run was Running (worker poll + flow-run process start); CPU-s: this process (service), or the Prefect "
        "server and the workers with their flow-run processes (PostgreSQL not counted); busy: the whole machine's CPU meanwhile; "
        "steps: the service run's (the Prefect runs wrote the same records: 'same'); calls: the service run's advance_one_step calls, a "
        "step or a look at a review with nothing to do (*: advance-step task runs the API knows of: one a step, as the flow looks at "
        "each claimed review itself first; fewer when the server dropped events); audit: audit entries the sweep wrote"
    )


if __name__ == "__main__":
    main()
