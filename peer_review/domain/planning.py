"""A simple cycle plan: each trust's strands in its CEO's order, one review per half-term.

Half-terms are approximated from the usual shape of the English school year; visits fall on
weekdays, and trusts in the same half-term visit in different weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

#: (month, day) on which each half-term usually starts.
HALF_TERM_STARTS = ((9, 4), (10, 30), (1, 6), (2, 24), (4, 14), (6, 2))


class PlanningError(ValueError):
    pass


@dataclass(frozen=True)
class PlannedReview:
    trust: str
    strand: str
    position: int  # 1 = the trust's first priority
    visit_start: dt.date
    visit_end: dt.date


#: Lines of enquiry are agreed four weeks before a visit, so the first visit cannot be sooner.
LEAD_TIME = dt.timedelta(days=35)


def half_term_starts(after: dt.date):
    """Half-term start dates, from the first that leaves time to agree lines of enquiry."""
    year = after.year - 1
    while True:
        for month, day in HALF_TERM_STARTS:
            academic_year = year if month >= 9 else year + 1
            start = dt.date(academic_year, month, day)
            if start + dt.timedelta(days=7) >= after + LEAD_TIME:
                yield start
        year += 1


def visit_dates(first_day: dt.date, visit_days: int) -> tuple[dt.date, dt.date]:
    day = pendulum.Date(first_day.year, first_day.month, first_day.day)
    while day.day_of_week in (pendulum.SATURDAY, pendulum.SUNDAY):
        day = day.add(days=1)
    start, end, counted = day, day, 1
    while counted < visit_days:
        end = end.add(days=1)
        if end.day_of_week not in (pendulum.SATURDAY, pendulum.SUNDAY):
            counted += 1
    return dt.date(start.year, start.month, start.day), dt.date(end.year, end.month, end.day)


def cycle_end(start: dt.date, months: int) -> dt.date:
    end = pendulum.Date(start.year, start.month, start.day).add(months=months)
    return dt.date(end.year, end.month, end.day)


def simple_plan(
    strand_orders: dict[str, list[str]], start: dt.date, months: int, visit_days: int = 2
) -> list[PlannedReview]:
    """One review per trust per strand, strand k of every trust in the k-th half-term of the cycle."""
    end = cycle_end(start, months)
    longest = max(len(order) for order in strand_orders.values())
    terms = half_term_starts(start)
    slots = [next(terms) for _ in range(longest)]
    plan = []
    for index, (trust, order) in enumerate(strand_orders.items()):
        for position, strand in enumerate(order, start=1):
            term_start = max(slots[position - 1], start)
            monday = term_start + dt.timedelta(days=7 * (1 + index % 4) - term_start.weekday())
            first = monday + dt.timedelta(days=2 * ((index // 4) % 2))
            visit_start, visit_end = visit_dates(first, visit_days)
            if visit_end > end:
                raise PlanningError(
                    f"the cycle of {months} months from {start} ends on {end}, but trust '{trust}' needs "
                    f"{len(order)} half-terms for its strands; lengthen the cycle (at most 24 months)"
                )
            plan.append(PlannedReview(trust, strand, position, visit_start, visit_end))
    return plan
