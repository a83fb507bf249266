"""Signing people in to the web app in tests, as they would: ask for a link, have the outbox send it
(as `peer-review send` does), read it from the email, open it and press Continue."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from peer_review.entrypoints.web.app import create_app
from peer_review.service import outbox
from peer_review.store import db

BASE = "http://testserver"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def new_client(base: str = BASE, **kwargs) -> TestClient:
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
    outbox.deliver(db.session_scope, mailbox, events=frozenset({"sign_in"}))
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


def _encode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)
