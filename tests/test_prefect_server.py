"""The deployments for real, as an operator runs them: a local Prefect server (on its own PostgreSQL
database when the tests have PostgreSQL, on SQLite otherwise), `prefect work-pool create`, `prefect deploy
--all`, a process worker, and the bundled triad planned in the domain database. One server for the module
(slow: a minute or so): a submission whose event triggers the advance-review run, and send-outbox's schedule
(every few seconds here) making runs that the worker runs and that deliver the queued mail."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
import yaml
from sqlmodel import select

from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, queries, workflow
from peer_review.store import db
from peer_review.store.tables import OutboxMessage, Task

from helpers import EXAMPLE, POSTGRES_URL, plan_and_publish, run_cli

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTBOX_EVERY = 10  # seconds: send-outbox's schedule here, in place of prefect.yaml's five-minute cron


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _prefect_database() -> str | None:
    """The Prefect server's own PostgreSQL database when the tests have a PostgreSQL server (`<name>_prefect`,
    or `<name>_prefect_gw0`, ... under pytest-xdist), made afresh; None for Prefect's default (SQLite)."""
    if not POSTGRES_URL:
        return None
    from sqlalchemy import create_engine, text

    server, name = POSTGRES_URL.rsplit("/", 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    mine = f"{name}_prefect" + (f"_{worker}" if worker else "")
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{mine}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{mine}"'))
    engine.dispose()
    return f"{server.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{mine}"


def _prefect_file(folder: Path) -> Path:
    """prefect.yaml as it is, except that send-outbox runs every OUTBOX_EVERY seconds, not every five minutes."""
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    (outbox,) = [d for d in spec["deployments"] if d["name"] == "send-outbox"]
    outbox["schedules"] = [{"interval": OUTBOX_EVERY, "timezone": "Europe/London"}]
    path = folder / "prefect.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


class Deployed(NamedTuple):
    env: dict[str, str]  # what the server, `prefect` and the worker run with
    queued: list[int]  # the outbox messages that planning the triad queued, before any flow ran


@pytest.fixture(scope="module")
def prefect_env(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("prefect-server")
    port = _port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_WORKER_QUERY_SECONDS": "2",  # the worker looks for runs every 2 s, not 10: a quicker test
        "PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'domain.db'}",
        "PEER_REVIEW_HOME": str(REPO),
        "PEER_REVIEW_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    for name in ("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL"):
        env.pop(name, None)
    if prefect_database := _prefect_database():
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = prefect_database

    # the domain database first (its schema made here, not by two flow runs at once): the triad planned,
    # review 1's team asked to accept their places, the asks queued in the outbox
    db.configure(env["PEER_REVIEW_DATABASE_URL"])
    try:
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
            plan_and_publish(session, None)
        workflow.advance_review(db.session_scope, 1)
        with db.session_scope() as session:
            queued = list(session.exec(select(OutboxMessage.id).where(OutboxMessage.status == "pending")))
    finally:
        db.configure(None)

    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    processes = [server]
    try:
        _wait(lambda: _healthy(port), 120, "the Prefect server")
        _prefect(env, "work-pool", "create", "peer-review", "--type", "process")
        _prefect(env, "deploy", "--all", "--prefect-file", str(_prefect_file(tmp_path)))
        processes.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "worker", "start", "--pool", "peer-review"],
                env=env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        yield Deployed(env, queued)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _prefect(env, *args) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_submitting_input_triggers_the_advance_review_deployment(prefect_env):
    env = prefect_env.env
    db.configure(env["PEER_REVIEW_DATABASE_URL"])
    try:
        with db.session_scope() as session:
            asks = [t for t in queries.open_tasks(session) if t.review_id == 1]
        for task in asks[:-1]:  # all but one accept here; the last one through the CLI, with the server
            with db.session_scope() as session:
                workflow.submit(session, task.id, {"response": "accept"}, task.assignee_email)
        last = asks[-1]
        answer_file = Path(env["PREFECT_HOME"]).parent / "accept.yaml"
        answer_file.write_text("response: accept\n")
        result = run_cli(
            "submit",
            str(last.id),
            answer_file,
            "--as",
            last.assignee_email,
            env={k: env[k] for k in ("PREFECT_API_URL", "PREFECT_HOME", "PEER_REVIEW_DATABASE_URL")},
        )
        assert result.returncode == 0, result.stderr
        assert "will be moved on by the advance-review deployment" in " ".join(result.stdout.split())

        def propose_task():
            with db.session_scope() as session:
                return session.exec(select(Task).where(Task.review_id == 1, Task.kind == "propose_lines")).first()

        task = _wait(propose_task, 240, "the triggered advance-review run to open the host's task")
        assert task.status == "open"
    finally:
        db.configure(None)


def test_the_send_outbox_schedule_makes_runs_that_the_worker_runs(prefect_env):
    """The scheduler makes send-outbox's runs (with SQLAlchemy 2.1 it failed on every pass and made none),
    the worker runs one to completion, and that run delivers the mail planning queued as .eml files."""
    env, queued = prefect_env
    api = httpx.Client(base_url=env["PREFECT_API_URL"] + "/", timeout=10)
    deployment = api.get("deployments/name/send-outbox/send-outbox").raise_for_status().json()
    assert [s["schedule"].get("interval") for s in deployment["schedules"] if s["active"]] == [OUTBOX_EVERY]

    def scheduled_runs() -> list[dict]:
        runs = (
            api.post(
                "flow_runs/filter",
                json={"flow_runs": {"deployment_id": {"any_": [deployment["id"]]}}, "sort": "EXPECTED_START_TIME_ASC"},
            )
            .raise_for_status()
            .json()
        )
        return [r for r in runs if r["auto_scheduled"] and (r["created_by"] or {}).get("type") == "SCHEDULE"]

    assert (
        len(_wait(scheduled_runs, 60, "the scheduler to make send-outbox's runs")) >= 3
    )  # Prefect schedules 3 or more ahead

    def completed() -> list[dict]:
        runs = scheduled_runs()
        failed = [
            f"{r['name']}: {r['state_type']} {r['state']['message']}"
            for r in runs
            if r["state_type"] in ("FAILED", "CRASHED")
        ]
        assert not failed, failed
        return [r for r in runs if r["state_type"] == "COMPLETED"]

    done = _wait(completed, 120, "the worker to run a scheduled send-outbox run to completion")

    # every message queued before the deployment was sent, by one of those runs, as an .eml file in the outbox folder
    assert queued
    db.configure(env["PEER_REVIEW_DATABASE_URL"])
    try:
        with db.session_scope() as session:
            messages = [session.get(OutboxMessage, message_id) for message_id in queued]
    finally:
        db.configure(None)
    spans = [(_instant(r["start_time"]), _instant(r["end_time"])) for r in done]
    files = {p.name[:5]: p for p in Path(env["PEER_REVIEW_OUTBOX_DIR"]).glob("*.eml")}
    for message in messages:
        assert message.status == "sent", (message.id, message.status, message.last_error)
        assert any(start <= _instant(message.sent_at) <= end for start, end in spans), (
            message.id,
            message.sent_at,
            spans,
        )
        sent = email.message_from_bytes(files[f"{message.id:05d}"].read_bytes(), policy=email.policy.default)
        assert (sent["To"], sent["Subject"]) == (message.recipient, message.subject)


def _instant(value) -> float:
    """A timestamp from the Prefect API (ISO text) or the domain database (a datetime), as seconds since the epoch."""
    import datetime as dt

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite gives back naive datetimes; the domain stores UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()
