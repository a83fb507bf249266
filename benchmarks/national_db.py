"""What the web and dashboard benchmarks share: the Sheffield triad worked part-way through its cycle,
a national database made of renumbered copies of it, PostgreSQL databases of their own, signing in
through the web app as a person does, and timing on several databases in turn.

The triad is the bundled Sheffield example: loaded, planned and worked by simulated participants up
to 1 June 2024 (or to the end of its pilot) through the service layer (no Prefect), as the demo runs
it, surveys included; the benchmarks then read it as on 22 June 2024, when it has open and overdue tasks. A national database adds copies of that triad made at the
SQL level (planning 833 triads through the service would take about ten minutes and give the same
rows): every id and foreign key is renumbered, and so is every person. Copy k's people have their own
addresses (`name+copyk@domain`, wherever an address is written: people, tasks, the outbox, the
audit log), as a national database holds different people in every triad; the same 15 people in
every copy would hold 834 times the triad's tasks each. Stored Word documents are not copied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, create_engine, select, text
from sqlalchemy.engine import make_url

from peer_review import clock
from peer_review.demo.simulation import simulate_cycle, simulate_pilot
from peer_review.domain.surveys import SurveyRound
from peer_review.entrypoints.web.pages import SESSION_COOKIE
from peer_review.files.context_files import read_headline_csv
from peer_review.files.partnerships import (
    default_partnership_path,
    load_partnership_file,
)
from peer_review.resources import example
from peer_review.service import context_data, loading, surveys, workflow
from peer_review.store import db
from peer_review.store.people import get_partnership
from peer_review.store.tables import Document, Person, Review, every_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import BASE, csrf_of, plan_and_publish  # noqa: F401  (one way to sign in, the tests' own; csrf_of for bench_web)
from helpers import sign_in as sign_in_through_the_email

COPIES = 833  # with the triad itself, 834 triads: 10,008 reviews
UNTIL = dt.date(2024, 6, 1)
LOOKING_ON = dt.date(2024, 6, 22)
COORDINATOR = "ruth.ashby@coordinator.example.org"  # the bundled triad's coordinator


def build_triad(until: dt.date | None = UNTIL) -> str:
    """The bundled triad's pilot as the demo runs it (surveys and the example context data included),
    worked by its simulated participants up to `until` (None: to the end) on the configured database; its name."""

    def advance(partnership: str) -> None:
        with db.session_scope() as session:
            review_ids = session.execute(select(Review.id).where(Review.partnership_id == 1)).scalars().all()
        for review_id in review_ids:
            workflow.advance_review(db.session_scope, review_id)

    loaded = load_partnership_file(default_partnership_path())
    if until is None:
        return simulate_pilot(loaded, advance)[0]
    # Part-way: what simulate_pilot does up to `until` (it would also open the end-of-cycle survey and load
    # the external review, dated after `until`, as if the cycle were over)
    clock.set_time(clock.at_london(loaded.spec.cycle.start, 9))
    with db.session_scope() as session:
        name = loading.store_partnership(session, loaded).name
        start = plan_and_publish(session, name).start
        surveys.open_round(session, get_partnership(session, name), SurveyRound.BASELINE)
        context_data.load_headline_figures(session, name, read_headline_csv(example("headline.csv")))
    simulate_cycle(name, start, advance, until=until)
    return name


def copy_email(email: str, k: int) -> str:
    """Copy k's address for one of the triad's people: name+copyk@domain."""
    local, _, domain = email.partition("@")
    return f"{local}+copy{k}@{domain}"


def copy_partnership(copies: int) -> None:
    """Copy every row of the database `copies` times: ids, foreign keys and unique keys renumbered,
    and every person's address (see copy_email), wherever it is written."""
    if copies == 0:
        return
    engine = db.get_engine()
    tables = [t for t in every_table().sorted_tables if t.name != Document.__tablename__]
    with engine.begin() as connection:
        rows = {t.name: [dict(r._mapping) for r in connection.execute(t.select())] for t in tables}
        # a table keyed by a foreign key (machinework: by review) is renumbered with what it refers to
        step = {t.name: max((r["id"] for r in rows[t.name]), default=0) if "id" in t.columns else 0 for t in tables}
        emails = sorted({r["email"] for r in rows[Person.__tablename__]}, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w.+-])(" + "|".join(map(re.escape, emails)) + r")(?![\w-])") if emails else None
        naming = {t.name: _naming_people(t, rows[t.name], pattern) for t in tables}
        for k in range(1, copies + 1):
            renamed = {email: copy_email(email, k) for email in emails}
            for table in tables:
                if not rows[table.name]:
                    continue
                references = {
                    c.name: next(iter(c.foreign_keys)).column.table.name for c in table.columns if c.foreign_keys
                }
                unique = [
                    c.name for c in table.columns if c.unique and not c.foreign_keys
                ]  # a unique foreign key is renumbered already
                batch = []
                for row, people in zip(rows[table.name], naming[table.name]):
                    new = dict(row, id=row["id"] + k * step[table.name]) if "id" in row else dict(row)
                    for column, target in references.items():
                        if new[column] is not None:
                            new[column] += k * step[target]
                    for column, (is_json, parts) in people.items():
                        joined = "".join(part if i % 2 == 0 else renamed[part] for i, part in enumerate(parts))
                        new[column] = json.loads(joined) if is_json else joined
                    for column in unique:
                        if new[column] is None:
                            continue
                        if table.name == "task" and column == "key" and row["key"] == _task_key(row):
                            new["key"] = _task_key(new)  # what open_task looks up, so the copy's tasks are found again
                        else:
                            new[column] = f"{new[column]} #{k}"
                    batch.append(new)
                connection.execute(table.insert(), batch)
        if engine.dialect.name == "postgresql":
            for table in (t for t in tables if "id" in t.columns):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"
                    )
                )
        connection.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":  # fold the bulk insert's write-ahead log into the file, as SQLite does in time
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _task_key(row: dict) -> str:
    return f"{row['review_id']}/{row['kind']}/{row['round']}/{row['assignee_id']}"


def _is_text(column_type) -> bool:
    return isinstance(column_type, String) or isinstance(getattr(column_type, "impl_instance", None), String)


def _naming_people(table, rows: list[dict], pattern: re.Pattern | None) -> list[dict[str, tuple[bool, list[str]]]]:
    """Per row, the text and JSON columns that hold someone's address: (is JSON, the value split
    around the addresses), so each copy only joins the parts with its own addresses."""
    columns = [
        (c.name, isinstance(c.type, JSON)) for c in table.columns if isinstance(c.type, JSON) or _is_text(c.type)
    ]
    found = []
    for row in rows:
        people = {}
        for column, is_json in columns:
            value = row[column]
            if value is None or pattern is None:
                continue
            written = json.dumps(value) if is_json else value
            if pattern.search(written):
                people[column] = (is_json, pattern.split(written))
        found.append(people)
    return found


def build(url: str, copies: int, until: dt.date | None = UNTIL) -> str:
    """The triad, and `copies` renumbered copies of it, in the (empty) database at `url`."""
    db.configure(url)
    name = build_triad(until)
    copy_partnership(copies)
    return name


@contextmanager
def postgres_databases(server_url: str, names: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """These databases made afresh on the server (any database's URL names it), and dropped after."""
    admin = create_engine(db._normalise(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for database in names:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database}"))
            connection.execute(text(f"CREATE DATABASE {database}"))
    base = make_url(db._normalise(server_url))
    try:
        yield tuple(base.set(database=database).render_as_string(hide_password=False) for database in names)
    finally:
        db.dispose_all()
        with admin.connect() as connection:
            for database in names:
                connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()


# Signing in, as tests/helpers.py does: ask for a link, read it from the outbox, open it, press Continue.


def web_app():
    from peer_review.entrypoints.web.app import create_app

    return create_app(export_token="", web_url=BASE)


def sign_in(app, email: str, client_address: str = "127.0.0.1") -> str:
    """Sign this person in on the configured database through the emailed link, as the tests do; the
    session cookie. Each caller gives its own client address: the app allows 10 links per address in
    15 minutes, and the benchmarks' clock stands still."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url=BASE, follow_redirects=False, client=(client_address, 50000))
    return sign_in_through_the_email(email, client).cookies[SESSION_COOKIE]


def run_on_each_database(run: Callable[[str, str], None], description: str, postgres_names: tuple[str, str]) -> None:
    """The command line of a benchmark: `run(small_url, national_url)` on SQLite, then on PostgreSQL if asked."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help=f"also measure on PostgreSQL: this server's databases {' and '.join(postgres_names)} are made afresh, and dropped after",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'small.db'}", f"sqlite:///{Path(folder) / 'national.db'}")
    if args.postgres:
        with postgres_databases(args.postgres, postgres_names) as urls:
            run(*urls)


# Timing

Action = Callable[[], Any]


def measure(
    plan: list[tuple[str, str, dict[str, Action]]], rounds: int, warmup: int = 5
) -> dict[tuple[str, str], float]:
    """Median seconds per (database label, view). `plan` lists slots: a database's label, its URL and
    actions to time there. Every round runs every slot once, in an order shuffled afresh each round
    (seeded), so neither drift on the machine nor what ran just before favours one database."""
    order = random.Random(0)
    gc.collect()
    gc.freeze()  # what setting up left behind is not scanned by every collection while timing
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        for round_ in range(warmup + rounds):
            for label, url, actions in order.sample(plan, len(plan)):
                db.configure(url)
                for view, action in actions.items():
                    start = time.perf_counter()
                    action()
                    if round_ >= warmup:
                        samples.setdefault((label, view), []).append(time.perf_counter() - start)
    finally:
        gc.unfreeze()
    return {key: statistics.median(times) for key, times in samples.items()}
