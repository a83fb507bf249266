"""One whole review in a real browser, by the people it belongs to: Debian's Chromium driven by
Playwright over a live server, every form page (and its error state) checked with axe-core.

Review 1 of the bundled triad (Steel Valley hosts School improvement) goes from its team being asked
to its report issued and everyone's feedback given. Each person signs in with the link emailed to
them (the outbox delivered to a folder of .eml files), in their own browser context: the Don River
peers decline one after another until nobody from Don River is left, the coordinator chooses a
newcomer, the host CEO proposes lines and submits evidence, the peers record findings, the moderator
asks for changes, sends a finding back and issues the report, and the Word report is downloaded and
read back. The clock moves from phase to phase as the review would, so sessions end and people sign
in again.

Needs /usr/bin/chromium and node_modules/axe-core (`bash scripts/install-test-tools.sh`). Without
them the test is skipped, unless PEER_REVIEW_REQUIRE_BROWSER=1 (as in CI), where it fails instead.
Screenshots, the downloaded report and axe's findings go to test-artifacts/ (or
$PEER_REVIEW_TEST_ARTIFACTS).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db

from helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    EXAMPLE,
    GRADE_WORDS,
    BrowserTour,
    LiveSite,
    browser_tools,
    docx_text,
    focused,
    live_server,
    plan_and_publish,
    tab_to,
    tick,
)

ROOT = Path(__file__).resolve().parent.parent
# Review 1 of the bundled triad, and the people on it.
REVIEW = 1
HOST, STRAND = "Steel Valley Academy Trust", "School improvement"
CEO = "helen.marsh@steelvalley.example.org"
MODERATOR = "daniel.okafor@coordinator.example.org"
PEAK_EDGE_PEER = "joe.hartley@peakedge.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"
NEWCOMER = {
    "name": "Farah Ahmed",
    "email": "farah.ahmed@donriver.example.org",
    "job_title": "Head of School Improvement",
}

# The phases of the review, each on a school day before its deadlines (visit: 15-16 January 2024).
ASSIGNMENT = dt.date(2023, 11, 6)
LINES = dt.date(2023, 11, 20)
EVIDENCE = dt.date(2024, 1, 3)
FINDINGS = dt.date(2024, 1, 17)
REPORT = dt.date(2024, 2, 1)
FEEDBACK = dt.date(2024, 2, 14)

LINE_TITLES = [
    "How accurately does the trust know the strengths and weaknesses of each of its schools?",
    "How well does central support for improvement reach the schools that need it most?",
    "How does the trust check that its improvement work lasts?",
]
SELF_EVALUATIONS = [
    "We know our schools well: termly reviews & data meetings give leaders one shared picture, though it is less secure in our two newest schools.",
    "Support is matched to need through the termly reviews; the link between support and outcomes is not yet tracked.",
    "Leaders revisit each piece of support a term later, but only for the schools in the improvement programme.",
]
EVIDENCE_ITEMS = [  # title, type, where it is kept, the lines it serves, whether it names pupils or staff
    (
        "Termly school quality reviews 2022-23",
        "quality assurance reports",
        "Trust SharePoint > School improvement > Reviews",
        [1, 2],
        False,
    ),
    ("Key stage 2 outcomes analysis", "data analysis", "Trust data dashboard, outcomes tab", [1, 3], False),
    ("Headteacher survey on central support", "survey results", "Trust SharePoint > Surveys > 2023", [2, 3], True),
]


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return clock.at_london(day, hour)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A real HTTP server (uvicorn, in a thread) over a fresh SQLite database holding the bundled triad,
    planned, with review 1 (and review 3, so the moderator has tasks in two reviews) asking its team."""
    browser_tools()

    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, workflow

    for name in ("PREFECT_API_URL", "PEER_REVIEW_WEB_URL", "PEER_REVIEW_SMTP_URL", "PEER_REVIEW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)  # a web answer moves the review on itself, and mail goes to a folder
    clock.set_time(_at(ASSIGNMENT))
    db.dispose_all()
    db.configure(f"sqlite:///{tmp_path / 'peer-review.db'}")
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)
    for review_id in (REVIEW, 3):
        workflow.advance_review(db.session_scope, review_id)

    try:
        with live_server() as url:
            yield LiveSite(url, tmp_path / "outbox")
    finally:
        db.configure(None)
        db.dispose_all()
        clock.set_time(None)


# --- what the records say (the service layer), to check the pages against ----------------------------


def _open_tasks(review_id: int = REVIEW):
    from peer_review.service import queries

    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def _holder(kind: str) -> str:
    """Who holds review 1's open task of a kind (the one person an email would have told)."""
    [task] = [t for t in _open_tasks() if t.kind == kind]
    return task.assignee_email


def _stage() -> str:
    from peer_review.store.reviews import get_review

    with db.session_scope() as session:
        return get_review(session, REVIEW).stage


def _open_tasks_of(person_email: str):
    from peer_review.service import queries
    from peer_review.store.tables import Person

    with db.session_scope() as session:
        ids = frozenset(session.exec(select(Person.id).where(Person.email == person_email)).all())
        return queries.tasks_of_person(session, ids).open


# --- the browser side ---------------------------------------------------------------------------------


@dataclass
class Tour(BrowserTour):
    """The review's tour: its tasks, opened from each person's list and submitted."""

    def open_task(self, person: str, kind: str, name: str | None = None, group: str = f"{HOST}: {STRAND}"):
        """From the person's task list, the task of this kind in the review's group (review 1's unless told); axe checks the form."""
        from playwright.sync_api import expect

        from peer_review.domain.model import TaskKind
        from peer_review.service.kinds import KINDS

        title = KINDS[TaskKind(kind)].rule.title
        page = self.home(person)
        page.get_by_role("table", name=group).get_by_role("link", name=re.compile("^" + re.escape(title))).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
        expect(page.locator(".govuk-caption-l")).to_have_text(group)
        self.axe(page, name or kind)
        return page

    def errors_first(self, page, name: str, expected: list[str]) -> None:
        """Submit the form as it is (empty, or made wrong): an error summary whose links reach their fields."""
        from playwright.sync_api import expect

        before = _open_tasks()
        page.get_by_role("button", name=SEND).click()
        summary = page.locator(".govuk-error-summary")
        expect(summary.get_by_role("heading")).to_have_text("There is a problem")
        expect(page).to_have_title(re.compile(r"^Error: "))
        for message in expected:
            expect(summary).to_contain_text(message)
        self.error_links_land(page)
        self.axe(page, f"{name}-error")
        assert _open_tasks() == before  # nothing was written

    def submit(self, page) -> None:
        """Submit, or for a long answer Continue and then Send from "check your answers" (axe checks it); the
        done task reads back what was sent and says what happens next."""

        button = page.get_by_role("button", name=SEND)
        long_answer = button.inner_text() == "Continue"
        button.click()
        if long_answer:
            self.sent_checked(page)
        self.done(page)

    def sent_checked(self, page) -> None:
        from playwright.sync_api import expect

        expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending them")
        expect(page.locator("#your-answers .govuk-summary-list__row").first).to_be_visible()
        self.axe(page, f"check-answers-{sum(name.startswith('check-answers') for name in self.checked) + 1}")
        page.get_by_role("button", name="Send").click()

    def done(self, page) -> None:
        from playwright.sync_api import expect

        expect(page.locator(".govuk-panel__title")).to_have_text("Task done", timeout=15000)
        expect(page.locator("#your-answers")).to_be_visible()  # what was sent, read back
        expect(page.locator("#what-next")).to_be_visible()


SEND = re.compile("^(Submit|Continue)$")  # a long answer's form continues to "check your answers"


def _check_inbox(page, person: str) -> int:
    """The task list shows the person's open tasks grouped by review (a table each), each with its due date."""
    from playwright.sync_api import expect

    groups: dict[str, list] = {}
    for task in _open_tasks_of(person):
        groups.setdefault(f"{task.host}: {task.strand}", []).append(task)
    assert groups, f"{person} has no open tasks"
    expect(page.locator("main table caption")).to_have_text(list(groups))
    for caption, tasks in groups.items():
        rows = page.get_by_role("table", name=caption).locator("tbody tr")
        expect(rows).to_have_count(len(tasks))
        for row, task in zip(rows.all(), tasks):
            expect(row.locator("td").nth(0)).to_have_text(task.title)
            expect(row.locator("td").nth(1)).to_have_text(clock.long_date(task.due))
            expect(row.locator("td").nth(2)).to_have_text("to do")
    return len(groups)


# --- the review, stage by stage ------------------------------------------------------------------------


def _assignment(tour: Tour) -> None:
    from playwright.sync_api import expect

    # The moderator: tasks in two reviews, grouped, with due dates; accepts review 1 (after trying an empty answer).
    page = tour.home(MODERATOR)
    assert _check_inbox(page, MODERATOR) == 2
    tour.axe(page, "inbox")
    tour.shot(page, "inbox")
    page = tour.open_task(MODERATOR, "respond_to_assignment")
    expect(page.get_by_role("main")).to_contain_text("Owen Fletcher, Don River Learning Partnership (peer reviewer)")
    tour.errors_first(page, "respond_to_assignment", ["Select whether you accept your place"])
    tour.shot(page, "form-with-errors")
    tick(page, "Yes, I accept my place")
    tour.submit(page)
    tour.axe(page, "task-done")

    # The Peak Edge peer accepts.
    page = tour.open_task(PEAK_EDGE_PEER, "respond_to_assignment", "respond_to_assignment-peer")
    tick(page, "Yes, I accept my place")
    tour.submit(page)

    # The first Don River peer declines with the keyboard alone: no clicks from signing in to "Task done".
    first = _holder_from_don_river()
    page = tour.home(first, keyboard=True)
    tab_to(page, "main a[href^='/tasks/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accept or decline your place")
    tour.axe(page, "respond_to_assignment-keyboard")
    tab_to(page, "input[name=response]")
    page.keyboard.press("ArrowDown")  # moves to "No, I have to decline", and chooses it
    expect(page.get_by_label("No, I have to decline")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page, "textarea[name=reason]")
    page.keyboard.type("I am on jury service during the visit week.")
    page.keyboard.press("Tab")
    assert focused(page, "button[value=submit]") and page.evaluate("document.activeElement.innerText") == "Submit"
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel__title")).to_have_text("Task done")

    # The planner brings in the next Don River reviewer each time, until nobody from Don River is left.
    declined = [first]
    for reason in (
        "A governors' meeting clashes with the visit.",
        "I am leading our own trust's Ofsted preparation that week.",
    ):
        person = _holder_from_don_river()
        assert person not in declined
        page = tour.open_task(person, "respond_to_assignment", f"respond_to_assignment-replacement-{len(declined)}")
        tick(page, "No, I have to decline")
        page.get_by_label("If you decline, why?").fill(reason)
        tour.submit(page)
        declined.append(person)
    assert not [t for t in _open_tasks() if t.assignee_email.endswith("@donriver.example.org")]

    # The coordinator is asked to choose; nobody from Don River is left, so they add someone new.
    assert _holder("choose_replacement") == COORDINATOR
    page = tour.open_task(COORDINATOR, "choose_replacement")
    expect(page.locator(".govuk-summary-list")).to_contain_text("nobody suitable is free")
    expect(page.get_by_role("main")).to_contain_text(
        "Nobody else in the partnership could take this place from Don River Learning Partnership."
    )
    tour.errors_first(
        page,
        "choose_replacement",
        ["Select who should take the place, or choose another way to fill it", "Enter why you made this choice"],
    )
    tick(page, "Someone new")
    page.get_by_label("Full name").fill(NEWCOMER["name"])
    page.get_by_label("Email address").fill(NEWCOMER["email"])
    page.get_by_label("Job title (optional)").fill(NEWCOMER["job_title"])
    page.get_by_label("Why this choice?").fill(
        "New to Don River and free that week; she leads school improvement there."
    )
    tour.submit(page)

    page = tour.open_task(NEWCOMER["email"], "respond_to_assignment", "respond_to_assignment-newcomer")
    tick(page, "Yes, I accept my place")
    tour.submit(page)
    assert _stage() == "lines_of_enquiry", _stage()


def _holder_from_don_river() -> str:
    [task] = [
        t
        for t in _open_tasks()
        if t.kind == "respond_to_assignment" and t.assignee_email.endswith("@donriver.example.org")
    ]
    return task.assignee_email


def _lines_of_enquiry(tour: Tour) -> None:
    from playwright.sync_api import expect

    # The host CEO proposes three lines ("Add another line" for the third).
    page = tour.open_task(CEO, "propose_lines")
    tour.errors_first(page, "propose_lines", ["Enter at least 2 lines of enquiry"])
    for i in range(3):
        if i == 2:
            page.get_by_role("button", name="Add another line").click()
        line = page.get_by_role("group", name=f"Line of enquiry {i + 1}")
        line.get_by_label("The question the review will explore").fill(LINE_TITLES[i])
        line.get_by_label("Your self-evaluation").fill(SELF_EVALUATIONS[i])
    expect(
        page.get_by_role("group", name="Line of enquiry 1").get_by_label("The question the review will explore")
    ).to_have_value(LINE_TITLES[0])
    tour.submit(page)

    # The moderator asks for changes, once.
    page = tour.open_task(MODERATOR, "agree_lines")
    for title in LINE_TITLES:
        expect(page.locator(".govuk-summary-list").last).to_contain_text(title)
    tour.errors_first(page, "agree_lines", ["Select whether you agree these lines of enquiry"])
    tick(page, "No, ask the host for changes")
    page.get_by_label("Comments for the host").fill("Please say what the self-evaluation for line 2 rests on.")
    tour.submit(page)

    # The host CEO's second proposal starts from the first; they add what it rests on.
    page = tour.open_task(CEO, "propose_lines", "propose_lines-round-2")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(round 2)")
    expect(page.locator(".govuk-summary-list")).to_contain_text(
        "Please say what the self-evaluation for line 2 rests on."
    )
    evaluation = page.get_by_role("group", name="Line of enquiry 2").get_by_label("Your self-evaluation")
    expect(evaluation).to_have_value(SELF_EVALUATIONS[1])
    SELF_EVALUATIONS[1] += " It rests on the termly reviews and the headteacher survey."
    evaluation.fill(SELF_EVALUATIONS[1])
    tour.submit(page)

    page = tour.open_task(MODERATOR, "agree_lines", "agree_lines-round-2")
    tick(page, "Yes, agree them")
    tour.submit(page)
    assert _stage() == "evidence", _stage()


def _evidence(tour: Tour) -> None:
    from playwright.sync_api import expect

    page = tour.open_task(CEO, "submit_evidence")
    tour.errors_first(page, "submit_evidence", ["Enter at least one evidence item"])
    for i, (title, kind, location, lines, personal) in enumerate(EVIDENCE_ITEMS):
        if i:
            page.get_by_role("button", name="Add another item").click()
        item = page.get_by_role("group", name=f"Evidence item E{i + 1}")
        item.get_by_label("Title").fill(title)
        item.get_by_label("Type").fill(kind)
        for number in lines:
            tick(item, f"{number}. {LINE_TITLES[number - 1]}")
        tick(item, "Yes, it holds personal data" if personal else "No")
        item.get_by_label("Where it is kept").fill(location)
    # one too many, taken away again
    page.get_by_role("button", name="Add another item").click()
    expect(page.get_by_role("group", name="Evidence item E4")).to_be_visible()
    page.get_by_role("button", name="Remove item E4").click()
    expect(page.get_by_role("group", name="Evidence item E4")).to_have_count(0)
    expect(page.get_by_role("group", name="Evidence item E3").get_by_label("Where it is kept")).to_have_value(
        EVIDENCE_ITEMS[2][2]
    )
    tour.axe(page, "submit_evidence-filled")
    tour.shot(page, "evidence")
    # Enter in a text field sends the answer, as in any form, never a "Remove" or "Add another" button.
    page.get_by_role("group", name="Evidence item E3").get_by_label("Where it is kept").press("Enter")
    tour.sent_checked(page)  # a long answer: checked before it is sent
    tour.done(page)


def _record_findings(tour: Tour, person: str, error_state: bool) -> None:
    from playwright.sync_api import expect

    page = tour.open_task(
        person, "record_findings", "record_findings" if error_state else "record_findings-second-peer"
    )
    if error_state:
        tour.errors_first(page, "record_findings", ["which you lead on"])
    lead = [
        int(n)
        for n in re.search(r"You lead on lines? ([\d, ]+):", page.get_by_role("main").inner_text()).group(1).split(", ")
    ]
    for number in lead:
        line = page.get_by_role("group", name=re.compile(rf"^Line {number}: "))
        refs = [f"E{i + 1}: {item[0]}" for i, item in enumerate(EVIDENCE_ITEMS) if number in item[3]]
        finding = line.locator(".app-finding").filter(has=page.get_by_label("Strength 1", exact=True))
        finding.get_by_label("Strength 1", exact=True).fill(
            "Leaders & trustees share an accurate, evidence-based account of each school."
        )
        tick(finding, refs[0])
        if error_state:  # a second strength, with "Add another strength"
            line.get_by_role("button", name="Add another strength").click()
            line = page.get_by_role("group", name=re.compile(rf"^Line {number}: "))
            finding = line.locator(".app-finding").filter(has=page.get_by_label("Strength 2", exact=True))
            finding.get_by_label("Strength 2", exact=True).fill(
                "Headteachers value the termly reviews and act on what they find."
            )
            tick(finding, refs[-1])
        finding = line.locator(".app-finding").filter(has=page.get_by_label("Area for development 1", exact=True))
        finding.get_by_label("Area for development 1", exact=True).fill(
            "Checks on impact are not yet systematic across all schools (<2 of 3 sampled>)."
        )
        for ref in refs:
            tick(finding, ref)
    if error_state:  # saved as a draft, and come back to
        page.get_by_role("button", name="Save as draft").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Your draft is saved")
        tour.axe(page, "record_findings-draft-saved")
        page = tour.open_task(person, "record_findings", "record_findings-draft")
        expect(page.get_by_label("Strength 2", exact=True).first).to_have_value(
            "Headteachers value the termly reviews and act on what they find."
        )
    tour.submit(page)


ONLY_THE_FIRST_PEER_WROTE = "Headteachers value the termly reviews and act on what they find."


def _reads_findings(tour: Tour, reads: dict[str, bool]) -> None:
    """Each person's review page: the lines and evidence, and the first peer's findings or not, as their role allows."""
    from playwright.sync_api import expect

    for person, sees in reads.items():
        page = tour.home(person)
        page.goto(f"{tour.site.url}/reviews/{REVIEW}")
        expect(page.locator("#lines")).to_contain_text(LINE_TITLES[0])
        expect(page.locator("#evidence")).to_contain_text(EVIDENCE_ITEMS[0][0])
        found = page.get_by_text(ONLY_THE_FIRST_PEER_WROTE)
        expect(found.first).to_be_visible() if sees else expect(found).to_have_count(0)
        if person == NEWCOMER["email"] and not sees:
            expect(page.locator("#findings-hidden")).to_contain_text("once you have submitted your own")
            tour.axe(page, "review-before-own-findings")


def _findings_and_moderation(tour: Tour) -> None:
    from playwright.sync_api import expect

    peers = [PEAK_EDGE_PEER, NEWCOMER["email"]]
    for i, person in enumerate(peers):
        assert person in {t.assignee_email for t in _open_tasks() if t.kind == "record_findings"}
        _record_findings(tour, person, error_state=i == 0)
        if i == 0:  # one peer has submitted: the other does not read their findings yet, nor does the host
            _reads_findings(
                tour, {PEAK_EDGE_PEER: True, NEWCOMER["email"]: False, MODERATOR: True, COORDINATOR: True, CEO: False}
            )
    _reads_findings(tour, {NEWCOMER["email"]: True, CEO: False})

    # The moderator sends the first finding back, supports the rest, and judges each self-evaluation.
    page = tour.open_task(MODERATOR, "moderate")
    tour.errors_first(
        page,
        "moderate",
        [
            "select whether it is supported by the evidence",
            "select how well it matched the evidence",
            "enter your comment",
        ],
    )
    findings = page.locator("#findings > fieldset")
    count = findings.count()
    assert count >= 5
    for i in range(count):
        finding = findings.nth(i)
        if i == 0:
            tick(finding, "Needs revision")
            finding.get_by_label("Reason for revision").fill(
                "The evidence cited does not show impact; cite the outcomes analysis too."
            )
        else:
            tick(finding, "Supported")
    alignments = [
        "The self-evaluation matched the evidence",
        "The self-evaluation partly matched the evidence",
        "The self-evaluation did not match the evidence",
    ]
    for number, title in enumerate(LINE_TITLES, start=1):
        line = page.get_by_role("group", name=f"Line {number}: {title}")
        tick(line, alignments[number - 1])
        line.get_by_label("Your comment").fill(
            f"Compared the evidence index and the team's findings with the host's view of line {number}."
        )
    tour.axe(page, "moderate-filled")
    tour.shot(page, "moderation")
    tour.submit(page)

    # Its author revises it: first emptied (refused), then rewritten with more evidence.
    author = _holder("revise_findings")
    page = tour.open_task(author, "revise_findings")
    expect(page.locator(".govuk-inset-text").first).to_contain_text("cite the outcomes analysis too")
    revision = page.locator("#findings > fieldset").first
    text = revision.get_by_label("The finding")
    original = text.input_value()
    text.fill("")
    tour.errors_first(page, "revise_findings", ["enter the finding"])
    revision = page.locator("#findings > fieldset").first
    revision.get_by_label("The finding").fill(original.rstrip(".") + ", as the key stage 2 outcomes analysis shows.")
    checked = revision.get_by_role("checkbox", checked=True).count()
    unticked = revision.get_by_role("checkbox", checked=False).first
    tick(revision, unticked.evaluate("box => box.labels[0].innerText.trim()"))
    assert revision.get_by_role("checkbox", checked=True).count() == checked + 1
    tour.submit(page)

    page = tour.open_task(MODERATOR, "moderate", "moderate-round-2")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(round 2)")
    findings = page.locator("#findings > fieldset")
    expect(findings).to_have_count(1)
    expect(findings.first).to_contain_text("as the key stage 2 outcomes analysis shows")
    tick(findings.first, "Supported")
    tour.submit(page)
    assert _stage() == "report", _stage()


CORRECTED = "Leaders & trustees share an accurate, evidence-based account of each of the trust's nine schools."


def _correct_the_wording(tour: Tour, page) -> None:
    """The moderator applies the host's correction to a finding's wording, after a refused empty reason."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Correct the report's wording").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct the report's wording")
    expect(page.locator("#asked")).to_contain_text("The trust has nine schools, not eight, since September.")
    tour.axe(page, "report-wording")
    card = page.locator(".govuk-summary-card").filter(has_text="Leaders & trustees share").first
    card.get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_label("The corrected wording").fill(CORRECTED)
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the wording changes")
    tour.error_links_land(page)
    tour.axe(page, "report-wording-error")
    expect(page.get_by_label("The corrected wording")).to_have_value(CORRECTED)
    page.get_by_label("Why it changes").fill("The host trust's correction: it has nine schools since September.")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The wording is corrected")
    expect(page.get_by_role("main")).to_contain_text(CORRECTED)


def _everyone_reads_the_review(tour: Tour) -> None:
    """The host CEO, a peer, the moderator and the coordinator each read the review's lines, evidence, findings
    and report on its pages."""
    from playwright.sync_api import expect

    for person in (CEO, PEAK_EDGE_PEER, MODERATOR, COORDINATOR):
        page = tour.home(person)
        page.goto(f"{tour.site.url}/reviews/{REVIEW}")
        for title in LINE_TITLES:
            expect(page.locator("#lines")).to_contain_text(title)
        expect(page.locator("#lines")).to_contain_text(SELF_EVALUATIONS[0])
        expect(page.locator("#evidence")).to_contain_text(EVIDENCE_ITEMS[1][0])
        expect(page.get_by_text(CORRECTED).first).to_be_visible()
        expect(page.get_by_text(ONLY_THE_FIRST_PEER_WROTE).first).to_be_visible()
        page.get_by_role("link", name="Read the report").click()
        expect(page.locator("#report-text")).to_contain_text("Final report, issued by the moderator.")
        expect(page.locator("#report-text")).to_contain_text(CORRECTED)
        if person == CEO:
            tour.axe(page, "report-page")


def _report(tour: Tour) -> None:
    from playwright.sync_api import expect

    page = tour.open_task(CEO, "check_report")
    tour.errors_first(
        page,
        "check_report",
        ["Select whether the draft is factually accurate", "Select whether we may share this good practice"],
    )
    tick(page, "No, it needs corrections")
    tick(page, "Yes, share it")
    page.get_by_label("Correction 1").fill("The trust has nine schools, not eight, since September.")
    page.get_by_role("button", name="Add another correction").click()
    expect(page.get_by_label("Correction 1")).to_have_value("The trust has nine schools, not eight, since September.")
    expect(page.get_by_label("No, it needs corrections")).to_be_checked()
    page.get_by_label("Correction 2").fill("Our director of education is Tom Beckett, not the CEO.")
    tour.submit(page)

    page = tour.open_task(MODERATOR, "issue_report")
    expect(page.get_by_role("main")).to_contain_text("The trust has nine schools, not eight, since September.")
    _correct_the_wording(tour, page)
    page = tour.open_task(MODERATOR, "issue_report", "issue_report-after-correction")
    tour.errors_first(page, "issue_report", ["Enter your statement"])
    page.get_by_label("Your statement as moderator").fill(
        "The review followed the three agreed lines of enquiry. Every finding was checked against the evidence index; one was revised before it was supported."
    )
    page.get_by_label("Next step 1").fill(
        "Track the impact of central support on outcomes in every school, not only those in the programme."
    )
    page.get_by_role("button", name="Add another next step").click()
    page.get_by_label("Next step 2").fill("Share the termly review cycle with the other trusts in the triad.")
    tour.submit(page)
    assert _stage() == "feedback", _stage()


def _feedback(tour: Tour) -> None:
    from playwright.sync_api import expect

    # The host CEO signs in and answers with the keyboard alone.
    page = tour.home(CEO, keyboard=True)
    tab_to(page, "main a[href^='/tasks/']")
    assert page.evaluate("document.activeElement.innerText") == "Give feedback on the review"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Give feedback on the review")
    tour.axe(page, "give_feedback-keyboard")
    tab_to(page, "input[name=helped_us_improve]")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("group", name="The review will help us improve").get_by_label("4", exact=True)
    ).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page, "input[name=fair_and_accurate]")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("group", name="The review gave a fair and accurate account").get_by_label("5: strongly agree")
    ).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page, "input[name=would_take_part_again]")
    page.keyboard.press("Space")
    expect(
        page.get_by_role("group", name="Would you take part in a review like this again?").get_by_label("Yes")
    ).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page, "textarea[name=comments]")
    page.keyboard.type("The lines of enquiry kept the visit focused.")
    page.keyboard.press("Tab")
    assert focused(page, "button[value=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel__title")).to_have_text("Task done")

    # The others click.
    for i, person in enumerate([PEAK_EDGE_PEER, NEWCOMER["email"], MODERATOR]):
        page = tour.open_task(person, "give_feedback", "give_feedback" if i == 0 else f"give_feedback-{i + 1}")
        if i == 0:
            tour.errors_first(
                page,
                "give_feedback",
                [
                    "Select how far you agree that the review will help you improve",
                    "Select yes if you would take part in a review like this again",
                ],
            )
        tick(page.get_by_role("group", name="The review will help us improve"), "4")
        tick(page.get_by_role("group", name="The review gave a fair and accurate account"), "5: strongly agree")
        tick(page.get_by_role("group", name="Would you take part in a review like this again?"), "Yes")
        page.get_by_label("Anything else?").fill("More time on site would help.")
        tour.submit(page)


def _progress_at_the_next_review(tour: Tour) -> None:
    """Steel Valley's next review opens (its team accepting through the service layer): the CEO records progress
    on review 1's areas for development, and that review's page shows it."""
    from playwright.sync_api import expect

    from peer_review.service import workflow
    from peer_review.store.tables import Review

    with db.session_scope() as session:
        first = session.get(Review, REVIEW)
        review = session.exec(
            select(Review).where(Review.host_trust_id == first.host_trust_id, Review.position == 2)
        ).one()
    workflow.advance_review(db.session_scope, review.id)
    while invitations := [t for t in _open_tasks(review.id) if t.kind == "respond_to_assignment"]:
        with db.session_scope() as session:
            workflow.submit(session, invitations[0].id, {"response": "accept"}, invitations[0].assignee_email)
        workflow.advance_review(db.session_scope, review.id)
    page = tour.open_task(CEO, "record_progress", group=f"{HOST}: {review.strand_title}")
    tour.errors_first(page, "record_progress", ["select how far it has got"])
    statuses = page.get_by_role("group", name="How far has it got?")
    for i in range(statuses.count()):
        tick(statuses.nth(i), "Under way")
        page.get_by_label("What shows it", exact=True).nth(i).fill(f"Termly checks now run in {i + 2} schools.")
    tour.submit(page)
    page.goto(f"{tour.site.url}/reviews/{review.id}")
    expect(page.locator("#progress")).to_contain_text("Under way: Termly checks now run in 2 schools.")
    tour.axe(page, "review-progress")


def _survey_and_evaluation(tour: Tour) -> None:
    """The baseline survey opens: a peer answers it from their task list (after a forged value is refused);
    then the coordinator's evaluation page, whose charts are images that must actually draw."""
    from playwright.sync_api import expect

    from peer_review.domain.surveys import SurveyRound
    from peer_review.service import surveys
    from peer_review.store.people import get_partnership
    from peer_review.store.tables import SurveyAnswer

    with db.session_scope() as session:
        surveys.open_round(session, get_partnership(session, None), SurveyRound.BASELINE)
        [invitation] = surveys.open_invitations(session, [PEAK_EDGE_PEER])
    q = invitation.questionnaire
    first, second = list(q.statements.values())[:2]
    page = tour.home(PEAK_EDGE_PEER)
    page.get_by_role("list", name="Surveys to answer").get_by_role("link", name=q.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(q.title)
    tour.axe(page, "survey")
    tick(page.get_by_role("group", name=first.text), q.scale[3])
    forged = page.get_by_role("group", name=second.text)
    forged.get_by_label(q.scale[4], exact=True).evaluate(
        "radio => radio.value = '6'"
    )  # what no radio of the page sends
    tick(forged, q.scale[4])
    page.get_by_role("button", name="Send your answers").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(second.text)
    expect(page.get_by_role("group", name=first.text).get_by_label(q.scale[3], exact=True)).to_be_checked()
    tour.error_links_land(page)
    tour.axe(page, "survey-error")
    tick(page.get_by_role("group", name=second.text), "Leave blank")
    page.get_by_label(q.open_questions[0].text).fill("More time on site & <b>fewer</b> forms.")
    page.get_by_role("button", name="Send your answers").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Thank you for your views")
    with db.session_scope() as session:
        stored = {
            a.item: (a.value, a.text)
            for a in session.exec(select(SurveyAnswer).where(SurveyAnswer.invitation_id == invitation.invitation.id))
        }
    assert stored == {
        **{s: (None, "") for s in q.statements},
        first.id: (4, ""),
        q.open_questions[0].id: (None, "More time on site & <b>fewer</b> forms."),
    }

    page = tour.home(COORDINATOR)
    page.goto(f"{tour.site.url}/partnerships/1/evaluation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluation")
    charts = page.locator("main img[src$='.svg']")
    expect(charts.first).to_be_visible()
    page.wait_for_load_state("load")
    widths = charts.evaluate_all("images => images.map(i => [i.getAttribute('src'), i.complete ? i.naturalWidth : 0])")
    assert widths and all(width > 0 for _src, width in widths), widths
    tour.axe(page, "evaluation")


def _download_report(tour: Tour) -> Path:
    """The moderator opens the review from their task list and downloads the issued report."""
    from playwright.sync_api import expect

    page = tour.home(MODERATOR)
    expect(page.get_by_role("table", name=f"{HOST}: {STRAND}")).to_have_count(0)  # nothing left to do on review 1
    expect(page.locator("main table caption")).to_have_count(1)  # only review 3's invitation, left unanswered
    expect(page.get_by_role("list", name="Done")).to_contain_text("Issue the review report")
    page.get_by_role("link", name=f"{HOST}: {STRAND}").click()
    expect(page).to_have_url(f"{tour.site.url}/reviews/{REVIEW}")
    expect(page.get_by_role("heading", level=1)).to_have_text(STRAND)
    expect(page.locator(".govuk-summary-list").first).to_contain_text("closed")
    expect(page.locator("#stages")).to_be_visible()
    tour.axe(page, "review")
    tour.shot(page, "review")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^Review report \(")).click()
    download = info.value
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(saved)
    return saved


def test_one_whole_review_in_the_browser_by_the_people_it_belongs_to(site):
    from playwright.sync_api import sync_playwright

    from peer_review.service.documents import ABOUT

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("axe-*.json"):
        old.unlink()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        tour = Tour(browser, site)
        try:
            for day, stage in (
                (ASSIGNMENT, _assignment),
                (LINES, _lines_of_enquiry),
                (EVIDENCE, _evidence),
                (FINDINGS, _findings_and_moderation),
                (REPORT, _report),
                (FEEDBACK, _feedback),
            ):
                clock.set_time(_at(day))  # weeks pass: everyone's session has ended, so they sign in again
                stage(tour)
            _everyone_reads_the_review(tour)
            report = _download_report(tour)
            _progress_at_the_next_review(tour)
            _survey_and_evaluation(tour)
        finally:
            browser.close()
            (ARTIFACTS / "axe-summary.json").write_text(
                json.dumps({"checked": tour.checked, "serious_or_critical": tour.findings}, indent=2)
            )

    assert not tour.findings, json.dumps(tour.findings, indent=2)
    assert {"sign-in", "inbox", "review", "survey", "survey-error", "evaluation", "task-done"} <= set(tour.checked)
    from peer_review.domain.model import TaskKind

    for kind in TaskKind:  # every form, and every form's error state, went through axe
        assert kind.value in tour.checked and f"{kind.value}-error" in tour.checked, kind

    from peer_review.service import dashboard

    with db.session_scope() as session:
        detail = dashboard.review_detail(session, REVIEW)
    assert detail.review.stage == "closed" and not _open_tasks()
    team = {m.email: (m.role, m.status) for m in detail.team}
    assert team.pop(MODERATOR) == ("moderator", "accepted")
    assert team.pop(PEAK_EDGE_PEER) == ("peer", "accepted")
    assert team.pop(NEWCOMER["email"]) == ("peer", "accepted")
    assert sorted(team.values()) == [("peer", "declined")] * 3  # every Don River reviewer the planner asked
    assert report.suffix == ".docx"
    text = docx_text(report)
    assert HOST in text and STRAND in text
    for title in LINE_TITLES:
        assert title in text, title
    assert "Share the termly review cycle with the other trusts in the triad." in text  # the second next step
    assert (
        "Checks on impact are not yet systematic across all schools (<2 of 3 sampled>)." in text
    )  # typed text kept as typed
    assert "as the key stage 2 outcomes analysis shows" in text  # the revised finding
    assert CORRECTED in text and "Corrected: Finding F" in text  # the host's correction, applied by the moderator
    without_disclaimer = text.replace(ABOUT, "")  # which says that no grade is given
    assert not GRADE_WORDS.search(without_disclaimer), GRADE_WORDS.search(without_disclaimer)
