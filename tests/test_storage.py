"""Storage: the migrations build exactly the schema the tables describe, and the audit log is append-only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlmodel import SQLModel, select

from conftest import EXAMPLE
from peer_review import db
from peer_review.partnerships import load_partnership_file
from peer_review.service import loading
from peer_review.tables import AuditEntry, Partnership

pytestmark = pytest.mark.db


def test_migrations_match_the_tables(database_url):
    engine = db.get_engine()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, SQLModel.metadata) == []


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
    assert [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))] == []  # ...and nothing else ran
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
