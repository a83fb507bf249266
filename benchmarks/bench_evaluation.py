"""`peer-review evaluation` for one partnership against `peer-review status --json` for the same
partnership, each run as a user runs it (a fresh process), on a database that holds only that
partnership and on one that holds 10,008 reviews.

    python benchmarks/bench_evaluation.py                       # SQLite, in a temporary folder
    python benchmarks/bench_evaluation.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # and PostgreSQL

The partnership is the bundled Sheffield triad with its whole pilot simulated as the demo runs it
(baseline and end-of-cycle surveys, follow-ups, the example headline figures and external review),
through the service layer; the national database adds 833 renumbered copies of it with people of
their own (national_db.py). `evaluation` reads every record the evaluation needs, draws three charts
(matplotlib) and writes evaluation.docx and the CSVs; `status --json` reads the partnership's
reviews and open tasks. The floor is `python -c "import sqlmodel"`. Each command runs 12 times per
database after 2 warm-up runs, in an order shuffled each round; figures are medians.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from installed import compile_sources
from national_db import COPIES, build, run_on_each_database
from sqlalchemy import func, select

from peer_review.store import db
from peer_review.store.tables import Review

ROUNDS, WARMUP = 12, 2


def _timed(command: list[str], url: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PEER_REVIEW_DATABASE_URL": url})
    return time.perf_counter() - start


def run(small_url: str, large_url: str) -> None:
    for url, copies in ((small_url, 0), (large_url, COPIES)):
        name = build(url, copies, until=None)
    with db.session_scope() as session:
        reviews = session.execute(select(func.count()).select_from(Review)).scalar_one()
    engine = db.get_engine().dialect.name
    db.dispose_all()
    out = tempfile.mkdtemp()
    commands = {
        "floor (import sqlmodel)": [sys.executable, "-c", "import sqlmodel"],
        "status --json": [sys.executable, "-m", "peer_review", "status", "--json", "-p", name],
        "evaluation": [sys.executable, "-m", "peer_review", "evaluation", "-p", name, "--out", out],
    }
    slots = [(label, url, view) for label, url in (("small", small_url), ("large", large_url)) for view in commands]
    order = random.Random(0)
    samples: dict[tuple[str, str], list[float]] = {}
    for round_ in range(WARMUP + ROUNDS):
        for label, url, view in order.sample(slots, len(slots)):
            seconds = _timed(commands[view], url)
            if round_ >= WARMUP:
                samples.setdefault((label, view), []).append(seconds)
    median = {key: statistics.median(times) for key, times in samples.items()}
    print(
        f"\n{engine}: the triad's evaluation and status, alone (12 reviews) and among {reviews:,} reviews; medians of {ROUNDS} fresh processes"
    )
    print(f"{'command':<26}{'12 reviews':>12}{f'{reviews:,} reviews':>16}{'large/small':>13}")
    for view in commands:
        small, large = median[("small", view)], median[("large", view)]
        print(f"{view:<26}{small:>11.2f}s{large:>15.2f}s{large / small:>12.2f}x")
    for label in ("small", "large"):
        ratio = median[(label, "evaluation")] / median[(label, "status --json")]
        print(f"evaluation / status --json on the {label} database: {ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    compile_sources()
    run_on_each_database(run, __doc__.splitlines()[0], ("bench_eval_small", "bench_eval_national"))
