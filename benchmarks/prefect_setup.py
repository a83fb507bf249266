"""The scale-out set-up for the benchmarks that run through Prefect (bench_submit.py, bench_sweep.py): a Prefect
server on a free port with its own PostgreSQL database, the peer-review work pool and prefect.yaml's deployments,
and `peer-review worker` processes, each started as an operator starts them (deploy/prefect-server.service,
deploy/peer-review-worker@.service), with the small helpers those benchmarks share.

The server runs with its scheduler service off: prefect.yaml's cron schedules would otherwise add runs
(advance-cycle, send-outbox, reminder-sweep) in the middle of a measurement. Its other services stay on (the
triggers service turns a submission's event into an advance-review run). Every process this starts is in a
process group of its own, ended by its id.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from peer_review.store import db

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FINISHED = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")  # the state types a flow run ends in
# where a Prefect server finds its database: the one it is given here, not one from the environment
DATABASE_SETTINGS = ("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")

T = TypeVar("T")


# PostgreSQL databases


def database_url(postgres: str, name: str, driver: str = "postgresql+psycopg2") -> str:
    """The URL of database `name` on the server `postgres` names (any database's URL), with its password, for
    `driver`: postgresql+psycopg2 (this process), postgresql (plain, as a user writes it) or postgresql+asyncpg
    (the Prefect server)."""
    return make_url(db._normalise(postgres)).set(drivername=driver, database=name).render_as_string(hide_password=False)


def admin(postgres: str, *statements: str) -> None:
    """Statements outside a transaction (CREATE DATABASE, DROP DATABASE...) on the server `postgres` names."""
    engine = create_engine(db._normalise(postgres), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


# Processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, seconds: float = 30) -> str:
    """End a process a benchmark started, and its children (its own process group, by its id); how it ended. A
    Prefect 3.8 worker may keep running after SIGTERM (it logs that it sends itself SIGINT), hence the SIGKILL
    after `seconds`."""
    if process.poll() is not None:
        return "had exited"
    started = time.perf_counter()
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=seconds)
        return f"stopped {time.perf_counter() - started:.1f} s after SIGTERM"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"still running {seconds:.0f} s after SIGTERM: killed"
    except ProcessLookupError:
        return "had exited"


def wait_for(predicate: Callable[[], T], seconds: float, what: str, every: float = 1.0) -> T:
    """The first true value `predicate` returns, asked every `every` s; RuntimeError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")


def run_command(args: list[str], env: dict[str, str], what: str) -> str:
    """A command run to its end in the repository (prefect.yaml is there); its output, or RuntimeError with it."""
    result = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def instant(value: str) -> float:
    """A timestamp from the Prefect API (ISO 8601, with its offset) as epoch seconds."""
    return dt.datetime.fromisoformat(value).timestamp()


# The Prefect server, its deployments and workers


class PrefectOnPostgres:
    """A Prefect server on its own PostgreSQL database (made afresh, dropped by close()), the peer-review process
    work pool and every deployment of prefect.yaml, and `peer-review worker` processes started and stopped on
    demand. The server's and the workers' logs, their PREFECT_HOMEs and the outbox (mail as .eml files) are in
    `folder`.

    `env` is the environment the processes start from (what the benchmark lets through of its own); to it
    `self.env` adds what a worker's peer-review.env holds (deploy/peer-review.env.example) but the domain
    database, which `env` or start_workers() gives. Subclasses check or prepare what they need in ready(), which
    runs inside the clean-up on failure: a set-up that fails leaves no process or database behind."""

    def __init__(self, postgres: str, database: str, folder: Path, env: dict[str, str]):
        self.postgres, self.database, self.folder = postgres, database, folder
        self.port = free_port()
        self.env = dict(
            env,
            PREFECT_API_URL=f"http://127.0.0.1:{self.port}/api",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_HOME=str(folder / "cli-home"),
            PEER_REVIEW_HOME=str(REPO),
            PEER_REVIEW_OUTBOX_DIR=str(folder / "outbox"),
        )
        server_env = {k: v for k, v in env.items() if k not in DATABASE_SETTINGS}
        server_env.update(
            PREFECT_HOME=str(folder / "server-home"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_API_DATABASE_CONNECTION_URL=database_url(postgres, database, "postgresql+asyncpg"),
            PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
            PREFECT_LOGGING_LEVEL="WARNING",
        )
        self.workers: list[subprocess.Popen] = []
        self.started_workers = 0
        self.process: subprocess.Popen | None = None
        self.api = httpx.Client(base_url=self.env["PREFECT_API_URL"] + "/", timeout=30)
        try:
            admin(postgres, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}")
            started = time.perf_counter()
            self.process = subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=server_env,
                stdout=open(folder / "server.log", "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            wait_for(self._healthy, 300, "the Prefect server")
            self.prefect("work-pool", "create", "peer-review", "--type", "process")
            self.prefect("deploy", "--all")
            note = self.ready()
            print(
                f"prefect server on port {self.port} (database {database}), pool and deployments ready in {time.perf_counter() - started:.0f} s"
                + (f"; {note}" if note else "")
            )
        except BaseException:
            self.close()
            raise

    def ready(self) -> str:
        """What a benchmark does once the deployments exist; a note for the line saying the server is ready."""
        return ""

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited: see {self.folder / 'server.log'}")
        try:
            return self.api.get("health").status_code == 200
        except httpx.HTTPError:
            return False

    def prefect(self, *args: str) -> str:
        """The prefect command line, on this server."""
        return run_command([str(BIN / "prefect"), "--no-prompt", *args], self.env, "prefect " + " ".join(args))

    def start_workers(self, count: int, **settings: str) -> None:
        """`count` workers (`peer-review worker --limit 1`, as deploy/peer-review-worker@.service runs them, each with
        a PREFECT_HOME of its own), with `settings` added to self.env; returns once all of them are online."""
        since = dt.datetime.now(dt.UTC)
        for _ in range(count):
            self.started_workers += 1
            n = self.started_workers
            env = dict(self.env, PREFECT_HOME=str(self.folder / f"worker-home-{n}"), **settings)
            log = open(self.folder / f"worker-{n}.log", "w")
            self.workers.append(
                subprocess.Popen(
                    [str(BIN / "peer-review"), "worker", "--limit", "1"],
                    env=env,
                    cwd=REPO,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

        def online() -> bool:
            for worker in self.workers:
                if worker.poll() is not None:
                    raise RuntimeError(f"a worker exited ({worker.returncode}): see {self.folder}/worker-*.log")
            found = self.api.post("work_pools/peer-review/workers/filter", json={}).raise_for_status().json()
            return (
                sum(
                    1
                    for w in found
                    if w["status"] == "ONLINE" and dt.datetime.fromisoformat(w["last_heartbeat_time"]) >= since
                )
                >= count
            )

        wait_for(online, 120, f"{count} worker(s) to come online")

    def stop_workers(self) -> list[str]:
        """Stop every worker (and the flow-run processes it started); how each ended."""
        ended = [stop(worker) for worker in self.workers]
        self.workers = []
        return ended

    def state_times(self, flow_run_id: str) -> dict[str, float]:
        """When the flow run first entered each state type (PENDING, RUNNING...), in epoch seconds."""
        states = self.api.get("flow_run_states/", params={"flow_run_id": flow_run_id}).raise_for_status().json()
        times: dict[str, float] = {}
        for state in states:
            times[state["type"]] = min(times.get(state["type"], float("inf")), instant(state["timestamp"]))
        return times

    def close(self) -> None:
        """Stop the workers and the server, and drop the server's database (also after a set-up that failed)."""
        self.stop_workers()
        if self.process is not None:
            stop(self.process)
        self.api.close()
        admin(self.postgres, f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
