"""School calendars: which days are school days, and which term a day falls in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class HalfTerm:
    start: dt.date
    end: dt.date

    @property
    def term(self) -> str:
        """'2023-24 autumn' etc.: half-terms starting Aug-Dec are autumn, Jan-Mar spring, Apr-Jul summer."""
        month = self.start.month
        year = self.start.year if month >= 8 else self.start.year - 1
        name = "autumn" if month >= 8 else "spring" if month <= 3 else "summer"
        return f"{year}-{str(year + 1)[2:]} {name}"


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

    def is_school_day(self, day: dt.date) -> bool:
        return day in self._school_days

    def school_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days, day = [], start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def to_dict(self) -> dict:
        return {
            "half_terms": [[h.start.isoformat(), h.end.isoformat()] for h in self.half_terms],
            "closed": sorted(d.isoformat() for d in self.closed if self.first_day <= d <= self.last_day),
        }

    @classmethod
    def from_dict(cls, calendar_id: str, data: dict) -> "SchoolCalendar":
        halves = tuple(HalfTerm(dt.date.fromisoformat(s), dt.date.fromisoformat(e)) for s, e in data["half_terms"])
        return cls(calendar_id, halves, frozenset(dt.date.fromisoformat(d) for d in data["closed"]))
