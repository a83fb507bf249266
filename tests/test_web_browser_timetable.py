"""The visit timetable in a real browser (Debian's Chromium through Playwright, over a live server), each page
and its error state checked with axe-core at 1280 and 320 px.

The host CEO opens the timetable from the review's page, sends an empty session form (the error summary, each
link landing on its field), builds two sessions that put a peer in two places at once (flagged, still saved)
and tells the team; the peer reads the timetable (no buttons to change it), it prints without the page's
furniture, and the calendar file they download holds the visit and both sessions (parsed with icalendar).

Needs what tests/test_web_browser.py needs (`bash scripts/install-test-tools.sh`).
"""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db

from helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    EXAMPLE,
    BrowserTour,
    LiveSite,
    browser_tools,
    live_server,
    plan_and_publish,
    tick,
)

HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1, on 15 and 16 January 2024
PEER = "owen.fletcher@donriver.example.org"
MODERATOR = "daniel.okafor@coordinator.example.org"
OWEN = "Owen Fletcher (Don River Learning Partnership), peer reviewer"
DANIEL = "Daniel Okafor (Learn Sheffield), external moderator"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A live server over a fresh SQLite database: the bundled triad planned and published, review 1's peer
    and moderator in their places, mail delivered to a folder."""
    browser_tools()
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, queries, workflow

    for name in ("PREFECT_API_URL", "PEER_REVIEW_WEB_URL", "PEER_REVIEW_SMTP_URL", "PEER_REVIEW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    clock.set_time(clock.at_london(dt.date(2023, 11, 6), 9))
    db.dispose_all()
    db.configure(f"sqlite:///{tmp_path / 'peer-review.db'}")
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)
    workflow.advance_review(db.session_scope, 1)
    with db.session_scope() as session:
        for task in queries.open_tasks(session):
            if task.review_id == 1 and task.assignee_email in (PEER, MODERATOR):
                workflow.submit(session, task.id, {"response": "accept"}, task.assignee_email)
    try:
        with live_server() as url:
            yield LiveSite(url, tmp_path / "outbox")
    finally:
        db.configure(None)
        db.dispose_all()
        clock.set_time(None)


def _fill(page, start: str, end: str, activity: str, room: str, reviewers: list[str]) -> None:
    tick(page, "Monday 15 January 2024")
    page.get_by_label("Start time").fill(start)
    page.get_by_label("End time").fill(end)
    tick(page, activity)
    page.get_by_label("School or place").fill("Steel Valley Primary")
    page.get_by_label("Room (optional)").fill(room)
    page.get_by_label("Who from the host trust (optional)").fill("Jo Bloggs, headteacher\nSam Patel, SENCo")
    for label in reviewers:
        tick(page, label)


def test_the_host_builds_the_timetable_and_a_peer_reads_it_and_takes_it_into_their_calendar(site, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    artifacts = ARTIFACTS / "timetable"
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("axe-*.json"):
        old.unlink()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        tour = BrowserTour(browser, site, artifacts=artifacts)
        try:
            # The host CEO opens the timetable from the review's page: empty so far
            page = tour.home(HOST)
            page.goto(site.url + "/reviews/1")
            page.get_by_role("link", name="Visit timetable").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Visit timetable")
            expect(page.get_by_text("No sessions yet.")).to_have_count(2)
            tour.axe(page, "timetable-empty")

            # An empty form: every problem at once, each link landing on its field
            page.get_by_role("button", name="Add a session").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Add a session")
            tour.axe(page, "timetable-add")
            page.get_by_role("button", name="Save the session").click()
            summary = page.locator(".govuk-error-summary")
            expect(summary.get_by_role("heading")).to_have_text("There is a problem")
            for message in ("Select the day of the session", "Enter the start time", "Enter the end time",
                            "Select the activity", "Enter the school or place"):  # fmt: skip
                expect(summary).to_contain_text(message)
            tour.error_links_land(page)
            tour.axe(page, "timetable-add-error")

            # Two sessions, the second starting where "save and add another" suggests, then one that clashes
            _fill(page, "9am", "10:30am", "Learning walk", "Hall", [OWEN, DANIEL])
            page.get_by_role("button", name="Save and add another").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Add a session")
            expect(page.get_by_label("Start time")).to_have_value("10:30am")
            _fill(page, "10am", "11am", "Staff voice", "Staff room", [OWEN])
            page.get_by_role("button", name="Save the session").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("The session has been added.")
            warning = page.locator("#problems .govuk-warning-text")
            expect(warning).to_have_count(1)
            expect(warning).to_contain_text(
                "Owen Fletcher is in two sessions at once on Monday 15 January 2024: "
                "Learning walk (9am to 10:30am) and Staff voice (10am to 11am)"
            )
            expect(page.locator(".app-session")).to_have_count(2)
            tour.axe(page, "timetable-clash")
            tour.shot(page, "timetable-host")

            # A change form, then telling the team: one email each
            page.get_by_role("link", name="Change Staff voice, Monday 15 January 2024, 10am to 11am").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Change the session")
            expect(page.get_by_label("Start time")).to_have_value("10am")
            tour.axe(page, "timetable-change")
            page.go_back()
            page.get_by_role("button", name="Tell the team").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("have been told")
            tour.axe(page, "timetable-told")

            # The peer reads it: no way to change it; it prints without the page's furniture
            page = tour.home(PEER)
            page.goto(site.url + "/reviews/1")
            page.get_by_role("link", name="Visit timetable").click()
            expect(page.locator(".app-session")).to_have_count(2)
            expect(page.get_by_role("link", name="Add a session")).to_have_count(0)
            expect(page.get_by_role("button", name="Tell the team")).to_have_count(0)
            expect(page.locator(".app-session").first).to_contain_text("Sam Patel, SENCo")
            tour.axe(page, "timetable-peer")
            page.emulate_media(media="print")
            expect(page.locator(".app-header")).to_be_hidden()
            expect(page.locator(".govuk-footer")).to_be_hidden()
            expect(
                page.get_by_role("link", name="Download the visit and your sessions as a calendar file")
            ).to_be_hidden()
            expect(page.locator(".app-session").first).to_be_visible()
            page.pdf(path=str(artifacts / "timetable-printed.pdf"))
            tour.shot(page, "timetable-print")
            page.emulate_media(media="screen")

            # ...and downloads their calendar file
            with page.expect_download() as info:
                page.get_by_role("link", name="Download the visit and your sessions as a calendar file").click()
            saved = tmp_path / "visit.ics"
            info.value.save_as(saved)
        finally:
            browser.close()
            (artifacts / "axe-summary.json").write_text(
                json.dumps({"checked": tour.checked, "serious_or_critical": tour.findings}, indent=2)
            )

    events = {str(e["uid"]): e for e in icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")}
    assert set(events) == {
        "review-1-visit@peer-review",
        "review-1-session-1@peer-review",
        "review-1-session-2@peer-review",
    }
    walk, voice = events["review-1-session-1@peer-review"], events["review-1-session-2@peer-review"]
    assert str(walk["summary"]) == "Learning walk, Steel Valley Primary"
    assert str(voice["location"]) == "Steel Valley Primary, Staff room"
    assert walk.decoded("dtstart").replace(tzinfo=None) == dt.datetime(2024, 1, 15, 9, 0)
    assert voice.decoded("dtend").replace(tzinfo=None) == dt.datetime(2024, 1, 15, 11, 0)
    assert str(walk["dtstart"].params["TZID"]) == "Europe/London"

    from peer_review.store.tables import OutboxMessage

    with db.session_scope() as session:
        told = session.exec(select(OutboxMessage.recipient).where(OutboxMessage.event == "timetable_changed")).all()
    assert sorted(told) == sorted([HOST, PEER, MODERATOR])
    assert not tour.findings, json.dumps(tour.findings, indent=2)
    for found in sorted(artifacts.glob("axe-[0-9]*.json")):  # not even a minor or moderate finding
        assert json.loads(found.read_text()) == [], found.name
