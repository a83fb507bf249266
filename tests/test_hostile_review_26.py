"""A hostile review of issue 26's backup and restore, access log, calendar address and subject access export:
each test here failed on the code as it was reviewed (9a730a2)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sqlite3
import zipfile
from pathlib import Path

import icalendar
import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import Person

from helpers import csrf_of, do_until, load_second_partnership, new_client, run_cli, sign_in

pytestmark = pytest.mark.db

PEER, NAME = "owen.fletcher@donriver.example.org", "Owen Fletcher"  # on review 1's team
COORDINATOR = "ruth.ashby@coordinator.example.org"
HOST = "helen.marsh@steelvalley.example.org"
MONDAY = clock.at_london(dt.date(2023, 11, 6), 9)
ROOT = Path(__file__).resolve().parent.parent


def _export(email: str, as_: str) -> dict[str, list[dict]]:
    from peer_review.service import access
    from peer_review.service.subject_access import export

    with db.session_scope() as session:
        _name, content = export(session, access.viewer_for(session, as_), email)
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return {
            n.removeprefix("tables/").removesuffix(".json"): json.loads(bundle.read(n))
            for n in bundle.namelist()
            if n.startswith("tables/")
        }


# The subject access export


def test_a_timetable_session_the_person_is_at_is_in_their_export(planned):
    """visitsession.reviewer_ids holds person ids in JSON, with no foreign key: the export missed the row."""
    from peer_review.store.timetable import add_visit_session

    with db.session_scope() as session:
        peer = session.exec(select(Person).where(Person.email == PEER)).one()
        host = session.exec(select(Person).where(Person.email == HOST)).one()
        add_visit_session(
            session,
            review_id=1,
            day=dt.date(2024, 1, 22),
            start=dt.time(9),
            end=dt.time(10),
            activity="meeting",
            description="Governance walk",
            school="Steel Valley Academy",
            room="",
            host_people="",
            reviewer_ids=[peer.id],
            by_id=host.id,
            at=clock.now(),
        )
    tables = _export(PEER, COORDINATOR)
    assert [r["description"] for r in tables.get("visitsession", [])] == ["Governance walk"]


def test_another_partnership_s_person_of_the_same_name_is_not_in_the_export(planned, tmp_path):
    load_second_partnership(tmp_path)  # another Owen Fletcher, owen.fletcher@donriver.other.example.org
    with db.session_scope() as session:
        other = {p.id for p in session.exec(select(Person).where(Person.email.like("%other.example.org")))}
    tables = _export(PEER, COORDINATOR)
    assert {r["email"] for r in tables["person"]} == {PEER}
    leaked = [
        (table, row.get("id"))
        for table, rows in tables.items()
        for row in rows
        if any(row.get(c) in other for c in ("person_id", "author_id", "assignee_id", "reviewer_id"))
        or "other.example.org" in json.dumps(row)
    ]
    assert leaked == []


def test_the_subject_access_zip_is_written_only_to_a_new_file_that_only_its_owner_reads(planned, tmp_path):
    """A dangling symlink at --out was followed (the zip written where it pointed), and the zip of someone's
    personal data was written readable by every user of the machine (0644)."""
    env = {"PEER_REVIEW_DATABASE_URL": planned}
    elsewhere = tmp_path / "elsewhere.zip"
    (tmp_path / "link.zip").symlink_to(elsewhere)
    followed = run_cli("subject-access", PEER, "--out", tmp_path / "link.zip", "--as", COORDINATOR, env=env)
    assert followed.returncode != 0 and not elsewhere.exists()
    made = run_cli("subject-access", PEER, "--out", tmp_path / "owen.zip", "--as", COORDINATOR, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    assert (tmp_path / "owen.zip").stat().st_mode & 0o077 == 0


# The access log


def test_reading_the_report_as_a_page_is_in_the_access_log(planned):
    """The access log says it records the report's page; only the Word document's download was recorded."""
    with clock.frozen_at(MONDAY):
        do_until("check_report")
        host = sign_in(HOST)
        assert host.get("/reviews/1/report").status_code == 200
        log = sign_in(COORDINATOR).get("/reviews/1/access-log")
    assert log.status_code == 200
    assert HOST in log.text and "report" in log.text.split("<main", 1)[1].lower()
    from peer_review.store.tables import AccessRecord

    with db.session_scope() as session:
        rows = session.exec(select(AccessRecord)).all()
    assert [(r.email, r.what) for r in rows] == [(HOST, "report page")]


# The calendar address


def test_the_nginx_error_log_never_holds_a_calendar_address(planned):
    """nginx writes the request line, token and all, into error.log when the app does not answer (an upstream
    error): the sign-in location keeps those out, the calendar addresses (polled all day) did not."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    block = re.search(r"location /calendar-feed/ \{(.*?)\n    \}", conf, re.S)
    assert block is not None and "error_log /var/log/nginx/error.log crit;" in block.group(1)
    assert "proxy_pass http://127.0.0.1:8000;" in block.group(1)


def test_a_calendar_address_no_longer_shows_a_partnership_its_person_has_left(planned, tmp_path):
    """The address answered with every visit of every partnership the email was ever in, left or not."""
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading

    from helpers import EXAMPLE, plan_and_publish

    text = EXAMPLE.read_text()
    # a second partnership in which only Owen keeps his email: he is in both
    other = text.replace("Sheffield pilot triad", "Other triad").replace(".example.org", ".other.example.org")
    other = other.replace("owen.fletcher@donriver.other.example.org", PEER)
    path = tmp_path / "other.yaml"
    path.write_text(other)
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(path))
        plan_and_publish(session, "Other triad")
    with clock.frozen_at(MONDAY):
        peer = sign_in(PEER)
        page = peer.get("/calendar")
        made = peer.post("/calendar", data={"csrf_token": csrf_of(page.text), "action": "make"})
        address = re.search(r'id="calendar-address">([^<]+)<', made.text).group(1)
    path_of = "/" + address.split("://", 1)[1].split("/", 1)[1]
    with db.session_scope() as session:  # he leaves the first partnership (as `partnership load --update` marks it)
        first = session.exec(select(Person).where(Person.email == PEER, Person.partnership_id == 1)).one()
        first.left_on = dt.date(2023, 11, 6)
        session.add(first)
    with clock.frozen_at(MONDAY):
        got = new_client().get(path_of)
    assert got.status_code == 200
    uids = {str(e["uid"]) for e in icalendar.Calendar.from_ical(got.content).walk("VEVENT")}
    with db.session_scope() as session:
        from peer_review.store.tables import Review

        first_reviews = {r.id for r in session.exec(select(Review).where(Review.partnership_id == 1))}
    assert uids and not {u for u in uids if int(u.split("-")[1]) in first_reviews}


# Backup and restore


def _backup(planned: str, tmp_path: Path) -> Path:
    made = run_cli(
        "backup",
        "--out",
        tmp_path / "backup",
        env={"PEER_REVIEW_DATABASE_URL": planned, "PEER_REVIEW_FILES": str(tmp_path / "evidence-files")},
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp_path / "backup"


def test_a_restore_that_fails_its_check_leaves_no_database_behind(planned, tmp_path):
    """A restore whose rows differ from the manifest said "not to be used" and left the database there, where
    `peer-review serve` would use it (and a second try was refused: it exists already)."""
    if not planned.startswith("sqlite"):
        pytest.skip("SQLite's restore writes a new file; PostgreSQL's goes into a database the operator made")
    backup = _backup(planned, tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["rows"]["person"] += 1
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored" / "new.db"
    done = run_cli("restore", backup, "--to", f"sqlite:///{target}", "--files", tmp_path / "restored-files")
    assert done.returncode != 0 and "differ" in done.stdout + done.stderr
    assert not target.exists()


def test_a_damaged_or_altered_database_copy_is_not_restored(planned, tmp_path):
    """The manifest held the row counts but no checksum of the database's copy: a copy altered (or damaged) with
    the same number of rows was restored as checked."""
    if not planned.startswith("sqlite"):
        pytest.skip("the copy is altered here with sqlite3")
    backup = _backup(planned, tmp_path)
    with sqlite3.connect(backup / "database.sqlite") as copy:
        copy.execute("UPDATE person SET email = 'attacker@example.net' WHERE email = ?", (PEER,))
    copy.close()
    target = tmp_path / "restored" / "new.db"
    done = run_cli("restore", backup, "--to", f"sqlite:///{target}", "--files", tmp_path / "restored-files")
    assert done.returncode != 0 and "checksum" in done.stdout + done.stderr
    assert not target.exists()
    assert os.listdir(backup)  # the backup itself untouched
