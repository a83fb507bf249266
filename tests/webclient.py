"""Signing people in to the web app in tests, as they would: ask for a link, read it from the email
in the outbox, open it and press Continue."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import select

from peer_review import db
from peer_review.tables import OutboxMessage
from peer_review.web.app import create_app

BASE = "http://testserver"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def new_client(base: str = BASE, **kwargs) -> TestClient:
    return TestClient(create_app(web_url=base, **kwargs), base_url=base, follow_redirects=False)


def last_link(email: str) -> str:
    """The path of the newest sign-in link emailed to this address."""
    with db.session_scope() as session:
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.event == "sign_in", OutboxMessage.recipient == email).order_by(OutboxMessage.id.desc())
        ).first()
    assert message is not None, f"no sign-in email for {email}"
    return re.search(r"https?://[^/\s]+(/sign-in/[A-Za-z0-9_-]+)", message.text).group(1)


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
    return client.post(path, data=None, content=_encode([("csrf_token", csrf_of(page.text)), *fields]), headers={"Content-Type": "application/x-www-form-urlencoded"}, **kwargs)


def _encode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)
