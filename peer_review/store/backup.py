"""Copying a whole database out and back in, with each engine's own tools: SQLite's online backup (a consistent
copy while the service runs) and PostgreSQL's pg_dump and pg_restore (custom format). A restore goes only into
a database that holds nothing yet, so a backup never overwrites live records.

A PostgreSQL password is handed to pg_dump and pg_restore through PGPASSWORD, never on their command line (where
any user of the machine could read it in the process list)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select

from peer_review import settings
from peer_review.errors import UserError
from peer_review.store.db import database_url_for_display, sqlite_path
from peer_review.store.tables import every_table

SQLITE_FILE = "database.sqlite"
POSTGRES_FILE = "database.dump"


@dataclass(frozen=True)
class Copied:
    """A database's copy, and what it holds, read from one consistent view of it."""

    path: Path
    rows: dict[str, int]  # every table's rows (the alembic version table's too)
    files: list[tuple[str, int, str]]  # every evidence file's (key, size, sha256)


def _contents(connection) -> tuple[dict[str, int], list[tuple[str, int, str]]]:
    counts = {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in every_table().sorted_tables
    }
    counts["alembic_version"] = connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar_one()
    files = [
        (key, size, sha256)
        for key, size, sha256 in connection.exec_driver_sql("SELECT key, size, sha256 FROM evidencefile ORDER BY id")
    ]
    return counts, files


def row_counts(url: str) -> dict[str, int]:
    """Every table's number of rows (the alembic version table's too), for checking a copy against its original."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return _contents(connection)[0]
    finally:
        engine.dispose()


def _holds_tables(url: str) -> bool:
    engine = create_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _postgres(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump's and pg_restore's connection options for a URL, and the environment carrying its password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    options = [f"--dbname={parsed.database}", f"--host={parsed.host or 'localhost'}", f"--port={parsed.port or 5432}"]
    if parsed.username:
        options.append(f"--username={parsed.username}")
    env = settings.environment_for_a_tool(**({"PGPASSWORD": parsed.password} if parsed.password else {}))
    return options, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise UserError(
            f"{command[0]} is not installed: install PostgreSQL's client tools (postgresql-client) to {what}"
        )
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise UserError(f"{command[0]} could not {what}: {done.stderr.strip()[-500:]}")


def back_up_database(url: str, folder: Path) -> Copied:
    """The database's copy, written into `folder` (SQLITE_FILE or POSTGRES_FILE), with its rows and files read
    from the same moment as the copy: SQLite's are read from the copy itself; PostgreSQL's in a transaction
    whose snapshot pg_dump is given, so that a change made meanwhile is in neither or in both."""
    source = sqlite_path(url)
    if source is not None:
        if not source.is_file():
            raise UserError(f"there is no database at {source}")
        target = folder / SQLITE_FILE
        with sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True) as original:
            with sqlite3.connect(target) as copy:
                original.backup(copy)  # page by page, consistent even while others write
        copy.close()
        original.close()
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as connection:
                rows, files = _contents(connection)
        finally:
            engine.dispose()
        return Copied(target, rows, files)
    target = folder / POSTGRES_FILE
    options, env = _postgres(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection, connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            rows, files = _contents(connection)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    *options,
                ],
                env,
                "back up the database",
            )
    finally:
        engine.dispose()
    return Copied(target, rows, files)


def restore_database(copy: Path, url: str) -> None:
    """The copy (as `back_up_database` wrote it) into the database `url` names, which must hold no tables:
    a restore never writes over records."""
    target = sqlite_path(url)
    if copy.name == SQLITE_FILE:
        if target is None:
            raise UserError(f"{copy} is an SQLite database's copy: restore it to sqlite:///PATH (a new file)")
        if target.exists():
            raise UserError(f"{target} exists already: restore into a new file, so that no records are written over")
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(f"file:{copy.resolve()}?mode=ro", uri=True) as original:
            with sqlite3.connect(target) as restored:
                original.backup(restored)
        restored.close()
        original.close()
        return
    if target is not None:
        raise UserError(
            f"{copy} is a PostgreSQL database's copy: restore it to postgresql://... (a new, empty database)"
        )
    if _holds_tables(url):
        raise UserError(
            f"the database {database_url_for_display(url)} holds tables already: restore into a new, empty database "
            "(createdb NAME), so that no records are written over"
        )
    options, env = _postgres(url)
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *options, str(copy)],
        env,
        "restore the database",
    )
