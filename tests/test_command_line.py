"""The command line's shape: every command reachable with its own help, a misspelt one suggested, plain
lines printed whole, and nothing printed that could rewrite the terminal."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
import typer

from peer_review.entrypoints import cli

from helpers import EXAMPLE, run_cli


def _run_main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "200")
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _names(app: typer.Typer) -> list[str]:
    return [cli.command_name(c) for c in app.registered_commands] + [g.name for g in app.registered_groups]


def test_every_command_and_group_answers_its_own_help(monkeypatch, capsys):
    names = _names(cli.app)
    assert {"status", "tasks", "submit", "demo", "task", "partnership", "headline-data"} <= set(names)
    for name in names:
        code, text = _run_main(monkeypatch, capsys, name, "--help")
        assert code == 0 and f"{name} [OPTIONS]" in text, (name, text[-500:])
    for group in cli.app.registered_groups:  # and each group's own commands
        for sub in _names(group.typer_instance):
            code, text = _run_main(monkeypatch, capsys, group.name, sub, "--help")
            assert code == 0 and f"{group.name} {sub} [OPTIONS]" in text, (group.name, sub, text[-500:])


def test_help_lists_every_command_and_a_misspelt_one_is_suggested(monkeypatch, capsys):
    code, text = _run_main(monkeypatch, capsys, "--help")
    assert code == 0 and all(name in text for name in _names(cli.app))
    code, text = _run_main(monkeypatch, capsys, "stauts")
    assert code == 2 and "No such command 'stauts'" in text and "status" in text
    code, text = _run_main(monkeypatch, capsys, "status", "--bogus")
    assert code == 2 and "No such option: --bogus" in text


def test_a_plain_line_is_printed_whole_even_when_piped(tmp_path):
    """Rich wrapped every line at 80 columns when the output was not a terminal, splitting a long name."""
    name = "The Very Long Name of a Partnership of Trusts Across South Yorkshire and the Peak District"
    path = tmp_path / "long.yaml"
    path.write_text(EXAMPLE.read_text().replace("name: Sheffield pilot triad", f"name: {name}", 1))
    result = run_cli("partnership", "load", path, env={"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"loaded '{name}': 3 trusts, 18 people"]


def test_control_characters_are_dropped_from_plain_lines(capsys):
    cli.out.print("a name\r\x1b[2Jwith \x07 controls\tand a tab")
    cli.err.print("\x08error\nsecond line")
    captured = capsys.readouterr()
    assert captured.out == "a name[2Jwith  controls\tand a tab\n"
    assert captured.err == "error\nsecond line\n"


def test_a_command_started_with_its_output_closed_still_does_its_work_and_says_so_in_its_exit_code(tmp_path):
    """A daemon or a cron job may start a command with stdout or stderr closed (Python then has no stream
    to print to): the work is done, and the exit code is the command's own."""
    for closed in (1, 2):
        env = {**os.environ, "PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / f'closed-{closed}.db'}"}
        loaded = subprocess.run(
            [sys.executable, "-m", "peer_review", "partnership", "load", str(EXAMPLE)],
            env=env,
            preexec_fn=lambda closed=closed: os.close(closed),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert loaded.returncode == 0 and "Traceback" not in loaded.stderr, (closed, loaded.stderr[-1500:])
        refused = subprocess.run(
            [sys.executable, "-m", "peer_review", "status", "-p", "nobody"],
            env=env,
            preexec_fn=lambda closed=closed: os.close(closed),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, (closed, refused.stderr[-1500:])
        with sqlite3.connect(tmp_path / f"closed-{closed}.db") as stored:
            assert stored.execute("SELECT name FROM partnership").fetchall() == [("Sheffield pilot triad",)]


def test_stdout_and_stderr_sharing_a_pipe_keep_their_order_and_errors_drop_control_characters(planned, tmp_path):
    from peer_review.service import queries
    from peer_review.store import db

    with db.session_scope() as session:
        task = next(t for t in queries.open_tasks(session) if t.kind == "respond_to_assignment")
    answer = tmp_path / "answer.yaml"
    answer.write_text('response: accept\nreason: ""\n')
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"
    }  # as in a cron job's log: stdout block-buffered
    env |= {"PEER_REVIEW_DATABASE_URL": planned, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "peer_review", "submit", str(task.id), str(answer), "--as", task.assignee_email],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    assert (
        result.returncode == 0
        and lines[0].startswith(f"task {task.id} done")
        and lines[1].startswith("warning: could not reach")
    ), lines

    hostile = run_cli("status", "-p", "X\x1b]0;pwned\x07\x1b[2J\u009bY", env={"PEER_REVIEW_DATABASE_URL": planned})
    assert hostile.returncode == 2 and "no partnership named 'X]0;pwned[2JY'" in hostile.stderr, hostile.stderr


def test_garbage_is_collected_once_start_up_is_over_in_the_command_and_in_a_process_it_forks():
    import gc
    import time

    from peer_review.__main__ import collect_after_start_up

    def collecting_within(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.02)
        return gc.isenabled()

    try:
        collect_after_start_up(seconds=0.5)
        assert not gc.isenabled()  # while the command starts
        child = os.fork()
        if child == 0:  # its own first half second, then collecting
            os._exit(0 if not gc.isenabled() and collecting_within(10) else 1)
        assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
        assert collecting_within(10)  # a command still running collects as usual
        child = os.fork()
        if child == 0:  # forked later: collecting from the start
            os._exit(0 if gc.isenabled() else 1)
        assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    finally:
        gc.enable()


def test_the_installed_command_runs_through_the_same_entry_point_as_python_m():
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"peer-review": "peer_review.__main__:main"}
    result = run_cli("status", "-p", "no such partnership", env={"PEER_REVIEW_DATABASE_URL": "sqlite://"})
    assert result.returncode == 2 and "no partnership is loaded" in result.stderr


def test_a_database_that_cannot_be_reached_is_named_as_given_without_its_password():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket closes
    result = run_cli("status", env={"PEER_REVIEW_DATABASE_URL": f"postgresql://reviewer:s3cret@127.0.0.1:{port}/peer"})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-1500:]
    assert f"error: cannot use the database postgresql://reviewer:***@127.0.0.1:{port}/peer: " in result.stderr
    assert "s3cret" not in result.stderr and "postgresql+psycopg2" not in result.stderr


def test_a_database_url_that_is_not_one_is_refused_saying_what_would_do_and_never_shows_a_password(tmp_path):
    refused = {
        "nonsense": "'nonsense'",
        "mysql://reviewer:s3cret@db.example.org/peer": "'mysql://reviewer:***@db.example.org/peer'",
        "postgresql://reviewer:s3cret@127.0.0.1:five/peer": "'postgresql://***@127.0.0.1:five/peer'",
        "host=127.0.0.1 user=reviewer password=s3cret dbname=peer": "'host=127.0.0.1 user=reviewer password=*** dbname=peer'",  # libpq's form
        "postgresql:/reviewer:s3cret@127.0.0.1/peer": "'***@127.0.0.1/peer'",
        "postgresql://reviewer:s3@cret@127.0.0.1/peer": "'postgresql://***@127.0.0.1/peer'",  # an @ in the password, not written %40
        "postgresql://reviewer:s3/c@ret@127.0.0.1/peer": "'postgresql://***@127.0.0.1/peer'",
    }
    for url, shown in refused.items():
        result = run_cli("status", cwd=tmp_path, env={"PEER_REVIEW_DATABASE_URL": url})
        assert result.returncode == 2 and "Traceback" not in result.stderr, (url, result.stderr[-1500:])
        assert (
            f"error: PEER_REVIEW_DATABASE_URL is not an SQLite or PostgreSQL database URL that peer-review can read: {shown}; "
            in result.stderr
        ), result.stderr
        assert (
            "give sqlite:///PATH/TO/FILE.db or postgresql://USER:PASSWORD@HOST:5432/NAME (an @, : or / in the password written %40"
            in result.stderr
        )
        assert "s3" not in result.stderr and "cret" not in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing made on the way


def test_a_password_given_as_a_setting_of_the_url_is_hidden_too():
    from peer_review.store.db import database_url_for_display

    shown = database_url_for_display("postgresql://reviewer:s3cret@127.0.0.1/peer?sslmode=require&password=qs3cret")
    assert (
        shown == "postgresql://reviewer:***@127.0.0.1/peer?password=***&sslmode=require"
    )  # SQLAlchemy sorts the settings


@pytest.mark.parametrize("address", ["review.example.org", "http://[::1", "https://review.example.org/?from=email"])
def test_a_web_address_without_its_scheme_is_refused_before_serving(monkeypatch, address):
    """'review.example.org' has no host to check requests against: every request used to fail with a TypeError;
    a query would be broken by every link built on it."""
    from peer_review.entrypoints.web.app import create_app
    from peer_review.errors import BadInput

    monkeypatch.setenv("PEER_REVIEW_WEB_URL", address)
    with pytest.raises(BadInput, match="PEER_REVIEW_WEB_URL must be the address people reach the service at, starting"):
        create_app()
