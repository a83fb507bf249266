"""Every kind of task answered through its web form, over HTTP: a whole review by the people it
belongs to; bad answers refused with an error summary and nothing written; drafts; "add another";
and a form answer storing exactly what the same answer as YAML stores."""

from __future__ import annotations

import re

import pytest
import yaml
from sqlmodel import delete, select

from peer_review.demo.simulation import answer
from peer_review.domain.model import TaskKind
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, queries, workflow
from peer_review.service.kinds import KINDS
from peer_review.store import db
from peer_review.store.tables import (
    EvidenceItem,
    Finding,
    LineOfEnquiry,
    ModerationDecision,
    SelfEvaluationJudgement,
    Task,
    TaskDraft,
)

from helpers import EXAMPLE, csrf_of, flatten, plan_and_publish, post_form, row_counts, send_answer, sign_in

pytestmark = pytest.mark.db


def _open(review_id: int = 1) -> list[queries.TaskRow]:
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def _signed_in(browsers: dict, email: str):
    """One browser per person, signed in the first time it is needed."""
    if email not in browsers:
        browsers[email] = sign_in(email)
    return browsers[email]


def _answer(task_id: int) -> dict:
    with db.session_scope() as session:
        return answer(queries.task_context(session, task_id))


def records(review_id: int = 1) -> dict:
    """What a review's answers left in the database, without ids or times."""
    with db.session_scope() as session:

        def rows(table, *order, drop=("id",)):
            found = session.exec(select(table).where(table.review_id == review_id).order_by(*order)).all()
            return [{k: v for k, v in row.model_dump().items() if k not in drop} for row in found]

        tasks = session.exec(select(Task).where(Task.review_id == review_id).order_by(Task.id)).all()
        return {
            "tasks": [(t.kind, t.round, t.status, t.outcome, t.input) for t in tasks],
            "lines": rows(LineOfEnquiry, LineOfEnquiry.round, LineOfEnquiry.number, drop=("id", "lead_id")),
            "evidence": rows(EvidenceItem, EvidenceItem.ref),
            "findings": rows(Finding, Finding.ref, drop=("id", "author_id")),
            "judgements": rows(SelfEvaluationJudgement, SelfEvaluationJudgement.line_number),
            "decisions": rows(
                ModerationDecision,
                ModerationDecision.round,
                ModerationDecision.finding_id,
                drop=("id", "round_id", "finding_id"),
            ),
        }


def test_a_whole_review_through_the_forms_stores_what_yaml_answers_store(planned, tmp_path):
    browsers: dict[str, object] = {}
    kinds_done = set()
    for _ in range(40):
        tasks = _open()
        if not tasks:
            break
        task = tasks[0]
        browser = _signed_in(browsers, task.assignee_email)
        page = browser.get(f"/tasks/{task.id}")
        assert page.status_code == 200 and KINDS[TaskKind(task.kind)].rule.title in page.text
        done = send_answer(browser, task.id, flatten(_answer(task.id)))
        assert done.status_code == 303, re.findall(r'<li><a href="#[^"]*">([^<]*)', done.text)
        assert "Task done" in browser.get(f"/tasks/{task.id}").text
        kinds_done.add(task.kind)
    with db.session_scope() as session:
        assert session.exec(select(Task.id).where(Task.review_id == 1, Task.status == "open")).first() is None
    assert kinds_done == {k.value for k in TaskKind} - {
        "choose_replacement",
        "record_progress",
    }  # progress: tests/test_follow_up.py
    through_the_web = records()

    db.configure(f"sqlite:///{tmp_path / 'yaml.db'}")
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)
    workflow.advance_review(db.session_scope, 1)
    for _ in range(40):
        tasks = _open()
        if not tasks:
            break
        as_yaml = yaml.safe_load(yaml.safe_dump(_answer(tasks[0].id), allow_unicode=True))
        with db.session_scope() as session:
            workflow.submit(session, tasks[0].id, as_yaml, tasks[0].assignee_email)
        workflow.advance_review(db.session_scope, 1)
    assert records() == through_the_web


BAD = {
    # kind: (fields posted, a field id the error summary must link to)
    "respond_to_assignment": ([("response", "decline"), ("reason", "")], "reason"),
    "propose_lines": (
        [
            ("lines-0-title", "Only one line <b>kept</b>"),
            ("lines-0-self_evaluation", "x"),
            ("lines-1-title", ""),
            ("lines-1-self_evaluation", ""),
        ],
        "lines-1-title",  # "Enter at least 2 lines of enquiry", beside the line left blank
    ),
    "agree_lines": ([("comments", "")], "decision"),
    "submit_evidence": (
        [
            ("items-0-title", "Minutes & notes"),
            ("items-0-type", ""),
            ("items-0-location", "SharePoint"),
            ("items-0-personal_data", "false"),
        ],
        "items-0-type",
    ),
    "record_findings": (
        [("lines-0-line", "1"), ("lines-0-strengths-0-text", "A strength without evidence")],
        "lines-0-strengths-0-evidence",
    ),
    "moderate": (
        [("findings-0-finding", "F1"), ("findings-0-decision", "needs_revision"), ("findings-0-reason", "")],
        "findings-0-reason",
    ),
    "revise_findings": (
        [("findings-0-finding", "F1"), ("findings-0-text", ""), ("findings-0-evidence", "E1")],
        "findings-0-text",
    ),
    "check_report": ([("accurate", "false"), ("corrections-0", ""), ("share_good_practice", "true")], "corrections-0"),
    "issue_report": ([("statement", ""), ("next_steps-0", "Share the plan")], "statement"),
    "give_feedback": (
        [("helped_us_improve", "9"), ("fair_and_accurate", "4"), ("comments", "x" * 4001)],
        "helped_us_improve",
    ),
}


def test_bad_answers_show_an_error_summary_keep_the_answers_and_write_nothing(planned):
    browsers: dict[str, object] = {}
    tried = set()
    for _ in range(40):
        tasks = _open()
        if not tasks:
            break
        task = tasks[0]
        browser = _signed_in(browsers, task.assignee_email)
        if task.kind in BAD and task.kind not in tried:
            fields, anchor = BAD[task.kind]
            before = row_counts()
            refused = send_answer(browser, task.id, fields)
            assert refused.status_code == 400, task.kind
            assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in refused.text
            links = re.findall(r'<li><a href="#([^"]*)">', refused.text)
            assert anchor in links, (task.kind, links)
            for link in links:  # every error links to something on the page
                assert f'id="{link}"' in refused.text, (task.kind, link)
            assert "<title>Error: " in refused.text
            for _name, value in fields:  # what they typed is still there (escaped)
                if (
                    len(value) > 2
                    and not value.isdigit()
                    and value not in ("true", "false", "decline", "needs_revision", "F1")
                ):
                    assert value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in refused.text, (
                        task.kind,
                        value,
                    )
            assert row_counts() == before, task.kind
            tried.add(task.kind)
        assert send_answer(browser, task.id, flatten(_answer(task.id))).status_code == 303
    assert tried == set(BAD)


def test_add_another_and_drafts_write_only_the_draft(planned):
    for _ in range(20):  # on to the host's evidence
        tasks = _open()
        task = tasks[0]
        if task.kind == "submit_evidence":
            break
        browser = sign_in(task.assignee_email)
        assert send_answer(browser, task.id, flatten(_answer(task.id))).status_code == 303
    host = sign_in(task.assignee_email)
    before = row_counts()
    fields = [
        ("items-0-title", "Board minutes"),
        ("items-0-type", "minutes"),
        ("items-0-location", "SharePoint"),
        ("items-0-lines", "1"),
    ]
    added = post_form(host, f"/tasks/{task.id}", fields + [("action", "add:items")])
    assert added.status_code == 200
    assert 'id="items-1-title"' in added.text and 'value="Board minutes"' in added.text
    removed = post_form(host, f"/tasks/{task.id}", fields + [("items-1-title", "spare"), ("action", "remove:items-1")])
    assert 'id="items-1-title"' not in removed.text and 'value="Board minutes"' in removed.text
    unanswered = post_form(host, f"/tasks/{task.id}", fields + [("items-0-personal_data", ""), ("action", "submit")])
    assert unanswered.status_code == 400  # personal data is never assumed absent: the host must say
    assert (
        '<a href="#items-0-personal_data">Evidence item E1: select whether it identifies pupils or staff</a>'
        in unanswered.text
    )
    assert row_counts() == before
    for odd in (
        "items-²-title",
        "items-٣-title",
        "items--1-title",
        "items-0-",
    ):  # digits int() refuses, or no index at all
        for action in (
            [("items-0-personal_data", ""), ("action", "submit")],
            [("action", "save")],
            [("action", "add:items")],
        ):
            assert post_form(host, f"/tasks/{task.id}", fields + [(odd, "x"), *action]).status_code in (
                200,
                303,
                400,
            ), (odd, action)
    with db.session_scope() as session:
        session.exec(delete(TaskDraft))
    assert row_counts() == before
    saved = post_form(host, f"/tasks/{task.id}", fields + [("action", "save")])
    assert saved.status_code == 303 and saved.headers["location"] == f"/tasks/{task.id}?saved=1"
    after = row_counts()
    assert after["taskdraft"] == before["taskdraft"] + 1
    assert {k: v for k, v in after.items() if k != "taskdraft"} == {k: v for k, v in before.items() if k != "taskdraft"}
    page = host.get(f"/tasks/{task.id}?saved=1")
    assert "Your draft is saved" in page.text and 'value="Board minutes"' in page.text
    assert 'name="items-0-lines" type="checkbox" value="1" checked' in page.text
    assert send_answer(host, task.id, flatten(_answer(task.id))).status_code == 303
    with db.session_scope() as session:
        assert session.exec(select(TaskDraft)).first() is None  # submitted: the draft is gone


def test_a_done_task_cannot_be_answered_again(planned):
    task = _open()[0]
    browser = sign_in(task.assignee_email)
    page = browser.get(f"/tasks/{task.id}")
    token = csrf_of(page.text)
    assert (
        browser.post(
            f"/tasks/{task.id}", data={"csrf_token": token, "response": "accept", "action": "submit"}
        ).status_code
        == 303
    )
    before = row_counts()
    again = browser.post(
        f"/tasks/{task.id}",
        data={"csrf_token": token, "response": "decline", "reason": "changed my mind", "action": "submit"},
    )
    assert again.status_code == 409 and "Task done" in again.text
    assert row_counts() == before
