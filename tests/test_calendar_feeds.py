"""A person's calendar address: made on /calendar and shown once, answered without signing in with the visits and
sessions they are part of (parsed with icalendar), stopped by its person or by their leaving, never kept or
logged as a working address."""

from __future__ import annotations

import datetime as dt
import logging
import re

import icalendar
import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import CalendarFeed

from helpers import csrf_of, new_client, row_counts, sign_in

pytestmark = pytest.mark.db

PEER = "owen.fletcher@donriver.example.org"  # on review 1's team (invited)


def _make(client) -> str:
    page = client.get("/calendar")
    made = client.post("/calendar", data={"csrf_token": csrf_of(page.text), "action": "make"})
    assert made.status_code == 200
    return re.search(r'<code class="app-text" id="calendar-address">([^<]+)</code>', made.text).group(1)


def test_a_calendar_address_answers_without_signing_in_and_stops_when_asked(planned, caplog):
    caplog.set_level(logging.INFO)
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        peer = sign_in(PEER)
        address = _make(peer)
        path = address.split("://", 1)[1].split("/", 1)[1]
        token = path.rsplit("/", 1)[1].removesuffix(".ics")
        got = new_client().get("/" + path)  # no sign-in
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
        events = icalendar.Calendar.from_ical(got.content).walk("VEVENT")
        from peer_review.service.calendars import visits_calendar

        with db.session_scope() as session:  # what `peer-review calendar --person` gives them
            theirs = icalendar.Calendar.from_ical(visits_calendar(session, person=PEER)).walk("VEVENT")
        assert sorted(str(e["uid"]) for e in events) == sorted(str(e["uid"]) for e in theirs)
        assert "review-1-visit@peer-review" in {str(e["uid"]) for e in events}
        with db.session_scope() as session:
            rows = session.exec(select(CalendarFeed)).all()
        assert len(rows) == 1 and rows[0].last_used_at is not None
        # the database holds no working address, and the page does not show it again
        assert all(token not in str(value) for value in rows[0].model_dump().values())
        assert token not in peer.get("/calendar").text
        # a new address stops the old
        newer = _make(peer)
        assert new_client().get("/" + path).status_code == 404
        newer_path = "/" + newer.split("://", 1)[1].split("/", 1)[1]
        assert new_client().get(newer_path).status_code == 200
        page = peer.get("/calendar")
        assert peer.post("/calendar", data={"csrf_token": csrf_of(page.text), "action": "stop"}).status_code == 303
        assert new_client().get(newer_path).status_code == 404
        for wrong in (
            "/calendar-feed/x.ics",
            "/calendar-feed/" + "a" * 43 + ".ics",
            "/calendar-feed/" + "a" * 500 + ".ics",
        ):
            assert new_client().get(wrong).status_code == 404
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("peer_review"))  # the service's own
    assert token not in logged
    from peer_review.entrypoints.web.pages import loggable

    assert loggable("/" + path) == "/calendar-feed/[address]"


def test_making_or_stopping_an_address_needs_its_form_and_a_sign_in(planned):
    before = row_counts()
    assert new_client().post("/calendar", data={"action": "make"}).status_code in (303, 401, 403)
    assert row_counts() == before
    peer = sign_in(PEER)
    before = row_counts()
    assert peer.post("/calendar", data={"action": "make"}).status_code == 403  # no CSRF token
    assert row_counts() == before
