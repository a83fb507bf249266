"""The review page's history in people's words (domain/history.py): a sentence for every action the code writes
to the audit log, names and England's time on the page, a filter by kind of event, a layout that fits a phone,
and the stage list of a cancelled or closed review."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain import history
from peer_review.domain.history import EVENTS, TASK_WORDS, EventKind, Names, TaskFacts, describe
from peer_review.domain.model import DocumentKind, TaskKind
from peer_review.domain.roster import Kind as RosterChange
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, roster, workflow
from peer_review.store import db
from peer_review.store.tables import Review, Trust

from helpers import EXAMPLE, ROOT, do, open_tasks, plan_and_publish, post_form, respond, sign_in

CEO = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1
COORDINATOR = "ruth.ashby@coordinator.example.org"
DECLINER = "owen.fletcher@donriver.example.org"  # a Don River peer on review 1; Nadia Bashir takes his place

# Moments in British Summer Time, when England's clocks are an hour ahead of UTC
PLANNED = dt.datetime(2023, 9, 11, 8, 0, tzinfo=dt.UTC)
DECLINED = dt.datetime(2023, 9, 12, 13, 5, tzinfo=dt.UTC)  # 2:05 in the afternoon in England
ACCEPTED = dt.datetime(2023, 9, 13, 8, 30, tzinfo=dt.UTC)
EXTENDED = dt.datetime(2023, 9, 14, 15, 45, tzinfo=dt.UTC)
MOVED = dt.datetime(2023, 9, 15, 10, 10, tzinfo=dt.UTC)
WORKED = dt.datetime(2023, 10, 2, 11, 0, tzinfo=dt.UTC)


def _history_of(html: str) -> str:
    """The page's history section: from its heading to the end of the page's content."""
    section = html.split('id="history-heading"', 1)[1]
    return section.split("</main>", 1)[0]


def _sentences(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", unescape(s)).strip()
        for s in re.findall(r'<dd class="govuk-summary-list__value">(.*?)</dd>', _history_of(html), re.S)
    ]


def _stage_rows(html: str) -> list[tuple[str, str]]:
    """(stage, status) of each row of the page's Stages list."""
    stages = html.split('id="stages"', 1)[1].split("</dl>", 1)[0]
    return [
        (stage, re.sub(r"<[^>]+>", " ", state).split()[0] if state.strip() else "")
        for stage, state in re.findall(
            r'<dt class="govuk-summary-list__key">([^<]+)</dt>\s*<dd class="govuk-summary-list__value">(.*?)</dd>',
            stages,
            re.S,
        )
    ]


@pytest.fixture
def summer(database_url):
    """The bundled triad planned in September 2023 (British Summer Time) and review 1 opened; a peer declines
    (someone takes his place), the rest accept, the coordinator gives the host more time on the web, and the
    host's CEO moves the visit on the web."""
    with clock.frozen_at(PLANNED):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
            plan_and_publish(session, None)
        workflow.advance_review(db.session_scope, 1)
    with clock.frozen_at(DECLINED):
        [mine] = [t for t in open_tasks() if t.assignee_email == DECLINER]
        respond(mine, {"response": "decline", "reason": "Not available that term"})
    with clock.frozen_at(ACCEPTED):
        for task in open_tasks():
            if task.kind == "respond_to_assignment":
                do(task)
    with clock.frozen_at(EXTENDED):
        [propose] = [t for t in open_tasks() if t.kind == "propose_lines"]
        later = propose.due + dt.timedelta(days=7)
        extended = post_form(
            sign_in(COORDINATOR),
            f"/tasks/{propose.id}/extend",
            {"due-day": str(later.day), "due-month": str(later.month), "due-year": str(later.year)}
            | {"reason": "The host was ill"},
        )
        assert extended.status_code == 303, extended.text
    with clock.frozen_at(MOVED):
        moved = post_form(
            sign_in(CEO),
            "/reviews/1/move",
            {"visit-day": "8", "visit-month": "1", "visit-year": "2024", "reason": "Our board meets that week"},
        )
        assert moved.status_code == 303, moved.text
    return database_url


@pytest.mark.db
def test_a_review_run_to_its_close_tells_its_history_in_sentences_with_names_and_englands_time(summer):
    with clock.frozen_at(WORKED):
        for _ in range(80):  # its people do the rest, until it closes
            tasks = open_tasks()
            if not tasks:
                break
            do(tasks[0])
        html = sign_in(COORDINATOR).get("/reviews/1").text
    section = _history_of(html)
    sentences = _sentences(html)
    assert len(sentences) > 40
    for expected in (
        "Owen Fletcher declined a place on the review team",
        "Nadia Bashir was asked to join the team as a peer, in Owen Fletcher's place",
        "Nadia Bashir accepted a place on the review team",
        "Helen Marsh was asked to propose the lines of enquiry",
        "Ruth Ashby (coordinator) extended the due date of Helen Marsh's task "
        "“Propose lines of enquiry with your self-evaluation” to ",
        ": The host was ill",
        "Helen Marsh moved the visit to start on 8 January 2024 (it was to start on 15 January 2024)",
        ": Our board meets that week",
        "Helen Marsh proposed the lines of enquiry",
        "Daniel Okafor agreed the lines of enquiry",
        "The review moved from Scheduled to Assignment",
        "The review moved from Findings to Moderation",
        "The review moved from Feedback to Closed",
        "The lines-of-enquiry agreement was written",
        "The draft report was written",
        "The review report was written",
        "gave feedback on the review",
    ):
        assert any(expected in s for s in sentences), expected
    # England's time, once (a summer afternoon: 13:05 UTC is 14:05 in England) and in the one date format
    assert "12 September 2023 at 14:05" in section and "13:05" not in section
    assert "2023-09" not in section and "UTC" not in section
    words = unescape(re.sub(r"<[^>]+>", " ", section))  # what people read of it
    for machine in ("@", "{", "}", "sha256", "task:", "kind:", "_", "'text'", "None"):
        assert machine not in words, machine
    assert not re.search(r"\b[0-9a-f]{64}\b", section)
    assert "app-table-scroll" not in section and "<table" not in section  # a list, which fits a phone
    # a closed review: every stage done, and no Cancelled row
    rows = _stage_rows(html)
    assert [stage for stage, _ in rows][-1] == "closed" and "cancelled" not in dict(rows)
    assert {state for _, state in rows} == {"done"}, rows


@pytest.mark.db
def test_the_history_is_filtered_by_kind_of_event_from_the_address(summer):
    coordinator = sign_in(COORDINATOR)
    everything = _sentences(coordinator.get("/reviews/1").text)
    page = coordinator.get("/reviews/1?kind=stages")
    assert page.status_code == 200
    stages = _sentences(page.text)
    assert stages and all(s.startswith("The review moved from") for s in stages), stages
    assert len(stages) < len(everything)
    assert 'id="history-kind-stages" name="kind" type="checkbox" value="stages" checked' in page.text
    assert f"Showing {len(stages)} of {len(everything)} events: stages." in page.text
    both = _sentences(coordinator.get("/reviews/1?kind=visit&kind=team").text)
    assert any("moved the visit" in s for s in both) and any("join the team" in s for s in both)
    assert not any("moved from" in s or "was asked to propose" in s for s in both)
    # an address no form makes (a kind unknown, or only unknown ones) shows everything rather than an error
    for odd in ("?kind=nonsense", "?kind=", "?kind=STAGES&kind=%3Cscript%3E"):
        unknown = coordinator.get("/reviews/1" + odd)
        assert unknown.status_code == 200, odd
        assert _sentences(unknown.text) == everything and "Showing" not in unknown.text, odd
    assert _sentences(coordinator.get("/reviews/1?kind=stages&kind=nonsense").text) == stages
    assert 'method="get" action="/reviews/1#history-heading"' in page.text and ">Show</button>" in page.text


@pytest.mark.db
def test_a_cancelled_review_reads_cancelled_in_its_stages_and_history(planned, tmp_path):
    """A trust that leaves before its reviews start has them cancelled: the stages they never reached read
    "cancelled", not "to come", and so does the Cancelled row."""
    path = tmp_path / "two.yaml"
    path.write_text(re.sub(r"  - id: peak-edge\n(    .*\n)+", "", EXAMPLE.read_text()))
    with db.session_scope() as session:
        roster.update_partnership(session, load_partnership_file(path))
    with db.session_scope() as session:
        review_id = session.exec(
            select(Review.id).join(Trust, Trust.id == Review.host_trust_id).where(Trust.key == "peak-edge")
        ).first()
    coordinator = sign_in(COORDINATOR)
    html = coordinator.get(f"/reviews/{review_id}").text
    rows = _stage_rows(html)
    assert rows[0] == ("scheduled", "cancelled") and rows[-1] == ("cancelled", "cancelled"), rows
    assert {state for _, state in rows} == {"cancelled"} and "to come" not in html.split('id="stages"', 1)[1]
    assert "The review was cancelled during Scheduled: Peak Edge Schools Trust left the partnership" in _sentences(html)
    assert "to come" in coordinator.get("/reviews/1").text  # an open review's stages still to come


# --- the registry ------------------------------------------------------------------------------------


def _audit_calls() -> list[tuple[str, int, ast.expr]]:
    """Every call of `audit(...)` in the source: (file, line, the action it writes)."""
    calls = []
    for path in sorted((ROOT / "peer_review").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "audit":
                action = next((k.value for k in node.keywords if k.arg == "action"), None)
                calls.append((str(path.relative_to(ROOT)), node.lineno, action or node.args[2]))
    return calls


# Actions written through a variable: the source text of the expression, and every value it can take
WRITTEN_THROUGH = {"change.kind.value": {kind.value for kind in RosterChange}}


def test_every_action_the_code_writes_to_the_audit_log_has_a_sentence_and_a_kind():
    calls = _audit_calls()
    assert len(calls) > 35
    written: set[str] = set()
    for where, line, action in calls:
        if isinstance(action, ast.Constant) and isinstance(action.value, str):
            written.add(action.value)
        else:
            source = ast.unparse(action)
            assert source in WRITTEN_THROUGH, f"{where}:{line} writes the action {source}: say which values it takes"
            written |= WRITTEN_THROUGH[source]
    assert written - set(EVENTS) == set(), "an action with no sentence in domain/history.py EVENTS"
    assert set(EVENTS) - written == set(), "a sentence for an action nothing writes"
    assert all(isinstance(event.kind, EventKind) and callable(event.sentence) for event in EVENTS.values())
    assert set(TASK_WORDS) == set(TaskKind) and set(history.DOCUMENT_NAMES) == set(DocumentKind)


NAMES = Names(
    people={"sam.lee@x.example.org": "Sam Lee", "ruth.ashby@coordinator.example.org": "Ruth Ashby"},
    coordinators=frozenset({"ruth.ashby@coordinator.example.org"}),
    trusts={"peak-edge": "Peak Edge Schools Trust"},
    tasks={
        7: TaskFacts("record_findings", "sam.lee@x.example.org"),
        8: TaskFacts("record_findings", "ruth.ashby@coordinator.example.org", "sam.lee@x.example.org"),
    },
)


def _machine_free(sentence: str) -> None:
    for machine in ("@", "{", "sha256", "task:", "_", "None", "2023-"):
        assert machine not in sentence, (machine, sentence)
    assert not re.search(r"[0-9a-f]{64}", sentence) and sentence[0].isupper()


def test_an_action_unknown_or_written_differently_by_older_code_still_gets_a_plain_sentence():
    hashed = "ab" * 32
    kind, sentence = describe(
        "widget_frobbed", "sam.lee@x.example.org", {"task": 7, "sha256": hashed, "when": "2023-09-12"}, NAMES
    )
    assert (kind, sentence) == (EventKind.OTHER, "Sam Lee recorded: widget frobbed")
    kind, sentence = describe("stage_changed", "engine", {"event": "opened"}, NAMES)  # no stages in its detail
    assert (kind, sentence) == (EventKind.STAGES, "The service recorded: stage changed")
    kind, sentence = describe("document_rendered", "engine", {"kind": "a-new-one", "sha256": hashed}, NAMES)
    assert sentence == "A Word document was written"
    for action in EVENTS:  # every sentence copes with a detail it does not expect, and shows none of it
        for detail in ({}, {"task": 99, "kind": "gone", "sha256": hashed, "before": "x", "after": "y"}):
            _machine_free(describe(action, "someone.gone@x.example.org", detail, NAMES)[1])


def test_engine_text_is_told_in_names_and_the_reason_for_declining_only_to_the_coordinator():
    handed = {"task": 7, "kind": "record_findings", "to_task": 8, "why": "declined (My mother is ill)"}
    theirs = describe("task_handed_over", "engine", handed, NAMES)[1]
    assert theirs == (
        "The work to record findings for the lines of enquiry passed from Sam Lee to Ruth Ashby (coordinator), "
        "to do on Sam Lee's behalf: Sam Lee declined their place"
    )
    coordinators = describe(
        "task_handed_over", "engine", handed, dataclasses.replace(NAMES, reasons_for_declining=True)
    )[1]
    assert coordinators.endswith(": Sam Lee declined their place (My mother is ill)")
    left = {"leaving": "sam.lee@x.example.org", "role": "peer", "reason": "has left the partnership (2024-03-01)"}
    assert describe("team_reduced", "engine", left, NAMES)[1] == (
        "The team goes on without Sam Lee as a peer: Sam Lee has left the partnership (1 March 2024)"
    )
    cancelled = {"task": 7, "kind": "give_feedback", "reason": "sam.lee@x.example.org has left the partnership"}
    assert describe("task_cancelled", "engine", cancelled, NAMES)[1] == (
        "Sam Lee is no longer asked to give feedback on the review: Sam Lee has left the partnership"
    )
    typed = {"task": 7, "before": "2024-01-23", "after": "2024-01-30", "reason": "<b>ill</b> & away"}
    assert describe("due_date_extended", "ruth.ashby@coordinator.example.org", typed, NAMES)[1] == (
        "Ruth Ashby (coordinator) extended the due date of Sam Lee's task “Record findings for the lines of enquiry” "
        "to 30 January 2024 (it was 23 January 2024): <b>ill</b> & away"  # as typed: the template escapes it
    )


@pytest.mark.db
def test_typed_reasons_are_escaped_on_the_page(summer):
    with clock.frozen_at(EXTENDED):
        [task] = [t for t in open_tasks() if t.kind == "propose_lines"]
        later = task.due + dt.timedelta(days=14)
        coordinator = sign_in(COORDINATOR)
        post_form(
            coordinator,
            f"/tasks/{task.id}/extend",
            {"due-day": str(later.day), "due-month": str(later.month), "due-year": str(later.year)}
            | {"reason": "<script>alert(1)</script> & more"},
        )
        html = coordinator.get("/reviews/1").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    [sentence] = [s for s in _sentences(html) if s.endswith(": <script>alert(1)</script> & more")]
    assert sentence.startswith("Ruth Ashby (coordinator) extended the due date of Helen Marsh's task")


# --- a phone ------------------------------------------------------------------------------------------


def _chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing; run `bash scripts/install-test-tools.sh`")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is missing; run `bash scripts/install-test-tools.sh`")
    return sync_playwright


@pytest.mark.db
def test_the_history_fits_a_phone_320_pixels_wide(summer):
    """Each part of the history, its filter included, lies within a 320 px window: nothing to scroll sideways."""
    sync_playwright = _chromium()
    from helpers import CHROMIUM_FLAGS

    client = sign_in(COORDINATOR)

    def answer(route):  # the signed-in test client serves the page and its stylesheets
        got = client.get(route.request.url)
        kind = got.headers.get("content-type", "text/plain")
        route.fulfill(status=got.status_code, body=got.content, headers={"content-type": kind})

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 320, "height": 640}, bypass_csp=True)
            page.route("**/*", answer)
            page.goto("http://testserver/reviews/1")
            wide = page.evaluate(
                """() => {
                    const heading = document.getElementById('history-heading');
                    const parts = [heading];
                    for (let e = heading.nextElementSibling; e; e = e.nextElementSibling) parts.push(e);
                    return parts.flatMap(part => [part, ...part.querySelectorAll('*')])
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                        .map(e => e.tagName + '#' + e.id + '.' + e.className);
                }"""
            )
        finally:
            browser.close()
    assert wide == []
