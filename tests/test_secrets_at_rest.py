"""No bearer secret at rest: whatever the service writes (every table, its log) holds no working sign-in
link or session token; sent messages' text goes after a while; sign-in emails are written as they are sent."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import stat

import pytest
from sqlalchemy import text
from sqlmodel import select

from peer_review import clock
from peer_review.adapters.mail import FolderChannel
from peer_review.entrypoints.web.pages import SESSION_COOKIE
from peer_review.service import sending, signin
from peer_review.store import db
from peer_review.store.tables import OutboxMessage, Person, every_table

from helpers import Mailbox, ask_for_link, csrf_of, new_client, run_cli, sign_in

pytestmark = pytest.mark.db

CEO = "helen.marsh@steelvalley.example.org"
START = clock.at_london(dt.date(2024, 1, 10), 9)
TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


@pytest.fixture
def frozen(planned):
    with clock.frozen_at(START):
        yield


def _everything_stored() -> str:
    """Every value of every row of every table, as text."""
    values = []
    with db.get_engine().connect() as connection:
        for table in every_table().sorted_tables:
            for row in connection.execute(table.select()):
                values.extend(str(value) for value in row)
    return "\n".join(values)


def _link_in(message) -> str:
    return re.search(r"http://testserver(/sign-in/[A-Za-z0-9_-]+)", message.get_body(("plain",)).get_content()).group(1)


def test_no_table_or_log_holds_a_working_sign_in_link_or_session_token(frozen, caplog):
    caplog.set_level(logging.DEBUG)
    browser = new_client()
    assert ask_for_link(browser, CEO, "/reviews/1").status_code == 200
    assert "/sign-in/" not in _everything_stored()  # queued: the email is not written yet
    mailbox = Mailbox()
    assert sending.deliver(db.session_scope, mailbox).sent >= 1
    [message] = [m for m in mailbox.messages if m["To"] == CEO and "sign-in" in m["Subject"]]
    link = _link_in(message)
    token = link.rsplit("/", 1)[1]
    stored = _everything_stored()
    assert token not in stored and link not in stored
    with db.session_scope() as session:  # nor anything else shaped like a token that would sign someone in
        assert [t for t in TOKEN_SHAPED.findall(stored) if signin.usable_link(session, t) is not None] == []
    opened = browser.get(link)
    done = browser.post(link, data={"csrf_token": csrf_of(opened.text)})
    assert done.status_code == 303  # the link in the email was a working one all along
    cookie = browser.cookies.get(SESSION_COOKIE)
    stored = _everything_stored()
    assert cookie not in stored and token not in stored
    service_log = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )  # not the test's browser
    assert caplog.records and token not in service_log and cookie not in service_log


def test_a_sign_in_email_too_late_to_use_is_not_sent_nor_one_for_someone_who_left(frozen):
    ask_for_link(new_client(), CEO)
    with clock.frozen_at(START + signin.LINK_LIFETIME + dt.timedelta(minutes=1)):
        mailbox = Mailbox()
        result = sending.deliver(db.session_scope, mailbox, events=frozenset({"sign_in"}))
    assert (result.sent, result.expired, mailbox.messages) == (0, 1, [])
    ask_for_link(new_client(), CEO)
    with db.session_scope() as session:
        person = session.exec(select(Person).where(Person.email == CEO)).one()
        person.left_on = START.date()
        session.add(person)
    mailbox = Mailbox()
    assert (
        sending.deliver(db.session_scope, mailbox, events=frozenset({"sign_in"})).expired == 1
        and mailbox.messages == []
    )
    with db.session_scope() as session:
        statuses = session.exec(select(OutboxMessage.status).where(OutboxMessage.event == "sign_in")).all()
    assert statuses == ["expired", "expired"]


def test_sent_messages_text_is_deleted_after_30_days_and_sign_in_emails_go(frozen, monkeypatch):
    ask_for_link(new_client(), CEO)
    sending.deliver(db.session_scope, Mailbox())
    with db.session_scope() as session:
        kept = session.exec(
            select(OutboxMessage).where(OutboxMessage.status == "sent", OutboxMessage.event != "sign_in")
        ).all()
        assert kept and all(m.text and m.body_deleted_at is None for m in kept)
    with clock.frozen_at(START + dt.timedelta(days=29)):
        sending.deliver(db.session_scope, Mailbox())
    with db.session_scope() as session:
        assert all(
            m.text
            for m in session.exec(
                select(OutboxMessage).where(OutboxMessage.status == "sent", OutboxMessage.event != "sign_in")
            )
        )
    with clock.frozen_at(START + dt.timedelta(days=31)):
        sending.deliver(db.session_scope, Mailbox())
    with db.session_scope() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.status == "sent")).all()
        assert rows and all(m.text == m.html == "" and m.ics is None and m.body_deleted_at is not None for m in rows)
        assert all(m.recipient and m.subject and m.key for m in rows)  # the envelope stays, so nothing is sent twice
        assert session.exec(select(OutboxMessage).where(OutboxMessage.event == "sign_in")).all() == []


def test_how_long_sent_messages_are_kept_is_a_setting_with_a_range(frozen, monkeypatch, tmp_path):
    sending.deliver(db.session_scope, Mailbox())
    monkeypatch.setenv("PEER_REVIEW_SENT_MAIL_DAYS", "3")
    with clock.frozen_at(START + dt.timedelta(days=4)):
        sending.deliver(db.session_scope, Mailbox())
    with db.session_scope() as session:
        assert all(m.text == "" for m in session.exec(select(OutboxMessage).where(OutboxMessage.status == "sent")))
    for wrong in ("0", "3651", "thirty", "-5", "²"):
        result = run_cli(
            "send",
            env={
                "PEER_REVIEW_DATABASE_URL": db.database_url(),
                "PEER_REVIEW_SENT_MAIL_DAYS": wrong,
                "PEER_REVIEW_OUTBOX_DIR": str(tmp_path / "mail"),
            },
        )
        assert result.returncode == 2, result.stderr
        assert (
            "PEER_REVIEW_SENT_MAIL_DAYS must be a whole number of days from 1 to 3650" in result.stderr
            and "Traceback" not in result.stderr
        )


def test_mail_written_to_a_folder_is_readable_by_its_owner_only(frozen, tmp_path):
    ask_for_link(new_client(), CEO)
    mail = tmp_path / "mail"
    with db.session_scope() as session:
        first = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    mail.mkdir(mode=0o755)
    (mail / f"{first.id:05d}-{first.event}-{first.recipient.replace('@', '_')}.eml").write_text(
        "sent before, by an older version"
    )
    os.chmod(mail / f"{first.id:05d}-{first.event}-{first.recipient.replace('@', '_')}.eml", 0o644)
    sending.deliver(db.session_scope, FolderChannel(mail))
    files = list(mail.glob("*.eml"))
    assert len(files) > 1 and all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    ask_for_link(new_client(), CEO)
    sending.deliver(
        db.session_scope, FolderChannel(tmp_path / "new-mail")
    )  # a folder it makes: its names (who, what) are private too
    assert stat.S_IMODE(os.stat(tmp_path / "new-mail").st_mode) == 0o700


def test_mail_is_never_written_through_a_link_in_the_folder(frozen, tmp_path):
    ask_for_link(new_client(), CEO)
    mail, theirs = tmp_path / "mail", tmp_path / "theirs.txt"
    mail.mkdir()
    theirs.write_text("someone else's file")
    with db.session_scope() as session:
        first = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    (mail / f"{first.id:05d}-{first.event}-{first.recipient.replace('@', '_')}.eml").symlink_to(theirs)
    result = sending.deliver(db.session_scope, FolderChannel(mail))
    assert result.failed == 1 and theirs.read_text() == "someone else's file"


def test_the_upgrade_empties_stored_sign_in_emails_and_does_not_send_those_waiting(planned):
    """A database from before 0009 held each sign-in email's whole link."""
    from alembic import command

    engine = db.get_engine()
    config = db.alembic_config(engine)
    command.downgrade(config, "0008")
    insert = text(
        "INSERT INTO outboxmessage (key, partnership_id, event, recipient, subject, text, html, message_id, created_at, status, attempts, last_error)"
        " VALUES (:key, 1, 'sign_in', :to, 'Your sign-in link for peer review', :body, :body, :key, :at, :status, 0, '')"
    )
    with engine.begin() as connection:
        for n, status in enumerate(("sent", "pending")):
            connection.execute(
                insert,
                {
                    "key": f"sign_in/{n}",
                    "to": CEO,
                    "body": f"open http://testserver/sign-in/{'x' * 43}",
                    "at": "2024-01-10 09:00:00",
                    "status": status,
                },
            )
    token = "t" * 43  # a link sent before the upgrade, not yet used: it was in the outbox, and so in every backup
    soon = (clock.now() + dt.timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO signinrequest (email, client, requested_at, token_hash, next_path, expires_at)"
                " VALUES (:to, 'testclient', :at, :hash, '/', :soon)"
            ),
            {"to": CEO, "at": soon, "hash": hashlib.sha256(token.encode()).hexdigest(), "soon": soon},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, text, html FROM outboxmessage WHERE event = 'sign_in' AND key LIKE 'sign_in/_' ORDER BY key"
            )
        ).all()
    assert [tuple(r) for r in rows] == [("sent", "", ""), ("expired", "", "")]
    assert "/sign-in/" not in _everything_stored()
    assert new_client().get(f"/sign-in/{token}").status_code == 410  # it no longer works


def test_sign_in_requests_and_sessions_go_a_day_after_their_use_even_when_nobody_signs_in_again(frozen):
    from peer_review.store.tables import SignInRequest, WebSession

    sign_in(CEO)
    with db.session_scope() as session:
        assert session.exec(select(SignInRequest)).all() and session.exec(select(WebSession)).all()
    with clock.frozen_at(START + dt.timedelta(hours=12)):  # the session could still be used: both kept
        sending.deliver(db.session_scope, Mailbox())
    with db.session_scope() as session:
        assert session.exec(select(WebSession)).all()
    with clock.frozen_at(START + dt.timedelta(days=2)):  # `send` runs every minute on a real set-up
        sending.deliver(db.session_scope, Mailbox())
    with db.session_scope() as session:
        assert session.exec(select(SignInRequest)).all() == [] and session.exec(select(WebSession)).all() == []
