"""Setting up and scheduling a cycle in a real browser (Debian's Chromium through Playwright, over a live
server), every new page and its error state checked with axe-core.

The coordinator sets a new triad up from its file (first a file with an error, shown with its line), each
CEO sets their order of strands and a date their trust is unavailable, the coordinator proposes, one CEO
asks for another week and the next proposal honours it, the others confirm, the coordinator publishes,
and only then do invitations reach the .eml folder.

Needs what tests/test_web_browser.py needs (`bash scripts/install-test-tools.sh`).
"""

from __future__ import annotations

import datetime as dt
import email
import json
import re
from email import policy

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
    tick,
)

COORDINATOR = "ruth.ashby@coordinator.example.org"
NAME = "Don Valley triad"
# The bundled triad's file as a new partnership's: its people at other addresses, the same coordinator.
NEW = (
    EXAMPLE.read_text()
    .replace("Sheffield pilot triad", NAME)
    .replace(".example.org", ".valley.example.org")
    .replace("ruth.ashby@coordinator.valley.example.org", COORDINATOR)
)
CEOS = {
    "steel-valley": "helen.marsh@steelvalley.valley.example.org",
    "don-river": "marcus.hale@donriver.valley.example.org",
    "peak-edge": "claire.whitfield@peakedge.valley.example.org",
}
START = dt.date(2023, 11, 1)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A live server over a fresh SQLite database holding the bundled triad (the partnership the coordinator
    runs already), with mail delivered to a folder."""
    browser_tools()
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading

    for name in ("PREFECT_API_URL", "PEER_REVIEW_WEB_URL", "PEER_REVIEW_SMTP_URL", "PEER_REVIEW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    clock.set_time(clock.at_london(START, 9))
    db.dispose_all()
    db.configure(f"sqlite:///{tmp_path / 'peer-review.db'}")
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    try:
        with live_server() as url:
            yield LiveSite(url, tmp_path / "outbox")
    finally:
        db.configure(None)
        db.dispose_all()
        clock.set_time(None)


def _delivered(site: LiveSite) -> list[tuple[str, str]]:
    """Send what waits in the outbox to the folder; every message there, as (event, recipient)."""
    from peer_review.adapters.mail import FolderChannel
    from peer_review.service.sending import deliver

    deliver(db.session_scope, FolderChannel(site.mail))
    found = []
    for path in sorted(site.mail.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((path.name.split("-")[1], message["To"]))
    return found


def _new_partnership_id() -> int:
    from peer_review.store.tables import Partnership

    with db.session_scope() as session:
        return session.exec(select(Partnership.id).where(Partnership.name == NAME)).one()


def _trust_ids(partnership_id: int) -> dict[str, int]:
    from peer_review.store.tables import Trust

    with db.session_scope() as session:
        return {t.key: t.id for t in session.exec(select(Trust).where(Trust.partnership_id == partnership_id))}


def _standing(partnership_id: int):
    from peer_review.store.proposals import standing_proposal

    with db.session_scope() as session:
        return standing_proposal(session, partnership_id)


def _errors_shown(tour: BrowserTour, page, name: str, expected: list[str]) -> None:
    from playwright.sync_api import expect

    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in expected:
        expect(summary).to_contain_text(message)
    tour.error_links_land(page)
    tour.axe(page, name)


def test_a_cycle_is_set_up_scheduled_proposed_answered_and_published_in_the_browser(site, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from peer_review.service import workflow

    artifacts = ARTIFACTS / "scheduling"
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("axe-*.json"):
        old.unlink()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        tour = BrowserTour(browser, site, artifacts=artifacts)
        try:
            # The coordinator sets the new triad up: a file with an error first, named by line and key.
            page = tour.home(COORDINATOR)
            page.goto(site.url + "/partnerships")
            tour.axe(page, "partnerships")
            page.get_by_role("link", name="Set up a partnership").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Set up a partnership")
            tour.axe(page, "partnership-new")
            # On forms instead, as far as checking the answers (the file below is what is set up).
            page.get_by_role("link", name="Or set it up with a form").click()
            tour.axe(page, "partnership-form")
            page.get_by_role("button", name="Continue").click()
            _errors_shown(tour, page, "partnership-form-error", ["Enter the partnership's name"])
            page.fill("#name", "Form triad")
            page.check("#framework")
            page.fill("#start", "4")
            page.fill("#start-month", "1")
            page.fill("#start-year", "2027")
            page.fill("#months", "24")
            page.check("#visit_days")
            page.check("#peers_per_trust")
            page.get_by_role("button", name="Continue").click()
            tour.axe(page, "partnership-draft")
            page.get_by_role("button", name="Add the trust").click()
            _errors_shown(tour, page, "partnership-draft-error", ["Enter the trust's name"])
            for n in (1, 2):
                for field, value in (
                    ("trust_name", f"Trust {n}"),
                    ("ceo_name", f"Ceo {n}"),
                    ("ceo_email", f"ceo{n}@t{n}.example.org"),
                    ("reviewer_name", f"Rev {n}"),
                    ("reviewer_email", f"rev{n}@t{n}.example.org"),
                    ("reviewer_role", "Director of Education"),
                ):
                    page.fill(f"#{field}", value)
                page.get_by_role("button", name="Add the trust").click()
            page.fill("#moderator_name", "Mo Derator")
            page.fill("#moderator_email", "mo@moderators.example.org")
            page.get_by_role("button", name="Add the moderator").click()
            page.get_by_role("button", name="Continue to check your answers").click()
            expect(page.get_by_role("button", name="Set up the partnership")).to_be_visible()
            tour.axe(page, "partnership-check")
            page.goto(site.url + "/partnerships/new")
            broken = tmp_path / "don-valley.yaml"
            broken.write_text(NEW.replace("strand_order: [school-improvement,", "strand_order: [school-improvment,", 1))
            page.set_input_files("#file", str(broken))
            page.get_by_role("button", name="Set up the partnership").click()
            _errors_shown(tour, page, "partnership-new-error", ["don-valley.yaml, line", "(trusts[0].strand_order[0])"])
            good = tmp_path / "don-valley.yaml"
            good.write_text(NEW)
            page.set_input_files("#file", str(good))
            page.get_by_role("button", name="Set up the partnership").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("The partnership has been set up")
            tour.axe(page, "partnership-created")
            partnership = _new_partnership_id()
            trusts = _trust_ids(partnership)
            page.goto(f"{site.url}/partnerships/{partnership}/roster")
            tour.axe(page, "roster")
            tour.shot(page, "roster")
            page.get_by_role("link", name="Add a moderator").click()
            tour.axe(page, "roster-change")
            page.get_by_role("button", name="Check the change").click()
            _errors_shown(tour, page, "roster-change-error", ["Enter their full name", "Enter their email address"])
            page.fill("#name", "Sam Ode")
            page.fill("#email", "sam.ode@coordinator.example.org")
            page.get_by_role("button", name="Check the change").click()
            expect(page.locator("#changes")).to_contain_text("Sam Ode <sam.ode@coordinator.example.org> joins")
            tour.axe(page, "roster-change-preview")
            page.goto(f"{site.url}/partnerships/{partnership}/roster")  # not applied: the triad goes on as it was
            page.set_input_files("#file", str(good))
            page.get_by_role("button", name="Check the changes").click()
            expect(page.locator("#no-changes")).to_be_visible()
            tour.axe(page, "roster-preview")
            page.goto(f"{site.url}/partnerships/{partnership}/calendars")
            tour.axe(page, "calendars")
            page.get_by_role("button", name="Check the calendar").click()
            _errors_shown(tour, page, "calendars-error", ["Select the calendar file"])
            page.goto(f"{site.url}/partnerships/{partnership}/context")
            tour.axe(page, "context")
            page.get_by_role("button", name="Open the round").click()
            _errors_shown(tour, page, "context-error", ["Select the survey round to open"])

            # Each CEO sets their order of strands and a week their trust is unavailable.
            for index, (key, ceo) in enumerate(CEOS.items()):
                page = tour.home(ceo)
                page.goto(f"{site.url}/trusts/{trusts[key]}")
                page.get_by_role("link", name=re.compile("^Scheduling")).click()
                expect(page.get_by_role("heading", level=1)).to_have_text("Scheduling your trust's reviews")
                if index == 0:
                    tour.axe(page, "trust-scheduling")
                    tour.shot(page, "trust-scheduling")
                    page.get_by_role("button", name="Add these dates").click()
                    _errors_shown(
                        tour,
                        page,
                        "trust-scheduling-error",
                        ["Enter the first day", "Enter the last day", "Enter why your trust is unavailable"],
                    )
                first, second = page.locator("#order-0").input_value(), page.locator("#order-1").input_value()
                page.select_option("#order-0", second)
                page.select_option("#order-1", first)
                page.get_by_role("button", name="Save the order").click()
                expect(page.locator(".govuk-notification-banner")).to_contain_text(
                    "The order of strands has been saved"
                )
                monday = dt.date(2024, 3, 4) + dt.timedelta(weeks=index)
                group = page.locator("form", has=page.get_by_role("button", name="Add these dates"))
                for part, day in (("start", monday), ("end", monday + dt.timedelta(days=4))):
                    group.locator(f"#{part}").fill(str(day.day))
                    group.locator(f"#{part}-month").fill(str(day.month))
                    group.locator(f"#{part}-year").fill(str(day.year))
                group.get_by_label("Why is your trust unavailable?").fill("Trust board and mock exams")
                group.get_by_role("button", name="Add these dates").click()
                expect(page.locator(".govuk-notification-banner")).to_contain_text("The dates have been added")
                expect(page.locator("main table")).to_contain_text("Trust board and mock exams")

            # The coordinator proposes; nobody but the CEOs hears of it.
            page = tour.home(COORDINATOR)
            page.goto(f"{site.url}/partnerships/{partnership}")
            page.get_by_role("link", name="Propose the cycle to the trusts' CEOs").click()
            tour.axe(page, "partnership-proposal-none")
            page.get_by_role("button", name="Propose the cycle").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("Proposal 1 has been sent")
            tour.axe(page, "partnership-proposal")
            first = _standing(partnership)
            for visit in first.visits:  # what each CEO set is kept
                start = dt.date.fromisoformat(visit["visit_start"])
                index = list(CEOS).index(visit["trust"])
                blocked = dt.date(2024, 3, 4) + dt.timedelta(weeks=index)
                assert not blocked <= start <= blocked + dt.timedelta(days=4)

            # Don River asks for another week for its first visit (after trying without choosing one).
            page = tour.home(CEOS["don-river"])
            expect(page.locator("#attention")).to_contain_text("a proposed review cycle is waiting for your answer")
            page.locator("#attention a").first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Proposed review cycle")
            tour.axe(page, "trust-proposal")
            tour.shot(page, "trust-proposal")
            page.get_by_role("link", name="Ask for a change").click()
            tour.axe(page, "proposal-change-kind")
            page.get_by_role("button", name="Continue").click()
            _errors_shown(tour, page, "proposal-change-kind-error", ["Select what you would like to change"])
            tick(page, "Another week for a visit")
            page.get_by_role("button", name="Continue").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Another week for a visit")
            tour.axe(page, "proposal-change-other-week")
            page.get_by_role("button", name="Send to the coordinator").click()
            _errors_shown(
                tour,
                page,
                "proposal-change-other-week-error",
                ["Select the visit that should move to another week", "Enter why you are asking for this change"],
            )
            hosted = sorted((v for v in first.visits if v["trust"] == "don-river"), key=lambda v: v["position"])
            asked_week = dt.date.fromisoformat(hosted[0]["visit_start"])
            page.locator(".govuk-radios__item").first.locator("label").click()
            page.get_by_label("Why are you asking for this change?").fill("Our trust board meets that week")
            page.get_by_role("button", name="Send to the coordinator").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("Your change has been sent")
            for kind in ("strand_order", "not_this_reviewer"):  # the other two questions' pages, checked too
                page.goto(f"{site.url}/trusts/{trusts['don-river']}/proposal/change/{kind}")
                tour.axe(page, f"proposal-change-{kind}")
                page.get_by_role("button", name="Send to the coordinator").click()
                _errors_shown(tour, page, f"proposal-change-{kind}-error", ["Enter why you are asking for this change"])

            # The others confirm.
            for key in ("steel-valley", "peak-edge"):
                page = tour.home(CEOS[key])
                page.goto(f"{site.url}/trusts/{trusts[key]}/proposal")
                page.get_by_role("button", name="Confirm these dates").click()
                expect(page.locator(".govuk-notification-banner")).to_contain_text("You have confirmed")

            # The coordinator sees the answers, proposes again around the change, and it is kept.
            page = tour.home(COORDINATOR)
            expect(page.locator("#attention")).to_contain_text("changes asked by Don River Learning Partnership")
            page.goto(f"{site.url}/partnerships/{partnership}/proposal")
            expect(page.locator("#answers")).to_contain_text("Our trust board meets that week")
            tour.shot(page, "partnership-proposal-answered")
            page.get_by_role("button", name="Propose again, keeping every change asked").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("Proposal 2 has been sent")
            second = _standing(partnership)
            moved = sorted((v for v in second.visits if v["trust"] == "don-river"), key=lambda v: v["position"])[0]
            monday = asked_week - dt.timedelta(days=asked_week.weekday())
            assert not monday <= dt.date.fromisoformat(moved["visit_start"]) <= monday + dt.timedelta(days=6)
            for key in CEOS:  # whoever's part changed confirms again
                page = tour.home(CEOS[key])
                page.goto(f"{site.url}/trusts/{trusts[key]}/proposal")
                confirm = page.get_by_role("button", name="Confirm these dates")
                if confirm.count():
                    confirm.click()
                    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have confirmed")

            # Before publishing, nobody but the CEOs (and those signing in) has had an email.
            events = {event for event, _ in _delivered(site)}
            assert events == {"cycle_proposed", "sign_in"}, events

            page = tour.home(COORDINATOR)
            page.goto(f"{site.url}/partnerships/{partnership}/proposal")
            expect(page.locator(".govuk-warning-text")).to_have_count(0)  # every CEO has confirmed
            page.get_by_role("button", name="Publish the cycle and invite the teams").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("The cycle has been published")
            tour.axe(page, "partnership-published")
            page.goto(f"{site.url}/trusts/{trusts['steel-valley']}")  # a CEO's cycle, as its coordinator sees it
            tour.axe(page, "trust-published")
            _the_remaining_pages(tour, page, partnership)
        finally:
            browser.close()
            (artifacts / "axe-summary.json").write_text(
                json.dumps({"checked": tour.checked, "serious_or_critical": tour.findings}, indent=2)
            )

    from peer_review.store.tables import Review

    with db.session_scope() as session:
        first_reviews = sorted(
            session.exec(select(Review.id).where(Review.partnership_id == partnership, Review.position == 1)).all()
        )
    for review_id in first_reviews:  # the engine's next step asks each first review's team to join
        workflow.advance_review(db.session_scope, review_id)
    delivered = _delivered(site)
    assert {e for e, _ in delivered} >= {"visit_scheduled", "task_assigned"}
    assert sum(e == "visit_scheduled" for e, _ in delivered) == 12
    assert not tour.findings, json.dumps(tour.findings, indent=2)
    for found in sorted(artifacts.glob("axe-[0-9]*.json")):  # not even a minor or moderate finding on these pages
        assert json.loads(found.read_text()) == [], found.name
    assert {
        "partnership-new",
        "partnership-new-error",
        "trust-scheduling",
        "trust-scheduling-error",
        "partnership-proposal",
        "trust-proposal",
        "proposal-change-kind-error",
        "proposal-change-other-week",
        "proposal-change-other-week-error",
        "roster",
        "roster-preview",
        "roster-change",
        "roster-change-error",
        "partnership-form",
        "partnership-form-error",
        "partnership-draft",
        "partnership-draft-error",
        "partnership-check",
        "roster-change-preview",
        "calendars",
        "calendars-error",
        "context",
        "context-error",
        "partnerships",
        "partnership-created",
        "partnership-published",
        "trust-published",
        "good-practice",
        "move-visit",
        "move-visit-error",
        "extend-task",
        "extend-task-error",
    } <= set(tour.checked)


def _the_remaining_pages(tour, page, partnership: int) -> None:
    """The pages no step above reaches, each checked as the coordinator sees it, and sent empty: the good practice
    library, moving a visit and giving a task more time."""
    from playwright.sync_api import expect

    from peer_review.service import workflow
    from peer_review.store.tables import Review, Task

    with db.session_scope() as session:
        review_id = session.exec(
            select(Review.id).where(Review.partnership_id == partnership, Review.position == 1).order_by(Review.id)
        ).first()
    workflow.advance_review(db.session_scope, review_id)  # its team asked to join: tasks to give more time to
    with db.session_scope() as session:
        task_id = session.exec(select(Task.id).where(Task.review_id == review_id, Task.status == "open")).first()
    page.goto(f"{tour.site.url}/good-practice")
    tour.axe(page, "good-practice")
    for path, name in ((f"/reviews/{review_id}/move", "move-visit"), (f"/tasks/{task_id}/extend", "extend-task")):
        page.goto(tour.site.url + path)
        tour.axe(page, name)
        page.locator("main form button[type=submit]").last.click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        tour.error_links_land(page)
        tour.axe(page, f"{name}-error")
