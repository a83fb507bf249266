"""School calendars: which days are school days, and which term a day falls in."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class HalfTerm:
    start: dt.date
    end: dt.date
    #: not yet published: generated from the calendar's pattern (`repeat_school_year`), to be replaced
    provisional: bool = False

    @property
    def term(self) -> str:
        """'2023-24 autumn' etc.: half-terms starting Aug-Dec are autumn, Jan-Mar spring, Apr-Jul summer."""
        month = self.start.month
        year = self.start.year if month >= 8 else self.start.year - 1
        name = "autumn" if month >= 8 else "spring" if month <= 3 else "summer"
        return f"{year}-{str(year + 1)[2:]} {name}"


def school_year(day: dt.date) -> str:
    """'2023-24' for any day from 1 August 2023 to 31 July 2024 (some autumn terms start in August)."""
    year = day.year if day.month >= 8 else day.year - 1
    return f"{year}-{str(year + 1)[2:]}"


def school_year_start(name: str) -> int:
    """2026 for '2026-27'."""
    return int(name[:4])


def last_school_year(published: tuple[HalfTerm, ...]) -> list[HalfTerm]:
    """The half-terms of the last school year among `published`: the pattern provisional years repeat."""
    last = school_year(published[-1].start)
    return [h for h in published if school_year(h.start) == last]


def repeat_school_year(published: tuple[HalfTerm, ...], through: int) -> tuple[HalfTerm, ...]:
    """Provisional half-terms for the school years after the last published one, up to the one starting in
    `through`: the last published school year repeated week for week. Each later year moves as a whole by
    52 or 53 weeks, whichever brings its first day nearer the same date of the year, so every term keeps its
    weekdays and its length, and the years do not drift."""
    pattern = last_school_year(published)
    last_year = school_year(pattern[0].start)
    first = pattern[0].start
    generated: list[HalfTerm] = []
    for year in range(school_year_start(last_year) + 1, through + 1):
        same_date = _same_day_of_year(first, year - school_year_start(last_year))
        weeks = round((same_date - first).days / 7)
        shift = dt.timedelta(weeks=weeks)
        generated += [HalfTerm(h.start + shift, h.end + shift, provisional=True) for h in pattern]
    return tuple(generated)


def _same_day_of_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class OutsideCalendar(ValueError):
    """A day the calendar cannot say anything about: before its first term, or after the summer that follows its last."""


@dataclass(frozen=True)
class SchoolCalendar:
    id: str
    half_terms: tuple[HalfTerm, ...]
    closed: frozenset[dt.date] = field(default_factory=frozenset)  # bank holidays and other closures

    @property
    def first_day(self) -> dt.date:
        return self.half_terms[0].start

    @property
    def last_day(self) -> dt.date:
        return self.half_terms[-1].end

    def half_term_of(self, day: dt.date) -> HalfTerm | None:
        for half in self.half_terms:
            if half.start <= day <= half.end:
                return half
        return None

    @cached_property
    def _school_days(self) -> frozenset[dt.date]:
        days = set()
        for half in self.half_terms:
            day = half.start
            while day <= half.end:
                if day.weekday() < 5 and day not in self.closed:
                    days.add(day)
                day += dt.timedelta(days=1)
        return frozenset(days)

    @property
    def known_from(self) -> dt.date:
        """The first day it can speak for: 1 August before a first term in August or September (the summer
        holiday before it is part of its first school year), else the first day of its first term."""
        return dt.date(self.first_day.year, 8, 1) if self.first_day.month in (8, 9) else self.first_day

    @property
    def known_until(self) -> dt.date:
        """The last day it can speak for: 31 August after a last term ending in the summer (the holiday that
        follows is known; the next school year's terms are not), else the last day of its last term."""
        return dt.date(self.last_day.year, 8, 31) if self.last_day.month in (6, 7, 8) else self.last_day

    @property
    def years(self) -> str:
        """The school years it covers, for messages: '2023-24 to 2025-26' (provisional ones included)."""
        return f"{school_year(self.first_day)} to {school_year(self.last_day)}"

    @property
    def provisional_from(self) -> dt.date | None:
        """The first day of its first provisional half-term: dates from here on are not yet published."""
        return next((h.start for h in self.half_terms if h.provisional), None)

    def is_provisional(self, day: dt.date) -> bool:
        """Whether what the calendar says of `day` rests on provisional dates (the holiday before a provisional
        half-term included)."""
        return self.provisional_from is not None and day >= self._last_published_end

    @cached_property
    def _last_published_end(self) -> dt.date:
        published = [h for h in self.half_terms if not h.provisional]
        return published[-1].end + dt.timedelta(days=1) if published else dt.date.min

    def is_school_day(self, day: dt.date) -> bool:
        return day in self._school_days

    @cached_property
    def _ordered_school_days(self) -> tuple[dt.date, ...]:
        return tuple(sorted(self._school_days))

    def school_day_on_or_before(self, day: dt.date) -> dt.date:
        """`day` if it is a school day, else the school day before it: deadlines fall on days people are at
        work, and moving one back (never forward) keeps the stages after it and the cycle's end where planned."""
        if day > self.known_until:
            raise OutsideCalendar(
                f"{day} is after the school years the '{self.id}' calendar covers ({self.years}); add the school year {school_year(day)} to it"
            )
        index = bisect.bisect_right(self._ordered_school_days, day)
        if index == 0:
            missing = school_year(
                min(day, self.known_from - dt.timedelta(days=1))
            )  # the school day before is in the year before
            raise OutsideCalendar(
                f"{day} is before the first school day the '{self.id}' calendar knows ({self.years}); add the school year {missing} to it"
            )
        return self._ordered_school_days[index - 1]

    def school_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days, day = [], start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def to_dict(self) -> dict:
        data = {
            "half_terms": [[h.start.isoformat(), h.end.isoformat()] for h in self.half_terms],
            "closed": sorted(d.isoformat() for d in self.closed if self.first_day <= d <= self.last_day),
        }
        if self.provisional_from is not None:  # absent from calendars stored before provisional years existed
            data["provisional_from"] = self.provisional_from.isoformat()
        return data

    @classmethod
    def from_dict(cls, calendar_id: str, data: dict) -> SchoolCalendar:
        provisional_from = dt.date.fromisoformat(data["provisional_from"]) if "provisional_from" in data else None
        halves = tuple(
            HalfTerm(start, end, provisional=provisional_from is not None and start >= provisional_from)
            for start, end in ((dt.date.fromisoformat(s), dt.date.fromisoformat(e)) for s, e in data["half_terms"])
        )
        return cls(calendar_id, halves, frozenset(dt.date.fromisoformat(d) for d in data["closed"]))


def why_not_replaceable(stored: SchoolCalendar, new: SchoolCalendar) -> str | None:
    """Why `new` may not take the place of `stored` in a loaded partnership, or None when it may: its school days
    up to the end of the stored published dates are exactly the stored ones (the plan and its deadlines rest on
    them); later, provisional half-terms may be replaced, by published or other provisional ones, and years added."""
    published = [h for h in stored.half_terms if not h.provisional]
    if not published:
        return None
    until = published[-1].end
    then = [(h.start, h.end) for h in published]
    now = [(h.start, h.end) for h in new.half_terms if h.start <= until]
    if now != then or any(h.provisional for h in new.half_terms if h.start <= until):
        i = next((i for i in range(len(then) + len(now)) if i >= len(then) or i >= len(now) or then[i] != now[i]), None)
        half = (then[i] if i < len(then) else now[i]) if i is not None else then[0]  # else: only marked provisional
        return (
            f"the '{stored.id}' calendar's published half-terms differ from the new file's (first at the half-term "
            f"{half[0]} to {half[1]}); only provisional dates can be replaced in a loaded partnership"
        )
    closed_then = {d for d in stored.closed if stored.first_day <= d <= until}
    closed_now = {d for d in new.closed if stored.first_day <= d <= until}
    changed_days = sorted(closed_then ^ closed_now)
    if changed_days:
        return (
            f"the '{stored.id}' calendar's closed days in its published dates differ from the new file's "
            f"(first {changed_days[0]}); only provisional dates can be replaced in a loaded partnership"
        )
    return None
