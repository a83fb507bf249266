"""Planning and assigning a national programme: wall time and peak memory at 250 and at 2,500 trusts.

    python benchmarks/bench_national.py

Trusts are grouped mostly in triads, with some groups of four and five; each group has four strands
and a two-year cycle on the Sheffield calendar; the 150 moderators are shared by every group (so each
group's plan sees the moderators' bookings from the groups planned before it); the small run has a
tenth of the trusts and a tenth of the moderators. Measures the planner
itself (peer_review.domain.scheduling), not the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
import tracemalloc

from peer_review.domain.scheduling import (
    Bookings,
    PlanPerson,
    PlanSettings,
    PlanTrust,
    plan_partnership,
    violations,
)
from peer_review.files.school_calendars import resolve_calendar

STRANDS = ("quality-inclusive-education", "school-improvement", "workforce", "governance-leadership-operations")


def programme(n_trusts: int, n_moderators: int, seed: int = 7):
    rng = random.Random(seed)
    calendar = resolve_calendar("sheffield")
    groups, t = [], 0
    while t < n_trusts:
        size = min(rng.choices([3, 4, 5], weights=[8, 1, 1])[0], n_trusts - t)
        if size < 3:  # fold a remainder into the previous group
            groups[-1] = groups[-1] + [f"t{t + i}" for i in range(size)]
            t += size
            continue
        groups.append([f"t{t + i}" for i in range(size)])
        t += size
    moderators = [PlanPerson(f"m{i}@moderators.example.org", None, max_per_term=25) for i in range(n_moderators)]
    built = []
    for group in groups:
        trusts = [PlanTrust(tid, tuple(rng.sample(STRANDS, len(STRANDS))), calendar) for tid in group]
        people = [
            PlanPerson(f"r{k}@{tid}.example.org", tid, tuple(rng.sample(STRANDS, 2)) if k else ())
            for tid in group
            for k in range(3)
        ]
        built.append((trusts, people))
    return built, moderators


SETTINGS = PlanSettings(dt.date(2023, 9, 1), dt.date(2025, 9, 1))


def plan_all(groups, moderators):
    bookings = Bookings()
    return [
        plan_partnership(trusts, people, moderators, dataclasses.replace(SETTINGS, stagger=index), bookings=bookings)
        for index, (trusts, people) in enumerate(groups)
    ]


def run(n_trusts: int, n_moderators: int = 150) -> tuple[float, float, int, int]:
    """Wall time of one plan, then peak memory of a second identical plan (tracemalloc slows what it traces)."""
    groups, moderators = programme(n_trusts, n_moderators)
    start = time.perf_counter()
    plans = plan_all(groups, moderators)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    plan_all(groups, moderators)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    for (trusts, people), plan in zip(groups, plans):
        assert violations(plan, trusts, people, moderators, SETTINGS) == []  # every plan is checked independently
    return elapsed, peak, sum(len(p) for p in plans), len(groups)


def main() -> None:
    small = run(250, 15)  # a tenth of the programme, with a tenth of the moderators
    large = run(2500, 150)
    for label, (elapsed, peak, reviews, groups) in (("250 trusts", small), ("2,500 trusts", large)):
        print(
            f"{label:>13}: {groups:4d} groups, {reviews:5d} reviews planned and assigned in {elapsed:7.2f} s, peak memory {peak:7.1f} MiB"
        )
    print(
        f"ratio 2,500 / 250 trusts: time {large[0] / small[0]:.1f}x, memory {large[1] / small[1]:.1f}x (10x the trusts)"
    )


if __name__ == "__main__":
    main()
