"""Notifications: one outbox row per event, delivered over real SMTP, kept when the server fails, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from sqlmodel import select

from peer_review import clock
from peer_review.adapters.mail import SmtpChannel
from peer_review.service import sending, workflow
from peer_review.service.rescheduling import reschedule
from peer_review.store import db
from peer_review.store.tables import OutboxMessage

from helpers import EXAMPLE, MODERATOR, free_port, run_cli

pytestmark = pytest.mark.db


def _rows() -> list[OutboxMessage]:
    with db.session_scope() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_assignment_reaches_the_moderator_with_the_visit_attached(planned, smtp_server):
    inbox, url = smtp_server
    rows = _rows()
    assert sum(r.event == "cycle_proposed" for r in rows) == 3  # each host CEO, when it was proposed
    assert sum(r.event == "visit_scheduled" for r in rows) == 12  # each host CEO, at publishing
    assert sum(r.event == "task_assigned" for r in rows) == 3  # the team of review 1, asked to accept
    workflow.advance_review(db.session_scope, 1)  # running the engine again queues nothing new
    assert len(_rows()) == len(rows) == 18
    result = sending.deliver(db.session_scope, SmtpChannel(url))
    assert (result.sent, result.failed) == (18, 0)
    [mail] = [m for m in inbox.messages if m["To"] == MODERATOR]
    assert mail["Subject"].startswith("Action needed by ") and "Accept or decline your place" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "peer-review task template" in body and "peer-review submit" in body
    [attachment] = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["uid"]) == "review-1-visit@peer-review"
    assert sending.deliver(db.session_scope, SmtpChannel(url)).sent == 0  # nothing twice
    assert len(inbox.messages) == 18
    [host] = [
        m
        for m in inbox.messages
        if m["To"] == "helen.marsh@steelvalley.example.org" and "School improvement" in m["Subject"]
    ]
    assert host["Subject"].startswith("Visit planned for ")
    assert any(p.get_content_type() == "text/calendar" for p in host.iter_attachments())


def test_a_refusing_or_absent_server_keeps_messages_queued_with_the_error(planned):
    down = SmtpChannel(f"smtp://127.0.0.1:{free_port()}", timeout=2)
    result = sending.deliver(db.session_scope, down)
    assert (result.sent, result.failed) == (0, 18)
    for row in _rows():
        assert row.status == "pending" and row.attempts == 1 and "Connection refused" in row.last_error


def test_the_outbox_command_shows_what_is_pending_and_why(tmp_path):
    env = {
        "PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}",
        "PEER_REVIEW_SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
    }
    assert run_cli("partnership", "load", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", "--publish", cwd=tmp_path, env=env).returncode == 0
    sent = run_cli("send", cwd=tmp_path, env=env)
    assert sent.returncode == 1 and "sent 0, failed 15" in sent.stdout
    shown = run_cli("outbox", cwd=tmp_path, env={**env, "COLUMNS": "250"})
    assert (
        shown.returncode == 0 and shown.stdout.count("Connection refused") == 15 and "Visit planned for" in shown.stdout
    )


def test_a_crash_between_sending_and_marking_resends_once_with_the_same_message_id(planned, smtp_server):
    inbox, url = smtp_server
    real = SmtpChannel(url)

    class CrashAfterSending:
        def send(self, message, row):
            real.send(message, row)
            raise SystemExit("killed before marking")  # not an ordinary error: the process dies here

    with pytest.raises(SystemExit):
        sending.deliver(db.session_scope, CrashAfterSending())
    assert len(inbox.messages) == 1 and all(r.status == "pending" for r in _rows())
    assert sending.deliver(db.session_scope, real).sent == 18
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 19 and ids[0] == ids[1] and len(set(ids)) == 18  # one resend, same id, nothing lost


def test_moving_a_visit_tells_the_team_with_the_updated_calendar_entry(planned, smtp_server):
    inbox, url = smtp_server
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)), db.session_scope() as session:
        reschedule(session, 1, dt.date(2024, 2, 27), "Ofsted inspection", "helen.marsh@steelvalley.example.org")
    moved = [r for r in _rows() if r.event == "visit_moved"]
    assert {r.recipient for r in moved} >= {MODERATOR, "helen.marsh@steelvalley.example.org"}
    sending.deliver(db.session_scope, SmtpChannel(url))
    [mail] = [m for m in inbox.messages if m["To"] == MODERATOR and m["Subject"].startswith("Visit moved")]
    assert "Ofsted inspection" in mail.get_body(("plain",)).get_content()
    [attachment] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert int(event["sequence"]) == 1
