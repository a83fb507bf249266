"""What every page shares, and one way of writing a date.

Every page has a phase banner and a footer linking to the accessibility statement, the privacy notice and the
contact page, which anyone may read without signing in; the header, the banner, the content and the footer share
one width, on a desktop and on a phone. No page or email a person reads writes a date as a machine does
(2024-11-25) or in short (25 Nov 2024): dates read "25 November 2024", moments "25 November 2024 at 14:05".
Exports (CSV, JSON, the partnership's file) keep ISO dates, and are not looked at here.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from html import unescape

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.service.reminders import sweep
from peer_review.store import db
from peer_review.store.tables import OutboxMessage, Task, Trust

from helpers import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    PHONE_WIDTH,
    BrowserTour,
    LiveSite,
    browser_tools,
    do,
    new_client,
    open_tasks,
    post_form,
    sign_in,
)

pytestmark = pytest.mark.db

COORDINATOR = "ruth.ashby@coordinator.example.org"
CEO = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1
PEER = "owen.fletcher@donriver.example.org"  # on review 1
FOOTER = {"/accessibility": "Accessibility statement", "/privacy": "Privacy notice", "/contact": "Contact"}
# A date as a machine writes it, or in short ("25 Nov 2024", "06 May 2025"): never on a page or in an email.
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SHORT_DATE = re.compile(r"\b(\d{1,2} (Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|0\d May) \d{4}\b")
JANUARY = clock.at_london(dt.date(2024, 1, 10), 9)  # review 1's team has not all answered: tasks overdue


def _text(html: str) -> str:
    """What a person reads of a page: its text, not its attributes (a hidden field's value, a link's address, a
    date input's value), tooltips of a picture included."""
    without = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without)).split())


def _machine_dates(text: str) -> list[str]:
    return [m.group(0) for m in ISO_DATE.finditer(text)] + [m.group(0) for m in SHORT_DATE.finditer(text)]


def _footer_and_banner(html: str, path: str) -> None:
    banner = html.split('<div class="govuk-phase-banner">', 1)
    assert len(banner) == 2, f"no phase banner on {path}"
    assert "govuk-phase-banner__content__tag" in banner[1].split("</div>", 1)[0] and "Pilot" in banner[1], path
    footer = html.split('<footer class="govuk-footer">', 1)
    assert len(footer) == 2, f"no footer on {path}"
    for href, label in FOOTER.items():
        assert f'<a class="govuk-footer__link" href="{href}">{label}</a>' in footer[1], (path, href)


# --- the footer's pages -------------------------------------------------------------------------------


def test_the_footer_pages_are_public_and_say_what_they_must(database_url, monkeypatch):
    monkeypatch.setenv("PEER_REVIEW_SENT_MAIL_DAYS", "14")
    anyone = new_client()
    pages = {}
    for path in FOOTER:
        response = anyone.get(path)
        assert response.status_code == 200, path  # no sign-in needed: not a redirect to it
        assert response.headers["cache-control"] == "no-store"
        pages[path] = _text(response.text)
        _footer_and_banner(response.text, path)
        assert "Sign out" not in response.text  # nobody is signed in
    statement = pages["/accessibility"]
    for said in ("Accessibility statement for peer review", "WCAG", "2.2", "AA", "axe-core", "320 pixels"):
        assert said in statement, said
    assert "Learn Sheffield" in statement and "contact the coordinator of your partnership" in statement
    assert "We know of these" in statement  # the known gaps, said plainly
    privacy = pages["/privacy"]
    for said in (
        "names",
        "email address",
        "job title",
        "evidence",
        "identifies pupils or staff",
        "IP",
        "survey",
        "Who sees what",
        "The partnership's coordinator",
        "A host trust's CEO",
        "Peer reviewers and moderators",
        "How long it is kept",
        "14 days",  # the setting's value, not a number written into the page
        "1 day",
        "still to come",  # retention settings do not exist yet, and the notice says so
        "UK GDPR",
        "data protection officer",
    ):
        assert said in privacy, said
    contact = pages["/contact"]
    assert "coordinator of your partnership" in contact and "Learn Sheffield" in contact
    assert not re.search(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b", " ".join(pages.values())), "no phone number is invented"


def test_the_footer_pages_know_who_is_signed_in(planned):
    peer = sign_in(PEER)
    contact = peer.get("/contact").text
    assert 'class="app-header__who">Owen Fletcher<' in contact  # the header, as on every other page
    assert 'id="coordinators"' in contact
    assert "Sheffield pilot triad" in _text(contact) and "Ruth Ashby" in _text(contact)
    assert 'href="mailto:ruth.ashby@coordinator.example.org"' in contact
    assert 'class="app-header__who">Owen Fletcher<' in peer.get("/accessibility").text
    assert 'id="coordinators"' not in new_client().get("/contact").text  # nobody signed in: no names


def test_every_page_has_the_phase_banner_and_links_to_the_footer_pages(planned):
    anyone = new_client()
    for path in ("/sign-in", "/sign-in/not-a-link", "/reviews/99999"):
        response = anyone.get(path, follow_redirects=True)
        _footer_and_banner(response.text, path)
    coordinator = sign_in(COORDINATOR)
    [task] = [t.id for t in open_tasks() if t.assignee_email == PEER]
    with db.session_scope() as session:
        steel = session.exec(select(Trust.id).where(Trust.key == "steel-valley")).one()
    for path in (
        "/",
        "/partnerships",
        "/partnerships/1",
        "/partnerships/1/roster",
        "/reviews/1",
        f"/tasks/{task}",
        f"/trusts/{steel}",
        "/good-practice",
        "/reviews/99999",  # a page not found
        *FOOTER,
    ):
        response = coordinator.get(path)
        assert response.status_code in (200, 404), path
        _footer_and_banner(response.text, path)


# --- one width, on a desktop and on a phone --------------------------------------------------------------

# The left and right edges of the header's content, the phase banner, the main content and the footer's content.
EDGES = """() => ['.app-header__inner', '.govuk-phase-banner', 'main', '.govuk-footer > .govuk-width-container']
    .map(s => { const e = document.querySelector(s), box = e && e.getBoundingClientRect();
                return box ? [s, Math.round(box.left), Math.round(box.right)] : [s, 'missing', 'missing']; })"""


def test_the_footer_pages_fit_a_phone_and_every_part_of_a_page_shares_one_width(database_url, tmp_path):
    """In Chromium: the three pages through axe on a desktop and a 320 px phone, nothing sideways on the phone;
    the header, the phase banner, the content and the footer line up at both widths."""
    browser_tools()
    from playwright.sync_api import sync_playwright

    from helpers import live_server

    with live_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            tour = BrowserTour(browser, LiveSite(url, tmp_path / "outbox"), artifacts=tmp_path)
            page = tour.page_of("nobody")
            for path in ("/sign-in", *FOOTER):
                page.goto(url + path)
                tour.axe(page, path.strip("/"))
                for width in (1280, 1024, PHONE_WIDTH):
                    page.set_viewport_size({"width": width, "height": 900})
                    edges = page.evaluate(EDGES)
                    assert len({(left, right) for _, left, right in edges}) == 1, (path, width, edges)
                page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(url + "/sign-in")
            for href, label in FOOTER.items():  # the footer's links lead to their pages
                page.get_by_role("contentinfo").get_by_role("link", name=label).click()
                assert page.url == url + href
                assert page.get_by_role("heading", level=1).count() == 1
        finally:
            browser.close()
    assert not tour.findings, tour.findings


# --- one date format ----------------------------------------------------------------------------------------


def _a_review_under_way() -> None:
    """Review 1's team answered, the host more time given and its visit moved (both on the web), in November."""
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        for task in open_tasks():
            if task.kind == "respond_to_assignment":
                do(task)
        [propose] = [t for t in open_tasks() if t.kind == "propose_lines"]
        later = propose.due + dt.timedelta(days=7)
        extended = post_form(
            sign_in(COORDINATOR),
            f"/tasks/{propose.id}/extend",
            {"due-day": str(later.day), "due-month": str(later.month), "due-year": str(later.year)}
            | {"reason": "The host was ill"},
        )
        assert extended.status_code == 303, extended.text
        moved = post_form(
            sign_in(CEO),
            "/reviews/1/move",
            {"visit-day": "8", "visit-month": "1", "visit-year": "2024", "reason": "Our board meets that week"},
        )
        assert moved.status_code == 303, moved.text


def _dates_on(client, paths) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if dates := _machine_dates(_text(response.text)):
            found[path] = dates
    return found


def test_no_page_of_a_review_under_way_writes_a_date_as_a_machine_does(planned):
    _a_review_under_way()
    with db.session_scope() as session:
        steel = session.exec(select(Trust.id).where(Trust.key == "steel-valley")).one()
        done = session.exec(select(Task.id).where(Task.review_id == 1, Task.status == "done")).first()
    with clock.frozen_at(JANUARY):
        [open_task] = [t.id for t in open_tasks() if t.kind == "propose_lines"]
        coordinator_pages = [
            "/",
            "/partnerships",
            "/partnerships/1",
            "/partnerships/1/timeline.svg",  # the picture alone, which people open too
            "/partnerships/1/proposal",
            "/partnerships/1/roster",
            "/partnerships/1/calendars",
            "/partnerships/1/context",
            "/partnerships/1/evaluation",
            "/reviews/1",
            "/reviews/2",
            "/reviews/1/move",
            f"/tasks/{open_task}",
            f"/tasks/{open_task}/extend",
            f"/tasks/{done}",
            f"/trusts/{steel}",
            f"/trusts/{steel}/scheduling",
            f"/trusts/{steel}/proposal",
            "/good-practice",
        ]
        found = _dates_on(sign_in(COORDINATOR), coordinator_pages)
        found |= {f"{path} (CEO)": d for path, d in _dates_on(sign_in(CEO), ["/", f"/trusts/{steel}"]).items()}
    assert found == {}


@pytest.fixture
def triad(finished_triad, tmp_path):
    """A copy of the finished triad (the whole cycle run), configured as the database."""
    path = tmp_path / "triad.db"
    shutil.copy(finished_triad, path)
    db.dispose_all()
    db.configure(f"sqlite:///{path}")
    yield
    db.configure(None)
    db.dispose_all()


def test_no_page_of_a_finished_cycle_writes_a_date_as_a_machine_does(triad):
    """Every review closed, its report issued, good practice shared, surveys answered, progress recorded."""
    from peer_review.store.tables import Review

    with db.session_scope() as session:
        reviews = session.exec(select(Review.id).where(Review.partnership_id == 1)).all()
        trusts = session.exec(select(Trust.id).where(Trust.partnership_id == 1)).all()
        tasks = session.exec(select(Task.id).where(Task.review_id.in_(reviews[:2]))).all()
    paths = [
        "/",
        "/partnerships/1",
        "/partnerships/1/evaluation",
        "/partnerships/1/timeline.svg",
        "/good-practice",
        *(f"/reviews/{r}" for r in reviews),
        "/reviews/1/report",
        *(f"/trusts/{t}" for t in trusts),
        *(f"/tasks/{t}" for t in tasks),
    ]
    assert _dates_on(sign_in(COORDINATOR), paths) == {}


def test_no_email_writes_a_date_as_a_machine_does(planned):
    """The planner's emails, a moved visit's, and on a Monday in January the reminders, escalations and digests."""
    _a_review_under_way()
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 8), 7)), db.session_scope() as session:  # a Monday
        sweep(session)
    with db.session_scope() as session:
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.event != "sign_in")).all()
        found = {
            f"{m.event} to {m.recipient}": dates
            for m in messages
            if (dates := _machine_dates(f"{m.subject} {m.text} {_text(m.html)}"))
        }
        events = {m.event for m in messages}
    assert {"visit_scheduled", "task_assigned", "visit_moved", "digest", "escalation"} <= events, events
    assert found == {}
