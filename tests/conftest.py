"""Shared fixtures: a private Prefect home, one Prefect test server per session, and the databases under test.

Tests marked `db` run against SQLite, and also against PostgreSQL when PEER_REVIEW_TEST_POSTGRES_URL
is set (the README's test command sets it; .ci/run uses the README's command).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

_PREFECT_HOME = tempfile.mkdtemp(prefix="peer-review-prefect-")
os.environ.update(
    PREFECT_HOME=_PREFECT_HOME,
    PREFECT_SERVER_ANALYTICS_ENABLED="false",
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="60",
    PREFECT_LOGGING_LEVEL="WARNING",
)
os.environ.pop("PEER_REVIEW_DATABASE_URL", None)

# after the environment above: helpers.py imports the app
from helpers import EXAMPLE, POSTGRES_URL, Inbox, free_port, plan_and_publish, run_whole_cycle  # noqa: E402

DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        only_postgresql = metafunc.definition.get_closest_marker("postgresql_only") is not None
        metafunc.parametrize(
            "database_url", [d for d in DATABASES if d == "postgresql" or not only_postgresql], indirect=True
        )


def _postgres_url() -> str:
    """The PostgreSQL database of this test process: the one given, or under pytest-xdist one per worker
    (`test_gw0`, ...), created on the same server, so workers never drop each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return POSTGRES_URL
    from sqlalchemy import create_engine, text

    server, name = POSTGRES_URL.rsplit("/", 1)
    mine = f"{name}_{worker}"
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": mine}).first() is None:
            connection.execute(text(f'CREATE DATABASE "{mine}"'))
    engine.dispose()
    return f"{server}/{mine}"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(request, tmp_path):
    """A fresh, empty database for one test, used by the service layer and the flows."""
    from peer_review.store import db

    if request.param == "postgresql":
        url = _postgres_url()
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    db.dispose_all()
    db.configure(url)
    os.environ["PEER_REVIEW_FILES"] = str(tmp_path / "evidence-files")  # each test's evidence files of its own
    yield url
    os.environ.pop("PEER_REVIEW_FILES", None)
    db.configure(None)
    db.dispose_all()


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server for the whole session (starting one takes 10-20 s)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@pytest.fixture
def planned(database_url):
    """The bundled triad loaded and planned; review 1 opened, its team asked to accept their places."""
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, workflow
    from peer_review.store import db

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)
    workflow.advance_review(db.session_scope, 1)
    return database_url


@pytest.fixture(scope="session")
def finished_triad(tmp_path_factory) -> Path:
    """An SQLite file holding the bundled triad's whole cycle, finished (made once per test process; copy it
    before changing it)."""
    from peer_review.store import db

    path = tmp_path_factory.mktemp("finished-triad") / "triad.db"
    db.dispose_all()
    db.configure(f"sqlite:///{path}")
    try:
        run_whole_cycle()
    finally:
        db.configure(None)
        db.dispose_all()
    return path


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port, for the test: its inbox, and its smtp:// address."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """A clamd of our own on a Unix socket, knowing only the local test signature: its address
    (unix:/PATH). Without clamd on the machine the test is skipped, saying why; in CI (CI set, as
    `.ci/run` runs, which installs clamav-daemon) it fails instead."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("clamd is not installed: .ci/run installs clamav-daemon (scripts/install-test-tools.sh)")
        pytest.skip("clamd is not installed on this machine (apt-get install clamav-daemon): the scanner is not tested")
    # a short path: a Unix socket's address is at most 107 bytes
    folder = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))
    (folder / "db").mkdir()
    from helpers import TEST_SIGNATURE

    (folder / "db" / "test.ndb").write_text(f"PeerReview.Test.Signature:0:*:{TEST_SIGNATURE.hex()}\n")
    sock = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        f"Foreground yes\nLocalSocket {sock}\nDatabaseDirectory {folder / 'db'}\nLogFile {folder / 'clamd.log'}\n"
        # as docs/operations.md asks: what clamd gives up scanning, or cannot read, is flagged, not passed as clean
        "AlertExceedsMax yes\nAlertEncrypted yes\n" + ("User root\n" if os.geteuid() == 0 else "")
    )
    process = subprocess.Popen(
        [binary, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
                probe.sendall(b"zPING\0")
                if probe.recv(8).startswith(b"PONG"):
                    break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
        pytest.fail(
            f"clamd did not start: {process.stderr.read().decode()[-500:] if process.stderr else ''} {log[-500:]}"
        )
    yield f"unix:{sock}"
    process.terminate()
    process.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
