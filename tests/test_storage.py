"""Storage: the migrations build exactly the schema the tables describe, and the audit log is append-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlmodel import select

from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading
from peer_review.store import db
from peer_review.store.tables import AuditEntry, Partnership, every_table

from helpers import EXAMPLE

pytestmark = pytest.mark.db


def test_migrations_match_the_tables(database_url):
    engine = db.get_engine()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, every_table()) == []


def test_upgrade_at_the_newest_schema_changes_nothing_and_keeps_the_data(database_url):
    engine = db.get_engine()  # upgraded to the newest schema on first use
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        revision = db.upgrade(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    head = ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()
    assert revision == head == db.SCHEMA_VERSION  # the code's own note of the newest migration is the migrations' head
    assert any("alembic_version" in s for s in statements)  # the listener saw upgrade read the revision...
    assert [
        s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))
    ] == []  # ...and nothing else ran
    with db.session_scope() as session:
        assert session.exec(select(Partnership.name)).all() == ["Sheffield pilot triad"]
        assert [e.action for e in session.exec(select(AuditEntry))] == ["partnership_loaded"]
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_audit_entries_cannot_be_changed_or_deleted(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    with pytest.raises(RuntimeError, match="append-only"):
        with db.session_scope() as session:
            entry = session.exec(select(AuditEntry)).first()
            entry.action = "rewritten"
            session.add(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        with db.session_scope() as session:
            session.delete(session.exec(select(AuditEntry)).first())
    with db.session_scope() as session:
        assert [e.action for e in session.exec(select(AuditEntry))] == ["partnership_loaded"]


# Each table module alone, in a fresh process: its tables are the ones `MODULES` names, and every table
# they refer to is defined too, so a command that names only these tables can write to them.
_MODULE_ALONE = """
import importlib, sys
from sqlmodel import SQLModel
from peer_review.store.tables import MODULES
name = sys.argv[1]
module = importlib.import_module(f"peer_review.store.tables.{name}")
own = {k for k, v in vars(module).items() if isinstance(v, type) and getattr(v, "__module__", "") == module.__name__ and hasattr(v, "__table__")}
assert own == set(MODULES[name]), (name, own)
for table in SQLModel.metadata.tables.values():
    for key in table.foreign_keys:
        key.column  # raises NoReferencedTableError if the table it names is not defined
print("OK", len(SQLModel.metadata.tables))
"""


def test_each_table_module_defines_what_it_is_listed_with_and_the_tables_it_refers_to():
    import subprocess
    import sys

    from peer_review.store.tables import MODULES

    for name in MODULES:
        result = subprocess.run(
            [sys.executable, "-c", _MODULE_ALONE, name], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0 and result.stdout.startswith("OK"), (name, result.stderr[-1500:])
    assert len({table for tables in MODULES.values() for table in tables}) == len(every_table().tables) == 41


def test_the_type_checkers_imports_of_the_tables_are_the_ones_modules_lists():
    """The `if TYPE_CHECKING:` block of peer_review/store/tables/__init__.py imports each table from its module,
    as MODULES lists them (at run time a table is defined only when first asked for)."""
    import ast

    from peer_review.store import tables

    tree = ast.parse(Path(tables.__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    imported = {
        node.module.removeprefix("peer_review.store.tables."): tuple(sorted(a.name for a in node.names))
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported == {module: tuple(sorted(names)) for module, names in tables.MODULES.items()}


def test_status_json_defines_only_the_tables_it_names_and_imports_neither_rich_nor_yaml(planned):
    """A start-up guard, as Alembic's absence is: `status` needs a third of the tables (none of a review's
    records, the audit log or mail), and prints JSON."""
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import json, sys; from peer_review.entrypoints.cli import app; app(['status', '--json'], standalone_mode=False)\n"
        "from sqlmodel import SQLModel; print(json.dumps(sorted(SQLModel.metadata.tables)), file=sys.stderr)\n"
        "assert 'rich' not in sys.modules and 'yaml' not in sys.modules, sorted(m for m in sys.modules if m.startswith(('rich', 'yaml')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PEER_REVIEW_DATABASE_URL": planned},
    )
    assert result.returncode == 0 and '"Sheffield pilot triad"' in result.stdout, result.stderr[-1500:]
    defined = json.loads(result.stderr.strip().splitlines()[-1])
    assert {"review", "task", "person"} <= set(defined) and not {
        "surveyanswer",
        "signinrequest",
        "document",
        "outboxmessage",
        "auditentry",
        "finding",
        "lineofenquiry",
        "developmentaction",
    } & set(defined), defined


_STARTING_SERVICE = """
import sys, time
from peer_review.store import db
start = float(sys.argv[2])
while time.time() < start:  # all at once, each with its imports done
    time.sleep(0.001)
db.get_engine(sys.argv[1])
print(db.stored_version(sys.argv[1]))
"""


def test_services_started_together_on_a_new_database_all_find_it_ready(database_url):
    """A worker, the web app and commands started at once on a brand-new database: one creates the schema,
    the others wait for it; none fails on tables another has just made."""
    import subprocess
    import sys
    import time

    db.dispose_all()  # the fixture's database is empty: nothing has used it yet
    start = time.time() + 5
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", _STARTING_SERVICE, database_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(*p.communicate(timeout=120), p.returncode) for p in starting]
    assert [(code, out.strip()) for out, _, code in results] == [(0, db.SCHEMA_VERSION)] * 4, [
        err[-1500:] for _, err, _ in results
    ]
    engine = db.get_engine()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), every_table()) == []
