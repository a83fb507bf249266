"""A worker, and a deployment's flow run on it, refuse to start without the settings they need, instead of
working on an empty database of their own or "sending" mail into a local folder."""

from __future__ import annotations

import socket

import pytest

from peer_review.errors import UserError

from helpers import EXAMPLE, run_cli

REPO = EXAMPLE.parents[2]
UNSET = {
    "PREFECT_API_URL": "",
    "PEER_REVIEW_HOME": "",
    "PEER_REVIEW_DATABASE_URL": "",
    "PEER_REVIEW_SMTP_URL": "",
    "PEER_REVIEW_OUTBOX_DIR": "",
}


def _message(result) -> str:
    return " ".join(result.stderr.split())


def test_a_worker_without_its_settings_refuses_to_start_and_says_what_to_set(tmp_path):
    result = run_cli("worker", cwd=tmp_path, env=UNSET)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = _message(result)
    for needed in (
        "PREFECT_API_URL is not set",
        "PEER_REVIEW_HOME (not set) must be the folder holding flows/",
        "PEER_REVIEW_DATABASE_URL is not set",
        "neither PEER_REVIEW_SMTP_URL",
    ):
        assert needed in message
    result = run_cli(
        "worker", cwd=tmp_path, env=UNSET | {"PEER_REVIEW_DATABASE_URL": "mysql://reviewer:s3cret@db.example.org/peer"}
    )
    message = _message(result)  # a database URL that is not one is listed with the rest, its password hidden
    assert (
        result.returncode == 2 and "PREFECT_API_URL is not set" in message and "neither PEER_REVIEW_SMTP_URL" in message
    )
    assert (
        "is not an SQLite or PostgreSQL database URL that peer-review can read: 'mysql://reviewer:***@db.example.org/peer'"
        in message
    )
    assert "s3cret" not in message
    result = run_cli(
        "worker",
        cwd=tmp_path,
        env=UNSET | {"PEER_REVIEW_DATABASE_URL": "postgresql+psycopg://reviewer:s3cret@127.0.0.1/peer"},
    )
    message = _message(result)  # a driver that is not installed (psycopg 3) is a setting to fix, not a traceback
    assert result.returncode == 2 and "Traceback" not in result.stderr and "PREFECT_API_URL is not set" in message
    assert (
        "cannot use the database postgresql+psycopg://reviewer:***@127.0.0.1/peer: No module named 'psycopg'" in message
        and "s3cret" not in message
    )
    assert list(tmp_path.iterdir()) == []  # no database file made on the way


def test_a_worker_pointed_at_a_database_that_is_not_there_or_empty_refuses(tmp_path):
    missing = tmp_path / "typo.db"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{s.getsockname()[1]}/api"  # nothing listens there once the socket closes
    env = UNSET | {
        "PREFECT_API_URL": nobody,
        "PEER_REVIEW_HOME": str(REPO),
        "PEER_REVIEW_OUTBOX_DIR": str(tmp_path / "out"),
        "PEER_REVIEW_DATABASE_URL": f"sqlite:///{missing}",
    }
    result = run_cli("worker", cwd=tmp_path, env=env)
    assert result.returncode == 2 and f"the database file {missing} does not exist" in _message(result)
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run_cli("worker", cwd=tmp_path, env=env | {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{empty}"})
    assert result.returncode == 2 and "has no peer-review tables" in _message(result)
    loaded = tmp_path / "loaded.db"
    assert (
        run_cli(
            "partnership", "load", EXAMPLE, cwd=tmp_path, env={"PEER_REVIEW_DATABASE_URL": f"sqlite:///{loaded}"}
        ).returncode
        == 0
    )
    result = run_cli(
        "worker",
        cwd=tmp_path,
        env=env | {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{loaded}", "PEER_REVIEW_HOME": str(tmp_path)},
    )
    assert result.returncode == 2 and "must be the folder holding flows/" in _message(result)
    assert f"could not reach the Prefect server at PREFECT_API_URL={nobody}" in _message(result)


@pytest.fixture
def in_a_deployment(monkeypatch, tmp_path):
    """A flow run as a worker runs it: from a deployment, in a folder of its own, with the worker's environment."""
    from prefect.runtime import deployment

    from peer_review.store import db

    monkeypatch.setattr(deployment, "id", "a-deployment", raising=False)
    monkeypatch.chdir(tmp_path)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    db.configure(None)
    return tmp_path


def test_deployment_runs_refuse_to_work_without_the_database_or_mail_settings(
    prefect_server, in_a_deployment, monkeypatch
):
    from flows.outbox import deliver_outbox, reminder_sweep
    from flows.review import advance_cycle, advance_review

    for run in (advance_cycle, lambda: advance_review(1), deliver_outbox, reminder_sweep):
        with pytest.raises(UserError, match="this worker is not set up: PEER_REVIEW_DATABASE_URL is not set"):
            run()
    assert list(in_a_deployment.iterdir()) == []  # no peer-review.db of its own
    monkeypatch.setenv("PEER_REVIEW_DATABASE_URL", f"sqlite:///{in_a_deployment / 'domain.db'}")
    assert run_cli("partnership", "load", EXAMPLE, cwd=in_a_deployment).returncode == 0
    with pytest.raises(UserError, match="neither PEER_REVIEW_SMTP_URL .* nor PEER_REVIEW_OUTBOX_DIR"):
        deliver_outbox()
    assert not (in_a_deployment / "outbox").exists()
    assert advance_cycle() == {}  # the engine needs no mail settings: the plan is not made yet, so nothing to do


def test_an_announcement_counts_only_when_the_events_api_takes_it(monkeypatch):
    """A redirect (an SSO page, a wrong address) is not an announcement and carries no credentials on; a
    malformed address or one holding a password is refused without printing the password."""
    import http.server
    import threading

    from peer_review.adapters.prefect_events import (
        NotAnnounced,
        announce_submission,
        server_problem,
    )

    seen: list[tuple[str, str | None]] = []

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            seen.append((self.path, self.headers.get("Authorization")))
            self.send_response(301 if self.path.startswith("/api") else 200)
            self.send_header("Location", "/elsewhere")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "admin:topsecret")
    try:
        with pytest.raises(NotAnnounced, match="answered 301"):
            announce_submission(1, 2, "respond_to_assignment", f"http://127.0.0.1:{server.server_port}/api")
        assert [path for path, _auth in seen] == ["/api/events"]  # not followed to /elsewhere
    finally:
        server.shutdown()
    with pytest.raises(NotAnnounced, match="could not reach the Prefect server at notaurl"):
        announce_submission(1, 2, "respond_to_assignment", "notaurl")
    with pytest.raises(NotAnnounced) as refused:
        announce_submission(1, 2, "respond_to_assignment", "http://admin:pw123@127.0.0.1:9/api")
    assert "pw123" not in str(refused.value) and "***@127.0.0.1:9" in str(refused.value)
    assert "PREFECT_API_AUTH_STRING" in server_problem("http://admin:pw123@127.0.0.1:9/api")
