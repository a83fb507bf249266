"""The cycle planner: every plan it returns keeps every hard constraint; impossible inputs are explained."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peer_review.domain.calendar import HalfTerm, SchoolCalendar
from peer_review.domain.scheduling import (
    Blackout,
    PlanInfeasible,
    PlanPerson,
    PlanSettings,
    PlanTrust,
    plan_partnership,
    violations,
)
from peer_review.files.school_calendars import resolve_calendar

SHEFFIELD = resolve_calendar("sheffield")


def _variant(name: str, shift_days: int, closures: list[dt.date]) -> SchoolCalendar:
    """An academy's own calendar: Sheffield's half-terms moved a little, plus its own closure days."""
    shift = dt.timedelta(days=shift_days)
    halves = tuple(HalfTerm(h.start + shift, h.end + shift) for h in SHEFFIELD.half_terms)
    return SchoolCalendar(name, halves, SHEFFIELD.closed | frozenset(closures))


@st.composite
def partnerships(draw):
    n_trusts = draw(st.integers(3, 6))
    n_strands = draw(st.integers(3, 5))
    strands = [f"s{i}" for i in range(n_strands)]
    calendars = [SHEFFIELD] + [
        _variant(
            f"own{i}",
            draw(st.sampled_from([-7, -2, 0, 3, 7])),
            draw(st.lists(st.dates(dt.date(2023, 9, 1), dt.date(2025, 12, 31)), max_size=15)),
        )
        for i in range(2)
    ]
    trusts = []
    for t in range(n_trusts):
        order = draw(st.permutations(strands))
        trusts.append(PlanTrust(f"t{t}", tuple(order), draw(st.sampled_from(calendars))))
    if n_trusts >= 4 and draw(st.booleans()):  # a declared conflict between two trusts
        trusts[0] = PlanTrust(trusts[0].id, trusts[0].strand_order, trusts[0].calendar, frozenset({"t1"}))
    people = []
    for t in trusts:
        for r in range(draw(st.integers(2, 3))):
            declared = tuple(draw(st.lists(st.sampled_from(strands), max_size=2, unique=True)))
            conflicted = draw(st.integers(0, 3)) == 0  # now and then a person declares a conflict
            conflicts = (
                frozenset({draw(st.sampled_from([x.id for x in trusts if x.id != t.id]))})
                if conflicted
                else frozenset()
            )
            people.append(PlanPerson(f"p{r}@{t.id}", t.id, declared, conflicts))
    moderators = [
        PlanPerson(f"m{i}@lead", None, (), frozenset(), draw(st.integers(1, 4))) for i in range(draw(st.integers(1, 6)))
    ]
    start = draw(st.dates(dt.date(2023, 9, 1), dt.date(2024, 6, 1)))
    months = draw(st.integers(12, 24))
    end = min(
        dt.date(start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1),
        dt.date(2026, 7, 20),
    )
    blackouts = (
        [Blackout(dt.date(y, 5, 6), dt.date(y, 6, 21), "exam season", frozenset({"t2"})) for y in (2024, 2025)]
        if draw(st.booleans())
        else []
    )
    return (
        trusts,
        people,
        moderators,
        PlanSettings(start, end, visit_days=draw(st.integers(1, 3)), stagger=draw(st.integers(0, 5))),
        blackouts,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(partnerships())
def test_every_plan_keeps_every_hard_constraint(case):
    trusts, people, moderators, plan_settings, blackouts = case
    try:
        plan = plan_partnership(trusts, people, moderators, plan_settings, blackouts)
    except PlanInfeasible as exc:
        assert "no date for trust" in str(exc) or "too short" in str(exc), str(exc)
        return
    assert len(plan) == sum(len(t.strand_order) for t in trusts)
    assert violations(plan, trusts, people, moderators, plan_settings, blackouts) == []
    for visit in plan:
        owner = {p.email: p.trust for p in people}
        assert all(owner[e] != visit.trust for e in visit.peers)


def _triad(moderator_limit=2):
    trusts = [PlanTrust(t, ("a", "b", "c", "d"), SHEFFIELD) for t in ("x", "y", "z")]
    people = [PlanPerson(f"{t}{i}@e.org", t) for t in ("x", "y", "z") for i in range(2)]
    moderators = [PlanPerson("m@e.org", None, max_per_term=moderator_limit)]
    return trusts, people, moderators


def test_moderator_pool_too_small_is_explained():
    trusts, people, moderators = _triad(moderator_limit=1)
    with pytest.raises(PlanInfeasible, match="every moderator is busy or at max_reviews_per_term"):
        plan_partnership(trusts, people, moderators, PlanSettings(dt.date(2023, 11, 1), dt.date(2024, 7, 1)))


def test_every_reason_a_review_cannot_be_placed_is_named_with_the_one_to_act_on_first():
    """Four trusts and one moderator allowed one review a term, over two years. Counted term by term, no
    single term's full moderator ruled out as many candidate dates as the holidays did, so the explanation
    used to blame the school calendar; the moderator is what to change."""
    trusts = [PlanTrust(t, ("a", "b", "c", "d"), SHEFFIELD) for t in ("w", "x", "y", "z")]
    people = [PlanPerson(f"{t}{i}@e.org", t) for t in ("w", "x", "y", "z") for i in range(2)]
    with pytest.raises(PlanInfeasible) as refused:
        plan_partnership(
            trusts,
            people,
            [PlanPerson("m@e.org", None, max_per_term=1)],
            PlanSettings(dt.date(2023, 11, 1), dt.date(2025, 7, 1)),
        )
    message = str(refused.value)
    assert re.search(
        r"of the candidate dates, on \d+ every moderator is busy or at max_reviews_per_term in 2024-25 autumn, ",
        message,
    ), message
    assert "not school days in calendar 'sheffield'" in message  # the other reasons follow
    counts = [int(n) for n in re.findall(r"(?:dates, |; )on (\d+) ", message)]
    assert len(counts) >= 2 and counts == sorted(counts, reverse=True), message  # most dates first


def test_cycle_too_short_is_explained():
    trusts, people, moderators = _triad()
    with pytest.raises(PlanInfeasible, match="too short"):
        plan_partnership(trusts, people, moderators, PlanSettings(dt.date(2023, 11, 1), dt.date(2024, 1, 15)))


def test_start_after_the_calendar_says_which_years_to_add():
    trusts, people, moderators = _triad()
    with pytest.raises(
        PlanInfeasible,
        match=r"covers the school years 2023-24 to 2028-29.*add the school years 2029-30 to 2031-32 to it",
    ):
        plan_partnership(trusts, people, moderators, PlanSettings(dt.date(2029, 9, 3), dt.date(2031, 9, 1)))


def test_start_before_the_calendar_names_the_years_covered_and_the_years_to_add():
    trusts, people, moderators = _triad()
    with pytest.raises(
        PlanInfeasible,
        match=r"before the first term the 'sheffield' calendar knows \(it covers the school years 2023-24 to 2028-29, .*\); add the school years 1999-00 to 2001-02",
    ):
        plan_partnership(trusts, people, moderators, PlanSettings(dt.date(1999, 11, 1), dt.date(2001, 11, 1)))


def test_a_cycle_beyond_the_calendar_names_the_missing_years():
    trusts, people, moderators = _triad()
    with pytest.raises(
        PlanInfeasible,
        match=r"knows terms only up to 2029-07-23 \(it covers the school years 2023-24 to 2028-29, .*\); add the school years 2029-30 to 2030-31",
    ):
        plan_partnership(trusts, people, moderators, PlanSettings(dt.date(2028, 11, 6), dt.date(2030, 11, 1)))
