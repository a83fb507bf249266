"""The coordinator's views at national scale: `status --json` and the partnership page for one triad,
first on a database that holds only that triad, then on one that holds 10,008 reviews.

    python benchmarks/bench_dashboard.py                       # SQLite, in a temporary folder
    python benchmarks/bench_dashboard.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # and PostgreSQL

The triad is the bundled Sheffield example: loaded, planned and worked by simulated participants up
to 1 June 2024 through the service layer (no Prefect), then read as on 22 June 2024, when it has
overdue tasks. The national database adds 833 copies of that triad, made at the SQL level with every
id and unique key renumbered (planning 833 triads through the service would take about ten minutes
and give the same rows). Stored Word documents are not copied: neither view reads them.

Both databases are built first; then the views are timed on each in turn, 40 rounds after 5 warm-up
rounds, in this process, and each figure is the median of its 40 runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import datetime as dt
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from peer_review import clock, db
from peer_review.partnerships import default_partnership_path, load_partnership_file
from peer_review.service import loading, planning, workflow
from peer_review.service.queries import overview, overview_json
from peer_review.simulation import simulate_cycle
from peer_review.tables import Document, Review

COPIES = 833
ROUNDS = 40
UNTIL = dt.date(2024, 6, 1)
LOOKING_ON = dt.date(2024, 6, 22)


def build_triad() -> str:
    loaded = load_partnership_file(default_partnership_path())
    clock.set_time(clock.at_london(loaded.spec.cycle.start, 9))
    with db.session_scope() as session:
        name = loading.store_partnership(session, loaded).name
        plan = planning.plan_cycle(session, name)

    def advance(partnership: str) -> None:
        with db.session_scope() as session:
            review_ids = session.execute(select(Review.id).where(Review.partnership_id == 1)).scalars().all()
        for review_id in review_ids:
            workflow.advance_review(db.session_scope, review_id)

    simulate_cycle(name, plan.start, advance, until=UNTIL)
    return name


def copy_partnership(copies: int) -> None:
    """Copy every row of the database `copies` times, renumbering ids, foreign keys and unique keys."""
    if copies == 0:
        return
    engine = db.get_engine()
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name != Document.__tablename__]
    with engine.begin() as connection:
        rows = {t.name: [dict(r._mapping) for r in connection.execute(t.select())] for t in tables}
        step = {t.name: max((r["id"] for r in rows[t.name]), default=0) for t in tables}
        for k in range(1, copies + 1):
            for table in tables:
                if not rows[table.name]:
                    continue
                references = {c.name: next(iter(c.foreign_keys)).column.table.name for c in table.columns if c.foreign_keys}
                unique = [c.name for c in table.columns if c.unique]
                batch = []
                for row in rows[table.name]:
                    row = dict(row, id=row["id"] + k * step[table.name])
                    for column, target in references.items():
                        if row[column] is not None:
                            row[column] += k * step[target]
                    for column in unique:
                        row[column] = f"{row[column]} #{k}"
                    batch.append(row)
                connection.execute(table.insert(), batch)
        if engine.dialect.name == "postgresql":
            for table in tables:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"))
        connection.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":  # fold the bulk insert's write-ahead log into the file, as SQLite does in time
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def views(name: str) -> dict[str, Callable[[], None]]:
    """The two views, as the CLI and the web server produce them, on whichever database is configured."""
    from fastapi.testclient import TestClient

    from peer_review.web.app import create_app

    client = TestClient(create_app(None), client=("127.0.0.1", 50000))

    def status_json() -> None:  # what `peer-review status --json` does after start-up
        with db.session_scope() as session:
            json.dumps(overview_json(overview(session, name)), indent=2)

    def partnership_page() -> None:
        response = client.get("/partnerships/1")
        assert response.status_code == 200 and "overdue" in response.text

    return {"status --json": status_json, "partnership page": partnership_page}


def measure(urls: dict[str, str], name: str, rounds: int = ROUNDS, warmup: int = 5) -> dict[tuple[str, str], float]:
    """Median seconds per (database, view); the databases take turns, so drift on the machine hits both alike."""
    samples: dict[tuple[str, str], list[float]] = {}
    actions = views(name)  # they read whichever database is configured when they run
    for round_ in range(warmup + rounds):
        for label, url in urls.items():
            db.configure(url)
            for view, action in actions.items():
                start = time.perf_counter()
                action()
                if round_ >= warmup:
                    samples.setdefault((label, view), []).append(time.perf_counter() - start)
    return {key: statistics.median(times) for key, times in samples.items()}


def run(small_url: str, large_url: str) -> None:
    for url, copies in ((small_url, 0), (large_url, COPIES)):
        db.configure(url)
        name = build_triad()
        copy_partnership(copies)
    with db.session_scope() as session:
        reviews = session.execute(select(func.count()).select_from(Review)).scalar_one()
    engine = db.get_engine().dialect.name
    clock.set_time(clock.at_london(LOOKING_ON, 10))
    medians = measure({"small": small_url, "large": large_url}, name)
    print(f"\n{engine}: one triad (12 reviews) vs the same triad among {reviews:,} reviews")
    print(f"{'view':<18}{'12 reviews':>12}{f'{reviews:,} reviews':>16}{'ratio':>8}")
    for view in ("status --json", "partnership page"):
        small, large = medians[("small", view)], medians[("large", view)]
        print(f"{view:<18}{small * 1000:>10.1f}ms{large * 1000:>14.1f}ms{large / small:>7.2f}x")
    db.configure(None)
    db.dispose_all()
    clock.set_time(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="also measure on PostgreSQL: this server's databases bench_small and bench_national are made afresh, and dropped after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'small.db'}", f"sqlite:///{Path(folder) / 'national.db'}")
    if args.postgres:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        admin = create_engine(db._normalise(args.postgres), isolation_level="AUTOCOMMIT")
        names = ("bench_small", "bench_national")
        with admin.connect() as connection:
            for database in names:
                connection.execute(text(f"DROP DATABASE IF EXISTS {database}"))
                connection.execute(text(f"CREATE DATABASE {database}"))
        base = make_url(db._normalise(args.postgres))
        try:
            run(*(base.set(database=database).render_as_string(hide_password=False) for database in names))
        finally:
            with admin.connect() as connection:
                for database in names:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            admin.dispose()


if __name__ == "__main__":
    main()
