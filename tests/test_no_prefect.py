"""Commands that only read or record, and the web view, must not pay for importing Prefect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from conftest import EXAMPLE

PROBE = """
import sys, io, contextlib
from peer_review import db
from peer_review.cli import app
db.configure(sys.argv[1])
for args in ([ "partnership", "load", sys.argv[2]], ["plan"], ["status"], ["status", "--json"], ["status", "--csv"], ["tasks"], ["report", "1", "--out", sys.argv[3], "--all"]):
    try:
        app(args, standalone_mode=False)
    except Exception as exc:
        print("raised", type(exc).__name__, exc)
from peer_review.service import workflow
workflow.advance_review(db.session_scope, 1)
for args in (["task", "template", "1"], ["tasks", "--person", "owen.fletcher@donriver.example.org"]):
    app(args, standalone_mode=False)
sys.path.insert(0, sys.argv[4])
from webclient import post_form, sign_in
web = sign_in("ruth.ashby@coordinator.example.org")
assert all(web.get(path).status_code == 200 for path in ("/", "/partnerships/1", "/reviews/1", "/partnerships/1/status.json", "/tasks/1"))
assert post_form(web, "/tasks/1", {"response": "accept", "action": "submit"}).status_code == 303  # and the review moves on
print("PREFECT_LOADED" if any(m == "prefect" or m.startswith("prefect.") for m in sys.modules) else "PREFECT_ABSENT")
"""


def test_read_and_record_commands_do_not_import_prefect(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / 'x.db'}", str(EXAMPLE), str(tmp_path), str(Path(__file__).resolve().parent)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "response: accept" in result.stdout and "Accept or decline" in result.stdout
    assert result.stdout.strip().endswith("PREFECT_ABSENT"), result.stdout[-2000:]
