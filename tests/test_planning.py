"""The placeholder planner: strands in the CEO's order, weekday visits inside the cycle, a clear error when it cannot fit."""

import datetime as dt

import pytest

from peer_review.domain.planning import PlanningError, cycle_end, simple_plan

ORDERS = {"a": ["s1", "s2", "s3", "s4"], "b": ["s2", "s1", "s4", "s3"], "c": ["s4", "s3", "s2", "s1"]}


def test_each_trust_hosts_each_strand_in_its_order_on_weekdays():
    plan = simple_plan(ORDERS, dt.date(2023, 11, 1), 24, visit_days=2)
    assert len(plan) == 12
    for trust, order in ORDERS.items():
        mine = sorted((p for p in plan if p.trust == trust), key=lambda p: p.visit_start)
        assert [p.strand for p in mine] == order
    for p in plan:
        assert p.visit_start.weekday() < 5 and p.visit_end.weekday() < 5
        assert (p.visit_end - p.visit_start).days in (1, 3)  # two school days, maybe over a weekend
        assert dt.date(2023, 11, 1) + dt.timedelta(days=35) <= p.visit_start + dt.timedelta(days=7)
        assert p.visit_end <= cycle_end(dt.date(2023, 11, 1), 24)
    # trusts visit in different weeks within a half-term
    first_round = sorted(p.visit_start for p in plan if p.position == 1)
    assert len({d.isocalendar()[1] for d in first_round}) == 3


def test_a_cycle_too_short_is_refused_with_the_reason():
    with pytest.raises(PlanningError, match="lengthen the cycle"):
        simple_plan(ORDERS, dt.date(2023, 11, 1), 3)
