"""What more than one test file uses: plain functions and constants (fixtures are in conftest.py).

The bundled example and the command line; counting rows; moving a review on through the service layer
as its people would; signing people in to the web app as they would (ask for a link, have the outbox
send it as `peer-review send` does, read it from the email, open it and press Continue) and posting its
forms; a second partnership beside the first; a trust joining; an SMTP inbox; reading Word documents;
running things at once.
"""

from __future__ import annotations

import datetime as dt
import email
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document as Docx
from fastapi.testclient import TestClient
from sqlmodel import func, select

from peer_review import clock
from peer_review.demo.simulation import answer
from peer_review.entrypoints.web.app import create_app
from peer_review.errors import UserError
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, proposals, queries, sending, workflow
from peer_review.store import db
from peer_review.store.tables import every_table

# The PostgreSQL database given for the tests (None: SQLite only).
POSTGRES_URL = os.environ.get("PEER_REVIEW_TEST_POSTGRES_URL")
# The bundled example partnership: the Sheffield triad.
ROOT = Path(__file__).resolve().parent.parent
#: The local test signature clamd is started with (conftest.py: clamd; signature updates are not reachable
#: from these machines): any file holding these bytes is "infected".
TEST_SIGNATURE = b"PEER-REVIEW-TEST-SIGNATURE-5f1c9a"
EXAMPLE = Path(__file__).resolve().parent.parent / "peer_review" / "demo" / "examples" / "sheffield-triad.yaml"
# The bundled triad's moderator of review 1.
MODERATOR = "daniel.okafor@coordinator.example.org"


# The command line, and whole cycles


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `peer-review` as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "peer_review", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def run_whole_cycle(partnership_file: Path = EXAMPLE) -> str:
    """The partnership's whole pilot on the configured database, as the demo runs it (surveys, the example
    headline figures and external review included), through the service layer (no Prefect); returns the
    partnership's name."""
    from peer_review import clock
    from peer_review.demo.simulation import simulate_pilot
    from peer_review.service import sweep

    def advance(name: str) -> None:
        sweep.sweep(db.session_scope, name)

    try:
        return simulate_pilot(load_partnership_file(partnership_file), advance)[0]
    finally:
        clock.set_time(None)


def plan_and_publish(session, partnership: str | None = None, start: dt.date | None = None):
    """The cycle proposed and published at once, as a coordinator who needs no answers would: the plan."""
    proposals.propose(session, partnership, start)
    return proposals.publish(session, partnership).plan


def load_second_partnership(tmp: Path) -> None:
    """A second partnership ("Other triad", everyone at .other.example.org) loaded and planned beside the first."""
    text = (
        EXAMPLE.read_text()
        .replace("Sheffield pilot triad", "Other triad")
        .replace(".example.org", ".other.example.org")
    )
    path = tmp / "other.yaml"
    path.write_text(text)
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(path))
        plan_and_publish(session, "Other triad")


# A fourth trust (Loxley) for the bundled triad's partnership file: append it to join the partnership.
PEAK_EDGE_COPY = """  - id: loxley
    name: Loxley Valley Trust
    ceo: {name: Lena Ward, email: lena.ward@loxley.example.org}
    strand_order: [workforce, school-improvement, quality-inclusive-education, governance-leadership-operations]
    reviewers:
      - {name: Ian Cole, email: ian.cole@loxley.example.org, role: Director of Education, strands: []}
      - {name: Mo Reed, email: mo.reed@loxley.example.org, role: Head of HR, strands: []}
"""


# The database


def row_counts() -> dict[str, int]:
    """The number of rows in every table, by table name (to show that something wrote nothing)."""
    with db.session_scope() as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in every_table().sorted_tables
        }


# Moving a review on as its people would, through the service layer (no Prefect, no web)


def open_tasks(review_id: int = 1) -> list[queries.TaskRow]:
    """The review's open tasks."""
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def do(task: queries.TaskRow) -> None:
    """The task answered by its assignee, then the review moved on as far as the machine can."""
    with db.session_scope() as session:
        workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
    workflow.advance_review(db.session_scope, task.review_id)


def do_until(kind: str, review_id: int = 1, skip: frozenset[str] | set[str] = frozenset()) -> list[queries.TaskRow]:
    """The review's open tasks done in turn (those of `skip` left alone) until one of this kind is open: those."""
    for _ in range(40):
        tasks = open_tasks(review_id)
        if found := [t for t in tasks if t.kind == kind]:
            return found
        todo = [t for t in tasks if t.kind not in skip]
        assert todo, f"review {review_id} is stuck before {kind}: {[t.kind for t in tasks]}"
        do(todo[0])
    raise AssertionError(f"no {kind} task opened on review {review_id}")


def respond(task: queries.TaskRow, data: dict) -> None:
    """The task answered by its assignee with this answer, then the review moved on as far as the machine can."""
    with db.session_scope() as session:
        workflow.submit(session, task.id, data, task.assignee_email)
    workflow.advance_review(db.session_scope, task.review_id)


def refused(task_id: int, data, as_email: str, match: str) -> None:
    """The submission is refused with this message, and nothing at all is written."""
    before = row_counts()
    with pytest.raises(UserError, match=match):
        with db.session_scope() as session:
            workflow.submit(session, task_id, data, as_email)
    assert row_counts() == before, "a refused submission must write nothing"


def nobody_left_from_don_river() -> queries.TaskRow:
    """Review 1's Don River peers all declined: the coordinator's task of choosing a replacement."""
    for _ in range(5):
        tasks = [
            t
            for t in open_tasks()
            if t.assignee_email.endswith("donriver.example.org") and t.kind == "respond_to_assignment"
        ]
        if not tasks:
            break
        respond(tasks[0], {"response": "decline", "reason": "Not available"})
    [choose] = [t for t in open_tasks() if t.kind == "choose_replacement"]
    return choose


# The web app, as people use it

BASE = "http://testserver"


def csrf_of(html: str) -> str:
    """The CSRF token of the form on this page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def new_client(base: str = BASE, **kwargs) -> TestClient:
    """A browser on a new web app, signed in as nobody, that does not follow redirects."""
    return TestClient(create_app(web_url=base, **kwargs), base_url=base, follow_redirects=False)


class Mailbox:
    """A channel that keeps what it is given, as the recipients' mail servers would."""

    def __init__(self) -> None:
        self.messages: list = []

    def send(self, message, row) -> None:
        self.messages.append(message)


_links: dict[tuple[str, str], str] = {}  # (database, address): the newest sign-in link sent there


def deliver_sign_in_links() -> Mailbox:
    """Send the sign-in emails waiting in the outbox (only those: other tests count the other messages)."""
    mailbox = Mailbox()
    sending.deliver(db.session_scope, mailbox, events=frozenset({"sign_in"}))
    for message in mailbox.messages:
        found = re.search(r"https?://[^/\s]+(/sign-in/[A-Za-z0-9_-]+)", message.get_body(("plain",)).get_content())
        _links[(db.database_url(), message["To"])] = found.group(1)
    return mailbox


def last_link(email: str) -> str:
    """The path of the newest sign-in link emailed to this address (sending what waits in the outbox first)."""
    deliver_sign_in_links()
    link = _links.get((db.database_url(), email))
    assert link is not None, f"no sign-in email for {email}"
    return link


def ask_for_link(client: TestClient, email: str, next_path: str = "/"):
    """Ask for a sign-in link on the sign-in form, as this address."""
    form = client.get("/sign-in")
    return client.post("/sign-in", data={"csrf_token": csrf_of(form.text), "email": email, "next": next_path})


def sign_in(email: str, client: TestClient | None = None) -> TestClient:
    """A browser signed in as this person through the emailed link."""
    client = client or new_client()
    assert ask_for_link(client, email).status_code == 200
    link = last_link(email)
    opened = client.get(link)
    assert opened.status_code == 200, opened.text
    done = client.post(link, data={"csrf_token": csrf_of(opened.text)})
    assert done.status_code == 303, done.text
    return client


def post_form(client: TestClient, path: str, data: dict | list, **kwargs):
    """POST a form with the CSRF token of the page it is on."""
    page = client.get(path)
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(
        path,
        data=None,
        content=_encode([("csrf_token", csrf_of(page.text)), *fields]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        **kwargs,
    )


def send_answer(client: TestClient, task_id: int, fields: list[tuple[str, str]]):
    """A task's form sent as a person sends it: Submit, or for a long answer Continue, then Send on "check
    your answers" (the answer's fingerprint read off that page). The last response."""
    sent = post_form(client, f"/tasks/{task_id}", [*fields, ("action", "submit")])
    if sent.status_code != 303 or not sent.headers["location"].endswith(f"/tasks/{task_id}/check"):
        return sent
    check = client.get(f"/tasks/{task_id}/check")
    assert check.status_code == 200 and "Check your answers" in check.text, check.text
    as_of = re.search(r'name="as_of" value="([0-9a-f]+)"', check.text).group(1)
    return client.post(
        f"/tasks/{task_id}", data={"csrf_token": csrf_of(check.text), "as_of": as_of, "action": "confirm"}
    )


def _encode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def flatten(value, path: tuple = ()) -> list[tuple[str, str]]:
    """An answer as the fields a browser would post: key paths joined by '-', one field per list value."""
    name = "-".join(map(str, path))
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, path + (key,))]
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return [pair for i, item in enumerate(value) for pair in flatten(item, path + (i,))]
        return (
            [(name, _field_text(item)) for item in value]
            if value and not all(isinstance(item, str) and path[-1] in ("corrections", "next_steps") for item in value)
            else [(f"{name}-{i}", item) for i, item in enumerate(value)]
        )
    return [(name, _field_text(value))]


def _field_text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# Mail


class Inbox:
    """An SMTP server's handler (aiosmtpd) that keeps every message it is given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Documents

# Words that grade a trust, which no document may use.
GRADE_WORDS = re.compile(
    r"\b(outstanding|inadequate|requires improvement|grade[ds]?|scor(e|ed|es|ing)|rating|RAG)\b", re.IGNORECASE
)


def docx_text(path: Path) -> str:
    """The text of a Word document: its paragraphs, then its tables' cells."""
    doc = Docx(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


class _Blocks(HTMLParser):
    """The text of each block (heading, paragraph, list item) inside the element with an id, in order."""

    BLOCKS = {"h1", "h2", "h3", "h4", "p", "li", "dt", "dd"}

    def __init__(self, element_id: str | None) -> None:
        super().__init__()
        self.element_id, self.depth, self.blocks, self.current = element_id, 0 if element_id else 1, [], None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in VOID
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1
        if self.depth and tag in self.BLOCKS:
            self.current = []

    def handle_endtag(self, tag):
        if self.depth and tag in self.BLOCKS and self.current is not None:
            self.blocks.append(" ".join("".join(self.current).split()))
            self.current = None
        if self.depth and self.element_id:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.current is not None:
            self.current.append(data)


VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "area", "base", "col", "source"}


def block_texts(html: str, element_id: str | None = None) -> list[str]:
    """The texts of the page's headings, paragraphs and list items (inside one element, by id), spaces tidied."""
    parser = _Blocks(element_id)
    parser.feed(html)
    return parser.blocks


def visible_text(html: str) -> str:
    """The page's text as people read it: tags gone, entities read, spaces tidied."""
    without = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without)).split())


def docx_paragraphs(content: bytes) -> list[str]:
    """A Word document's non-empty paragraphs, spaces tidied, in order."""
    doc = Docx(io.BytesIO(content))
    return [" ".join(p.text.split()) for p in doc.paragraphs if p.text.strip()]


# At once


def all_at_once(count: int, attempt: Callable[[int], object]) -> list[object]:
    """Run `attempt(i)` in `count` threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(count)

    def run(i: int) -> object:
        barrier.wait(timeout=60)
        try:
            return attempt(i)
        except Exception as exc:  # the test looks at every outcome, raw database errors included
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


# --- a real browser (Debian's Chromium through Playwright) on a live server ------------------------

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("PEER_REVIEW_TEST_ARTIFACTS", ROOT / "test-artifacts"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# ...and, besides WCAG's own rules, a best-practice one, failed on whatever its impact: no two landmarks (scrolling
# regions among them) share a name.
AXE_ALSO = ["landmark-unique"]
AXE_RUN = (
    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, rules: {'landmark-unique': {enabled: true}}})"
)
PHONE_WIDTH = 320  # the narrowest phone WCAG 1.4.10 (Reflow) asks for: 320 CSS pixels, nothing to scroll sideways
# What sticks out sideways: the page itself wider than the window, anything whose right edge passes the window's
# outside a scrolling region, and any region that scrolls but that the keyboard cannot reach (tabindex="0") or
# that has no name (role="region" with aria-labelledby or aria-label). Each a few words naming the element.
TOO_WIDE = """() => {
  const width = window.innerWidth, found = [];
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' "' + (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const inRegion = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true; return false; };  // not <html>: GOV.UK's always scrolls
  if (document.documentElement.scrollWidth > width)
    found.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  for (const e of document.body.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    if ((box.width || box.height) && box.right > width + 0.5 && !inRegion(e))
      found.push(`${name(e)} reaches ${Math.round(box.right)}px`);
    if (scrolls(e) && e.scrollWidth > e.clientWidth + 1 && !['TEXTAREA', 'SELECT', 'INPUT'].includes(e.tagName)
        && !(e.tabIndex === 0 && e.getAttribute('role') === 'region' && (e.hasAttribute('aria-labelledby') || e.hasAttribute('aria-label'))))
      found.push(`${name(e)} scrolls sideways but is not a named region the keyboard reaches`);
  }
  return found.slice(0, 10);
}"""
# Chromium as root in a closed network: no sandbox, and no background calls to Google's hosts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_tools() -> None:
    missing = [str(p) for p in (CHROMIUM, AXE) if not p.exists()]
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if missing:
        message = f"browser test tools missing: {', '.join(missing)}; run `bash scripts/install-test-tools.sh`"
        if os.environ.get("PEER_REVIEW_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class LiveSite:
    url: str
    mail: Path  # where the folder channel delivers the outbox


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


@dataclass
class BrowserTour:
    """People in their own browser contexts on a live site: signing in through the emailed link, axe checks."""

    browser: object
    site: LiveSite
    pages: dict = field(default_factory=dict)  # email -> that person's page, in their own browser context
    findings: dict = field(default_factory=dict)  # page name -> axe's serious and critical findings
    checked: list = field(default_factory=list)  # the names of the pages axe checked
    sign_ins: int = 0
    artifacts: Path = ARTIFACTS  # where axe's findings and screenshots go

    # signing in

    def page_of(self, person: str):
        if person not in self.pages:
            from playwright.sync_api import expect

            # a submission renders Word documents and moves the review on: on a busy 2-core machine that can
            # take several seconds, so waits are generous (they end as soon as the page is there)
            expect.set_options(timeout=30_000)
            context = self.browser.new_context(
                accept_downloads=True, viewport={"width": 1280, "height": 900}, bypass_csp=True
            )
            context.set_default_timeout(60_000)
            self.pages[person] = context.new_page()
        return self.pages[person]

    def home(self, person: str, keyboard: bool = False):
        """The person's task list, after signing in (again) if they are not signed in."""
        from playwright.sync_api import expect

        page = self.page_of(person)
        page.goto(self.site.url + "/")
        if "/sign-in" in page.url:
            self.sign_in(page, person, keyboard)
        expect(page).to_have_url(self.site.url + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your tasks")
        return page

    def sign_in(self, page, person: str, keyboard: bool = False) -> None:
        """Type the address, read the link out of the email the outbox delivers, open it, press Continue."""
        from playwright.sync_api import expect

        clock.set_time(clock.now() + dt.timedelta(minutes=3))  # people sign in one after another
        first = self.sign_ins == 0
        self.sign_ins += 1
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        if first:
            self.axe(page, "sign-in")
            page.get_by_role("button", name="Email me a sign-in link").click()
            expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
            expect(page).to_have_title(re.compile(r"^Error: "))
            self.error_links_land(page)
            self.axe(page, "sign-in-error")
        if keyboard:
            tab_to(page, "input[name=email]")
            page.keyboard.type(person)
            page.keyboard.press("Enter")
        else:
            page.get_by_label("Email address").fill(person)
            page.get_by_role("button", name="Email me a sign-in link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
        if first:
            self.axe(page, "check-email")
        page.goto(self.emailed_link(person))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to peer review")
        if first:
            self.axe(page, "continue")
        if keyboard:
            tab_to(page, "main button")
            page.keyboard.press("Enter")
        else:
            page.get_by_role("button", name="Continue").click()
        expect(page.locator(".app-header__who")).to_be_visible()

    def emailed_link(self, person: str) -> str:
        from peer_review.adapters.mail import FolderChannel
        from peer_review.service.sending import deliver

        deliver(db.session_scope, FolderChannel(self.site.mail))
        name = re.sub(r"[^A-Za-z0-9.-]", "_", person)
        newest = sorted(self.site.mail.glob(f"*-sign_in-{name}.eml"))[-1]
        message = email.message_from_bytes(newest.read_bytes(), policy=policy.default)
        assert message["To"] == person and "sign-in link" in message["Subject"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(re.escape(self.site.url) + r"/sign-in/[A-Za-z0-9_-]+", text).group(0)

    # tasks

    def error_links_land(self, page) -> None:
        summary = page.locator(".govuk-error-summary")
        for href in summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            assert href.startswith("#") and page.locator(f"[id='{href[1:]}']").count() == 1, (
                f"the error link {href} leads nowhere on {page.url}"
            )
            error = page.locator(f"[id='{href[1:]}-error']")
            if error.count():  # the message is also next to the field, and read out with it
                assert error.first.is_visible()

    # checks

    def axe(self, page, name: str) -> None:
        """axe-core's findings against WCAG 2.2 A and AA, on the desktop screen the tour uses and again on a phone
        320 px wide (WCAG 1.4.10, Reflow), where nothing may stick out sideways except inside a scrolling region
        that the keyboard reaches: all saved; the serious and critical ones, AXE_ALSO's and anything too wide kept
        to fail on."""
        number = len(self.checked) + 1
        self.checked.append(name)
        desktop = page.viewport_size
        self._axe_run(page, name, f"axe-{number:02d}-{name}.json")
        page.set_viewport_size({"width": PHONE_WIDTH, "height": desktop["height"]})
        try:
            if wide := page.evaluate(TOO_WIDE):
                self.findings[f"{name} at {PHONE_WIDTH}px"] = [f"reflow: {what}" for what in wide]
            self._axe_run(page, f"{name} at {PHONE_WIDTH}px", f"axe-{number:02d}-{name}-{PHONE_WIDTH}px.json")
        finally:
            page.set_viewport_size(desktop)

    def _axe_run(self, page, name: str, saved_as: str) -> None:
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        results = page.evaluate(AXE_RUN, AXE_TAGS)
        assert results["passes"], f"axe checked nothing on {page.url}"
        (self.artifacts / saved_as).write_text(json.dumps(results["violations"], indent=2))
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target'][0]) for n in v['nodes'][:3])}"
            for v in results["violations"]
            if v["impact"] in ("serious", "critical") or v["id"] in AXE_ALSO
        ]
        if bad:
            self.findings.setdefault(name, []).extend(bad)

    def shot(self, page, name: str) -> None:
        page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)


def tick(scope, label: str) -> None:
    """Click a radio or checkbox by its label (the GOV.UK input itself is drawn under it)."""
    from playwright.sync_api import expect

    scope.locator("label").filter(has_text=exactly(label)).click()
    expect(scope.get_by_label(label, exact=True)).to_be_checked()


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focus is on an element matching `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def focused(page, selector: str) -> bool:
    return page.evaluate("selector => document.activeElement.matches(selector)", selector)


@contextmanager
def live_server():
    """The web app on a real HTTP server (uvicorn, in a thread) on a free port of 127.0.0.1: its address."""
    import uvicorn

    from peer_review.entrypoints.web.app import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(create_app(web_url=url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def compare_databases():
    """scripts/compare_databases.py as a module: `main(a, b)` is 0 when two databases hold the same records."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare_databases", ROOT / "scripts" / "compare_databases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- evidence files and colleagues (tests/test_evidence_files.py, tests/test_hostile_review_25.py) -------

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def word_file(text: str = "Minutes of the board, 12 October") -> bytes:
    """A Word document, as python-docx writes one."""
    document = Docx()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


WORD = word_file()


def stored_evidence_files(tmp_path: Path) -> list[Path]:
    """The files in a test's evidence store (PEER_REVIEW_FILES is tmp_path/evidence-files: conftest.py)."""
    return [p for p in (tmp_path / "evidence-files").rglob("*") if p.is_file()]


def upload_evidence(client, item: int, name: str, content: bytes, personal: str = "no", review: int = 1):
    """A file attached to an evidence item as the files page's form sends it."""
    path = f"/reviews/{review}/evidence/{item}/files"
    token = csrf_of(client.get(path).text) if client.get(path).status_code == 200 else csrf_of(client.get("/").text)
    data = {"csrf_token": token, "personal_data": personal} if personal else {"csrf_token": token}
    return client.post(path, data=data, files={"file": (name, content, "application/octet-stream")})


def evidence_file_ids() -> list[int]:
    from peer_review.store.tables import EvidenceFile

    with db.session_scope() as session:
        return list(session.exec(select(EvidenceFile.id).order_by(EvidenceFile.id)))


def name_colleague(ceo, **fields):
    """Someone new named on review 1's colleagues page."""
    token = csrf_of(ceo.get("/reviews/1/colleagues").text)
    return ceo.post("/reviews/1/colleagues", data={"csrf_token": token, "action": "add", **fields})


COLLEAGUE = {"name": "Priya Shah", "email": "priya.shah@steelvalley.example.org", "job_title": "Director of Education"}
