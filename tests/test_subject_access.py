"""A subject access export holds every row naming the person: checked against rows found independently, with
SQL, in every table (a column referring to a person holding one of their ids, or any column's text holding
their email or full name), and the Word documents that name them; only a partnership's coordinator makes one."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest
from sqlalchemy import JSON, String, cast, or_, select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import Person, every_table

from helpers import do_until, run_cli

pytestmark = pytest.mark.db

PEER, NAME = "owen.fletcher@donriver.example.org", "Owen Fletcher"
COORDINATOR = "ruth.ashby@coordinator.example.org"


def _independently(ids: set[int]) -> dict[str, set]:
    """By table, the primary keys (or whole rows, for a table without an id) of the rows naming the person."""
    found: dict[str, set] = {}
    with db.get_engine().connect() as connection:
        for table in every_table().sorted_tables:
            conditions = [
                c.in_(ids)
                for c in table.columns
                if any(fk.column.table.name == "person" for fk in c.foreign_keys)
                or (table.name == "person" and c.name == "id")
            ]
            for column in table.columns:
                kind = column.type.impl if hasattr(column.type, "impl") else column.type  # sqlmodel's AutoString
                if isinstance(kind, (String, JSON)) or isinstance(column.type, (String, JSON)):
                    text = cast(column, String)
                    conditions += [text.ilike(f"%{PEER}%"), text.ilike(f"%{NAME}%")]
            if not conditions:
                continue
            rows = connection.execute(select(table).where(or_(*conditions))).mappings().all()
            if rows:
                found[table.name] = {
                    r["id"] if "id" in r else json.dumps(dict(r), default=str, sort_keys=True) for r in rows
                }
    return found


def test_the_export_holds_every_row_naming_the_person_and_the_documents_that_name_them(planned, tmp_path):
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 20), 9)):
        do_until("moderate")  # the team's answers, the findings, emails and the audit log all name them
    with db.session_scope() as session:
        ids = (
            set(session.exec(select(Person.id).where(Person.email == PEER)).scalars())
            if False
            else {p.id for p in session.exec(select(Person).where(Person.email == PEER)).scalars()}
        )
    made = run_cli(
        "subject-access",
        PEER,
        "--out",
        tmp_path / "owen.zip",
        "--as",
        COORDINATOR,
        env={"PEER_REVIEW_DATABASE_URL": planned},
    )
    assert made.returncode == 0, made.stdout + made.stderr
    with zipfile.ZipFile(tmp_path / "owen.zip") as bundle:
        names = bundle.namelist()
        tables = {
            n.removeprefix("tables/").removesuffix(".json"): json.loads(bundle.read(n))
            for n in names
            if n.startswith("tables/")
        }
        note = bundle.read("what-this-holds.txt").decode()
        documents = [n for n in names if n.startswith("documents/")]
    expected = _independently(ids)
    assert {"person", "assignment", "task", "auditentry", "finding"} <= set(expected)
    got = {t: {r["id"] if "id" in r else None for r in rows} for t, rows in tables.items()}
    expected["auditentry"] -= {max(expected["auditentry"])}  # the export's own entry, written as it was made
    for table, keys in expected.items():
        if None in got.get(table, set()):
            continue  # a table without an id: compared by count
        extra = [r for r in tables.get(table, []) if r.get("id") in got.get(table, set()) - keys]
        assert got.get(table) == keys, (table, extra[:2])
    assert set(got) == set(expected)
    assert documents and any("lines-of-enquiry-agreement" in d for d in documents)
    assert "Owen Fletcher <owen.fletcher@donriver.example.org>" in note and "What it does not hold" in note


def test_only_a_coordinator_of_their_partnership_makes_an_export(planned, tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": planned}
    refused = run_cli(
        "subject-access", PEER, "--out", tmp_path / "x.zip", "--as", "helen.marsh@steelvalley.example.org", env=env
    )
    assert refused.returncode != 0 and not (tmp_path / "x.zip").exists()
    assert "made by the coordinator of a partnership the person is in" in refused.stdout + refused.stderr
    unknown = run_cli("subject-access", "nobody@example.org", "--out", tmp_path / "y.zip", "--as", COORDINATOR, env=env)
    assert unknown.returncode != 0 and "no person with the email" in unknown.stdout + unknown.stderr
