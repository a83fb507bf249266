"""Errors as the GOV.UK Design System shows them: every problem of a submission at once, each once in the error
summary (linking to its field) and once beside its field, in words people use ("Enter ...", "Select ...",
"... must be 4,000 characters or fewer"), naming the entry it is in as the page does and never a key; and
nothing written. For every task kind's form, the answer's own rules (a reason when declining, corrections when
the draft is not accurate, a finding on each line one leads on) come in the same round as its fields' problems."""

from __future__ import annotations

import re
from html import unescape

import pytest
from pydantic import BaseModel, ValidationError
from sqlmodel import select

from peer_review.demo.simulation import answer
from peer_review.domain import inputs as inp
from peer_review.service import queries, workflow
from peer_review.service.kinds import KINDS
from peer_review.store import db

from helpers import (
    EXAMPLE,
    csrf_of,
    do,
    flatten,
    new_client,
    nobody_left_from_don_river,
    post_form,
    row_counts,
    send_answer,
    sign_in,
)

pytestmark = pytest.mark.db

CEO = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts reviews 1, 4, 7 and 10 of the bundled triad
COORDINATOR = "ruth.ashby@coordinator.example.org"

SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)
LINK = re.compile(r'<li><a href="#([^"]*)">([^<]*)</a></li>')
BESIDE = re.compile(
    r'<p id="([^"]*)-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ([^<]*)</p>'
)
#: Every key of every answer: none may be named in a message.
KEYS = {
    name
    for model in vars(inp).values()
    if isinstance(model, type) and issubclass(model, BaseModel)
    for name in model.model_fields
}
PYDANTIC = ("Value error", "Input should", "String should", "Field required", "List should", "Extra inputs")


def wording_problems(text: str) -> list[str]:
    """What is wrong with one message's wording, by the GOV.UK Design System's rules for error messages."""
    plain = re.sub(r"\S+@\S+", "an address", text)  # an email address's dots are not a key path
    found = []
    if not text[:1].isupper() and "@" not in text.split(" ", 1)[0]:  # an email address is written as it is
        found.append("does not start with a capital letter")
    if "_" in plain or any(re.search(rf"\b{re.escape(key)}\b", plain) for key in KEYS if "_" in key):
        found.append("names a key")
    if re.search(r"\([a-z_]+\)", plain) and any(f"({key})" in plain for key in KEYS):
        found.append("names a key in brackets")
    if re.search(r"\b[a-z_]+-\d+(-[a-z_]+)*\b", plain):
        found.append("names a field's id")
    if re.search(r"\b[a-z_]+(\[\d+\])?\.[a-z_]+", plain):
        found.append("names a dotted key path")
    if re.search(r"^(\w+)\b[^:]*: \1\b", text, re.I) or text.count(": ") > 2:
        found.append("repeats its prefix")
    if any(word in text for word in PYDANTIC):
        found.append("is pydantic's own message")
    if text.endswith("."):
        found.append("ends with a full stop")
    return found


def shown_errors(html: str) -> dict[str, str]:
    """A page drawn again with errors, checked as GOV.UK's pattern has it: its title starts "Error: ", its
    summary says "There is a problem" and links each message to a field on the page, and each message is shown
    once beside its field (and nowhere else); returns each field's id and message."""
    assert "<title>Error: " in html
    summary = SUMMARY.search(html)
    assert summary, "no error summary"
    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in summary.group(0)
    links = [(i, unescape(m)) for i, m in LINK.findall(summary.group(0))]
    beside = [(i, unescape(m)) for i, m in BESIDE.findall(html)]
    assert links, "an empty error summary"
    ids = [i for i, _ in links]
    assert len(set(ids)) == len(ids), f"a field with two messages: {links}"
    messages = [m for _, m in links]
    assert len(set(messages)) == len(messages), f"the same message twice: {links}"
    for field_id, _ in links:
        assert html.count(f'id="{field_id}"') == 1, f"the summary links to #{field_id}, which is not on the page once"
    assert sorted(beside) == sorted(links), f"summary {links} and messages beside the fields {beside} differ"
    for _, text in links:
        assert not wording_problems(text), (text, wording_problems(text))
    return dict(links)


def _open(review_id: int = 1) -> list[queries.TaskRow]:
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def _context(task_id: int) -> dict:
    with db.session_scope() as session:
        return queries.task_context(session, task_id)


def _page(ctx: dict, changed: dict[str, str]) -> list[tuple[str, str]]:
    """The fields a browser sends from the task's form as it first shows, with these changed or added."""
    fields = [(name, changed.get(name, value)) for name, value in flatten(KINDS[ctx["kind"]].form.initial(ctx))]
    return fields + [(name, value) for name, value in changed.items() if name not in dict(fields)]


def _findings_fields(ctx: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """A peer's findings form with a strength citing no evidence on a line they do not lead on (or, if they
    lead on every line, their first), and a line they lead on left empty: both problems, and where each goes."""
    lines = [line.number for line in ctx["lines"]]
    lead = [line.number for line in ctx["lines"] if line.lead_id == ctx["worker"].id]
    written = next((n for n in lines if n not in lead), lead[0])
    i = lines.index(written)
    expected = []
    for k, number in enumerate(lines):
        if number == written:
            expected += [
                f"lines-{k}-strengths-0-evidence",
                f"Line {number}, strength 1: select the evidence it rests on",
            ]
        elif number in lead:
            expected += [
                f"lines-{k}-strengths-0-text",
                f"Enter at least one finding for line {number}, which you lead on",
            ]
    assert len(expected) >= 4  # a line they lead on is among those left empty
    return _page(ctx, {f"lines-{i}-strengths-0-text": "A strength that cites nothing"}), expected


def _moderation_fields(ctx: dict) -> tuple[list[tuple[str, str]], list[str]]:
    refs = [f.ref for f in ctx["findings"]]
    lines = [line.number for line in ctx["lines"]]
    changed = {"findings-0-decision": "needs_revision", "self_evaluation-0-alignment": "aligned"}
    changed |= {f"findings-{k}-decision": "supported" for k in range(2, len(refs))}
    changed |= {f"self_evaluation-{k}-alignment": "aligned" for k in range(2, len(lines))}
    changed |= {f"self_evaluation-{k}-comment": "Matched" for k in range(2, len(lines))}
    return _page(ctx, changed), [
        "findings-0-reason",
        f"Finding {refs[0]}: enter why it needs revision",
        "findings-1-decision",
        f"Finding {refs[1]}: select whether it is supported by the evidence",
        "self_evaluation-0-comment",
        f"Line {lines[0]}: enter your comment",
        "self_evaluation-1-alignment",
        f"Line {lines[1]}: select how well it matched the evidence",
        "self_evaluation-1-comment",
        f"Line {lines[1]}: enter your comment",
    ]


def _revision_fields(ctx: dict) -> tuple[list[tuple[str, str]], list[str]]:
    ref = ctx["findings"][0].ref  # the first finding sent back
    return [("findings-0-finding", ref), ("findings-0-text", "x" * 4001)], [
        "findings-0-text",
        f"Finding {ref}: the finding must be 4,000 characters or fewer",
        "findings-0-evidence",
        f"Finding {ref}: select the evidence it rests on",
    ]


#: kind: (the fields sent, or a function of the task's context giving them and what is expected), then the
#: field ids and messages expected, in the page's order.
BAD = {
    "respond_to_assignment": (
        [("response", "decline"), ("reason", "")],
        ["reason", "Enter why you decline, so the coordinator can plan around it"],
    ),
    "propose_lines": (
        [
            ("lines-0-title", "How well do leaders use data?"),
            ("lines-0-self_evaluation", ""),
            ("lines-1-title", ""),
            ("lines-1-self_evaluation", ""),
        ],
        [
            "lines-0-self_evaluation",
            "Line of enquiry 1: enter your self-evaluation",
            "lines-1-title",
            "Enter at least 2 lines of enquiry",
        ],
    ),
    "agree_lines": (
        [("decision", "changes_requested"), ("comments", "")],
        ["comments", "Enter what the host should change"],
    ),
    "submit_evidence": (
        [
            ("items-0-title", "Board minutes"),
            ("items-0-type", ""),
            ("items-0-location", "x" * 301),
            ("items-0-personal_data", ""),
            ("items-1-title", "Survey results\nof staff"),
            ("items-1-type", "survey"),
            ("items-1-location", "SharePoint"),
            ("items-1-lines", "1"),
            ("items-1-personal_data", "false"),
        ],
        [
            "items-0-type",
            "Evidence item E1: enter the type of evidence",
            "items-0-location",
            "Evidence item E1: where it is kept must be 300 characters or fewer",
            "items-0-lines",
            "Evidence item E1: select the lines of enquiry it is evidence for",
            "items-0-personal_data",
            "Evidence item E1: select whether it identifies pupils or staff",
            "items-1-title",
            "Evidence item E2: the title must be one line: remove a line break at character 15",
        ],
    ),
    "record_findings": (_findings_fields, None),
    "moderate": (_moderation_fields, None),
    "revise_findings": (_revision_fields, None),
    "check_report": (
        [("accurate", "false"), ("corrections-0", ""), ("corrections-1", "")],
        [
            "corrections-0",
            "Enter at least one correction, as the draft is not accurate",
            "share_good_practice",
            "Select whether we may share this good practice",
        ],
    ),
    "issue_report": (
        [("statement", ""), ("next_steps-0", ""), ("next_steps-1", "x" * 4001)],
        [
            "statement",
            "Enter your statement",
            "next_steps-1",
            "Next step 2 must be 4,000 characters or fewer",
        ],
    ),
    "give_feedback": (
        [("helped_us_improve", "9"), ("comments", "x" * 4001)],
        [
            "helped_us_improve",
            "Select how far you agree that the review will help you improve",
            "fair_and_accurate",
            "Select how far you agree that the review gave a fair and accurate account",
            "would_take_part_again",
            "Select yes if you would take part in a review like this again",
            "comments",
            "Your comments must be 4,000 characters or fewer",
        ],
    ),
}


def _refused_at_once(browser, task_id: int, fields: list[tuple[str, str]], expected: list[str]) -> None:
    """The form sent with several problems: a 400 showing exactly the expected ones, in order; nothing written."""
    before = row_counts()
    refused = send_answer(browser, task_id, fields)
    assert refused.status_code == 400, refused.text[:500]
    shown = shown_errors(refused.text)
    assert list(shown.items()) == list(zip(expected[::2], expected[1::2])), shown
    assert row_counts() == before


def test_every_task_form_shows_every_problem_at_once_beside_its_field(planned):
    browsers: dict = {}
    tried = set()
    for _ in range(40):
        tasks = _open()
        if not tasks:
            break
        task = tasks[0]
        browser = browsers.get(task.assignee_email) or browsers.setdefault(
            task.assignee_email, sign_in(task.assignee_email)
        )
        ctx = _context(task.id)
        if task.kind in BAD and task.kind not in tried:
            fields, expected = BAD[task.kind]
            if callable(fields):
                fields, expected = fields(ctx)
            _refused_at_once(browser, task.id, fields, expected)
            tried.add(task.kind)
        assert send_answer(browser, task.id, flatten(answer(ctx))).status_code == 303
    assert tried == set(BAD)


def test_choosing_a_replacement_shows_every_problem_at_once(planned):
    choose = nobody_left_from_don_river()
    coordinator = sign_in(choose.assignee_email)
    _refused_at_once(
        coordinator,
        choose.id,
        [("choice", "existing"), ("reason", "")],
        [
            "person",
            "Select who should take the place, or choose another way to fill it",
            "reason",
            "Enter why you made this choice",
        ],
    )
    _refused_at_once(
        coordinator,
        choose.id,
        [("choice", "new"), ("new_person-name", ""), ("new_person-email", "jo@"), ("reason", "x" * 4001)],
        [
            "new_person-name",
            "Enter their full name",
            "new_person-email",
            "Enter an email address in the correct format, like name@example.org",
            "reason",
            "Your reason must be 4,000 characters or fewer",
        ],
    )


def _until(review_id: int, kind: str) -> queries.TaskRow:
    """The review moved on by its simulated people, soonest due first, until a task of this kind is open
    (None: until nothing is)."""
    workflow.advance_review(db.session_scope, review_id)
    for _ in range(80):
        tasks = _open(review_id)
        found = [t for t in tasks if t.kind == kind]
        if found or not tasks:
            return found[0] if found else None
        do(tasks[0])
    raise AssertionError(f"review {review_id} never reached {kind}")


def test_recording_progress_shows_every_problem_at_once(planned):
    from peer_review.store.tables import Review

    _until(1, "")  # Steel Valley's first review run to its end: its areas for development are actions
    with db.session_scope() as session:
        first = session.get(Review, 1)
        hosted = session.exec(
            select(Review).where(Review.host_trust_id == first.host_trust_id).order_by(Review.visit_start)
        ).all()
        second = hosted[1].id
    task = _until(second, "record_progress")
    ctx = _context(task.id)
    refs = [a.ref for a in ctx["actions"]]
    assert len(refs) >= 2
    fields = [(f"actions-{k}-action", ref) for k, ref in enumerate(refs)]
    fields += [("actions-0-status", "done"), ("actions-0-evidence", "")]
    fields += [(f"actions-{k}-status", "not_started") for k in range(2, len(refs))]
    _refused_at_once(
        sign_in(CEO),
        task.id,
        fields,
        [
            "actions-0-evidence",
            f"Action {refs[0]}: enter what shows it is done",
            "actions-1-status",
            f"Action {refs[1]}: select how far it has got",
        ],
    )


@pytest.mark.parametrize(
    ("model", "data", "context", "expected"),
    [
        (
            inp.ChooseReplacement,
            {"choice": "existing", "reason": ""},
            {},
            {
                ("person",): "Select who should take the place, or choose another way to fill it",
                ("reason",): "String should have at least 1 character",
            },
        ),
        (
            inp.AgreeLines,
            {"decision": "changes_requested", "comments": "", "grade": "good"},
            {},
            {("comments",): "Enter what the host should change", ("grade",): "Extra inputs are not permitted"},
        ),
        (
            inp.ProposeLines,
            {"lines": [{"title": "One line only"}]},
            {},
            {("lines", 0, "self_evaluation"): "Field required", ("lines",): "List should have at least 2 items"},
        ),
        (
            inp.RecordFindings,
            {"lines": [{"line": 1, "strengths": [{"text": "No evidence"}]}, {"line": 1}]},
            {"lines": [1, 2], "evidence": ["E1"], "lead_lines": [1]},
            {
                ("lines", 0, "strengths", 0, "evidence"): "Field required",
                ("lines", 1): "Enter at least one strength, area for development or good practice",
                ("lines",): "Line 1 appears more than once: put each line's findings under one entry",
            },
        ),
        (
            inp.Moderate,
            {"findings": [{"finding": "F1", "decision": "needs_revision"}, {"finding": "F2"}]},
            {"findings": ["F1", "F2", "F3"]},
            {
                ("findings", 0, "reason"): "Enter why it needs revision",
                ("findings", 1, "decision"): "Field required",
                ("findings",): "Finding F3 is missing: you are asked to decide on findings F1, F2 and F3",
            },
        ),
        (
            inp.CheckReport,
            {"accurate": "no", "corrections": []},
            {},
            {
                ("corrections",): "Enter at least one correction, as the draft is not accurate",
                ("share_good_practice",): "Field required",
            },
        ),
        (
            inp.RecordProgress,
            {"actions": [{"action": "A1", "status": "under_way", "evidence": " "}, {"action": "A9", "status": "x"}]},
            {"actions": ["A1", "A2"]},
            {
                ("actions", 0, "evidence"): "Enter what shows it is under way",
                ("actions", 1, "status"): "Input should be 'not_started', 'under_way' or 'done'",
                ("actions",): "Action A9 is not one you are asked to record progress on: you are asked to record "
                "progress on actions A1 and A2",
            },
        ),
    ],
)
def test_an_answers_rules_are_checked_with_its_fields_for_the_command_line_too(model, data, context, expected):
    """`peer-review submit` reads the same problems: all of them at once, each at its key path."""
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data, context=context)
    found = {tuple(e["loc"]): e["msg"].removeprefix("Value error, ") for e in refused.value.errors()}
    assert set(found) == set(expected), found
    for loc, text in expected.items():
        assert found[loc].startswith(text), (loc, found[loc])


# --- the other forms -------------------------------------------------------------------------------------------


def _refused(response, expected: dict[str, str], status: int = 400) -> None:
    assert response.status_code == status, response.text[:500]
    assert shown_errors(response.text) == expected


def test_moving_a_visit_and_giving_more_time_say_each_problem_beside_its_field(planned):
    from peer_review.store.tables import Review, Task

    with db.session_scope() as session:
        start = session.get(Review, 1).visit_start
        task_id = session.exec(select(Task.id).where(Task.status == "open")).first()
    ceo, coordinator = sign_in(CEO), sign_in(COORDINATOR)
    before = row_counts()
    _refused(
        post_form(ceo, "/reviews/1/move", {"visit-day": "8", "visit-month": "1", "visit-year": "", "reason": ""}),
        {"visit": "The first day of the visit must include a year", "reason": "Enter why the visit should move"},
    )
    same = {"visit-day": str(start.day), "visit-month": str(start.month), "visit-year": str(start.year)}
    _refused(
        post_form(ceo, "/reviews/1/move", same | {"reason": "Our board meets"}),
        {"visit": f"The visit already starts on {start.day} {start:%B %Y}"},
    )
    blocked = post_form(
        ceo, "/reviews/1/move", {"visit-day": "23", "visit-month": "12", "visit-year": "2023", "reason": "x"}
    )
    assert shown_errors(blocked.text)["visit"].startswith("The School improvement visit to Steel Valley Academy Trust")
    _refused(
        post_form(coordinator, f"/tasks/{task_id}/extend", {"due-month": "2", "reason": ""}),
        {"due": "The new due date must include a day and a year", "reason": "Enter why the task needs more time"},
    )
    assert row_counts() == before


def test_a_survey_says_each_problem_beside_its_question(planned):
    from peer_review.domain.surveys import SurveyRound
    from peer_review.service import surveys
    from peer_review.store.people import get_partnership

    owen = "owen.fletcher@donriver.example.org"
    with db.session_scope() as session:
        surveys.open_round(session, get_partnership(session, None), SurveyRound.BASELINE)
    with db.session_scope() as session:
        [mine] = surveys.open_invitations(session, [owen])
        path, questionnaire = f"/surveys/{mine.invitation.id}", mine.questionnaire
    statements, question = list(questionnaire.statements), questionnaire.open_questions[0]
    browser = sign_in(owen)
    before = row_counts()
    sent = [(f"statements.{sid}", "6" if i == 1 else "") for i, sid in enumerate(statements)]
    _refused(
        post_form(browser, path, sent + [(f"open_questions.{question.id}", "x" * 4001)]),
        {
            f"statements.{statements[1]}": f"Select how far you agree with “{questionnaire.statements[statements[1]].text}”, "
            "or leave it blank",
            f"open_questions.{question.id}": f"Your answer to “{question.text}” must be 4,000 characters or fewer",
        },
    )
    _refused(
        post_form(browser, path, sent[:1] + [(f"open_questions.{question.id}", "ab\x01c")]),
        {"answers": "The answers sent do not match this survey’s questions: reload the page and answer again"},
    )
    assert row_counts() == before


def test_signing_in_setting_up_and_the_roster_say_each_problem_beside_its_field(database_url):
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    coordinator = sign_in(COORDINATOR)
    before = row_counts()
    anyone = new_client()
    token = csrf_of(anyone.get("/sign-in").text)
    _refused(anyone.post("/sign-in", data={"csrf_token": token, "email": ""}), {"email": "Enter your email address"})
    form = "/partnerships/new/form"
    basics = {"name": "", "framework": "", "start-day": "4", "months": "30", "visit_days": "3", "peers_per_trust": "9"}
    _refused(
        post_form(coordinator, form, basics),
        {
            "name": "Enter the partnership's name",
            "framework": "Select a framework",
            "start": "The date the cycle starts must include a month and a year",
            "months": "Enter a number of months from 1 to 24",
            "peers_per_trust": "Select how many peer reviewers each other trust sends",
        },
    )
    basics |= {"name": "Loxley valley triad", "framework": "learn-sheffield-trust-review", "months": "12"}
    draft = post_form(coordinator, form, basics | {"start-month": "1", "start-year": "2027", "peers_per_trust": "2"})
    assert draft.status_code == 200, draft.text
    carried = unescape(re.search(r'name="draft" value="([^"]*)"', draft.text).group(1))
    _refused(
        coordinator.post(f"{form}/create", data={"csrf_token": csrf_of(draft.text), "draft": carried}),
        {
            "trusts": "Add at least two trusts: the trusts in a partnership review each other",
            "moderators": "Add a moderator: every review has an external moderator",
        },
    )
    roster = "/partnerships/1/roster/change"
    _refused(
        post_form(coordinator, roster, {"action": "add_trust", "trust_name": "New Trust", "ceo_email": "x@"}),
        {
            "ceo_name": "Enter the CEO's full name",
            "ceo_email": "Enter an email address in the correct format, like name@example.org",
            "reviewer_name": "Enter the full name of someone from the trust who reviews",
            "reviewer_email": "Enter the reviewer's email address",
            "reviewer_role": "Enter the reviewer's job title",
        },
    )
    _refused(
        post_form(coordinator, roster, {"action": "remove_trust", "trust": "nowhere"}),
        {"roster": "Select a trust of this partnership"},
    )
    assert row_counts() == before


def test_a_strand_order_says_which_place_each_problem_is_in(database_url):
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading
    from peer_review.store.tables import Trust

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        trust = session.exec(select(Trust).where(Trust.key == "steel-valley")).one()
        trust_id, first = trust.id, trust.strand_order[0]
    ceo = sign_in(CEO)
    before = row_counts()
    token = csrf_of(ceo.get(f"/trusts/{trust_id}/scheduling").text)
    sent = {"csrf_token": token} | {f"order-{i}": first for i in range(4)}
    shown = shown_errors(ceo.post(f"/trusts/{trust_id}/scheduling/order", data=sent).text)
    assert list(shown) == ["order-1", "order-2", "order-3"]
    assert [m.split(":")[0] for m in shown.values()] == [
        f"Select another strand to be reviewed {place}" for place in ("second", "third", "fourth")
    ]
    assert row_counts() == before


def test_every_field_of_every_task_form_has_its_words():
    """A field added to an answer is worded for its form too: each value in `FIELDS`, each list shown one entry
    at a time in `LISTS` (a key that says which entry a row is, hidden on the page, needs none)."""
    from typing import get_args, get_origin

    from peer_review.entrypoints.web import forms

    def walk(model: type[BaseModel]) -> set[str]:
        found = set()
        for key, info in model.model_fields.items():
            annotation = forms._without_none(info.annotation)
            inner = get_args(annotation)[0] if get_origin(annotation) is list else None
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                assert f"{model.__name__}.{key}" in forms.LISTS, f"{model.__name__}.{key}"
                found |= walk(inner)
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found |= walk(annotation)
            elif key not in forms.NAMING and f"{model.__name__}.{key}" not in forms.LISTS:
                found.add(f"{model.__name__}.{key}")
        return found

    needed = set().union(*(walk(kind.model) for kind in KINDS.values()))
    assert needed - set(forms.FIELDS) == set()
    assert set(forms.FIELDS) - needed == set()  # no words for a field that is gone


def test_a_comment_says_each_problem_beside_its_field(planned):
    """Posting, editing and hiding a comment, and choosing how comments reach you (service/discussion.py)."""
    ceo, coordinator = sign_in(CEO), sign_in(COORDINATOR)
    token = csrf_of(coordinator.get("/reviews/1/comments/new").text)
    before = row_counts()
    _refused(
        coordinator.post("/reviews/1/comments", data={"csrf_token": token, "line": "", "text": ""}),
        {"visibility": "Select who can read the comment", "text": "Enter a comment"},
    )
    _refused(
        coordinator.post(
            "/reviews/1/comments", data={"csrf_token": token, "visibility": "team_only", "text": "x" * 5001}
        ),
        {"text": "Comment must be 5,000 characters or fewer"},
    )
    _refused(  # a posted form loses control characters (web/pages.py): a comment of only those is empty
        coordinator.post("/reviews/1/comments", data={"csrf_token": token, "visibility": "all", "text": "\x07"}),
        {"visibility": "Select who can read the comment", "text": "Enter a comment"},
    )
    assert row_counts() == before
    mine = csrf_of(ceo.get("/reviews/1/comments/new").text)
    posted = ceo.post("/reviews/1/comments", data={"csrf_token": mine, "visibility": "team_and_host", "text": "Ours"})
    assert posted.status_code == 303
    comment = int(posted.headers["location"].rsplit("-", 1)[1])
    before = row_counts()
    _refused(ceo.post(f"/comments/{comment}/edit", data={"csrf_token": mine, "text": " "}), {"text": "Enter a comment"})
    _refused(
        coordinator.post(f"/comments/{comment}/hide", data={"csrf_token": token, "reason": ""}),
        {"reason": "Enter why the comment is hidden"},
    )
    _refused(
        coordinator.post(f"/comments/{comment}/hide", data={"csrf_token": token, "reason": "r" * 1001}),
        {"reason": "The reason must be 1,000 characters or fewer"},
    )
    _refused(
        ceo.post("/email-settings", data={"csrf_token": mine, "how": ""}),
        {"how": "Select how new comments should reach you"},
    )
    assert row_counts() == before
