"""School calendars: the bundled Sheffield terms, bank holidays, and bad calendar files."""

import datetime as dt

import pytest

from peer_review.errors import UserError
from peer_review.files.school_calendars import (
    BUNDLED,
    load_calendar_file,
    resolve_calendar,
)


def test_sheffield_covers_three_school_years_with_bank_holidays_closed():
    sheffield = resolve_calendar("sheffield")
    assert sheffield.first_day == dt.date(2023, 9, 4) and sheffield.last_day == dt.date(2026, 7, 20)
    assert sheffield.is_school_day(dt.date(2023, 11, 6))
    assert not sheffield.is_school_day(dt.date(2023, 10, 25))  # autumn half-term holiday
    assert not sheffield.is_school_day(dt.date(2024, 5, 6))  # early May bank holiday, in term
    assert not sheffield.is_school_day(dt.date(2024, 5, 4))  # a Saturday
    assert sheffield.half_term_of(dt.date(2024, 3, 1)).term == "2023-24 spring"
    assert sheffield.half_term_of(dt.date(2024, 4, 16)).term == "2023-24 summer"
    days = sheffield.school_days(dt.date(2023, 9, 1), dt.date(2024, 7, 31))
    assert 188 <= len(days) <= 195  # 190 days of education, give or take the council's counting


def test_bad_calendar_names_the_line(tmp_path):
    text = (
        (BUNDLED / "sheffield.yaml")
        .read_text()
        .replace("{start: 2024-01-08, end: 2024-02-09}", "{start: 2024-01-08, end: 2023-02-09}")
    )
    path = tmp_path / "cal.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=r"line \d+ \(terms\[2\]\.end\).*ends \(2023-02-09\) before it starts"):
        load_calendar_file(path)


def test_unknown_calendar_lists_the_bundled_ones():
    with pytest.raises(UserError, match="bundled calendars: sheffield"):
        resolve_calendar("leeds")
