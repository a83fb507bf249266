"""A review's discussion in a real browser (Debian's Chromium through Playwright, over a live server), every page
and its error state checked with axe-core at 1280 and 320 px.

A peer posts a comment for the review team only and one for the review team and host (an empty one first, for
the error summary), then edits the second; the host reads only the second, and may post only for the team and
host; the coordinator hides the first with a reason (a missing reason first), which the peer then reads in its
place; the host chooses to have new comments at once.

Needs what tests/test_web_browser.py needs (`bash scripts/install-test-tools.sh`).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

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

COORDINATOR = "ruth.ashby@coordinator.example.org"
HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1
PEER = "owen.fletcher@donriver.example.org"
MODERATOR = "daniel.okafor@coordinator.example.org"
MONDAY = dt.date(2023, 11, 6)
TEAM_ONLY = "Between us: attendance data looks thin. <b>not bold</b>"
FOR_ALL = "Could the host bring the attendance tracker on day one?"
EDITED = "Could the host bring the attendance tracker on day two, please?"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A live server over a fresh SQLite database holding the bundled triad, planned and published, with review 1's
    peer and moderator in; mail delivered to a folder."""
    browser_tools()
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, queries, workflow

    for name in ("PREFECT_API_URL", "PEER_REVIEW_WEB_URL", "PEER_REVIEW_SMTP_URL", "PEER_REVIEW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    clock.set_time(clock.at_london(MONDAY, 9))
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


def _errors_shown(tour: BrowserTour, page, name: str, expected: list[str]) -> None:
    from playwright.sync_api import expect

    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in expected:
        expect(summary).to_contain_text(message)
    tour.error_links_land(page)
    tour.axe(page, name)


def _comment(page, text: str):
    """The comment card holding this text, as its reader sees it."""
    return page.locator(".app-comment").filter(has_text=text)


def test_a_discussion_is_posted_read_by_its_audience_edited_and_hidden_in_the_browser(site):
    from playwright.sync_api import expect, sync_playwright

    artifacts = ARTIFACTS / "discussion"
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("axe-*.json"):
        old.unlink()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        tour = BrowserTour(browser, site, artifacts=artifacts)
        try:
            # A peer: the review page's discussion, who can read each choice said before posting.
            page = tour.home(PEER)
            page.goto(site.url + "/reviews/1")
            discussion = page.locator("#discussion")
            expect(discussion).to_contain_text("No comments on the whole review yet.")
            expect(discussion).to_contain_text(
                "The review team (peers and moderator) and the coordinator, never the host trust"
            )
            expect(discussion).to_contain_text(
                "The review team (peers and moderator), the host trust and the coordinator"
            )
            tour.axe(page, "review-discussion")
            page.get_by_role("button", name="Post the comment").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Comment on the whole review")
            _errors_shown(tour, page, "comment-error", ["Select who can read the comment", "Enter a comment"])
            tick(page, "Review team only")
            page.get_by_label("Your comment").fill(TEAM_ONLY)
            page.get_by_role("button", name="Post the comment").click()
            banner = page.locator(".govuk-notification-banner")
            expect(banner).to_contain_text(
                "Your comment is posted on the whole review. Who can read it: Review team only"
            )
            tour.axe(page, "review-comment-posted")
            tick(page, "Review team and host")
            page.get_by_label("Your comment").fill(FOR_ALL)
            page.get_by_role("button", name="Post the comment").click()
            expect(_comment(page, FOR_ALL)).to_contain_text("Who can read it: Review team and host")
            expect(_comment(page, TEAM_ONLY)).to_contain_text("Who can read it: Review team only")

            # ...and edits the second: every version kept, read by whoever reads it.
            clock.set_time(clock.now() + dt.timedelta(hours=1))
            _comment(page, FOR_ALL).get_by_role("link", name=re.compile("^Edit")).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Edit your comment on the whole review")
            tour.axe(page, "comment-edit")
            page.get_by_label("Your comment").fill("")
            page.get_by_role("button", name="Save the change").click()
            _errors_shown(tour, page, "comment-edit-error", ["Enter a comment"])
            page.get_by_label("Your comment").fill(EDITED)
            page.get_by_role("button", name="Save the change").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("Your comment is changed")
            edited = _comment(page, EDITED)
            edited.locator("summary").click()
            expect(edited.locator(".govuk-details__text")).to_contain_text(FOR_ALL)
            tour.axe(page, "review-comment-edited")
            page.locator("#discussion").screenshot(path=str(artifacts / "discussion-peer.png"))

            # The host reads only the comment for the team and host, and may post only for them.
            page = tour.home(HOST)
            page.goto(site.url + "/reviews/1")
            expect(_comment(page, EDITED)).to_be_visible()
            expect(page.locator("main")).not_to_contain_text("attendance data looks thin")
            expect(page.locator("main")).not_to_contain_text("Review team only")
            expect(page.locator("#discussion #visibility")).to_contain_text("Who can read it: Review team and host")
            tour.axe(page, "review-discussion-host")
            page.goto(site.url + "/email-settings")
            tour.axe(page, "email-settings")
            page.get_by_role("button", name="Save").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("Your choice is saved")
            tick(page, "At once, one email for each comment")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_label("At once, one email for each comment", exact=True)).to_be_checked()

            # The coordinator hides the team's comment, with a reason.
            page = tour.home(COORDINATOR)
            page.goto(site.url + "/reviews/1")
            _comment(page, TEAM_ONLY).get_by_role("link", name=re.compile("^Hide")).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Hide Owen Fletcher's comment")
            expect(page.locator("#comment")).to_contain_text(TEAM_ONLY)
            tour.axe(page, "comment-hide")
            page.get_by_role("button", name="Hide the comment").click()
            _errors_shown(tour, page, "comment-hide-error", ["Enter why the comment is hidden"])
            page.get_by_label("Why you are hiding it").fill("It is about the host's data, not for the record.")
            page.get_by_role("button", name="Hide the comment").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("The comment is hidden")
            expect(_comment(page, TEAM_ONLY)).to_contain_text("Hidden on 6 November 2023")
            tour.axe(page, "review-comment-hidden-coordinator")

            # The peer now reads the reason in its place, not the words.
            page = tour.home(PEER)
            page.goto(site.url + "/reviews/1")
            expect(page.locator("#discussion")).to_contain_text(
                "Hidden by the coordinator on 6 November 2023: It is about the host's data, not for the record."
            )
            expect(page.locator("main")).not_to_contain_text("attendance data looks thin")
            tour.axe(page, "review-comment-hidden")
            page.locator("#discussion").screenshot(path=str(artifacts / "discussion-hidden.png"))
        finally:
            browser.close()
            (artifacts / "axe-summary.json").write_text(
                json.dumps({"checked": tour.checked, "serious_or_critical": tour.findings}, indent=2)
            )
    assert not tour.findings, json.dumps(tour.findings, indent=2)
    for found in sorted(artifacts.glob("axe-[0-9]*.json")):  # not even a minor or moderate finding on these pages
        assert json.loads(found.read_text()) == [], found.name
