"""The host CEO's cycle page and calendar, moving a visit, giving a task more time, and the coordinator
choosing a replacement on the web: the same checks and history as the command line."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import (
    AuditEntry,
    DueDateChange,
    OutboxMessage,
    Person,
    Review,
    Task,
    Trust,
    VisitChange,
)

from helpers import nobody_left_from_don_river, post_form, row_counts, sign_in

pytestmark = pytest.mark.db

CEO = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1
COORDINATOR = "ruth.ashby@coordinator.example.org"
MODERATOR = "daniel.okafor@coordinator.example.org"
PEER = "owen.fletcher@donriver.example.org"


@pytest.fixture
def site(planned):
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        yield


def _trust_id(key: str) -> int:
    with db.session_scope() as session:
        return session.exec(select(Trust.id).where(Trust.key == key)).one()


def test_the_ceo_sees_their_cycle_in_their_order_and_downloads_it(site):
    ceo = sign_in(CEO)
    trust = _trust_id("steel-valley")
    assert f'href="/trusts/{trust}"' in ceo.get("/").text
    html = ceo.get(f"/trusts/{trust}").text
    strands = re.findall(
        r'<h3 class="govuk-summary-card__title">\d+\. <a class="govuk-link" href="/reviews/\d+">([^<]+)</a>', html
    )
    assert strands == [
        "School improvement",
        "High-quality and inclusive education",
        "Workforce development",
        "Governance, leadership, finance and operations",
    ]
    assert "Daniel Okafor" in html and "not yet confirmed" in html
    ics = ceo.get(f"/trusts/{trust}/visits.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(ics.content).walk("VEVENT")]
    assert len(events) == 4
    assert ceo.get(f"/trusts/{_trust_id('don-river')}").status_code == 403  # another trust's CEO page
    assert sign_in(PEER).get(f"/trusts/{trust}").status_code == 403
    assert sign_in(COORDINATOR).get(f"/trusts/{trust}").status_code == 200


def test_asking_to_move_a_visit_applies_a_move_that_passes_and_tells_the_team_and_coordinator(site):
    ceo = sign_in(CEO)
    with db.session_scope() as session:
        review = session.get(Review, 1)
        old_start = review.visit_start
    before = row_counts()
    blocked = post_form(
        ceo,
        "/reviews/1/move",
        {"visit-day": "23", "visit-month": "12", "visit-year": "2023", "reason": "Clash with inspection"},
    )
    assert blocked.status_code == 400 and "There is a problem" in blocked.text
    assert re.search(r'<a href="#visit">[^<]*(term time|school day|not a school day)', blocked.text), re.findall(
        r'<a href="#visit">([^<]*)', blocked.text
    )
    assert 'value="Clash with inspection"' not in blocked.text and "Clash with inspection</textarea>" in blocked.text
    assert row_counts() == before
    bad_date = post_form(
        ceo, "/reviews/1/move", {"visit-day": "31", "visit-month": "2", "visit-year": "2024", "reason": "x"}
    )
    assert bad_date.status_code == 400 and "must be a real date" in bad_date.text
    same = post_form(
        ceo,
        "/reviews/1/move",
        {
            "visit-day": str(old_start.day),
            "visit-month": str(old_start.month),
            "visit-year": str(old_start.year),
            "reason": "x",
        },
    )
    assert same.status_code == 400 and "already" in same.text
    new_start = dt.date(2024, 1, 8)  # the week before: school days for all three trusts, nobody elsewhere
    moved = post_form(
        ceo,
        "/reviews/1/move",
        {"visit-day": "8", "visit-month": "1", "visit-year": "2024", "reason": "Our board meets that week"},
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/reviews/1?moved=1"
    assert "The visit has moved" in ceo.get("/reviews/1?moved=1").text
    with db.session_scope() as session:
        assert session.get(Review, 1).visit_start == new_start
        assert session.exec(select(VisitChange)).one().changed_by == CEO
        told = set(session.exec(select(OutboxMessage.recipient).where(OutboxMessage.event == "visit_moved")).all())
    assert COORDINATOR in told and CEO in told and MODERATOR in told and PEER in told
    assert sign_in(PEER).get("/reviews/1/move").status_code == 403


def test_the_coordinator_and_the_moderator_can_give_more_time_and_peers_cannot(site):
    coordinator = sign_in(COORDINATOR)
    with db.session_scope() as session:
        task = session.exec(select(Task).where(Task.review_id == 1, Task.status == "open")).first()
        task_id, due = task.id, task.due
    assert f'href="/tasks/{task_id}/extend"' in coordinator.get("/reviews/1").text
    before = row_counts()
    earlier = due - dt.timedelta(days=1)
    refused = post_form(
        coordinator,
        f"/tasks/{task_id}/extend",
        {"due-day": str(earlier.day), "due-month": str(earlier.month), "due-year": str(earlier.year), "reason": "x"},
    )
    assert refused.status_code == 400 and "must be after the current one" in refused.text
    empty = post_form(coordinator, f"/tasks/{task_id}/extend", {"reason": ""})
    assert empty.status_code == 400 and 'href="#due"' in empty.text and 'href="#reason"' in empty.text
    assert row_counts() == before
    later = due + dt.timedelta(days=10)
    done = post_form(
        coordinator,
        f"/tasks/{task_id}/extend",
        {"due-day": str(later.day), "due-month": str(later.month), "due-year": str(later.year), "reason": "Half-term"},
    )
    assert done.status_code == 303
    with db.session_scope() as session:
        assert session.get(Task, task_id).due == later
        assert session.exec(select(DueDateChange)).one().changed_by == COORDINATOR
    assert (
        sign_in(PEER).get(f"/tasks/{task_id}/extend").status_code == 403
    )  # a peer (invited, not yet on the team) cannot


def test_the_coordinator_adds_a_new_reviewer_on_the_web_when_nobody_is_free(site):
    choose = nobody_left_from_don_river()
    coordinator = sign_in(COORDINATOR)
    page = coordinator.get(f"/tasks/{choose.id}")
    assert "Someone new" in page.text and "Go ahead with a smaller team" in page.text
    before = row_counts()
    clash = post_form(
        coordinator,
        f"/tasks/{choose.id}",
        {"choice": "new", "new_person-name": "Owen Again", "new_person-email": PEER, "reason": "x", "action": "submit"},
    )
    assert (
        clash.status_code == 400
        and 'href="#new_person-email"' in clash.text
        and "already in this partnership" in clash.text
    )
    assert row_counts() == before
    done = post_form(
        coordinator,
        f"/tasks/{choose.id}",
        {
            "choice": "new",
            "new_person-name": "Jo New",
            "new_person-email": "jo.new@donriver.example.org",
            "new_person-job_title": "Director of Standards",
            "reason": "Joined in January",
            "action": "submit",
        },
    )
    assert done.status_code == 303
    with db.session_scope() as session:
        person = session.exec(select(Person).where(Person.email == "jo.new@donriver.example.org")).one()
        assert person.is_reviewer and session.get(Trust, person.trust_id).key == "don-river"
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "task_completed", AuditEntry.actor == COORDINATOR)
        ).all()[-1]
        assert entry.detail["kind"] == "choose_replacement"
    newcomer = sign_in("jo.new@donriver.example.org")  # and can sign in at once to answer their invitation
    assert "Accept or decline your place" in newcomer.get("/").text


def test_a_browser_sends_every_box_of_the_replacement_form_and_only_the_option_chosen_counts(site):
    """A browser posts the empty "someone new" boxes along with the option chosen: they must not get in the way."""
    choose = nobody_left_from_don_river()
    coordinator = sign_in(COORDINATOR)
    every_box = {
        "new_person-name": "",
        "new_person-email": "",
        "new_person-job_title": "",
        "new_person-organisation": "",
    }
    done = post_form(
        coordinator,
        f"/tasks/{choose.id}",
        every_box | {"choice": "without", "reason": "Nobody free this term", "action": "submit"},
    )
    assert done.status_code == 303, re.findall(r'<a href="#[^"]*">([^<]*)', done.text)
    with db.session_scope() as session:
        assert (
            session.exec(select(AuditEntry).where(AuditEntry.action == "team_reduced")).one().detail["reason"]
            == "Nobody free this term"
        )


def test_what_people_typed_is_kept_safe_control_characters_and_odd_dates_give_errors_not_failures(site):
    ceo = sign_in(CEO)
    for day in ("²", "9" * 50, "٨"):
        odd = post_form(
            ceo, "/reviews/1/move", {"visit-day": day, "visit-month": "1", "visit-year": "2024", "reason": "x"}
        )
        assert odd.status_code == 400 and "must be a real date" in odd.text, day
    peer = sign_in(PEER)
    with db.session_scope() as session:
        task = session.exec(select(Task).where(Task.review_id == 1, Task.status == "open")).all()
        mine = next(t for t in task if session.get(Person, t.assignee_id).email == PEER)
    declined = post_form(
        peer,
        f"/tasks/{mine.id}",
        {"response": "decline", "reason": "Clash\x00 with\x01 a visit\tand\nmore", "action": "submit"},
    )
    assert declined.status_code == 303
    with db.session_scope() as session:
        assert session.get(Task, mine.id).input["reason"] == "Clash with a visit\tand\nmore"
    host_view = ceo.get("/reviews/1").text
    assert "Clash with a visit" not in host_view and "the reason is for the coordinator" in host_view
    assert "Clash with a visit" in sign_in(COORDINATOR).get("/reviews/1").text


def test_of_two_answers_sent_at_once_one_is_recorded(site):
    import threading

    from peer_review.errors import UserError
    from peer_review.service import workflow

    with db.session_scope() as session:
        open_ids = [
            (t.id, session.get(Person, t.assignee_id).email)
            for t in session.exec(select(Task).where(Task.status == "open"))
        ]
    task_id, email = open_ids[0]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def answer(response: dict) -> None:
        start.wait()
        try:
            with db.session_scope() as session:
                workflow.submit(session, task_id, response, email)
            outcomes.append(response["response"])
        except UserError:
            outcomes.append("refused")
        except Exception as exc:  # SQLite may refuse the second writer outright: refused too, never both
            outcomes.append(f"refused ({type(exc).__name__})")

    threads = [
        threading.Thread(target=answer, args=(r,))
        for r in ({"response": "accept"}, {"response": "decline", "reason": "Clash"})
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [o for o in outcomes if not o.startswith("refused")]
    assert len(outcomes) == 2 and len(winners) == 1, outcomes
    with db.session_scope() as session:
        assert session.get(Task, task_id).input["response"] == winners[0]
        assert (
            len(
                session.exec(
                    select(AuditEntry).where(
                        AuditEntry.action == "task_completed", AuditEntry.detail["task"].as_integer() == task_id
                    )
                ).all()
            )
            == 1
        )
