"""School calendars: the bundled Sheffield terms, bank holidays, and bad calendar files."""

import datetime as dt
import sqlite3

import pytest

from peer_review.domain.calendar import HalfTerm, OutsideCalendar, SchoolCalendar, school_year, why_not_replaceable
from peer_review.errors import UserError
from peer_review.files.school_calendars import (
    BUNDLED,
    load_calendar_file,
    resolve_calendar,
)

from helpers import EXAMPLE, run_cli


def test_sheffield_covers_three_school_years_with_bank_holidays_closed():
    sheffield = resolve_calendar("sheffield")
    published = [h for h in sheffield.half_terms if not h.provisional]
    assert sheffield.first_day == dt.date(2023, 9, 4) and published[-1].end == dt.date(2026, 7, 20)
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


def test_sheffield_reaches_2028_29_with_the_years_not_yet_published_marked_provisional():
    sheffield = resolve_calendar("sheffield")
    assert sheffield.years == "2023-24 to 2028-29"
    assert sheffield.provisional_from == dt.date(2026, 8, 31) and sheffield.known_until == dt.date(2029, 8, 31)
    assert not sheffield.is_provisional(dt.date(2026, 7, 20)) and sheffield.is_provisional(dt.date(2026, 7, 21))
    last_published = [h for h in sheffield.half_terms if school_year(h.start) == "2025-26"]
    for year in ("2026-27", "2027-28", "2028-29"):
        halves = [h for h in sheffield.half_terms if school_year(h.start) == year]
        assert len(halves) == 6 and all(h.provisional for h in halves)
        for half, pattern in zip(halves, last_published):  # the same weekdays and lengths, near the same dates
            assert (half.start.weekday(), half.end.weekday()) == (pattern.start.weekday(), pattern.end.weekday())
            assert half.end - half.start == pattern.end - pattern.start
            assert abs((half.start - pattern.start.replace(year=half.start.year)).days) <= 3
    assert not sheffield.is_school_day(dt.date(2027, 12, 27))  # the Christmas holiday, provisional as it is
    assert not sheffield.is_school_day(dt.date(2028, 5, 1))  # the early May bank holiday, in a provisional term
    assert sheffield.school_day_on_or_before(dt.date(2029, 1, 6)) == dt.date(2028, 12, 22)
    with pytest.raises(OutsideCalendar, match="2029-30"):
        sheffield.school_day_on_or_before(dt.date(2029, 9, 3))


def test_a_stored_calendar_keeps_which_half_terms_are_provisional():
    sheffield = resolve_calendar("sheffield")
    again = SchoolCalendar.from_dict("sheffield", sheffield.to_dict())
    assert again.half_terms == sheffield.half_terms and again.provisional_from == sheffield.provisional_from
    stored_before = {k: v for k, v in sheffield.to_dict().items() if k != "provisional_from"}
    assert SchoolCalendar.from_dict("sheffield", stored_before).provisional_from is None  # as published


@pytest.mark.parametrize(
    "through, error",
    [
        ("2028-30", "2028-30 is not a school year"),
        ("2028", "give a school year as 2028-29"),
        ("2025-26", "from the one after the last published \\(2025-26\\) to at most 5 years after it"),
        ("2099-00", "2099-00 is outside that"),
    ],
)
def test_provisional_years_must_follow_the_published_ones_and_stay_near(tmp_path, through, error):
    path = tmp_path / "cal.yaml"
    path.write_text((BUNDLED / "sheffield.yaml").read_text().replace("through: 2028-29", f"through: '{through}'"))
    with pytest.raises(UserError, match=rf"line \d+ \(provisional\.through\).*{error}"):
        load_calendar_file(path)


def test_a_two_year_cycle_from_january_2027_loads_and_plans_on_the_bundled_calendar(tmp_path):
    """A newcomer's first partnership, starting next term: the bundled calendar reaches far enough."""
    path = tmp_path / "partnership.yaml"
    path.write_text(EXAMPLE.read_text().replace("cycle: {start: 2023-11-01,", "cycle: {start: 2027-01-04,"))
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}", "COLUMNS": "200"}
    loaded = run_cli("partnership", "load", path, cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    planned = run_cli("plan", cwd=tmp_path, env=env)
    assert planned.returncode == 0, planned.stderr
    assert "cycle 2027-01-04 to 2029-01-04" in planned.stdout
    assert planned.stdout.count("(provisional)") == 12  # every visit: 2026-27 on is not yet published


# --- a newer calendar file in a loaded partnership -----------------------------------------------------

PUBLISHED_LATER = [  # the bundled calendar's half-terms from 2024-25 on, as they stand in its file
    line for line in (BUNDLED / "sheffield.yaml").read_text().splitlines() if line.startswith("  - {start: 202")
][6:]


def _calendar(provisional_through: str, dropped: list[str], replace: tuple[str, str] | None = None) -> str:
    text = (BUNDLED / "sheffield.yaml").read_text().replace("through: 2028-29", f"through: {provisional_through}")
    for line in dropped:
        text = text.replace(line + "\n", "")
    return text.replace(*replace) if replace else text


def _loaded_and_planned(tmp_path, calendar_text: str):
    (tmp_path / "cal.yaml").write_text(calendar_text)
    partnership = tmp_path / "partnership.yaml"
    partnership.write_text(EXAMPLE.read_text().replace("term_dates: sheffield", "term_dates: cal.yaml"))
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'pr.db'}", "COLUMNS": "200"}
    for args in (("partnership", "load", partnership), ("plan",), ("plan", "--publish")):
        result = run_cli(*args, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
    return partnership, env


def _stored(tmp_path) -> tuple[str, list]:
    with sqlite3.connect(tmp_path / "pr.db") as db:
        calendars = db.execute("SELECT calendars FROM partnership").fetchone()[0]
        visits = db.execute("SELECT id, visit_start, visit_end, deadlines FROM review ORDER BY id").fetchall()
    return calendars, visits


def test_a_newer_calendar_file_replaces_provisional_dates_and_adds_years_leaving_booked_visits_alone(tmp_path):
    """Loaded when 2024-25 on were provisional; the council has since published them."""
    partnership, env = _loaded_and_planned(tmp_path, _calendar("2025-26", PUBLISHED_LATER))
    calendars_before, visits_before = _stored(tmp_path)
    (tmp_path / "cal.yaml").write_text((BUNDLED / "sheffield.yaml").read_text())
    updated = run_cli("partnership", "load", "--update", partnership, cwd=tmp_path, env=env)
    assert updated.returncode == 0, updated.stderr
    assert (
        "school calendar 'sheffield' now covers 2023-24 to 2028-29, provisional from 2026-27 "
        "(it covered 2023-24 to 2025-26, provisional from 2024-25)"
    ) in " ".join(updated.stdout.split())
    calendars_after, visits_after = _stored(tmp_path)
    assert calendars_after != calendars_before and '"provisional_from": "2026-08-31"' in calendars_after
    assert visits_after == visits_before  # nothing booked moves


def test_a_visit_the_newer_calendar_puts_in_a_holiday_is_named_and_stays_booked(tmp_path):
    partnership, env = _loaded_and_planned(tmp_path, _calendar("2025-26", PUBLISHED_LATER))
    _, visits = _stored(tmp_path)
    visit = next(dt.date.fromisoformat(v[1]) for v in visits if v[1] >= "2025-04-14")  # a visit in 2024-25 summer
    later_start = visit + dt.timedelta(days=7)
    (tmp_path / "cal.yaml").write_text(
        (BUNDLED / "sheffield.yaml").read_text().replace("{start: 2025-04-14,", f"{{start: {later_start},")
    )
    updated = run_cli("partnership", "load", "--update", partnership, cwd=tmp_path, env=env)
    assert updated.returncode == 0, updated.stderr
    said = " ".join(updated.stdout.split())
    assert f"its visit on {visit.day} {visit:%B %Y} is not a school day in the new 'sheffield' calendar" in said
    assert "it stays booked" in said and _stored(tmp_path)[1] == visits


def test_a_newer_calendar_file_may_not_change_a_published_date(tmp_path):
    partnership, env = _loaded_and_planned(tmp_path, _calendar("2025-26", PUBLISHED_LATER))
    before = _stored(tmp_path)
    (tmp_path / "cal.yaml").write_text(
        (BUNDLED / "sheffield.yaml").read_text().replace("{start: 2024-01-08,", "{start: 2024-01-09,")
    )
    refused = run_cli("partnership", "load", "--update", partnership, cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (
        "line 6 (term_dates): the 'sheffield' calendar's published half-terms differ from the new file's (first at the "
        "half-term 2024-01-08 to 2024-02-09)"
    ) in " ".join(refused.stderr.split())
    assert _stored(tmp_path) == before


def test_a_newer_calendar_may_not_turn_a_published_holiday_into_term():
    stored = resolve_calendar("sheffield")
    halves = sorted([*stored.half_terms, HalfTerm(dt.date(2024, 10, 28), dt.date(2024, 11, 1))], key=lambda h: h.start)
    longer_term = SchoolCalendar("sheffield", tuple(halves), stored.closed)
    assert why_not_replaceable(stored, longer_term) == (
        "the 'sheffield' calendar's published half-terms differ from the new file's (first at the half-term "
        "2024-11-04 to 2024-12-20); only provisional dates can be replaced in a loaded partnership"
    )
    assert why_not_replaceable(stored, stored) is None


def test_provisional_years_repeat_only_a_whole_school_year(tmp_path):
    path = tmp_path / "cal.yaml"
    text = (BUNDLED / "sheffield.yaml").read_text()
    for line in PUBLISHED_LATER[-5:]:  # 2025-26 published only to its first half-term
        text = text.replace(line + "\n", "")
    path.write_text(text)
    with pytest.raises(
        UserError,
        match=r"line \d+ \(provisional\).*a whole one, from the autumn to the summer; "
        r"2025-26 runs from 2025-09-01 to 2025-10-24",
    ):
        load_calendar_file(path)
