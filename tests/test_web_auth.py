"""Signing in over HTTP: emailed single-use links that scanners cannot spend, no account enumeration,
rate limits, sessions that end, CSRF on every POST, the Host check, and links in notification emails."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.adapters.email_text import render
from peer_review.store import db
from peer_review.store.tables import OutboxMessage, SignInRequest, WebSession

from helpers import (
    Inbox,
    ask_for_link,
    csrf_of,
    deliver_sign_in_links,
    free_port,
    last_link,
    new_client,
    row_counts,
    sign_in,
)

pytestmark = pytest.mark.db

CEO = "helen.marsh@steelvalley.example.org"
PEER = "owen.fletcher@donriver.example.org"
START = clock.at_london(dt.date(2024, 1, 10), 9)


@pytest.fixture
def frozen(planned):
    with clock.frozen_at(START):
        yield


def _sign_in_emails(address: str) -> list[OutboxMessage]:
    with db.session_scope() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.event == "sign_in", OutboxMessage.recipient == address)
            )
        )


def test_a_link_is_emailed_and_the_same_page_answers_an_unknown_address(frozen):
    browser = new_client()
    known = ask_for_link(browser, CEO)
    unknown = ask_for_link(new_client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(CEO, "ADDRESS") == unknown.text.replace("nobody@example.org", "ADDRESS")
    (email,) = _sign_in_emails(CEO)
    assert email.subject == "Your sign-in link for peer review"
    assert _sign_in_emails("nobody@example.org") == []
    [sent] = deliver_sign_in_links().messages
    assert sent["To"] == CEO and "30 minutes" in sent.get_body(("plain",)).get_content()
    token = last_link(CEO).rsplit("/", 1)[1]
    with db.session_scope() as session:  # only a hash is kept
        stored = session.exec(select(SignInRequest.token_hash)).all()
    assert token not in stored and all(h is None or len(h) == 64 for h in stored)


def test_opening_the_link_does_not_spend_it_and_continue_does_once(frozen):
    browser = new_client()
    ask_for_link(browser, CEO, "/reviews/1")
    link = last_link(CEO)
    scanner = new_client()
    for _ in range(2):  # a mail scanner follows the link first, twice
        assert scanner.get(link).status_code == 200
    page = browser.get(link)
    assert "Continue" in page.text
    done = browser.post(link, data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/reviews/1"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert browser.get("/reviews/1").status_code == 200
    again = new_client()
    assert again.get(link).status_code == 410
    assert again.post(link, data={"csrf_token": csrf_of(again.get("/sign-in").text)}).status_code == 410
    with db.session_scope() as session:
        assert len(session.exec(select(WebSession)).all()) == 1


def test_a_new_link_is_emailed_after_old_requests_are_purged(frozen):
    ask_for_link(new_client(), CEO)
    with clock.frozen_at(START + dt.timedelta(days=3)):  # the first request is purged; its row id may come back
        ask_for_link(new_client(), CEO)
    assert len(_sign_in_emails(CEO)) == 2


def test_links_expire_after_30_minutes(frozen):
    browser = new_client()
    ask_for_link(browser, CEO)
    link = last_link(CEO)
    with clock.frozen_at(START + dt.timedelta(minutes=31)):
        assert browser.get(link).status_code == 410


def test_sessions_end_after_two_idle_hours_and_on_sign_out(frozen):
    browser = sign_in(CEO)
    with clock.frozen_at(START + dt.timedelta(minutes=100)):
        assert browser.get("/").status_code == 200  # a request keeps it alive ...
    with clock.frozen_at(START + dt.timedelta(minutes=100 + 121)):
        assert browser.get("/").status_code == 303  # ... two idle hours end it
    browser = sign_in(CEO)
    cookie = browser.cookies["peer_review_session"]
    page = browser.get("/")
    assert browser.get("/sign-out").status_code == 405  # sign-out is a POST ...
    assert browser.post("/sign-out", data={}).status_code == 403  # ... with the page's CSRF token
    assert browser.get("/").status_code == 200
    out = browser.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    stolen = new_client()
    stolen.cookies.set("peer_review_session", cookie)
    assert stolen.get("/").status_code == 303  # the old cookie no longer works anywhere


def test_cookies_are_secure_when_served_over_https(frozen):
    browser = new_client()
    secure = new_client("https://reviews.example.org")
    ask_for_link(secure, CEO)
    link = last_link(CEO)
    opened = secure.get(link)
    assert "Secure" in secure.post(link, data={"csrf_token": csrf_of(opened.text)}).headers["set-cookie"]
    assert "Secure" not in browser.get("/sign-in").headers["set-cookie"]


def test_links_are_rate_limited_per_address_and_per_client(frozen):
    browser = new_client()
    for _ in range(3):
        assert ask_for_link(browser, CEO).status_code == 200
    assert ask_for_link(browser, CEO).status_code == 429
    assert len(_sign_in_emails(CEO)) == 3
    crowd = new_client()  # one client asking for many addresses, known or not, is limited the same way
    answers = [ask_for_link(crowd, f"someone{i}@example.org").status_code for i in range(12)]
    assert answers[:7] == [200] * 7 and answers[-1] == 429
    with clock.frozen_at(START + dt.timedelta(minutes=16)):
        assert ask_for_link(browser, CEO).status_code == 200


def test_posts_without_the_right_csrf_token_are_refused_and_write_nothing(frozen):
    browser = sign_in(PEER)
    before = row_counts()
    for token in (None, "wrong", csrf_of(new_client().get("/sign-in").text)):
        data = {"response": "accept", "action": "submit"} | ({"csrf_token": token} if token else {})
        refused = browser.post("/tasks/1", data=data)
        assert refused.status_code == 403 and "Your form has expired" in refused.text
    assert browser.post("/sign-in", data={"email": CEO}).status_code == 403
    assert row_counts() == before


def test_oversized_posts_are_refused_before_anything_is_read_into_the_database(frozen):
    browser = sign_in(PEER)
    token = csrf_of(browser.get("/").text)
    before = row_counts()
    huge = browser.post(
        "/tasks/1", data={"csrf_token": token, "response": "decline", "reason": "x" * 1_100_000, "action": "submit"}
    )
    assert huge.status_code == 413 and "too long" in huge.text
    many = browser.post(
        "/tasks/1",
        content="&".join(["csrf_token=" + token] + [f"f{i}=x" for i in range(6000)]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert many.status_code == 413
    assert row_counts() == before


def test_sign_in_links_never_reach_the_log_and_long_return_addresses_are_not_kept(frozen, caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="peer_review.entrypoints.web")
    browser = new_client()
    ask_for_link(browser, CEO, "/" + "x" * 100_000)
    link = last_link(CEO)
    assert browser.post(link, data={"csrf_token": "wrong"}).status_code == 403
    token = link.rsplit("/", 1)[1]
    assert caplog.records and not any(token in r.getMessage() for r in caplog.records)
    with db.session_scope() as session:
        assert session.exec(select(SignInRequest.next_path)).all() == ["/"]


def test_only_this_services_host_names_are_answered(frozen):
    browser = new_client()
    assert browser.get("/sign-in", headers={"Host": "evil.example"}).status_code == 400
    assert browser.get("/sign-in", headers={"Host": "localhost:8000"}).status_code == 200
    assert browser.get("/sign-in").status_code == 200  # testserver: the address the app was given (web_url)


def test_signing_in_returns_to_the_page_asked_for_and_never_elsewhere(frozen):
    browser = new_client()
    asked = browser.get("/tasks/1")
    assert asked.status_code == 303 and asked.headers["location"] == "/sign-in?next=%2Ftasks%2F1"
    form = browser.get(asked.headers["location"])
    assert 'name="next" value="/tasks/1"' in form.text
    for target, expected in (
        ("/tasks/1", "/tasks/1"),
        ("//evil.example.org/", "/"),
        ("https://evil.example.org/", "/"),
    ):
        ask_for_link(browser, PEER, target)
        link = last_link(PEER)
        done = browser.post(link, data={"csrf_token": csrf_of(browser.get(link).text)})
        assert done.headers["location"] == expected
    assert new_client().post("/tasks/1", data={"response": "accept"}).status_code in (401, 403)


def test_task_emails_link_to_the_task_page(monkeypatch):
    monkeypatch.setenv("PEER_REVIEW_WEB_URL", "https://reviews.example.org/")
    text, html = render(
        "task_assigned",
        {
            "name": "A",
            "email": "a@example.org",
            "intro": "i",
            "task_title": "t",
            "host": "h",
            "strand": "s",
            "visit": "v",
            "due": "d",
            "note": "",
            "task_id": 17,
        },
    )
    assert "https://reviews.example.org/tasks/17" in text and 'href="https://reviews.example.org/tasks/17"' in html
    text, html = render(
        "reminder",
        {
            "name": "A",
            "email": "a@example.org",
            "headline": "h",
            "task_title": "t",
            "host": "h",
            "strand": "s",
            "visit": "v",
            "due": "d",
            "task_id": 17,
        },
    )
    assert (
        "Online: https://reviews.example.org/tasks/17" in text and 'href="https://reviews.example.org/tasks/17"' in html
    )
    monkeypatch.delenv("PEER_REVIEW_WEB_URL")
    text, _html = render(
        "task_assigned",
        {
            "name": "A",
            "email": "a@example.org",
            "intro": "i",
            "task_title": "t",
            "host": "h",
            "strand": "s",
            "visit": "v",
            "due": "d",
            "note": "",
            "task_id": 17,
        },
    )
    assert "/tasks/17" not in text and "peer-review submit 17" in text


def test_signing_in_through_a_link_delivered_by_smtp(planned, monkeypatch):
    """The whole way a person signs in: the form, the outbox, a real SMTP server, the link in the email."""
    import re

    from aiosmtpd.controller import Controller

    from peer_review.adapters.mail import SmtpChannel
    from peer_review.service import sending

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        browser = new_client()
        ask_for_link(browser, CEO, "/")
        sending.deliver(db.session_scope, SmtpChannel(f"smtp://127.0.0.1:{controller.port}"))
    finally:
        controller.stop()
    [message] = [m for m in inbox.messages if m["To"] == CEO and "sign-in link" in m["Subject"]]
    link = re.search(r"http://testserver(/sign-in/\S+)", message.get_body(("plain",)).get_content()).group(1)
    opened = browser.get(link)
    assert browser.post(link, data={"csrf_token": csrf_of(opened.text)}).status_code == 303
    assert "Your tasks" in browser.get("/").text
