"""School calendars users write (YAML), and the bundled ones, turned into domain SchoolCalendars."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator

from peer_review.domain.calendar import (
    HalfTerm,
    SchoolCalendar,
    last_school_year,
    repeat_school_year,
    school_year,
    school_year_start,
)
from peer_review.domain.text import Name, Text
from peer_review.errors import UserError
from peer_review.files.frameworks import Id
from peer_review.files.yaml_document import Document

BUNDLED = Path(__file__).resolve().parent / "calendars"
#: `holidays` subdivisions of the UK for each value of `bank_holidays`.
REGIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern-ireland": "NIR"}
#: how far past its last published school year a calendar may generate provisional ones
MOST_PROVISIONAL_YEARS = 5


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: dt.date
    end: dt.date


class Provisional(BaseModel):
    """School years not yet published, generated from a pattern and shown as provisional wherever they are used."""

    model_config = ConfigDict(extra="forbid")
    through: str = Field(description="the last school year to generate, as 2028-29")
    pattern: Literal["repeat-last-year"] = Field(
        "repeat-last-year", description="the last published school year, week for week (the same weekdays)"
    )

    @field_validator("through", mode="before")
    @classmethod
    def _a_school_year(cls, value: object) -> str:
        text = value if isinstance(value, str) else ""
        if not (len(text) == 7 and text.isascii() and text[:4].isdigit() and text[4] == "-" and text[5:].isdigit()):
            raise ValueError("give a school year as 2028-29")
        if int(text[5:]) != (int(text[:4]) + 1) % 100:
            raise ValueError(f"{text} is not a school year: the second year follows the first, as 2028-29")
        return text


class CalendarSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    name: Name
    source: Text
    bank_holidays: Literal["england", "wales", "scotland", "northern-ireland"] = "england"
    terms: list[Span] = Field(min_length=1, description="half-terms, first and last school day inclusive")
    closures: list[Span] = Field(default_factory=list, description="other days the schools are closed")
    provisional: Provisional | None = None


def load_calendar_file(path: str | Path) -> SchoolCalendar:
    return _calendar(Document.read(path))


def load_uploaded_calendar(filename: str, text: str) -> SchoolCalendar:
    """A calendar file sent through the web, checked as a file is (it names no other file)."""
    return _calendar(Document(Path(Path(filename).name or "calendar.yaml"), text))


def _calendar(doc: Document) -> SchoolCalendar:
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
    published = tuple(HalfTerm(s.start, s.end) for s in spec.terms)
    halves = published + _provisional(doc, spec, published)
    years = range(halves[0].start.year, halves[-1].end.year + 1)
    closed = set(holidays.country_holidays("GB", subdiv=REGIONS[spec.bank_holidays], years=years))
    for span in spec.closures:
        day = span.start
        while day <= span.end:
            closed.add(day)
            day += dt.timedelta(days=1)
    return SchoolCalendar(spec.id, halves, frozenset(closed))


def _provisional(doc: Document, spec: CalendarSpec, published: tuple[HalfTerm, ...]) -> tuple[HalfTerm, ...]:
    if spec.provisional is None:
        return ()
    last = school_year(published[-1].start)
    through = school_year_start(spec.provisional.through)
    if not school_year_start(last) < through <= school_year_start(last) + MOST_PROVISIONAL_YEARS:
        raise doc.error(
            f"provisional school years run from the one after the last published ({last}) to at most "
            f"{MOST_PROVISIONAL_YEARS} years after it; {spec.provisional.through} is outside that",
            ("provisional", "through"),
        )
    pattern = last_school_year(published)
    if pattern[0].start.month not in (8, 9) or pattern[-1].end.month not in (6, 7, 8):
        raise doc.error(
            f"provisional years repeat the last published school year, so it must be a whole one, from the autumn "
            f"to the summer; {last} runs from {pattern[0].start} to {pattern[-1].end}",
            ("provisional",),
        )
    return repeat_school_year(published, through)


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
