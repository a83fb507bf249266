"""The domain database: which one, its engine, sessions, and schema upgrades (Alembic)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from peer_review import settings
from peer_review.errors import UserError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_configured_url: str | None = None
_engines: dict[str, Engine] = {}


def configure(url: str | None) -> None:
    """Use this database for the rest of the process (the demo and tests); None goes back to the environment."""
    global _configured_url
    _configured_url = url


def database_url() -> str:
    return _configured_url or settings.database_url()


@functools.lru_cache(maxsize=32)  # read once per URL: every unit of work (each web request's) asks for its engine
def _normalise(url: str) -> str:
    """The URL to connect with. "postgresql://" means psycopg2, the driver we install: every command imports
    it, which takes 0.01 s where psycopg 3 took 0.05-0.08 s. A URL that is not an SQLite or PostgreSQL
    database is refused here, saying what would do."""
    given = url
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg2://" + url.split("://", 1)[1]
    parsed = _parsed(url)
    if parsed is None or parsed.get_backend_name() not in ("sqlite", "postgresql"):
        source = "PEER_REVIEW_DATABASE_URL" if given == settings.database_url_given() else "the database URL"
        raise UserError(
            f"{source} is not an SQLite or PostgreSQL database URL that peer-review can read: {database_url_for_display(given)!r}; "
            "give sqlite:///PATH/TO/FILE.db or postgresql://USER:PASSWORD@HOST:5432/NAME (an @, : or / in the password written %40, %3A, %2F)"
        )
    return url


def _parsed(url: str):
    """SQLAlchemy's reading of a URL, or None where it cannot read it, or reads a password's @ as the host's start."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not a URL at all, or a port that is not a number
        return None
    if "@" in (parsed.host or "") or (parsed.get_backend_name() != "sqlite" and "@" in (parsed.database or "")):
        return None
    return parsed


def get_engine(url: str | None = None) -> Engine:
    """The engine for a database, upgraded to the current schema on first use in this process."""
    given = url or database_url()
    url = _normalise(given)
    if url not in _engines:
        engine = None
        try:
            kwargs = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {"pool_pre_ping": True}
            # hide_parameters: a failed statement's error (which is logged) does not quote the values, which are people's answers
            engine = create_engine(
                url, hide_parameters=True, **kwargs
            )  # a driver named in the URL but not installed fails here
            if url.startswith("sqlite"):
                event.listen(engine, "connect", _sqlite_pragmas)
            upgrade(engine)
        except Exception as exc:  # a database we cannot reach or use is a user-facing problem
            if engine is not None:
                engine.dispose()
            raise UserError(f"cannot use the database {database_url_for_display(given)}: {exc}") from None
        _engines[url] = engine
    return _engines[url]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


#: The newest migration in migrations/versions (a test checks they agree). A database already at it needs
#: no upgrade, which one query tells, so commands do not import Alembic (0.1-0.2 s) to find that out.
SCHEMA_VERSION = "0016"


def upgrade(engine: Engine) -> str:
    """Bring the schema to the newest migration; returns the revision it is at."""
    if _stored_version(engine) != SCHEMA_VERSION:
        from alembic import command

        command.upgrade(alembic_config(engine), "head")
    return SCHEMA_VERSION


def stored_version(url: str | None = None) -> str | None:
    """The schema revision of a database (None when it has no tables yet), without creating or upgrading anything."""
    given = url or database_url()
    url = _normalise(given)
    engine = _engines.get(url)
    try:
        engine = engine or create_engine(url)  # a driver named in the URL but not installed fails here
        return _stored_version(engine)
    except Exception as exc:
        raise UserError(f"cannot use the database {database_url_for_display(given)}: {exc}") from None
    finally:
        if engine is not None and url not in _engines:
            engine.dispose()


def sqlite_path(url: str | None = None) -> Path | None:
    """The file of an SQLite database (None for other databases, and for SQLite in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(_normalise(url or database_url()))
    return (
        Path(parsed.database)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
        else None
    )


def database_url_for_display(url: str | None = None) -> str:
    """The URL as the user gave it (not with the driver we add), without its password, even when it is not
    a URL SQLAlchemy can read: then everything before its last @ is hidden, and any password=... setting."""
    import re

    url = url or database_url()
    parsed = _parsed(url)
    if parsed is not None:
        shown = parsed.render_as_string(hide_password=True)
    else:
        scheme, separator, rest = url.partition("://") if "://" in url else ("", "", url)
        shown = scheme + separator + ("***" + rest[rest.rindex("@") :] if "@" in rest else rest)
    return re.sub(r"(password\s*=\s*)[^\s&;]*", r"\1***", shown, flags=re.IGNORECASE)  # psycopg2 takes ?password= too


def _stored_version(engine: Engine) -> str | None:
    """The revision Alembic recorded in the database, or None for a new database (no version table yet)."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            return None


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
