"""The restore drill: a partnership under way (an evidence file attached, the timetable built, comments), backed
up with `peer-review backup`, restored with `peer-review restore` into a new database and file store, and
then the restored service answers (status, its files read back, a review page) with every table's rows equal."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import create_engine, text

from peer_review import clock
from peer_review.service import access, discussion
from peer_review.store import db

from helpers import PDF, do_until, run_cli, sign_in, upload_evidence

pytestmark = pytest.mark.db

HOST = "helen.marsh@steelvalley.example.org"


@pytest.fixture
def new_database(database_url, tmp_path):
    """A database URL nothing has used, of the same engine as the test's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'peer-review.db'}"
        return
    name = f"restored_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    db.dispose_all()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restores_into_a_new_database_that_answers_with_every_row_and_file(planned, new_database, tmp_path):
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        do_until("submit_evidence")
        assert upload_evidence(sign_in(HOST), 1, "Board minutes.pdf", PDF).status_code == 303
        with db.session_scope() as session:
            discussion.post(session, access.viewer_for(session, HOST), 1, None, "team_and_host", "Welcome, team")
    source = {"PEER_REVIEW_DATABASE_URL": planned, "PEER_REVIEW_FILES": str(tmp_path / "evidence-files")}
    made = run_cli("backup", "--out", tmp_path / "backup", env=source)
    assert made.returncode == 0, made.stdout + made.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["rows"]["evidencefile"] == 1 and manifest["rows"]["comment"] == 1 and len(manifest["files"]) == 1
    assert "backed up" in made.stdout and "1 evidence file to" in made.stdout

    restored_files = tmp_path / "restored-files"
    done = run_cli("restore", tmp_path / "backup", "--to", new_database, "--files", restored_files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every table's rows and every file's checksum match the backup" in done.stdout

    # the restored service answers: its status, its files, a review page
    target = {"PEER_REVIEW_DATABASE_URL": new_database, "PEER_REVIEW_FILES": str(restored_files)}
    status = run_cli("status", "--json", env=target)
    assert status.returncode == 0 and "Sheffield pilot triad" in status.stdout
    checked = run_cli("files", "check", env=target)
    assert checked.returncode == 0 and "1 file checked" in checked.stdout, checked.stdout
    from peer_review.store.backup import row_counts

    assert row_counts(new_database) == row_counts(planned)  # every table, counted independently of the manifest
    db.dispose_all()
    db.configure(new_database)
    import os

    os.environ["PEER_REVIEW_FILES"] = str(restored_files)
    page = sign_in(HOST).get("/reviews/1")
    assert page.status_code == 200 and "Board minutes.pdf" in page.text and "Welcome, team" in page.text


def test_a_restore_never_writes_over_a_database_or_files_that_exist(planned, tmp_path):
    source = {"PEER_REVIEW_DATABASE_URL": planned, "PEER_REVIEW_FILES": str(tmp_path / "evidence-files")}
    assert run_cli("backup", "--out", tmp_path / "backup", env=source).returncode == 0
    again = run_cli("backup", "--out", tmp_path / "backup", env=source)
    assert again.returncode != 0 and "exists and is not an empty folder" in again.stdout + again.stderr
    onto_itself = run_cli("restore", tmp_path / "backup", "--to", planned, "--files", tmp_path / "other")
    assert onto_itself.returncode != 0
    assert (
        "exists already" in onto_itself.stdout + onto_itself.stderr
        or "holds tables already" in onto_itself.stdout + onto_itself.stderr
    )
    (tmp_path / "taken" / "reviews" / "1").mkdir(parents=True)
    (tmp_path / "taken" / "reviews" / "1" / ("a" * 32)).write_bytes(b"x")
    onto_files = run_cli(
        "restore", tmp_path / "backup", "--to", f"sqlite:///{tmp_path / 'new.db'}", "--files", tmp_path / "taken"
    )
    assert onto_files.returncode != 0 and "holds files already" in onto_files.stdout + onto_files.stderr
    assert not (tmp_path / "new.db").exists()
    not_a_backup = run_cli("restore", tmp_path, "--to", f"sqlite:///{tmp_path / 'new2.db'}")
    assert not_a_backup.returncode != 0 and "is not a peer-review backup" in not_a_backup.stdout + not_a_backup.stderr
