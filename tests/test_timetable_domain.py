"""The visit timetable's rules, without a database: times as people type and read them, what is an error
(refused when saving) and what is a warning (flagged, still saved), and the changes the team is told of."""

from __future__ import annotations

import datetime as dt

import pytest

from peer_review.domain.timetable import (
    Activity,
    TimetableSession,
    Visit,
    by_day,
    changes,
    clashes,
    parse_time,
    problems,
    problems_of,
    time_words,
)

MONDAY, TUESDAY = dt.date(2024, 1, 15), dt.date(2024, 1, 16)
VISIT = Visit(MONDAY, TUESDAY, {10: "Owen Fletcher", 13: "Joe Hartley", 2: "Daniel Okafor"})


def session(start="09:00", end="10:00", day=MONDAY, reviewers=(10,), id=None, **kw) -> TimetableSession:
    return TimetableSession(
        day=day,
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        activity=kw.pop("activity", Activity.LEARNING_WALK),
        school=kw.pop("school", "Steel Valley Primary"),
        reviewers=tuple(reviewers),
        id=id,
        **kw,
    )


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("9:30", dt.time(9, 30)),
        ("09:30", dt.time(9, 30)),
        ("9.30", dt.time(9, 30)),
        ("9:30am", dt.time(9, 30)),
        ("2pm", dt.time(14, 0)),
        ("2:15 PM", dt.time(14, 15)),
        ("12pm", dt.time(12, 0)),
        ("12am", dt.time(0, 0)),
        ("14:00", dt.time(14, 0)),
        ("midday", dt.time(12, 0)),
        (" 8 ", dt.time(8, 0)),
    ],
)
def test_times_are_read_as_people_type_them(typed, expected):
    assert parse_time(typed, "the start time") == expected


@pytest.mark.parametrize("typed", ["25:00", "9:75", "13pm", "nine", "9:3", "0am", "9:30:00", "-1"])
def test_a_time_that_is_not_one_says_what_would_do(typed):
    with pytest.raises(ValueError, match=r"^The start time must be a real time, like 9:30am or 14:00$"):
        parse_time(typed, "the start time")


def test_an_empty_time_asks_for_one():
    with pytest.raises(ValueError, match="^Enter the end time$"):
        parse_time("  ", "the end time")


def test_times_are_written_as_gov_uk_writes_them():
    assert [time_words(dt.time(*t)) for t in [(9, 0), (9, 30), (12, 0), (14, 5), (0, 0), (0, 30)]] == [
        "9am",
        "9:30am",
        "midday",
        "2:05pm",
        "midnight",
        "12:30am",
    ]


def test_a_reviewer_in_two_places_at_once_is_a_warning_naming_them_and_both_sessions():
    walk = session("09:00", "10:30", id=1)
    voice = session("10:00", "11:00", id=2, activity=Activity.STAFF_VOICE, reviewers=(10, 13))
    [problem] = problems([walk, voice], VISIT)
    assert not problem.error and problem.sessions == (1, 2) and problem.field == "reviewers"
    assert problem.message == (
        "Owen Fletcher is in two sessions at once on Monday 15 January 2024: "
        "Learning walk (9am to 10:30am) and Staff voice (10am to 11am)"
    )
    # saving one of them is allowed: the warning is shown, nothing refuses it
    assert [p.error for p in problems_of(voice, [walk], VISIT)] == [False]


def test_back_to_back_sessions_and_other_days_do_not_clash():
    assert (
        clashes([session("09:00", "10:00"), session("10:00", "11:00"), session("09:00", "10:00", day=TUESDAY)], VISIT)
        == []
    )
    assert (
        clashes([session("09:00", "10:00", reviewers=(10,)), session("09:30", "10:30", reviewers=(13,))], VISIT) == []
    )


def test_a_room_booked_twice_at_once_is_a_warning():
    first = session("09:00", "10:00", room="Library", reviewers=(10,))
    second = session("09:30", "10:30", room=" library ", reviewers=(13,), activity=Activity.PUPIL_VOICE)
    assert clashes([first, second], VISIT) == [
        "Steel Valley Primary, Library is booked for two sessions at once on Monday 15 January 2024: "
        "Learning walk (9am to 10am) and Pupil voice (9:30am to 10:30am)"
    ]
    assert (
        clashes([first, session("09:30", "10:30", room="Library", school="Other School", reviewers=(13,))], VISIT) == []
    )


def test_a_day_outside_the_visit_is_an_error_naming_the_days_that_would_do():
    [problem] = problems_of(session(day=dt.date(2024, 1, 17)), [], VISIT)
    assert problem.error and problem.field == "day"
    assert problem.message == (
        "Learning walk (9am to 10am) is on Wednesday 17 January 2024, which is not a day of the visit: "
        "choose Monday 15 January 2024 or Tuesday 16 January 2024"
    )


def test_an_end_not_after_the_start_is_an_error():
    for end in ("09:00", "08:00"):
        [problem] = problems_of(session("09:00", end), [], VISIT)
        assert problem.error and problem.field == "end"
        assert problem.message.endswith("the end time must be after the start time")


def test_a_session_outside_the_school_day_is_a_warning():
    [early] = problems_of(session("06:30", "08:00"), [], VISIT)
    assert not early.error and early.field == "start"
    assert "(6:30am to 8am) is outside the school day (7am to 7pm)" in early.message
    [late] = problems_of(session("18:00", "20:00"), [], VISIT)
    assert not late.error and late.field == "end"
    assert problems_of(session("07:00", "19:00"), [], VISIT) == []


def test_a_reviewer_not_on_the_team_is_an_error_when_saving_and_a_warning_once_they_have_left():
    [saving] = problems_of(session(reviewers=(99,)), [], VISIT, {99: "Sian Pryce"})
    assert saving.error and saving.message == "Sian Pryce is not on the review team"
    [stored] = problems([session(reviewers=(99,), id=4)], VISIT, {99: "Sian Pryce"})
    assert not stored.error
    assert stored.message == (
        "Sian Pryce is not on the review team: change who is at Learning walk on Monday 15 January 2024 (9am to 10am)"
    )


def test_saving_a_session_leaves_itself_out_of_its_overlaps():
    stored = session("09:00", "10:00", id=1)
    assert problems_of(session("09:30", "10:30", id=1), [stored], VISIT) == []


def test_the_errors_come_before_the_warnings():
    other = session("09:00", "10:00", id=1)
    found = problems_of(session("09:30", "09:00", id=2), [other], VISIT)
    assert [p.error for p in found] == [True]  # an end before its start overlaps nothing
    found = problems_of(session("05:00", "09:30", day=dt.date(2024, 1, 20), reviewers=(10,)), [other], VISIT)
    assert [p.error for p in found] == [True, False]


def test_the_activity_in_words():
    assert session().title == "Learning walk"
    assert session(description="Year 6 maths").title == "Learning walk: Year 6 maths"
    assert session(activity=Activity.OTHER, description="Meeting the SENCo").title == "Meeting the SENCo"
    assert all(activity.label for activity in Activity)


def test_the_days_are_the_visits_then_any_other_a_session_is_on():
    late = session(day=dt.date(2024, 1, 22))
    assert [day for day, _ in by_day([late], VISIT)] == [MONDAY, TUESDAY, dt.date(2024, 1, 22)]


def test_changes_since_the_team_was_told_collapse_several_edits_into_one():
    told = [session("09:00", "10:00", id=1), session("11:00", "12:00", id=2, activity=Activity.PUPIL_VOICE)]
    now = [
        session("09:30", "10:30", id=1, reviewers=(10, 13), sequence=3, room="Hall"),
        session("13:00", "14:00", id=3, activity=Activity.FEEDBACK, reviewers=(2,)),
    ]
    assert changes(told, now, VISIT.team) == [
        "Changed: Learning walk, Monday 15 January 2024, 9:30am to 10:30am: time now 9:30am to 10:30am "
        "(was 9am to 10am); place now Steel Valley Primary, Hall (was Steel Valley Primary); "
        "reviewers now Owen Fletcher, Joe Hartley (was Owen Fletcher)",
        "Removed: Pupil voice, Monday 15 January 2024, 11am to midday, at Steel Valley Primary",
        "Added: Feedback to the host trust, Monday 15 January 2024, 1pm to 2pm, at Steel Valley Primary, "
        "with Daniel Okafor",
    ]
    assert changes(now, now, VISIT.team) == []
    assert changes(told, [*told], VISIT.team) == []


def test_a_session_kept_as_data_comes_back_the_same():
    s = session(id=5, sequence=2, description="x", room="r", host_people="Jo, head\nAl, SENCo", reviewers=(10, 2))
    assert TimetableSession.from_record(s.record()) == s
