"""`peer-review plan` on the bundled triad and on bad input, as a user runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from peer_review.domain.scheduling import (
    PlannedVisit,
    PlanPerson,
    PlanSettings,
    PlanTrust,
    violations,
)
from peer_review.files.partnerships import load_partnership_file

from helpers import EXAMPLE, run_cli


def _env(tmp_path):
    return {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}"}


def _load(tmp_path, text=None):
    path = EXAMPLE
    if text is not None:
        path = tmp_path / "partnership.yaml"
        path.write_text(text)
    result = run_cli("partnership", "load", path, cwd=tmp_path, env=_env(tmp_path))
    return path, result


def _reviews(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "plan.db") as connection:
        return connection.execute("select count(*) from review").fetchone()[0]


def test_triad_plan_fits_in_24_months_and_keeps_every_hard_constraint(tmp_path):
    _load(tmp_path)
    dry = run_cli("plan", "--dry-run", "--json", cwd=tmp_path, env=_env(tmp_path))
    assert dry.returncode == 0, dry.stderr
    assert _reviews(tmp_path) == 0  # a dry run stores nothing
    proposed = run_cli("plan", "--json", cwd=tmp_path, env=_env(tmp_path))
    assert proposed.returncode == 0 and json.loads(proposed.stdout) == json.loads(dry.stdout)  # deterministic
    assert _reviews(tmp_path) == 0  # proposed: nobody is booked or invited yet
    stored = run_cli("plan", "--publish", "--json", cwd=tmp_path, env=_env(tmp_path))
    assert stored.returncode == 0 and json.loads(stored.stdout) == json.loads(dry.stdout)  # what was proposed
    assert _reviews(tmp_path) == 12
    rows = json.loads(stored.stdout)
    start = dt.date(2023, 11, 1)
    assert all(
        start < dt.date.fromisoformat(r["visit_start"])
        and dt.date.fromisoformat(r["deadlines"]["report"]) <= dt.date(2025, 11, 1)
        for r in rows
    )
    # check the JSON, independently of the planner, against every hard constraint
    loaded = load_partnership_file(EXAMPLE)
    trusts = [
        PlanTrust(t.id, tuple(t.strand_order), loaded.calendars[t.id], frozenset(t.conflicts))
        for t in loaded.spec.trusts
    ]
    people = [PlanPerson(r.email, t.id, tuple(r.strands)) for t in loaded.spec.trusts for r in t.reviewers]
    moderators = [PlanPerson(m.email, None, max_per_term=m.max_reviews_per_term) for m in loaded.spec.moderators]
    visits = [
        PlannedVisit(
            r["trust"],
            r["strand"],
            r["position"],
            dt.date.fromisoformat(r["visit_start"]),
            dt.date.fromisoformat(r["visit_end"]),
            r["term"],
            r["moderator"],
            tuple(r["peers"]),
            (),
        )
        for r in rows
    ]
    assert violations(visits, trusts, people, moderators, PlanSettings(start, dt.date(2025, 11, 1), visit_days=2)) == []
    again = run_cli("plan", cwd=tmp_path, env=_env(tmp_path))
    assert again.returncode == 2 and "already has a published cycle" in again.stderr


BAD = {
    "start after the calendar": (
        None,
        ["--start", "2029-09-03"],
        r"after the last term the 'sheffield' calendar knows.*add the school years 2029-30 to 2031-32",
    ),
    "start before the calendar": (
        None,
        ["--start", "1999-11-01"],
        r"starts 1999-11-01, before the first term the 'sheffield' calendar knows \(it covers the school years 2023-24 to 2028-29.*add the school years 1999-00 to 2001-02",
    ),
    "cycle too short": (lambda t: t.replace("months: 24", "months: 3"), [], r"too short for 4 reviews per trust"),
    "moderator pool too small": (
        lambda t: re.sub(r"  - \{name: Priya Raman.*\n", "", t).replace(
            "max_reviews_per_term: 2", "max_reviews_per_term: 1"
        ),
        [],
        r"every moderator is busy or at max_reviews_per_term",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_impossible_plans_are_explained_and_store_nothing(case, tmp_path):
    mutate, args, expected = BAD[case]
    _, loaded = _load(tmp_path, mutate(EXAMPLE.read_text()) if mutate else None)
    assert loaded.returncode == 0, loaded.stderr
    result = run_cli("plan", *args, cwd=tmp_path, env=_env(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert re.search(expected, " ".join(result.stderr.split())), result.stderr
    assert _reviews(tmp_path) == 0


OUTSIDE_THE_CALENDAR = {
    "1999": (
        "start: 1999-11-01",
        r"line 5 \(cycle\.start\): the cycle starts 1999-11-01, before the first term the 'sheffield' calendar knows "
        r"\(it covers the school years 2023-24 to 2028-29, 2023-09-04 to 2029-07-23\); add the school years 1999-00 to 2001-02 to it",
    ),
    "after": (
        "start: 2029-09-03",
        r"line 5 \(cycle\.start\): the cycle starts 2029-09-03, after the last term .* add the school years 2029-30 to 2031-32 to it",
    ),
    "beyond": (
        "start: 2028-09-04",
        r"line 5 \(cycle\.months\): the cycle runs to 2030-09-04, but the 'sheffield' calendar knows terms only up to 2029-07-23 "
        r".*add the school years 2029-30 to 2030-31 to it",
    ),
}


@pytest.mark.parametrize("case", list(OUTSIDE_THE_CALENDAR))
def test_a_cycle_outside_the_calendar_is_refused_at_load_naming_the_years_to_add(case, tmp_path):
    start, expected = OUTSIDE_THE_CALENDAR[case]
    _, result = _load(tmp_path, EXAMPLE.read_text().replace("start: 2023-11-01", start))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert re.search(expected, message), message
    assert "term_dates" in message  # where a calendar with those years goes
    nothing = run_cli("plan", cwd=tmp_path, env=_env(tmp_path))
    assert nothing.returncode == 2 and "no partnership is loaded" in nothing.stderr


def test_unknown_person_in_a_conflict_is_refused_at_load(tmp_path):
    text = EXAMPLE.read_text().replace(
        "strands: [workforce]}", "strands: [workforce], conflicts: [nobody@example.org]}", 1
    )
    _, result = _load(tmp_path, text)
    assert result.returncode == 2
    assert re.search(
        r"trusts\[0\]\.reviewers\[1\]\.conflicts\[0\].*neither a trust id nor a person's email",
        " ".join(result.stderr.split()),
    ), result.stderr


def test_chart_draws_a_bar_per_visit_and_shades_holidays(tmp_path):
    import xml.etree.ElementTree as ET

    _load(tmp_path)
    chart = tmp_path / "cycle.svg"
    result = run_cli("plan", "--dry-run", "--chart", chart, cwd=tmp_path, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    root = ET.parse(chart).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    visits = [r for r in root.iterfind(".//svg:rect", ns) if r.get("class") == "visit"]
    holidays = [r for r in root.iterfind(".//svg:rect", ns) if r.get("class") == "holiday"]
    assert len(visits) == 12 and len(holidays) >= 3 * 5
    texts = [t.text for t in root.iterfind(".//svg:text", ns)]
    assert "Steel Valley Academy Trust" in texts and "1. school-improvement" in texts
    bad = run_cli("plan", "--dry-run", "--chart", tmp_path / "cycle.png", cwd=tmp_path, env=_env(tmp_path))
    assert bad.returncode == 2 and "give a file ending in .svg" in bad.stderr


def test_demo_refuses_a_bad_until_date_before_it_starts(tmp_path):
    result = run_cli("demo", "--until", "2024-13-01", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2
    assert "--until must be a date like 2023-11-01, not '2024-13-01'" in result.stderr
    assert "starting Prefect" not in result.stderr and not (tmp_path / "out").exists()


def test_demo_of_a_partnership_that_cannot_be_planned_says_why_and_leaves_no_prefect_server(tmp_path):
    """The demo starts Prefect's temporary server while it plans; a plan that fails ends the command at once,
    with no server left behind (here planning fails before the server process is spawned)."""
    mutate, _, expected = BAD["moderator pool too small"]
    partnership = tmp_path / "partnership.yaml"
    partnership.write_text(mutate(EXAMPLE.read_text()))
    home = tmp_path / "prefect-home"
    env = {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    result = run_cli("demo", "--partnership", partnership, "--out", tmp_path / "out", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert re.search(expected, " ".join(result.stderr.split())), result.stderr
    assert _processes_with(f"PREFECT_HOME={home}") == []


def _processes_with(variable: str, running: str = "") -> list[int]:
    """Processes (other than this one) whose environment holds `variable` (NAME=value), and whose command
    line mentions `running`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ, open(f"/proc/{entry}/cmdline", "rb") as command:
                    if variable.encode() in environ.read().split(b"\0") and running.encode() in command.read():
                        found.append(int(entry))
            except OSError:  # gone, or not ours to read
                pass
    return found


def test_ctrl_c_ends_a_demo_at_once_and_leaves_nothing_running(tmp_path):
    """Ctrl-C reaches the whole process group, Prefect's temporary server included; the demo still ends at
    once (Prefect alone would retry reporting to its stopped server for a minute or more)."""
    home = tmp_path / "prefect-home"
    environment = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "peer_review", "demo", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    database = tmp_path / "out" / "peer-review.db"
    deadline = time.monotonic() + 120
    while not (database.exists() and _processes_with(f"PREFECT_HOME={home}", running="uvicorn")):
        assert time.monotonic() < deadline and demo.poll() is None, demo.stderr.read().decode()[-2000:]
        time.sleep(0.2)  # until the partnership is stored and the temporary server runs beside the demo
    time.sleep(3)  # into the flow
    os.killpg(demo.pid, signal.SIGINT)  # as Ctrl-C in a terminal does
    try:
        _, stderr = demo.communicate(timeout=60)  # a hang guard, not a speed test
    finally:
        demo.kill()
    assert demo.returncode == 130
    assert (
        "interrupted; every step finished before is recorded" in stderr.decode() and "Traceback" not in stderr.decode()
    )
    time.sleep(1)  # the report helper notices within half a second
    assert _processes_with(f"PREFECT_HOME={home}") == []


def test_demo_with_a_prefect_server_that_cannot_be_reached_says_so_before_it_starts(tmp_path):
    result = run_cli("demo", "--out", tmp_path / "out", cwd=tmp_path, env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert (
        "could not reach the Prefect server at PREFECT_API_URL=http://127.0.0.1:9/api" in message
        and "unset PREFECT_API_URL" in message
    )
    assert not (tmp_path / "out").exists()
