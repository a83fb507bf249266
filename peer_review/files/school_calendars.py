"""School calendars users write (YAML), and the bundled ones, turned into domain SchoolCalendars."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field

from peer_review.domain.calendar import HalfTerm, SchoolCalendar
from peer_review.domain.text import Name, Text
from peer_review.errors import UserError
from peer_review.files.frameworks import Id
from peer_review.files.yaml_document import Document

BUNDLED = Path(__file__).resolve().parent / "calendars"
#: `holidays` subdivisions of the UK for each value of `bank_holidays`.
REGIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern-ireland": "NIR"}


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: dt.date
    end: dt.date


class CalendarSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    name: Name
    source: Text
    bank_holidays: Literal["england", "wales", "scotland", "northern-ireland"] = "england"
    terms: list[Span] = Field(min_length=1, description="half-terms, first and last school day inclusive")
    closures: list[Span] = Field(default_factory=list, description="other days the schools are closed")


def load_calendar_file(path: str | Path) -> SchoolCalendar:
    doc = Document.read(path)
    spec = doc.validate(CalendarSpec)
    previous: Span | None = None
    for i, span in enumerate(spec.terms):
        if span.end < span.start:
            raise doc.error(f"a half-term ends ({span.end}) before it starts ({span.start})", ("terms", i, "end"))
        if previous and span.start <= previous.end:
            raise doc.error(
                f"half-terms must be in date order without overlaps; this one starts {span.start}, the one before ends {previous.end}",
                ("terms", i, "start"),
            )
        previous = span
    years = range(spec.terms[0].start.year, spec.terms[-1].end.year + 1)
    closed = set(holidays.country_holidays("GB", subdiv=REGIONS[spec.bank_holidays], years=years))
    for span in spec.closures:
        day = span.start
        while day <= span.end:
            closed.add(day)
            day += dt.timedelta(days=1)
    return SchoolCalendar(spec.id, tuple(HalfTerm(s.start, s.end) for s in spec.terms), frozenset(closed))


@lru_cache(maxsize=64)
def _cached(path: str) -> SchoolCalendar:
    return load_calendar_file(path)


def resolve_calendar(ref: str, relative_to: Path | None = None) -> SchoolCalendar:
    """A calendar by bundled id (`sheffield`) or by path (relative paths against `relative_to`)."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        path = Path(ref)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return load_calendar_file(path)
    bundled = {p.stem: p for p in BUNDLED.glob("*.yaml")}
    if ref not in bundled:
        raise UserError(
            f"unknown school calendar '{ref}'; bundled calendars: {', '.join(sorted(bundled))}, or give a path to a .yaml file"
        )
    return _cached(str(bundled[ref]))
