"""Reminders on a frozen clock walking a review's timeline, delivered over real SMTP; extensions; the rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.adapters.mail import SmtpChannel
from peer_review.domain.reminders import ReminderRules, reminder_due
from peer_review.errors import UserError
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, sending, workflow
from peer_review.service.reminders import extend, sweep
from peer_review.store import db
from peer_review.store.tables import DueDateChange, OutboxMessage, Task

from helpers import EXAMPLE, MODERATOR, plan_and_publish

D = dt.date


def test_rules():
    rules = ReminderRules()
    due, opened = D(2024, 3, 20), D(2024, 3, 1)
    assert reminder_due(rules, due, opened, D(2024, 3, 12)) is None
    assert reminder_due(rules, due, opened, D(2024, 3, 13)) == "before-7"
    assert reminder_due(rules, due, opened, D(2024, 3, 18)) == "before-2"
    assert reminder_due(rules, due, opened, D(2024, 3, 20)) is None  # the due day itself
    assert reminder_due(rules, due, opened, D(2024, 3, 21)) == "overdue-1"
    assert reminder_due(rules, due, opened, D(2024, 3, 28)) == "overdue-2"
    assert reminder_due(rules, due, opened, D(2024, 4, 4)) == "overdue-3"
    assert reminder_due(rules, due, opened, D(2024, 4, 11)) == "escalate"
    assert reminder_due(rules, due, D(2024, 3, 16), D(2024, 3, 17)) is None  # opened after the 7-day point
    assert reminder_due(rules, due, opened, D(2024, 3, 19)) == "before-2"  # a late sweep sends only the latest


@pytest.mark.db
def test_a_moderator_hears_exactly_what_they_should_and_when(database_url, smtp_server):
    inbox, url = smtp_server
    channel = SmtpChannel(url)
    start = D(2023, 11, 1)
    with clock.frozen_at(clock.at_london(start, 9)):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
            plan_and_publish(session, None)
        workflow.advance_review(db.session_scope, 1)
    with db.session_scope() as session:
        mine = [
            t
            for t in session.exec(select(Task).where(Task.review_id == 1))
            if t.assignee_id == _person_id(session, MODERATOR)
        ]
    [task] = mine
    due = task.due
    received: list[tuple[dt.date, str]] = []
    day = start
    while day <= due + dt.timedelta(days=20):
        with clock.frozen_at(clock.at_london(day, 7)):
            for _ in range(3):  # the sweep runs three times: only the first queues anything
                with db.session_scope() as session:
                    sweep(session)
                sending.deliver(db.session_scope, channel)
            if day == due + dt.timedelta(days=2):  # the moderator accepts, two days late
                with db.session_scope() as session:
                    workflow.submit(session, task.id, {"response": "accept"}, MODERATOR)
        for mail in inbox.messages[len(received) :]:
            received.append((day, mail["Subject"]) if mail["To"] == MODERATOR else (day, None))
        day += dt.timedelta(days=1)
    mine = [(d, s) for d, s in received if s is not None]
    kinds = [(d, s.split(":")[0]) for d, s in mine if not s.startswith("Your peer review tasks")]
    assert kinds == [
        (start, f"Action needed by {due.day} {due:%B %Y}"),
        (due - dt.timedelta(days=7), "Reminder"),
        (due - dt.timedelta(days=2), "Reminder"),
        (due + dt.timedelta(days=1), f"Overdue since {due.day} {due:%B %Y}"),
    ], kinds
    mondays_open = [
        d for d in (start + dt.timedelta(days=i) for i in range((due - start).days + 3)) if d.weekday() == 0
    ]
    assert [
        d for d, s in mine if s.startswith("Your peer review tasks")
    ] == mondays_open  # weekly digests while it is open
    assert not [d for d, s in mine if d > due + dt.timedelta(days=2)]  # nothing after completion
    first = next(m for m in inbox.messages if m["Subject"].startswith("Visit planned"))  # to the host CEO, at publish
    assert any(p.get_content_type() == "text/calendar" for p in first.iter_attachments())


def _person_id(session, email):
    from peer_review.store.tables import Person

    return session.exec(select(Person.id).where(Person.email == email)).one()


@pytest.mark.db
def test_extending_a_task_keeps_history_and_reminders_follow_the_new_date(planned):
    with db.session_scope() as session:
        task = session.exec(select(Task).where(Task.review_id == 1)).first()
        old = task.due
    with clock.frozen_at(clock.at_london(old - dt.timedelta(days=7), 9)):  # a week before it is due
        _extend_and_remind(task, old)


def test_a_due_date_that_has_passed_is_refused_and_nothing_changes(planned):
    with db.session_scope() as session:
        task = session.exec(select(Task).where(Task.review_id == 1)).first()
        old = task.due
    with clock.frozen_at(clock.at_london(old + dt.timedelta(days=30), 9)):  # long overdue
        with pytest.raises(
            UserError, match=rf"^{(old + dt.timedelta(days=14)).day} .* has passed: give a due date from today, "
        ):
            with db.session_scope() as session:
                extend(session, task.id, old + dt.timedelta(days=14), "busy")
    with db.session_scope() as session:
        assert session.get(Task, task.id).due == old and not session.exec(select(DueDateChange)).all()


def _extend_and_remind(task, old):
    with pytest.raises(UserError, match="only the coordinator or the review's moderator"):
        with db.session_scope() as session:
            extend(session, task.id, old + dt.timedelta(days=14), "busy", "helen.marsh@steelvalley.example.org")
    with pytest.raises(UserError, match="must be after"):
        with db.session_scope() as session:
            extend(session, task.id, old, "busy")
    with db.session_scope() as session:
        extend(session, task.id, old + dt.timedelta(days=14), "Half-term", MODERATOR)
    with db.session_scope() as session:
        assert session.get(Task, task.id).due == old + dt.timedelta(days=14)
        [change] = session.exec(select(DueDateChange)).all()
        assert (change.old_due, change.reason, change.changed_by) == (old, "Half-term", MODERATOR)
    # the day after the old due date nothing is overdue for it; the day after the new one, it is
    keys = []
    for day in (old + dt.timedelta(days=1), old + dt.timedelta(days=15)):
        with db.session_scope() as session:
            sweep(session, day)
            keys.append(
                [
                    m.key.split("/")[1]
                    for m in session.exec(
                        select(OutboxMessage).where(OutboxMessage.task_id == task.id, OutboxMessage.event == "reminder")
                    )
                ]
            )
    assert keys == [[], ["overdue-1"]]


def test_dates_are_englands_across_the_clock_changes():
    import pendulum

    # 23:30 UTC on the Saturday before the clocks go back is 00:30 BST on Sunday: already Sunday in England
    with clock.frozen_at(pendulum.datetime(2024, 10, 26, 23, 30, tz="UTC")):
        assert clock.today() == D(2024, 10, 27)
    # in winter, UTC and England agree
    with clock.frozen_at(pendulum.datetime(2024, 3, 30, 23, 30, tz="UTC")):
        assert clock.today() == D(2024, 3, 30)
    # the 07:00 sweep is 07:00 in England on both sides of a change
    assert clock.at_london(D(2024, 3, 30), 7).hour == 7 and clock.at_london(D(2024, 4, 1), 7).hour == 6
    # a reminder owed on the day the clocks change is still owed that day
    rules = ReminderRules()
    assert reminder_due(rules, D(2024, 4, 2), D(2024, 3, 1), D(2024, 3, 31)) == "before-2"


@pytest.mark.db
def test_emails_link_to_the_web_pages_when_the_service_has_an_address(planned, monkeypatch):
    from peer_review.store.tables import OutboxMessage

    monkeypatch.setenv("PEER_REVIEW_WEB_URL", "https://reviews.example.org/")
    with clock.frozen_at(clock.at_london(D(2024, 1, 8), 7)), db.session_scope() as session:  # a Monday
        sweep(session)  # review 1's team has not answered since November: escalations, and the digest
        mail = session.exec(
            select(OutboxMessage).where(OutboxMessage.event.in_(("escalation", "digest", "reminder")))
        ).all()
    coordinator = [m for m in mail if m.recipient == "ruth.ashby@coordinator.example.org"]
    escalation = next(m for m in coordinator if m.event == "escalation")
    task = escalation.task_id
    assert f"do it for them at https://reviews.example.org/tasks/{task}" in escalation.text
    assert (
        f"https://reviews.example.org/tasks/{task}/extend" in escalation.text
        and "https://reviews.example.org/reviews/1" in escalation.text
    )
    assert f'<a href="https://reviews.example.org/tasks/{task}">do it for them</a>' in escalation.html
    digest = next(m for m in coordinator if m.event == "digest")
    assert "on the web: https://reviews.example.org/partnerships/1" in digest.text
    others = [m for m in mail if m.recipient != "ruth.ashby@coordinator.example.org"]
    digests = [m for m in others if m.event == "digest"]
    assert digests and all("on the web: https://reviews.example.org/" in m.text for m in digests)
