"""Storage: the migrations build exactly the schema the tables describe, and the audit log is append-only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from conftest import EXAMPLE
from peer_review import db
from peer_review.partnerships import load_partnership_file
from peer_review.service import loading
from peer_review.tables import AuditEntry

pytestmark = pytest.mark.db


def test_migrations_match_the_tables(database_url):
    engine = db.get_engine()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_is_a_no_op_when_current(database_url):
    engine = db.get_engine()
    assert db.upgrade(engine) == db.upgrade(engine)


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
