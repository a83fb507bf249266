"""The deployments for real: a local Prefect server, `prefect deploy --all`, a process worker, and a
submission whose event triggers the advance-review run (slow: a minute or two)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from conftest import EXAMPLE, run_cli
from peer_review import db
from peer_review.partnerships import load_partnership_file
from peer_review.service import loading, planning, queries, workflow
from peer_review.tables import Task

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


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


@pytest.fixture
def prefect_env(tmp_path):
    port = _port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'domain.db'}",
        "PEER_REVIEW_HOME": str(REPO),
        "PEER_REVIEW_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes = [server]
    try:
        _wait(lambda: _healthy(port), 120, "the Prefect server")
        yield env, processes
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
    result = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_submitting_input_triggers_the_advance_review_deployment(prefect_env):
    env, processes = prefect_env
    _prefect(env, "work-pool", "create", "peer-review", "--type", "process")
    _prefect(env, "deploy", "--all")
    processes.append(subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "peer-review"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    db.configure(env["PEER_REVIEW_DATABASE_URL"])
    try:
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
            planning.plan_cycle(session, None)
        workflow.advance_review(db.session_scope, 1)
        with db.session_scope() as session:
            asks = [t for t in queries.open_tasks(session) if t.review_id == 1]
        for task in asks[:-1]:  # all but one accept here; the last one through the CLI, with the server
            with db.session_scope() as session:
                workflow.submit(session, task.id, {"response": "accept"}, task.assignee_email)
        last = asks[-1]
        answer_file = Path(env["PREFECT_HOME"]).parent / "accept.yaml"
        answer_file.write_text("response: accept\n")
        result = run_cli("submit", str(last.id), answer_file, "--as", last.assignee_email, env={k: env[k] for k in ("PREFECT_API_URL", "PREFECT_HOME", "PEER_REVIEW_DATABASE_URL")})
        assert result.returncode == 0, result.stderr
        assert "will be moved on by the advance-review deployment" in " ".join(result.stdout.split())

        def propose_task():
            with db.session_scope() as session:
                return session.exec(select(Task).where(Task.review_id == 1, Task.kind == "propose_lines")).first()

        task = _wait(propose_task, 240, "the triggered advance-review run to open the host's task")
        assert task.status == "open"
    finally:
        db.configure(None)
