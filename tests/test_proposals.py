"""A proposed cycle: what a host trust's CEO asks is honoured by the next plan, and said in their words."""

from __future__ import annotations

import datetime as dt

from peer_review.domain.proposals import Answer, ChangeKind, ChangeRequest, honour, unhonoured, waiting_for
from peer_review.domain.scheduling import PlanPerson, PlanSettings, PlanTrust, plan_partnership, violations
from peer_review.files.school_calendars import resolve_calendar

SHEFFIELD = resolve_calendar("sheffield")
SETTINGS = PlanSettings(dt.date(2027, 1, 4), dt.date(2029, 1, 4))  # a cycle from next term, on provisional dates


def _triad():
    trusts = [PlanTrust(t, ("a", "b", "c", "d"), SHEFFIELD) for t in ("x", "y", "z")]
    people = [PlanPerson(f"{t}{i}@e.org", t) for t in ("x", "y", "z") for i in range(2)]
    moderators = [PlanPerson("m1@e.org", None, max_per_term=2), PlanPerson("m2@e.org", None, max_per_term=2)]
    return trusts, people, moderators


def _replan(requests):
    trusts, people, moderators = _triad()
    first = plan_partnership(trusts, people, moderators, SETTINGS)
    trusts, people, blackouts = honour(requests(first), trusts, people, [])
    second = plan_partnership(trusts, people, moderators, SETTINGS, blackouts)
    assert violations(second, trusts, people, moderators, SETTINGS, blackouts) == []
    return first, second, requests(first)


def test_another_week_asked_for_moves_the_visit_out_of_that_week():
    def asked(plan):
        visit = next(v for v in plan if v.trust == "y" and v.position == 2)
        return [ChangeRequest("y", ChangeKind.OTHER_WEEK, "trust board that week", week=visit.visit_start)]

    first, second, requests = _replan(asked)
    assert unhonoured(requests, first) == requests  # the first plan had it in that week
    assert unhonoured(requests, second) == []
    moved = next(v for v in second if v.trust == "y" and v.position == 2)
    assert moved.visit_start != next(v for v in first if v.trust == "y" and v.position == 2).visit_start


def test_another_strand_order_is_the_order_of_the_next_plan():
    def asked(_plan):
        return [
            ChangeRequest(
                "z", ChangeKind.STRAND_ORDER, "our new director starts in spring", strand_order=("d", "c", "b", "a")
            )
        ]

    first, second, requests = _replan(asked)
    assert unhonoured(requests, first) == requests
    assert [v.strand for v in sorted((v for v in second if v.trust == "z"), key=lambda v: v.position)] == [
        "d",
        "c",
        "b",
        "a",
    ]


def test_a_reviewer_the_host_would_rather_not_host_is_not_on_its_teams():
    def asked(plan):
        reviewer = next(v for v in plan if v.trust == "x").peers[0]
        return [ChangeRequest("x", ChangeKind.NOT_THIS_REVIEWER, "she worked here until last year", reviewer=reviewer)]

    first, second, requests = _replan(asked)
    assert unhonoured(requests, first) == requests
    assert unhonoured(requests, second) == []
    assert any(requests[0].reviewer in v.peers for v in second), "the reviewer still reviews the other trusts"


def test_requests_read_in_people_s_words():
    names = {"a": "School improvement", "b": "Workforce", "sam@e.org": "Sam Reed"}
    week = ChangeRequest("x", ChangeKind.OTHER_WEEK, "exams", week=dt.date(2027, 5, 10))
    order = ChangeRequest("x", ChangeKind.STRAND_ORDER, "a new director", strand_order=("b", "a"))
    person = ChangeRequest("x", ChangeKind.NOT_THIS_REVIEWER, "a former colleague", reviewer="sam@e.org")
    assert week.describe(names) == "not the week of 10 May 2027: exams"
    assert order.describe(names) == "strands in the order Workforce, School improvement: a new director"
    assert person.describe(names) == "not Sam Reed as a reviewer: a former colleague"


def test_the_trusts_still_to_confirm_are_named_in_order():
    answers = {"y": Answer.CONFIRMED, "z": Answer.CHANGES_ASKED}
    assert waiting_for(["x", "y", "z"], answers) == ["x", "z"]


def test_a_change_asked_again_with_another_reason_is_the_same_change():
    week = dt.date(2027, 3, 1)
    first = ChangeRequest("y", ChangeKind.OTHER_WEEK, "trust board", week=week)
    assert first.same_change(ChangeRequest("y", ChangeKind.OTHER_WEEK, "board meeting", week=week))
    assert not first.same_change(ChangeRequest("y", ChangeKind.OTHER_WEEK, "trust board", week=week + dt.timedelta(7)))
    assert not first.same_change(ChangeRequest("z", ChangeKind.OTHER_WEEK, "trust board", week=week))
