"""Moving a visit (constraints re-checked, deadlines and tasks shifted, history kept) and the .ics files people import."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar
from sqlmodel import select

from peer_review import clock
from peer_review.errors import UserError
from peer_review.service.calendars import visits_calendar
from peer_review.service.rescheduling import reschedule
from peer_review.store import db
from peer_review.store.records import team
from peer_review.store.tables import AuditEntry, Review, Task, VisitChange

pytestmark = pytest.mark.db
CEO = "helen.marsh@steelvalley.example.org"


def _events(person=None, trust=None) -> dict[str, dict]:
    with db.session_scope() as session:
        cal = Calendar.from_ical(visits_calendar(session, person=person, trust=trust))
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_person_calendar_has_their_visits_with_team_and_strand(planned):
    events = _events(person="owen.fletcher@donriver.example.org")
    with db.session_scope() as session:
        expected = {
            r.id
            for r in session.exec(select(Review))
            if "owen.fletcher@donriver.example.org" in [p.email for p in team(session, r)[0]]
        }
    assert {uid for uid in events} == {f"review-{i}-visit@peer-review" for i in expected}
    first = events["review-1-visit@peer-review"]
    assert first.decoded("dtstart").tzinfo is not None and str(first["dtstart"].params.get("TZID")) == "Europe/London"
    assert "Owen Fletcher" in str(first["description"]) and "School improvement" in str(first["description"])
    assert int(first["sequence"]) == 0


def test_moving_a_visit_rechecks_shifts_and_bumps_the_sequence(planned):
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):  # the visits are still to come
        _moving_a_visit()


def _moving_a_visit():
    with db.session_scope() as session:
        review = session.get(Review, 1)
        old_start, old_lines = review.visit_start, review.deadlines["lines_of_enquiry"]
        old_due = {t.id: t.due for t in session.exec(select(Task).where(Task.review_id == 1, Task.status == "open"))}
        assert len(old_due) == 3  # the team are asked to accept their places
    with pytest.raises(UserError, match="not in term time"):
        with db.session_scope() as session:
            reschedule(session, 1, dt.date(2024, 2, 12), "half-term", CEO)
    with pytest.raises(UserError, match="while its people visit"):
        with db.session_scope() as session:
            reschedule(session, 1, dt.date(2024, 1, 23), "clash", CEO)
    with pytest.raises(UserError, match="only the coordinator or the host trust's CEO"):
        with db.session_scope() as session:
            reschedule(session, 1, dt.date(2024, 2, 27), "x", "tom.beckett@steelvalley.example.org")
    with db.session_scope() as session:
        assert session.exec(select(VisitChange)).all() == []
        reschedule(session, 1, dt.date(2024, 2, 27), "Ofsted inspection that week", CEO)
    with db.session_scope() as session:
        review = session.get(Review, 1)
        assert (review.visit_start, review.visit_end) == (dt.date(2024, 2, 27), dt.date(2024, 2, 28))
        assert review.deadlines["lines_of_enquiry"] == "2024-01-30" != old_lines
        for task in session.exec(select(Task).where(Task.review_id == 1, Task.status == "open")):
            assert task.due - old_due[task.id] == review.visit_start - old_start
        [change] = session.exec(select(VisitChange)).all()
        assert (change.old_start, change.reason, change.changed_by) == (old_start, "Ofsted inspection that week", CEO)
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "visit_moved")).one().actor == CEO
    event = _events(trust="steel-valley")["review-1-visit@peer-review"]
    assert int(event["sequence"]) == 1 and event.decoded("dtstart").date() == dt.date(2024, 2, 27)


def test_a_refused_move_names_trusts_and_people_and_offers_the_next_three_dates_that_keep_every_rule(planned):
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        _refused_move_offers_dates()


def _refused_move_offers_dates():
    with pytest.raises(UserError, match="is not after today"):
        with db.session_scope() as session:
            reschedule(session, 1, dt.date(2023, 11, 6), "today", CEO)
    with pytest.raises(UserError) as refused:
        with db.session_scope() as session:
            reschedule(session, 1, dt.date(2024, 1, 23), "clash", CEO)
    message = refused.value.problem
    assert message.startswith(
        "The School improvement visit to Steel Valley Academy Trust cannot move to 23 January 2024: "
    )
    assert "review 1" not in message and "steel-valley" not in message and "2024-01" not in message  # names, not ids
    found = re.search(r"The next dates that keep every rule: (.+)\.$", message)
    assert found, message
    offered = [dt.datetime.strptime(text, "%d %B %Y").date() for text in found.group(1).split(", ")]
    assert len(offered) == 3 and offered == sorted(offered) and offered[0] > dt.date(2024, 1, 23)
    for day in offered:  # each one would do: moving there passes (tried, then undone)
        with db.session_scope() as session:
            reschedule(session, 1, day, "tried", CEO)
            session.rollback()
    with db.session_scope() as session:
        assert session.exec(select(VisitChange)).all() == []
