"""A proposed cycle on the web: each CEO confirms their trust's part or asks for a change, the coordinator
proposes again around it and publishes; nobody is invited before that, and only the right people may act."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain.proposals import ChangeKind, ChangeRequest
from peer_review.errors import UserError
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, proposals
from peer_review.store import db
from peer_review.store.tables import OutboxMessage, Person, ProposalAnswer, Review, Trust

from helpers import EXAMPLE, all_at_once, csrf_of, row_counts, sign_in

pytestmark = pytest.mark.db

COORDINATOR = "ruth.ashby@coordinator.example.org"
STEEL_VALLEY_CEO = "helen.marsh@steelvalley.example.org"
DON_RIVER_CEO = "marcus.hale@donriver.example.org"
PEER = "owen.fletcher@donriver.example.org"


@pytest.fixture
def proposed(database_url):
    """The bundled triad loaded and its cycle proposed; nobody has answered."""
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 1), 9)):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
            proposals.propose(session, None)
        yield


def _trust_id(key: str) -> int:
    with db.session_scope() as session:
        return session.exec(select(Trust.id).where(Trust.key == key)).one()


def _post(client, page_path: str, path: str, fields: dict | list):
    """POST a form with the CSRF token (and the proposal's id) of the page it is on."""
    html = client.get(page_path).text
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    proposal = re.search(r'name="proposal" value="(\d+)"', html)
    extra = [("proposal", proposal.group(1))] if proposal and not any(k == "proposal" for k, _ in pairs) else []
    return client.post(path, data=dict([("csrf_token", csrf_of(html)), *extra, *pairs]))


def _events() -> list[str]:
    with db.session_scope() as session:
        return [m.event for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)) if m.event != "sign_in"]


def _visits(trust: str) -> list[dict]:
    with db.session_scope() as session:
        from peer_review.store.proposals import standing_proposal

        proposal = standing_proposal(session, 1)
        return sorted((v for v in proposal.visits if v["trust"] == trust), key=lambda v: v["position"])


def test_a_ceo_confirms_their_part_and_nobody_is_invited_until_the_coordinator_publishes(proposed):
    assert _events() == ["cycle_proposed"] * 3  # each host CEO, nobody else
    ceo = sign_in(STEEL_VALLEY_CEO)
    trust = _trust_id("steel-valley")
    home = ceo.get(f"/trusts/{trust}").text
    assert "A review cycle has been proposed" in home and f'href="/trusts/{trust}/proposal"' in home
    page = ceo.get(f"/trusts/{trust}/proposal").text
    assert "waiting for your answer" in page and "Visits Steel Valley Academy Trust would host" in page
    assert "School improvement" in page and "Where your reviewers would go" in page
    confirmed = _post(ceo, f"/trusts/{trust}/proposal", f"/trusts/{trust}/proposal/confirm", {})
    assert confirmed.status_code == 303
    assert "You have confirmed Steel Valley Academy Trust" in ceo.get(confirmed.headers["location"]).text

    coordinator = sign_in(COORDINATOR)
    overview = coordinator.get("/partnerships/1").text
    assert "Proposal 1 is waiting to be published" in overview
    assert "Not yet confirmed by Don River Learning Partnership, Peak Edge Schools Trust" in overview
    answers = coordinator.get("/partnerships/1/proposal").text
    assert "confirmed" in answers and "Not yet confirmed by the CEO of Don River" in answers
    with db.session_scope() as session:
        assert session.exec(select(Review)).first() is None
    published = _post(coordinator, "/partnerships/1/proposal", "/partnerships/1/proposal/publish", {})
    assert published.status_code == 303 and published.headers["location"] == "/partnerships/1?published=1"
    assert "The cycle has been published" in coordinator.get(published.headers["location"]).text
    with db.session_scope() as session:
        assert len(session.exec(select(Review)).all()) == 12
    assert _events()[3:] == ["visit_scheduled"] * 12  # the host CEOs hear of their visits only now
    assert "no proposed cycle" in ceo.get(f"/trusts/{trust}/proposal").text.replace(
        "There is no proposed", "no proposed"
    )


def test_another_week_asked_on_the_web_is_kept_by_the_next_proposal(proposed):
    ceo = sign_in(DON_RIVER_CEO)
    trust = _trust_id("don-river")
    choice = ceo.get(f"/trusts/{trust}/proposal/change?chosen=1")
    assert choice.status_code == 400 and "Select what you would like to change" in choice.text
    assert ceo.get(f"/trusts/{trust}/proposal/change?kind=other_week").headers["location"].endswith("/other_week")
    form = f"/trusts/{trust}/proposal/change/other_week"
    before = row_counts()
    empty = _post(ceo, form, form, {"reason": ""})
    assert empty.status_code == 400
    assert "Select the visit that should move to another week" in empty.text
    assert "Enter why you are asking for this change" in empty.text  # every problem at once
    assert row_counts() == before  # a refusal writes nothing

    first = _visits("don-river")[0]
    asked = _post(ceo, form, form, {"week": first["visit_start"], "reason": "Our trust board meets that week"})
    assert asked.status_code == 303
    page = ceo.get(asked.headers["location"]).text
    assert "Your change has been sent to the coordinator" in page and "changes asked" in page
    start = dt.date.fromisoformat(first["visit_start"])
    assert f"not the week of {start.day} {start:%B %Y}: Our trust board meets that week" in page

    coordinator = sign_in(COORDINATOR)
    assert "Our trust board meets that week" in coordinator.get("/partnerships/1/proposal").text
    again = _post(coordinator, "/partnerships/1/proposal", "/partnerships/1/proposal", {})
    assert again.status_code == 303
    assert "Proposal 2 has been sent" in coordinator.get(again.headers["location"]).text
    moved = _visits("don-river")[0]
    monday = start - dt.timedelta(days=start.weekday())
    assert not monday <= dt.date.fromisoformat(moved["visit_start"]) <= monday + dt.timedelta(days=6)


def test_a_strand_order_and_a_reviewer_not_wanted_are_checked_then_kept(proposed):
    ceo = sign_in(DON_RIVER_CEO)
    trust = _trust_id("don-river")
    form = f"/trusts/{trust}/proposal/change/strand_order"
    page = ceo.get(form).text
    proposed_order = [v["strand"] for v in _visits("don-river")]
    assert re.findall(r'<option value="([a-z-]+)" selected>', page) == proposed_order  # the order proposed, to edit
    same = _post(ceo, form, form, {**{f"order-{i}": s for i, s in enumerate(proposed_order)}, "reason": "x"})
    assert same.status_code == 400 and "this is the order already proposed" in same.text
    twice = {f"order-{i}": proposed_order[0] for i in range(4)} | {"reason": "New director"}
    doubled = _post(ceo, form, form, twice)
    assert doubled.status_code == 400 and "Select another strand to be reviewed fourth: " in doubled.text
    wanted = list(reversed(proposed_order))
    ok = _post(ceo, form, form, {**{f"order-{i}": s for i, s in enumerate(wanted)}, "reason": "New director"})
    assert ok.status_code == 303

    form = f"/trusts/{trust}/proposal/change/not_this_reviewer"
    reviewer = _visits("don-river")[0]["peers"][0]
    nobody = _post(ceo, form, form, {"reviewer": "someone@else.example.org", "reason": "x"})
    assert nobody.status_code == 400 and "Select the person you would rather not host" in nobody.text
    assert _post(ceo, form, form, {"reviewer": reviewer, "reason": "A close colleague"}).status_code == 303
    with db.session_scope() as session:
        [row] = session.exec(select(ProposalAnswer).where(ProposalAnswer.trust_id == trust)).all()
        assert [r["kind"] for r in row.requests] == ["strand_order", "not_this_reviewer"]  # both kept

    coordinator = sign_in(COORDINATOR)
    assert _post(coordinator, "/partnerships/1/proposal", "/partnerships/1/proposal", {}).status_code == 303
    visits = _visits("don-river")
    assert [v["strand"] for v in visits] == wanted
    assert all(reviewer not in v["peers"] and reviewer != v["moderator"] for v in visits)


def test_only_the_trusts_ceo_answers_and_only_the_coordinator_proposes_and_publishes(proposed):
    steel_valley, don_river = _trust_id("steel-valley"), _trust_id("don-river")
    ceo, peer, coordinator = sign_in(STEEL_VALLEY_CEO), sign_in(PEER), sign_in(COORDINATOR)
    before = row_counts()
    assert ceo.get(f"/trusts/{don_river}/proposal").status_code == 403  # another trust's answer
    token = csrf_of(ceo.get(f"/trusts/{steel_valley}/proposal").text)
    other = ceo.post(f"/trusts/{don_river}/proposal/confirm", data={"csrf_token": token, "proposal": "1"})
    assert other.status_code == 403
    for path in ("/partnerships/1/proposal", "/partnerships/1/proposal/publish"):
        assert ceo.post(path, data={"csrf_token": token, "proposal": "1"}).status_code == 403
    assert peer.get(f"/trusts/{steel_valley}/proposal").status_code == 403
    assert peer.get("/partnerships/1/proposal").status_code == 403
    no_token = ceo.post(f"/trusts/{steel_valley}/proposal/confirm", data={"proposal": "1"})
    assert no_token.status_code == 403 and "Your form has expired" in no_token.text
    token = csrf_of(coordinator.get("/partnerships/1/proposal").text)
    stale = coordinator.post("/partnerships/1/proposal/publish", data={"csrf_token": token, "proposal": "99"})
    assert stale.status_code == 409 and "The proposal has changed" in stale.text
    assert row_counts() == before


def test_the_coordinator_may_answer_for_a_ceo_and_it_is_recorded_as_theirs(proposed):
    coordinator = sign_in(COORDINATOR)
    trust = _trust_id("peak-edge")
    answered = _post(coordinator, f"/trusts/{trust}/proposal", f"/trusts/{trust}/proposal/confirm", {})
    assert answered.status_code == 303
    assert "By Ruth Ashby on 1 November 2023" in coordinator.get(f"/trusts/{trust}/proposal").text


def test_home_pages_say_first_what_needs_each_person(proposed):
    ceo = sign_in(DON_RIVER_CEO)
    trust = _trust_id("don-river")
    home = ceo.get("/").text
    assert "Needs your attention" in home
    assert f'href="/trusts/{trust}/proposal">Don River Learning Partnership: a proposed review cycle is waiting' in home
    coordinator = sign_in(COORDINATOR)
    assert (
        "Sheffield pilot triad: proposal 1, waiting for Steel Valley Academy Trust, Don River"
        in coordinator.get("/").text
    )
    form = f"/trusts/{trust}/proposal/change/other_week"
    week = _visits("don-river")[0]["visit_start"]
    assert _post(ceo, form, form, {"week": week, "reason": "Inspection window"}).status_code == 303
    assert "Needs your attention" not in ceo.get("/").text  # answered
    assert "changes asked by Don River Learning Partnership: propose the cycle again" in coordinator.get("/").text


def test_the_coordinators_home_counts_overdue_tasks_and_the_grid_links_each_trust(planned):
    with clock.frozen_at(clock.at_london(dt.date(2024, 3, 1), 9)):  # review 1's team has not answered in time
        coordinator = sign_in(COORDINATOR)
        home = coordinator.get("/").text
        assert re.search(r'href="/partnerships/1#overdue-heading">Sheffield pilot triad: \d+ tasks? overdue', home)
        grid = coordinator.get("/partnerships/1").text
        assert f'href="/trusts/{_trust_id("steel-valley")}">Steel Valley Academy Trust</a>' in grid


def test_two_publishers_at_once_book_the_cycle_once(proposed):
    coordinators = [sign_in(COORDINATOR), sign_in(COORDINATOR)]
    tokens = [csrf_of(c.get("/partnerships/1/proposal").text) for c in coordinators]
    answers = all_at_once(
        2,
        lambda i: coordinators[i].post(
            "/partnerships/1/proposal/publish", data={"csrf_token": tokens[i], "proposal": "1"}
        ),
    )
    assert sorted(a.status_code for a in answers) == [303, 409], answers
    with db.session_scope() as session:
        assert len(session.exec(select(Review)).all()) == 12


def test_a_strand_order_asked_for_is_published_and_becomes_the_trusts_order(proposed):
    trust = _trust_id("steel-valley")
    order = list(reversed([v["strand"] for v in _visits("steel-valley")]))
    with db.session_scope() as session:
        stored = session.get(Trust, trust)
        ceo = session.exec(select(Person).where(Person.email == STEEL_VALLEY_CEO)).one()
        request = ChangeRequest("steel-valley", ChangeKind.STRAND_ORDER, "New director", strand_order=tuple(order))
        proposals.ask(session, stored, ceo, request, 1)
        proposals.propose(session, None)
        proposals.publish(session, None)
    with db.session_scope() as session:
        assert session.get(Trust, trust).strand_order == order


def test_publishing_after_a_trust_left_is_refused_in_words(proposed, tmp_path):
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import roster

    smaller = tmp_path / "two.yaml"
    text = EXAMPLE.read_text()
    smaller.write_text(text[: text.index("  - id: peak-edge")])  # the last trust of the file leaves
    with db.session_scope() as session:
        roster.update_partnership(session, load_partnership_file(smaller))
    coordinator = sign_in(COORDINATOR)
    refused = _post(coordinator, "/partnerships/1/proposal", "/partnerships/1/proposal/publish", {})
    assert refused.status_code == 409
    assert "Peak Edge Schools Trust has left the partnership" in refused.text.replace("&#39;", "'")
    with db.session_scope() as session:
        assert session.exec(select(Review)).first() is None


def test_a_trusts_reason_for_being_unavailable_is_not_shown_to_other_trusts(proposed):
    from peer_review.service import rescheduling, trust_settings

    with db.session_scope() as session:
        proposals.publish(session, None)
    with db.session_scope() as session:
        review = session.get(Review, 1)
        day = review.visit_start + dt.timedelta(days=14)
        don_river = session.exec(select(Trust).where(Trust.key == "don-river")).one()
        ceo = session.exec(select(Person).where(Person.email == DON_RIVER_CEO)).one()
        trust_settings.add_unavailable(session, don_river, ceo, day, day + dt.timedelta(days=4), "CEO's surgery")
    with pytest.raises(UserError) as refused, db.session_scope() as session:
        rescheduling.reschedule(session, 1, day, "clash", STEEL_VALLEY_CEO)
    assert "Don River Learning Partnership is unavailable" in refused.value.problem
    assert "surgery" not in refused.value.problem


def test_visits_on_provisional_dates_say_so_on_the_trust_and_review_pages(database_url, tmp_path):
    from helpers import plan_and_publish

    path = tmp_path / "2027.yaml"
    path.write_text(EXAMPLE.read_text().replace("cycle: {start: 2023-11-01,", "cycle: {start: 2027-01-04,"))
    with clock.frozen_at(clock.at_london(dt.date(2026, 12, 7), 9)):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(path))
            plan_and_publish(session, None)
        ceo = sign_in(STEEL_VALLEY_CEO)
        assert ceo.get(f"/trusts/{_trust_id('steel-valley')}").text.count("provisional dates") == 4
        assert "provisional dates" in ceo.get("/reviews/1").text


def test_visits_on_published_dates_are_not_marked_provisional(proposed):
    with db.session_scope() as session:
        proposals.publish(session, None)
    ceo = sign_in(STEEL_VALLEY_CEO)
    assert "provisional dates" not in ceo.get(f"/trusts/{_trust_id('steel-valley')}").text


def test_a_plan_that_cannot_be_made_is_explained_on_the_page_in_names_and_dates(database_url, tmp_path):
    path = tmp_path / "short.yaml"
    path.write_text(EXAMPLE.read_text().replace("months: 24", "months: 3"))
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 1), 9)):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(path))
        coordinator = sign_in(COORDINATOR)
        refused = _post(coordinator, "/partnerships/1/proposal", "/partnerships/1/proposal", {})
    assert refused.status_code == 409 and "There is a problem" in refused.text
    assert "the cycle from 1 November 2023 to 1 February 2024 is too short" in refused.text
    assert "2023-11-01" not in refused.text
