"""A trust CEO's scheduling page: strand order, unavailable dates, preferred terms and reviewers' strands,
checked as the partnership file is, and kept by the next proposed cycle."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, proposals
from peer_review.store import db
from peer_review.store.proposals import standing_proposal
from peer_review.store.tables import AuditEntry, Person, Trust

from helpers import EXAMPLE, csrf_of, row_counts, sign_in

pytestmark = pytest.mark.db

COORDINATOR = "ruth.ashby@coordinator.example.org"
CEO = "marcus.hale@donriver.example.org"  # Don River
OTHER_CEO = "helen.marsh@steelvalley.example.org"
PEER = "owen.fletcher@donriver.example.org"


@pytest.fixture
def loaded(database_url):
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 1), 9)):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
        yield


def _trust(key: str) -> Trust:
    with db.session_scope() as session:
        return session.exec(select(Trust).where(Trust.key == key)).one()


def _post(client, trust_id: int, action: str, fields: dict | list):
    html = client.get(f"/trusts/{trust_id}/scheduling").text
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if action == "reviewers" and not any(name.endswith("-email") for name, _ in pairs):  # as the page sends them
        pairs += re.findall(r'<input type="hidden" name="(reviewer-\d+-email)" value="([^"]+)">', html)
    return client.post(
        f"/trusts/{trust_id}/scheduling/{action}",
        content=urlencode([("csrf_token", csrf_of(html)), *pairs]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _date(prefix: str, day: dt.date) -> dict:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def _proposed_visits() -> list[dict]:
    with db.session_scope() as session:
        proposals.propose(session, None)
        return standing_proposal(session, 1).visits


def test_what_a_ceo_sets_is_checked_and_the_next_proposal_keeps_it(loaded):
    trust = _trust("don-river")
    ceo = sign_in(CEO)
    page = ceo.get(f"/trusts/{trust.id}/scheduling")
    assert page.status_code == 200 and "Scheduling your trust's reviews" in page.text
    assert f'href="/trusts/{trust.id}/scheduling"' in ceo.get(f"/trusts/{trust.id}").text
    before = row_counts()

    order = list(reversed(trust.strand_order))
    twice = _post(ceo, trust.id, "order", {f"order-{i}": order[0] for i in range(4)})
    assert twice.status_code == 400 and "Select another strand to be reviewed second: " in twice.text
    empty = _post(ceo, trust.id, "unavailable", {"reason": ""})
    assert empty.status_code == 400
    for message in ("Enter the first day", "Enter the last day", "Enter why your trust is unavailable"):
        assert message in empty.text  # every problem at once, GOV.UK's words
    backwards = _post(
        ceo,
        trust.id,
        "unavailable",
        _date("start", dt.date(2024, 3, 8)) | _date("end", dt.date(2024, 3, 4)) | {"reason": "Board"},
    )
    assert backwards.status_code == 400 and "The last day must be the same as or after the first day" in backwards.text
    outside = _post(
        ceo,
        trust.id,
        "unavailable",
        _date("start", dt.date(2030, 3, 4)) | _date("end", dt.date(2030, 3, 8)) | {"reason": "Board"},
    )
    assert (
        outside.status_code == 400
        and "The dates must be within the cycle, 1 November 2023 to 1 November 2025" in outside.text
    )
    assert row_counts() == before  # refusals write nothing

    assert _post(ceo, trust.id, "order", {f"order-{i}": s for i, s in enumerate(order)}).status_code == 303
    first_visits = [v for v in _dry_run() if v["trust"] == "don-river"]
    blocked = dt.date.fromisoformat(first_visits[0]["visit_start"])
    monday = blocked - dt.timedelta(days=blocked.weekday())
    added = _post(
        ceo,
        trust.id,
        "unavailable",
        _date("start", monday) | _date("end", monday + dt.timedelta(days=4)) | {"reason": "Mock exams"},
    )
    assert added.status_code == 303 and "The dates have been added" in ceo.get(added.headers["location"]).text
    assert _post(ceo, trust.id, "terms", [("terms", "spring"), ("terms", "summer")]).status_code == 303
    reviewer_strands = [("reviewer-0-strands", order[0]), ("reviewer-0-strands", order[1])]
    stale = [("reviewer-0-email", "someone@else.example.org"), *reviewer_strands]  # the list changed meanwhile
    assert _post(ceo, trust.id, "reviewers", stale).status_code == 409
    assert _post(ceo, trust.id, "reviewers", reviewer_strands).status_code == 303

    with db.session_scope() as session:
        stored = session.exec(select(Trust).where(Trust.key == "don-river")).one()
        assert stored.strand_order == order and stored.preferred_terms == ["spring", "summer"]
        assert stored.unavailable == [
            {"start": monday.isoformat(), "end": (monday + dt.timedelta(days=4)).isoformat(), "reason": "Mock exams"}
        ]
        reviewer = session.exec(select(Person).where(Person.trust_id == stored.id, Person.is_reviewer)).first()
        assert set(reviewer.strands) == {order[0], order[1]}
        actions = {a.action for a in session.exec(select(AuditEntry)) if a.actor == CEO}
        assert actions == {"strand_order_set", "unavailable_added", "preferred_terms_set", "reviewer_strands_set"}

    visits = _proposed_visits()
    hosted = sorted((v for v in visits if v["trust"] == "don-river"), key=lambda v: v["position"])
    assert [v["strand"] for v in hosted] == order
    week = {monday + dt.timedelta(days=i) for i in range(5)}
    with db.session_scope() as session:
        don_river_people = {p.email for p in session.exec(select(Person).where(Person.trust_id == stored.id))}
    for v in visits:  # no visit at Don River that week, and none of its people away on one
        days = {dt.date.fromisoformat(v["visit_start"]), dt.date.fromisoformat(v["visit_end"])}
        if days & week:
            assert v["trust"] != "don-river" and not set(v["peers"]) & don_river_people


def _dry_run() -> list[dict]:
    with db.session_scope() as session:
        return proposals.preview(session, None).as_json()


def test_only_the_trusts_ceo_or_the_coordinator_changes_it_and_the_order_is_fixed_once_published(loaded):
    don_river, steel_valley = _trust("don-river"), _trust("steel-valley")
    ceo, other, peer, coordinator = sign_in(CEO), sign_in(OTHER_CEO), sign_in(PEER), sign_in(COORDINATOR)
    before = row_counts()
    assert other.get(f"/trusts/{don_river.id}/scheduling").status_code == 403
    assert peer.get(f"/trusts/{don_river.id}/scheduling").status_code == 403
    token = csrf_of(other.get(f"/trusts/{steel_valley.id}/scheduling").text)
    for action in ("order", "unavailable", "unavailable/remove", "terms", "reviewers"):
        refused = other.post(f"/trusts/{don_river.id}/scheduling/{action}", data={"csrf_token": token})
        assert refused.status_code == 403, action
    assert ceo.post(f"/trusts/{don_river.id}/scheduling/terms", data={"terms": "spring"}).status_code == 403  # no token
    assert row_counts() == before

    order = list(reversed(don_river.strand_order))
    assert _post(coordinator, don_river.id, "order", {f"order-{i}": s for i, s in enumerate(order)}).status_code == 303
    with db.session_scope() as session:
        proposals.propose(session, None)
        proposals.publish(session, None)
    fixed = _post(ceo, don_river.id, "order", {f"order-{i}": s for i, s in enumerate(don_river.strand_order)})
    assert fixed.status_code == 409 and "the order is fixed" in fixed.text.replace(
        "its order is fixed", "the order is fixed"
    )
    assert "The cycle has been published, so the order is fixed" in ceo.get(f"/trusts/{don_river.id}/scheduling").text
