"""The coordinator's views at national scale: `status --json` and the partnership page for one triad,
first on a database that holds only that triad, then on one that holds 10,008 reviews.

    python benchmarks/bench_dashboard.py                       # SQLite, in a temporary folder
    python benchmarks/bench_dashboard.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # and PostgreSQL

The triad is the bundled Sheffield example: loaded, planned and worked by simulated participants up
to 1 June 2024 through the service layer (no Prefect), then read as on 22 June 2024, when it has
overdue tasks. The national database adds 833 copies of that triad, made at the SQL level with every
id and unique key renumbered, and every copy's people given addresses of their own (national_db.py,
which benchmarks/bench_web.py shares). Stored Word documents are not copied: neither view reads them.

Both databases are built first, and the triad's coordinator signs in to each through the emailed
link; then the views are timed on each in turn (in a shuffled order each round), 40 rounds after 5
warm-up rounds, in this process, and each figure is the median of its 40 runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from national_db import (
    COORDINATOR,
    COPIES,
    LOOKING_ON,
    SESSION_COOKIE,
    build,
    measure,
    run_on_each_database,
    sign_in,
    web_app,
)
from sqlalchemy import func, select

from peer_review import clock
from peer_review.service.queries import overview, overview_json
from peer_review.store import db
from peer_review.store.tables import Review

ROUNDS = 40


def views(name: str, app, cookie: str) -> dict[str, Callable[[], None]]:
    """The two views, as the CLI and the web server produce them; the page for the coordinator signed in with this cookie."""
    from fastapi.testclient import TestClient

    client = TestClient(app, client=("127.0.0.1", 50000), cookies={SESSION_COOKIE: cookie})

    def status_json() -> None:  # what `peer-review status --json` does after start-up
        with db.session_scope() as session:
            json.dumps(overview_json(overview(session, name)), indent=2)

    def partnership_page() -> None:
        response = client.get("/partnerships/1")
        assert response.status_code == 200 and "overdue" in response.text

    return {"status --json": status_json, "partnership page": partnership_page}


def run(small_url: str, large_url: str) -> None:
    for url, copies in ((small_url, 0), (large_url, COPIES)):
        name = build(url, copies)
    with db.session_scope() as session:
        reviews = session.execute(select(func.count()).select_from(Review)).scalar_one()
    engine = db.get_engine().dialect.name
    clock.set_time(clock.at_london(LOOKING_ON, 10))
    app = web_app()
    plan = []
    for label, url in (("small", small_url), ("large", large_url)):
        db.configure(url)
        plan.append((label, url, views(name, app, sign_in(app, COORDINATOR))))
    medians = measure(plan, ROUNDS)
    print(f"\n{engine}: one triad (12 reviews) vs the same triad among {reviews:,} reviews")
    print(f"{'view':<18}{'12 reviews':>12}{f'{reviews:,} reviews':>16}{'ratio':>8}")
    for view in ("status --json", "partnership page"):
        small, large = medians[("small", view)], medians[("large", view)]
        print(f"{view:<18}{small * 1000:>10.1f}ms{large * 1000:>14.1f}ms{large / small:>7.2f}x")
    db.configure(None)
    db.dispose_all()
    clock.set_time(None)


if __name__ == "__main__":
    run_on_each_database(run, __doc__.splitlines()[0], ("bench_small", "bench_national"))
