"""The one place the engine asks what time it is, so a simulation can run a cycle in minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/London"
_ENGLAND = ZoneInfo(TIMEZONE)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return _frozen or dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in England."""
    return local_date(now())


def set_time(moment: dt.datetime | None) -> None:
    global _frozen
    _frozen = moment


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    previous = _frozen
    set_time(moment)
    try:
        yield
    finally:
        set_time(previous)


def long_date(value: dt.date | dt.datetime) -> str:
    """'27 November 2023'; a moment is first turned into England's date."""
    if isinstance(value, dt.datetime):
        value = local_date(value)
    return f"{value.day} {value:%B %Y}"


def long_moment(moment: dt.datetime) -> str:
    """'3 March 2025 at 10:04', as a clock in England shows it."""
    local = _in_england(moment)
    return f"{long_date(local.date())} at {local:%H:%M}"


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment made comparable with `now()`: a naive one, as SQLite returns them, is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _in_england(moment: dt.datetime) -> dt.datetime:
    return as_utc(moment).astimezone(_ENGLAND)


def in_england(moment: dt.datetime) -> dt.datetime:
    """The moment as a clock in England shows it (a zip's entries carry local times, as a file's do)."""
    return _in_england(moment)


def local_date(moment: dt.datetime) -> dt.date:
    """The date in England at a moment (a naive moment, as SQLite returns them, is UTC). A moment has one
    date anywhere, so the standard library's zoneinfo does (and commands need not import pendulum)."""
    return _in_england(moment).date()


def date_span(start: dt.date, end: dt.date) -> str:
    return long_date(start) if start == end else f"{long_date(start)} to {long_date(end)}"


def at_london(day: dt.date, hour: int = 16) -> dt.datetime:
    """The moment a London clock shows `hour` on `day` (pendulum settles the hour skipped or repeated when the
    clocks change)."""
    import pendulum

    return pendulum.datetime(day.year, day.month, day.day, hour, tz=TIMEZONE).in_timezone("UTC")
