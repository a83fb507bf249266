"""The coordinator's views at national scale: `status --json` and the partnership page for one triad,
first on a database that holds only that triad, then on one that holds 10,008 reviews.

    python benchmarks/bench_dashboard.py                       # SQLite, in a temporary folder
    python benchmarks/bench_dashboard.py --postgres URL         # also PostgreSQL (the database is emptied!)

The triad is the bundled Sheffield example: loaded, planned and worked by simulated participants up
to 1 June 2024 through the service layer (no Prefect), then read as on 22 June 2024, when it has
overdue tasks. The national database adds 833 copies of that triad, made at the SQL level with every
id and unique key renumbered (planning 833 triads through the service would take about ten minutes
and give the same rows). Stored Word documents are not copied: neither view reads them.

Each figure is the median of 25 timed runs after 5 warm-up runs, in this process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from peer_review import clock, db
from peer_review.partnerships import default_partnership_path, load_partnership_file
from peer_review.service import loading, planning, workflow
from peer_review.service.queries import overview, overview_json
from peer_review.simulation import simulate_cycle
from peer_review.tables import Document, Review

COPIES = 833
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
        else:
            connection.execute(text("ANALYZE"))


def median_seconds(action, runs: int = 25, warmup: int = 5) -> float:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from peer_review.web.app import create_app

    def status_json() -> None:  # what `peer-review status --json` does after start-up
        with db.session_scope() as session:
            json.dumps(overview_json(overview(session, name)), indent=2)

    client = TestClient(create_app(None), client=("127.0.0.1", 50000))

    def partnership_page() -> None:
        response = client.get("/partnerships/1")
        assert response.status_code == 200 and "overdue" in response.text

    return {"status --json": median_seconds(status_json), "partnership page": median_seconds(partnership_page)}


def run(url: str) -> None:
    db.configure(url)
    name = build_triad()
    clock.set_time(clock.at_london(LOOKING_ON, 10))
    small = measure(name)
    copy_partnership(COPIES)
    with db.session_scope() as session:
        reviews = session.execute(select(func.count()).select_from(Review)).scalar_one()
    large = measure(name)
    engine = db.get_engine().dialect.name
    print(f"\n{engine}: one triad (12 reviews) vs the same triad among {reviews:,} reviews")
    print(f"{'view':<18}{'12 reviews':>12}{f'{reviews:,} reviews':>16}{'ratio':>8}")
    for view in small:
        print(f"{view:<18}{small[view] * 1000:>10.1f}ms{large[view] * 1000:>14.1f}ms{large[view] / small[view]:>7.2f}x")
    db.configure(None)
    db.dispose_all()
    clock.set_time(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also measure on this PostgreSQL database, which is emptied first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'national.db'}")
    if args.postgres:
        from sqlalchemy import create_engine

        engine = create_engine(db._normalise(args.postgres))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        run(args.postgres)


if __name__ == "__main__":
    main()
