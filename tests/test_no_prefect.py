"""Commands that only read or record, and the web view, must not pay for importing Prefect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import EXAMPLE

PROBE = """
import sys
from pathlib import Path

import yaml
from sqlmodel import select

from peer_review.store import db
from peer_review.entrypoints.cli import app
from peer_review.service import queries, workflow
from peer_review.demo.simulation import answer
from peer_review.store.tables import Document

db.configure(sys.argv[1])
out = Path(sys.argv[3])


def run(*args):
    # as the CLI runs it; an error is not caught, so the probe stops with a traceback and a non-zero exit
    app([str(a) for a in args], standalone_mode=False)
    print("RAN", *args, flush=True)


for args in (["partnership", "load", sys.argv[2]], ["plan"], ["plan", "--publish"], ["status"], ["status", "--json"], ["status", "--csv"], ["tasks"]):
    run(*args)
workflow.advance_review(db.session_scope, 1)
run("task", "template", 1)
run("tasks", "--person", "owen.fletcher@donriver.example.org")
sys.path.insert(0, sys.argv[4])
from helpers import post_form, sign_in
web = sign_in("ruth.ashby@coordinator.example.org")
assert all(web.get(path).status_code == 200 for path in ("/", "/partnerships/1", "/reviews/1", "/partnerships/1/status.json", "/tasks/1"))
assert post_form(web, "/tasks/1", {"response": "accept", "action": "submit"}).status_code == 303  # and the review moves on
for _ in range(10):  # the team accept and the lines are agreed, with `submit`, until the engine renders a document
    with db.session_scope() as session:
        if session.exec(select(Document.id).where(Document.review_id == 1)).first():
            break
        task = next(t for t in queries.open_tasks(session) if t.review_id == 1)
        reply = answer(queries.task_context(session, task.id))
    (out / "answer.yaml").write_text(yaml.safe_dump(reply))
    run("submit", task.id, out / "answer.yaml", "--as", task.assignee_email)
run("report", 1, "--out", out / "documents", "--all")
print("ALEMBIC_LOADED" if "alembic" in sys.modules else "ALEMBIC_ABSENT")  # the schema was new, so Alembic built it...
import subprocess
again = subprocess.run([sys.executable, "-c", "import sys; from peer_review.entrypoints.cli import app; app(['status', '--json'], standalone_mode=False); "
                        "print('ALEMBIC_LOADED' if 'alembic' in sys.modules else 'ALEMBIC_ABSENT')"],
                       capture_output=True, text=True, env={**__import__("os").environ, "PEER_REVIEW_DATABASE_URL": sys.argv[1]})
print("AT THE NEWEST SCHEMA:", again.stdout.strip().splitlines()[-1], again.stderr[-500:])  # ...and a later command does not import it
print("PREFECT_LOADED" if any(m == "prefect" or m.startswith("prefect.") for m in sys.modules) else "PREFECT_ABSENT")
"""

COMMANDS = [
    "partnership load",
    "plan",
    "plan --publish",
    "status",
    "status --json",
    "status --csv",
    "tasks",
    "task template 1",
    "tasks --person",
    "submit",
    "report 1",
]


def test_read_and_record_commands_do_not_import_prefect(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            f"sqlite:///{tmp_path / 'x.db'}",
            str(EXAMPLE),
            str(tmp_path),
            str(Path(__file__).resolve().parent),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ran = [line for line in result.stdout.splitlines() if line.startswith("RAN ")]
    assert all(any(line.startswith(f"RAN {command}") for line in ran) for command in COMMANDS), ran
    assert "response: accept" in result.stdout and "Accept or decline" in result.stdout
    assert (
        "Sheffield pilot triad" in result.stdout and "review,trust,host,strand" in result.stdout
    )  # status, and its CSV
    assert list((tmp_path / "documents").glob("*.docx")), "report wrote no document"
    assert result.stdout.strip().endswith("PREFECT_ABSENT"), result.stdout[-2000:]
    assert "ALEMBIC_LOADED" in result.stdout  # the probe's first command built the schema
    assert "AT THE NEWEST SCHEMA: ALEMBIC_ABSENT" in result.stdout, result.stdout[-2000:]
