"""One person's answer is their own (issue 21, items 4 and 5).

- A "give feedback" task is answered only by the person asked: the coordinator, who may act on someone's
  behalf for every other kind of task (recorded as such), can neither give it on the web nor with
  `peer-review submit --as`; survey answers are as personal.
- Drafts are kept per person: the coordinator saving a draft of the host's task keeps the host's draft,
  each sees their own and is told about the other's; submitting the task deletes them all.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from sqlmodel import select

from peer_review import clock
from peer_review.demo.simulation import answer
from peer_review.errors import Refused
from peer_review.service import queries, workflow
from peer_review.store import db
from peer_review.store.tables import (
    AuditEntry,
    FeedbackResponse,
    OutboxMessage,
    Person,
    SurveyAnswer,
    Task,
    TaskDraft,
)

from helpers import do, flatten, open_tasks, post_form, row_counts, run_cli, send_answer, sign_in

pytestmark = pytest.mark.db

COORDINATOR = "ruth.ashby@coordinator.example.org"
HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1
FEEDBACK_FORM = [
    ("helped_us_improve", "1"),
    ("fair_and_accurate", "1"),
    ("would_take_part_again", "false"),
    ("comments", "Not my view"),
]
FEEDBACK_YAML = {
    "helped_us_improve": 1,
    "fair_and_accurate": 1,
    "would_take_part_again": False,
    "comments": "Not my view",
}


def _until(kind: str) -> list[queries.TaskRow]:
    """Review 1 answered by its own people (through the service layer) until a task of this kind is open."""
    for _ in range(40):
        tasks = open_tasks()
        match = [t for t in tasks if t.kind == kind]
        if match:
            return match
        do(tasks[0])
    raise AssertionError(f"no {kind} task appeared")


def _peers_feedback() -> queries.TaskRow:
    """An open feedback task of someone other than the coordinator (a member of the review team)."""
    return next(t for t in _until("give_feedback") if t.assignee_email not in (COORDINATOR, HOST))


def _completed_audit(task_id: int) -> AuditEntry:
    with db.session_scope() as session:
        return next(
            e
            for e in session.exec(select(AuditEntry).where(AuditEntry.action == "task_completed"))
            if e.detail.get("task") == task_id
        )


def _cli_env() -> dict:
    return {"PEER_REVIEW_DATABASE_URL": db.database_url()}


# --- feedback is the person's own --------------------------------------------------------------------


def test_the_coordinator_cannot_give_a_peers_feedback_on_the_web(planned):
    task = _peers_feedback()
    coordinator = sign_in(COORDINATOR)
    shown = coordinator.get(f"/tasks/{task.id}")
    assert shown.status_code == 200
    assert f"Only {task.assignee} can give their own feedback" in shown.text
    assert (
        f'action="/tasks/{task.id}"' not in shown.text and 'name="helped_us_improve"' not in shown.text
    )  # no form they cannot send
    assert "on their behalf)" not in shown.text

    before = row_counts()
    refused = send_answer(coordinator, task.id, FEEDBACK_FORM)
    assert refused.status_code == 403, refused.text
    assert f"Only {task.assignee} can give their own feedback" in refused.text
    assert '<h1 class="govuk-heading-l">' in refused.text and "Traceback" not in refused.text
    assert row_counts() == before  # nothing stored: no feedback, no audit entry, the task still open
    with db.session_scope() as session:
        assert session.get(Task, task.id).status == "open"

    peer = sign_in(task.assignee_email)  # the person asked still gives it
    assert 'name="helped_us_improve"' in peer.get(f"/tasks/{task.id}").text
    assert send_answer(peer, task.id, FEEDBACK_FORM).status_code == 303
    with db.session_scope() as session:
        [given] = session.exec(select(FeedbackResponse).where(FeedbackResponse.review_id == 1)).all()
        assert session.get(Person, given.person_id).email == task.assignee_email
    assert _completed_audit(task.id).detail["on_behalf_of"] is None


def test_an_overdue_feedback_escalation_offers_the_coordinator_more_time_not_doing_it_for_them(planned):
    from peer_review.service import reminders

    def escalated(task_id: int) -> OutboxMessage:
        with db.session_scope() as session:
            task = session.get(Task, task_id)
            task.due = clock.today() - dt.timedelta(days=60)  # long overdue: every reminder had
            session.add(task)
        reminders.sweep(db.session_scope)
        with db.session_scope() as session:
            return session.exec(
                select(OutboxMessage).where(OutboxMessage.event == "escalation", OutboxMessage.task_id == task_id)
            ).one()

    other = open_tasks()[0]  # a place on the team to accept, which the coordinator may do for them
    assert "You can complete it on their behalf" in escalated(other.id).text
    feedback = _peers_feedback()
    message = escalated(feedback.id)
    for body in (message.text, message.html):
        assert f"Only {feedback.assignee} can give their own feedback" in body and "on their behalf" not in body
        assert f"peer-review submit {feedback.id}" not in body and f"extend {feedback.id}" in body


def test_feedback_is_never_handed_to_someone_else(planned):
    """A roster change passes open work on (a new CEO or coordinator, someone taking a place, the coordinator
    holding a leaver's work); feedback is cancelled instead, so nobody gives another's."""
    from peer_review.service.steps import hand_over
    from peer_review.store.people import coordinator_of

    feedback = _peers_feedback()
    hosts = next(t for t in open_tasks() if t.kind == "give_feedback" and t.assignee_email == HOST)
    with db.session_scope() as session:
        coordinator = coordinator_of(session, 1)
        assert (
            hand_over(
                session,
                session.get(Task, feedback.id),
                coordinator,
                "has left",
                for_=session.get(Person, session.get(Task, feedback.id).assignee_id),
            )
            is None
        )
        assert hand_over(session, session.get(Task, hosts.id), coordinator, "is now the coordinator") is None
    with db.session_scope() as session:
        assert {session.get(Task, t).status for t in (feedback.id, hosts.id)} == {"cancelled"}
        assert (
            session.exec(select(Task).where(Task.kind == "give_feedback", Task.assignee_id == coordinator.id)).all()
            == []
        )


def test_the_coordinator_cannot_give_a_peers_feedback_on_the_command_line(planned, tmp_path):
    task = _peers_feedback()
    file = tmp_path / "answer.yaml"
    file.write_text(yaml.safe_dump(FEEDBACK_YAML))
    before = row_counts()
    refused = run_cli("submit", task.id, file, "--as", COORDINATOR, env=_cli_env())
    assert refused.returncode != 0
    assert f"Only {task.assignee} can give their own feedback" in " ".join(refused.stderr.split()), refused.stderr
    assert "Traceback" not in refused.stderr
    assert row_counts() == before
    with pytest.raises(
        Refused, match=f"Only {task.assignee} can give their own feedback"
    ):  # the service refuses it too
        with db.session_scope() as session:
            workflow.submit(session, task.id, FEEDBACK_YAML, COORDINATOR)
    assert row_counts() == before

    done = run_cli("submit", task.id, file, "--as", task.assignee_email, env=_cli_env())
    assert done.returncode == 0, done.stderr
    with db.session_scope() as session:
        [given] = session.exec(select(FeedbackResponse).where(FeedbackResponse.review_id == 1)).all()
        assert session.get(Person, given.person_id).email == task.assignee_email


def test_the_coordinator_still_acts_on_someones_behalf_for_other_kinds(planned, tmp_path):
    [evidence] = _until("submit_evidence")
    assert evidence.assignee_email == HOST
    coordinator = sign_in(COORDINATOR)
    shown = coordinator.get(f"/tasks/{evidence.id}").text
    assert "(you answer as the coordinator, on their behalf)" in shown and f'action="/tasks/{evidence.id}"' in shown
    done = send_answer(coordinator, evidence.id, flatten(answer(_context(evidence.id))))
    assert done.status_code == 303, done.text
    entry = _completed_audit(evidence.id)
    assert entry.actor == COORDINATOR and entry.detail["on_behalf_of"] == HOST

    workflow.advance_review(db.session_scope, 1)
    findings = next(t for t in _until("record_findings") if t.assignee_email != COORDINATOR)
    file = tmp_path / "findings.yaml"
    file.write_text(yaml.safe_dump(answer(_context(findings.id)), allow_unicode=True))
    on_behalf = run_cli("submit", findings.id, file, "--as", COORDINATOR, env=_cli_env())
    assert on_behalf.returncode == 0, on_behalf.stderr
    entry = _completed_audit(findings.id)
    assert entry.actor == COORDINATOR and entry.detail["on_behalf_of"] == findings.assignee_email


def test_survey_answers_are_only_the_person_asked_on_the_web_and_the_command_line(planned, tmp_path):
    from peer_review.domain.surveys import SurveyRound
    from peer_review.service import surveys
    from peer_review.store.people import get_partnership
    from peer_review.store.tables import SurveyInvitation

    with db.session_scope() as session:
        surveys.open_round(session, get_partnership(session, None), SurveyRound.BASELINE)
    with db.session_scope() as session:
        invitation = session.exec(
            select(SurveyInvitation).join(Person, Person.id == SurveyInvitation.person_id).where(Person.email == HOST)
        ).one()
    coordinator = sign_in(COORDINATOR)
    assert coordinator.get(f"/surveys/{invitation.id}").status_code == 403
    refused = post_form(coordinator, f"/surveys/{invitation.id}", [("action", "submit")])
    assert refused.status_code == 403 and "only the person asked" in refused.text
    template = run_cli("survey", "template", invitation.id, env=_cli_env())
    file = tmp_path / "survey.yaml"
    file.write_text(template.stdout)
    cli = run_cli("survey", "answer", invitation.id, file, "--as", COORDINATOR, env=_cli_env())
    assert cli.returncode != 0 and "sent to someone else" in cli.stderr
    with db.session_scope() as session:
        assert session.exec(select(SurveyAnswer)).all() == []


def _context(task_id: int) -> dict:
    with db.session_scope() as session:
        return queries.task_context(session, task_id)


# --- drafts are each person's own --------------------------------------------------------------------

HOSTS_DRAFT = [
    ("items-0-title", "Board minutes"),
    ("items-0-type", "minutes"),
    ("items-0-location", "SharePoint"),
    ("items-0-lines", "1"),
]
COORDINATORS_DRAFT = [
    ("items-0-title", "Coordinator's notes"),
    ("items-0-type", "other"),
    ("items-0-location", "Email"),
    ("items-0-lines", "2"),
]


def _drafts(task_id: int) -> dict[str, dict]:
    with db.session_scope() as session:  # people's emails only: it reads older schemas too (fewer person columns)
        return {
            email: data
            for email, data in session.exec(
                select(Person.email, TaskDraft.data)
                .join(Person, Person.id == TaskDraft.person_id)
                .where(TaskDraft.task_id == task_id)
            )
        }


def _notice(html: str) -> str:
    found = re.search(r'<div class="govuk-inset-text" id="other-drafts">(.*?)</div>', html, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_drafts_are_kept_per_person_and_each_sees_their_own(planned):
    [task] = _until("submit_evidence")
    host, coordinator = sign_in(HOST), sign_in(COORDINATOR)
    with clock.frozen_at(clock.at_london(dt.date(2025, 3, 3), 10) + dt.timedelta(minutes=4)):
        assert post_form(host, f"/tasks/{task.id}", HOSTS_DRAFT + [("action", "save")]).status_code == 303
    assert _notice(host.get(f"/tasks/{task.id}").text) == ""  # nobody else has a draft

    page = coordinator.get(f"/tasks/{task.id}").text
    assert 'value="Board minutes"' not in page  # the host's draft is theirs until they send it
    assert "Helen Marsh saved a draft of this task on 3 March 2025 at 10:04" in _notice(page)
    with clock.frozen_at(clock.at_london(dt.date(2025, 3, 4), 15)):
        assert post_form(coordinator, f"/tasks/{task.id}", COORDINATORS_DRAFT + [("action", "save")]).status_code == 303

    drafts = _drafts(task.id)
    assert set(drafts) == {HOST, COORDINATOR}  # the coordinator's save kept the host's draft
    assert (
        drafts[HOST]["items"][0]["title"] == "Board minutes"
        and drafts[COORDINATOR]["items"][0]["title"] == "Coordinator's notes"
    )

    hosts_page = host.get(f"/tasks/{task.id}").text
    assert 'value="Board minutes"' in hosts_page and "Coordinator&#39;s notes" not in hosts_page
    assert "Ruth Ashby saved a draft of this task on 4 March 2025 at 15:00; you are seeing your own" in _notice(
        hosts_page
    )
    coordinators_page = coordinator.get(f"/tasks/{task.id}?saved=1").text
    assert "Coordinator&#39;s notes" in coordinators_page and 'value="Board minutes"' not in coordinators_page
    assert "Your draft is saved" in coordinators_page
    assert "Helen Marsh saved a draft of this task on 3 March 2025 at 10:04; you are seeing your own" in _notice(
        coordinators_page
    )

    with clock.frozen_at(clock.at_london(dt.date(2025, 3, 5), 9)):  # saving again replaces only one's own
        assert (
            post_form(
                host, f"/tasks/{task.id}", [("items-0-title", "Board minutes v2"), *HOSTS_DRAFT[1:], ("action", "save")]
            ).status_code
            == 303
        )
    drafts = _drafts(task.id)
    assert (
        drafts[HOST]["items"][0]["title"] == "Board minutes v2"
        and drafts[COORDINATOR]["items"][0]["title"] == "Coordinator's notes"
    )

    assert send_answer(host, task.id, flatten(answer(_context(task.id)))).status_code == 303
    assert _drafts(task.id) == {}  # a done task's drafts are of no use to anyone: all are deleted


def test_a_task_handed_to_someone_else_takes_its_drafts_with_it(planned):
    """A draft names a person's half-written work: it goes when nobody can send it any more."""
    from peer_review.service.steps import hand_over
    from peer_review.store.people import coordinator_of

    [task] = _until("submit_evidence")
    assert post_form(sign_in(HOST), f"/tasks/{task.id}", HOSTS_DRAFT + [("action", "save")]).status_code == 303
    assert set(_drafts(task.id)) == {HOST}
    with db.session_scope() as session:
        held = hand_over(
            session,
            session.get(Task, task.id),
            coordinator_of(session, 1),
            "the host asked the coordinator to finish it",
        )
    assert _drafts(task.id) == {} and _drafts(held.id) == {}


# --- the schema: 0008 makes drafts per person and keeps those there are -----------------------------


def test_the_upgrade_to_0008_keeps_existing_drafts_and_allows_one_per_person(planned):
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    engine = db.get_engine()
    config = db.alembic_config(engine)
    command.downgrade(config, "0007")
    with db.session_scope() as session:
        task = session.exec(select(Task).order_by(Task.id)).first()
        host, coordinator = (  # their ids only: the person table had fewer columns at 0007 than Person names now
            session.exec(select(Person.id).where(Person.email == email)).one() for email in (HOST, COORDINATOR)
        )
        session.add(
            TaskDraft(
                task_id=task.id,
                person_id=host,
                data={"items": [{"title": "Kept"}]},
                saved_at=clock.at_london(dt.date(2025, 3, 3), 10),
            )
        )
    with pytest.raises(IntegrityError):  # before 0008, one draft per task
        with db.session_scope() as session:
            session.add(TaskDraft(task_id=task.id, person_id=coordinator, data={}, saved_at=clock.now()))

    command.upgrade(config, "head")
    assert _drafts(task.id) == {HOST: {"items": [{"title": "Kept"}]}}
    with db.session_scope() as session:
        session.add(
            TaskDraft(
                task_id=task.id,
                person_id=coordinator,
                data={"items": [{"title": "Mine"}]},
                saved_at=clock.at_london(dt.date(2025, 3, 4), 10),
            )
        )
    assert _drafts(task.id) == {HOST: {"items": [{"title": "Kept"}]}, COORDINATOR: {"items": [{"title": "Mine"}]}}
    with pytest.raises(IntegrityError):  # still one per person
        with db.session_scope() as session:
            session.add(TaskDraft(task_id=task.id, person_id=host, data={}, saved_at=clock.now()))

    command.downgrade(config, "0007")  # back to one per task: the newest is kept
    assert _drafts(task.id) == {COORDINATOR: {"items": [{"title": "Mine"}]}}
    command.upgrade(config, "head")
    assert _drafts(task.id) == {COORDINATOR: {"items": [{"title": "Mine"}]}}


def test_two_saves_of_a_first_draft_at_once_keep_one_draft_and_fail_neither(planned, monkeypatch):
    """Two tabs, or a double click: each finds no draft, and each inserts one."""
    import threading
    from urllib.parse import urlencode

    from peer_review.store import task_drafts

    [task] = _until("submit_evidence")
    tabs = [sign_in(HOST) for _ in range(3)]  # as many links as an address may ask for at once
    pages = [tab.get(f"/tasks/{task.id}").text for tab in tabs]
    looked, seen = threading.Barrier(len(tabs)), threading.local()
    find = task_drafts.draft_of

    def find_together(*args):  # every save has looked (and found none) before any inserts
        found = find(*args)
        if not getattr(seen, "once", False):
            seen.once = True
            looked.wait(timeout=10)
        return found

    monkeypatch.setattr(task_drafts, "draft_of", find_together)
    statuses = []

    def save(tab, page: str, n: int) -> None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        fields = [
            ("csrf_token", token),
            (HOSTS_DRAFT[0][0], f"Board minutes {n}"),
            *HOSTS_DRAFT[1:],
            ("action", "save"),
        ]
        statuses.append(
            tab.post(
                f"/tasks/{task.id}",
                content=urlencode(fields),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ).status_code
        )

    threads = [threading.Thread(target=save, args=(tab, page, n)) for n, (tab, page) in enumerate(zip(tabs, pages))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * len(tabs)
    assert set(_drafts(task.id)) == {HOST}
