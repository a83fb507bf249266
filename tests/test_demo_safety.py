"""`peer-review demo` never deletes what it did not write, and says plainly why it stops (issue 21, items 2
and 7): it writes only into a new folder, an empty one or one an earlier demo marked; a temporary Prefect
server too slow to start is one line naming the setting to raise; and PEER_REVIEW_DATABASE_URL, which the
demo does not use, is said to be left alone."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from helpers import run_cli

MARKER = ".peer-review-demo"
SLOW_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (relative path: content), to see that nothing was deleted, changed or added."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def _prefect_too_slow(tmp_path: Path) -> dict[str, str]:
    """An environment where Prefect's temporary server cannot start in time, every time: with a startup
    timeout of 0 s Prefect gives up as soon as it has spawned the server (a timeout of 1 s usually fails
    too, but only because the server takes longer on this machine; Prefect refuses 0.01, the setting is a
    whole number). A fresh PREFECT_HOME: no Prefect server of another test is reused."""
    return {SLOW_SETTING: "0", "PREFECT_HOME": str(tmp_path / "prefect-home")}


def _prefect_servers_of(home: Path) -> list[int]:
    """Prefect servers still running that were started with this PREFECT_HOME."""
    wanted = f"PREFECT_HOME={home}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ, open(f"/proc/{entry}/cmdline", "rb") as command:
                    if wanted in environ.read().split(b"\0") and b"uvicorn" in command.read():
                        found.append(int(entry))
            except OSError:  # gone, or not ours to read
                pass
    return found


@pytest.mark.parametrize("given", ["--out", "default folder"])
def test_demo_refuses_a_folder_holding_files_it_did_not_write_and_leaves_them_alone(tmp_path, given):
    """The old demo deleted every .docx, emails/*.eml and peer-review.db in the folder before it started."""
    folder = tmp_path / ("mine" if given == "--out" else "demo-output")
    (folder / "emails").mkdir(parents=True)
    (folder / "thesis.docx").write_text("notes")
    (folder / "emails" / "00001-letter.eml").write_text("a letter I kept")
    (folder / "peer-review.db").write_text("my own database")
    before = _snapshot(folder)
    args = ["--out", folder] if given == "--out" else []
    result = run_cli(
        "demo", *args, "--until", "2023-11-02", cwd=tmp_path, env={"PREFECT_HOME": str(tmp_path / "prefect-home")}
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert _snapshot(folder) == before  # nothing deleted, changed or added (no marker either)
    assert "Traceback" not in result.stderr and "starting Prefect" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    message = lines[0]
    assert (str(folder) if given == "--out" else "demo-output") in message and "thesis.docx" in message
    assert "new or empty folder" in message and "an earlier demo" in message


def test_demo_refuses_a_file_given_as_its_folder(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    for out in (notes, notes / "out"):
        result = run_cli("demo", "--out", out, cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and str(notes) in lines[0] and "is a file, not a folder" in lines[0], result.stderr
        assert "new or empty folder" in lines[0]
        assert notes.read_text() == "mine"


def test_demo_reuses_a_folder_an_earlier_demo_marked_and_removes_only_its_own_files(tmp_path):
    """A folder an earlier demo wrote (it left the marker): the demo's own documents, emails and database
    from then are replaced; a file of the user's in it, even one named like the demo's kinds, stays."""
    out = tmp_path / "out"
    (out / "emails").mkdir(parents=True)
    (out / "evaluation").mkdir()
    (out / MARKER).write_text("written by peer-review demo\n")
    stale = [
        "099-old-trust-old-strand-review-report.docx",
        "emails/09999-reminder-someone_example.org.eml",
        "peer-review.db-wal",
    ]
    for name in stale:
        (out / name).write_text("from an earlier demo")
    (out / "peer-review.db").write_text("an earlier demo's database, now unreadable")
    mine = {
        "thesis.docx": "my notes",
        "emails/notes.txt": "my notes",
        "evaluation/my-analysis.csv": "a,b",
        "report.docx": "my report",
    }
    for name, text in mine.items():
        (out / name).write_text(text)

    result = run_cli("demo", "--out", out, "--until", "2023-09-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert all((out / name).read_text() == text for name, text in mine.items())
    assert not any((out / name).exists() for name in stale)
    assert "thesis.docx" not in result.stdout and "Database: sqlite:///" in result.stdout
    with sqlite3.connect(out / "peer-review.db") as connection:  # the demo's own, new database
        assert connection.execute("SELECT count(*) FROM review").fetchone()[0] == 12
    emails = sorted(p.name for p in (out / "emails").iterdir())
    assert "notes.txt" in emails and all(name.endswith(".eml") for name in emails if name != "notes.txt")
    assert f"{len(emails) - 1} notification emails" in result.stdout
    assert "peer-review demo" in (out / MARKER).read_text()  # still marked: the next demo may write here again


def test_demo_says_in_one_line_when_prefects_temporary_server_is_too_slow_to_start(tmp_path):
    """It was a RuntimeError with a traceback and exit code 1. An empty folder is one the demo may use: it
    marks the folder as it starts writing there, so a second try (with more time) is not refused."""
    out = tmp_path / "out"
    out.mkdir()
    env = _prefect_too_slow(tmp_path)
    result = run_cli("demo", "--out", out, cwd=tmp_path, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    [message] = _error_lines(result.stderr)
    assert "Prefect's temporary server did not start" in message
    assert f"{SLOW_SETTING}=0" in message and f"{SLOW_SETTING}=90" in message
    assert "peer-review demo" in (out / MARKER).read_text()
    assert _prefect_servers_of(Path(env["PREFECT_HOME"])) == []


def test_advance_says_in_one_line_when_prefects_temporary_server_is_too_slow_to_start(tmp_path):
    env = {**_prefect_too_slow(tmp_path), "PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'reviews.db'}"}
    result = run_cli("advance", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stderr.splitlines() == _error_lines(result.stderr) and len(_error_lines(result.stderr)) == 1, (
        result.stderr
    )
    assert "Prefect's temporary server did not start" in result.stderr and f"{SLOW_SETTING}=90" in result.stderr


def test_a_startup_timeout_that_is_not_a_whole_number_is_one_line(tmp_path):
    """The value the hint above asks for: Prefect itself answers 90.5 with a pydantic traceback."""
    result = run_cli(
        "demo",
        "--out",
        tmp_path / "out",
        cwd=tmp_path,
        env={SLOW_SETTING: "90.5", "PREFECT_HOME": str(tmp_path / "prefect-home")},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    [message] = _error_lines(result.stderr)
    assert f"{SLOW_SETTING} must be a whole number of seconds" in message and "'90.5'" in message


def test_demo_says_it_leaves_the_database_of_peer_review_database_url_alone(tmp_path):
    """The demo always uses a database of its own; a user who set PEER_REVIEW_DATABASE_URL is told so, and
    shown the URL without its password. Prefect is made to fail as soon as the partnership is stored, to
    keep the test short: the demo got that far without ever connecting to the (unreachable) database named."""
    env = {
        **_prefect_too_slow(tmp_path),
        "PEER_REVIEW_DATABASE_URL": "postgresql://alice:s3cret-pw@127.0.0.1:9/reviews",
    }
    result = run_cli("demo", "--out", tmp_path / "out", cwd=tmp_path, env=env)
    assert "s3cret-pw" not in result.stdout + result.stderr
    notes = [line for line in result.stderr.splitlines() if "PEER_REVIEW_DATABASE_URL" in line]
    assert len(notes) == 1, result.stderr
    assert (
        f"{tmp_path / 'out' / 'peer-review.db'}" in notes[0]
        and "postgresql://alice:***@127.0.0.1:9/reviews" in notes[0]
    )
    assert "does not touch" in notes[0]
    [error] = _error_lines(result.stderr)  # it ran on its own database up to Prefect, never on the one named
    assert "Prefect's temporary server did not start" in error
    with sqlite3.connect(tmp_path / "out" / "peer-review.db") as connection:
        assert connection.execute("SELECT count(*) FROM review").fetchone()[0] == 12


@pytest.mark.parametrize("link", [MARKER, "emails", "evaluation", "evaluation/survey.csv"])
def test_demo_writes_through_no_link_in_a_marked_folder(tmp_path, link):
    """A link planted in an earlier demo's folder (the marker, emails/, evaluation/ or a file in them) would
    have the demo overwrite or delete what it points at."""
    folder, theirs = tmp_path / "out", tmp_path / "theirs"
    (folder / "evaluation").mkdir(parents=True)
    theirs.mkdir()
    (theirs / "survey.csv").write_text("someone's survey")
    (theirs / "00001-sign_in-ruth.eml").write_text("someone's email")
    if link != MARKER:
        (folder / MARKER).write_text("an earlier demo")
    if link == "evaluation":
        (folder / "evaluation").rmdir()
    (folder / link).symlink_to(theirs / "survey.csv" if link in (MARKER, "evaluation/survey.csv") else theirs)
    before = _snapshot(theirs)
    result = run_cli("demo", "--out", folder, "--until", "2023-09-01", env=_prefect_too_slow(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = _error_lines(result.stderr)
    assert "Traceback" not in result.stderr and "nothing was changed" in line
    assert (
        (f"holds a link, {folder / link}" in line) if link != MARKER else ("no earlier demo wrote it" in line)
    )  # a linked marker marks nothing
    assert _snapshot(theirs) == before


def test_demo_does_not_replace_a_database_holding_partnerships_it_did_not_make(tmp_path):
    """`demo --out .` where `peer-review` keeps its default database: the user's partnership loaded there
    after an earlier demo would be lost with the file."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / MARKER).write_text("an earlier demo")
    with sqlite3.connect(folder / "peer-review.db") as connection:
        connection.execute("CREATE TABLE partnership (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany(
            "INSERT INTO partnership (name) VALUES (?)", [("Sheffield pilot triad",), ("Our real partnership",)]
        )
    before = _snapshot(folder)
    result = run_cli("demo", "--out", ".", "--until", "2023-09-01", cwd=folder, env=_prefect_too_slow(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = _error_lines(result.stderr)
    assert "holds partnerships no demo made (Our real partnership)" in line and "Traceback" not in result.stderr
    assert _snapshot(folder) == before
