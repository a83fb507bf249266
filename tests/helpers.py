"""What more than one test file uses: plain functions and constants (fixtures are in conftest.py).

The bundled example and the command line; counting rows; moving a review on through the service layer
as its people would; signing people in to the web app as they would (ask for a link, have the outbox
send it as `peer-review send` does, read it from the email, open it and press Continue) and posting its
forms; a second partnership beside the first; a trust joining; an SMTP inbox; reading Word documents;
running things at once.
"""

from __future__ import annotations

import datetime as dt
import email
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email import policy
from pathlib import Path

import pytest
from docx import Document as Docx
from fastapi.testclient import TestClient
from sqlmodel import func, select

from peer_review.demo.simulation import answer
from peer_review.entrypoints.web.app import create_app
from peer_review.errors import UserError
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, proposals, queries, sending, workflow
from peer_review.store import db
from peer_review.store.tables import every_table

# The PostgreSQL database given for the tests (None: SQLite only).
POSTGRES_URL = os.environ.get("PEER_REVIEW_TEST_POSTGRES_URL")
# The bundled example partnership: the Sheffield triad.
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(__file__).resolve().parent.parent / "peer_review" / "demo" / "examples" / "sheffield-triad.yaml"
# The bundled triad's moderator of review 1.
MODERATOR = "daniel.okafor@coordinator.example.org"


# The command line, and whole cycles


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `peer-review` as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "peer_review", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def run_whole_cycle(partnership_file: Path = EXAMPLE) -> str:
    """The partnership's whole pilot on the configured database, as the demo runs it (surveys, the example
    headline figures and external review included), through the service layer (no Prefect); returns the
    partnership's name."""
    from peer_review import clock
    from peer_review.demo.simulation import simulate_pilot
    from peer_review.service import sweep

    def advance(name: str) -> None:
        sweep.sweep(db.session_scope, name)

    try:
        return simulate_pilot(load_partnership_file(partnership_file), advance)[0]
    finally:
        clock.set_time(None)


def plan_and_publish(session, partnership: str | None = None, start: dt.date | None = None):
    """The cycle proposed and published at once, as a coordinator who needs no answers would: the plan."""
    proposals.propose(session, partnership, start)
    return proposals.publish(session, partnership).plan


def load_second_partnership(tmp: Path) -> None:
    """A second partnership ("Other triad", everyone at .other.example.org) loaded and planned beside the first."""
    text = (
        EXAMPLE.read_text()
        .replace("Sheffield pilot triad", "Other triad")
        .replace(".example.org", ".other.example.org")
    )
    path = tmp / "other.yaml"
    path.write_text(text)
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(path))
        plan_and_publish(session, "Other triad")


# A fourth trust (Loxley) for the bundled triad's partnership file: append it to join the partnership.
PEAK_EDGE_COPY = """  - id: loxley
    name: Loxley Valley Trust
    ceo: {name: Lena Ward, email: lena.ward@loxley.example.org}
    strand_order: [workforce, school-improvement, quality-inclusive-education, governance-leadership-operations]
    reviewers:
      - {name: Ian Cole, email: ian.cole@loxley.example.org, role: Director of Education, strands: []}
      - {name: Mo Reed, email: mo.reed@loxley.example.org, role: Head of HR, strands: []}
"""


# The database


def row_counts() -> dict[str, int]:
    """The number of rows in every table, by table name (to show that something wrote nothing)."""
    with db.session_scope() as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in every_table().sorted_tables
        }


# Moving a review on as its people would, through the service layer (no Prefect, no web)


def open_tasks(review_id: int = 1) -> list[queries.TaskRow]:
    """The review's open tasks."""
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if t.review_id == review_id]


def do(task: queries.TaskRow) -> None:
    """The task answered by its assignee, then the review moved on as far as the machine can."""
    with db.session_scope() as session:
        workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
    workflow.advance_review(db.session_scope, task.review_id)


def respond(task: queries.TaskRow, data: dict) -> None:
    """The task answered by its assignee with this answer, then the review moved on as far as the machine can."""
    with db.session_scope() as session:
        workflow.submit(session, task.id, data, task.assignee_email)
    workflow.advance_review(db.session_scope, task.review_id)


def refused(task_id: int, data, as_email: str, match: str) -> None:
    """The submission is refused with this message, and nothing at all is written."""
    before = row_counts()
    with pytest.raises(UserError, match=match):
        with db.session_scope() as session:
            workflow.submit(session, task_id, data, as_email)
    assert row_counts() == before, "a refused submission must write nothing"


def nobody_left_from_don_river() -> queries.TaskRow:
    """Review 1's Don River peers all declined: the coordinator's task of choosing a replacement."""
    for _ in range(5):
        tasks = [
            t
            for t in open_tasks()
            if t.assignee_email.endswith("donriver.example.org") and t.kind == "respond_to_assignment"
        ]
        if not tasks:
            break
        respond(tasks[0], {"response": "decline", "reason": "Not available"})
    [choose] = [t for t in open_tasks() if t.kind == "choose_replacement"]
    return choose


# The web app, as people use it

BASE = "http://testserver"


def csrf_of(html: str) -> str:
    """The CSRF token of the form on this page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def new_client(base: str = BASE, **kwargs) -> TestClient:
    """A browser on a new web app, signed in as nobody, that does not follow redirects."""
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
    sending.deliver(db.session_scope, mailbox, events=frozenset({"sign_in"}))
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
    """Ask for a sign-in link on the sign-in form, as this address."""
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


def flatten(value, path: tuple = ()) -> list[tuple[str, str]]:
    """An answer as the fields a browser would post: key paths joined by '-', one field per list value."""
    name = "-".join(map(str, path))
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, path + (key,))]
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return [pair for i, item in enumerate(value) for pair in flatten(item, path + (i,))]
        return (
            [(name, _field_text(item)) for item in value]
            if value and not all(isinstance(item, str) and path[-1] in ("corrections", "next_steps") for item in value)
            else [(f"{name}-{i}", item) for i, item in enumerate(value)]
        )
    return [(name, _field_text(value))]


def _field_text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# Mail


class Inbox:
    """An SMTP server's handler (aiosmtpd) that keeps every message it is given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Documents

# Words that grade a trust, which no document may use.
GRADE_WORDS = re.compile(
    r"\b(outstanding|inadequate|requires improvement|grade[ds]?|scor(e|ed|es|ing)|rating|RAG)\b", re.IGNORECASE
)


def docx_text(path: Path) -> str:
    """The text of a Word document: its paragraphs, then its tables' cells."""
    doc = Docx(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# At once


def all_at_once(count: int, attempt: Callable[[int], object]) -> list[object]:
    """Run `attempt(i)` in `count` threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(count)

    def run(i: int) -> object:
        barrier.wait(timeout=60)
        try:
            return attempt(i)
        except Exception as exc:  # the test looks at every outcome, raw database errors included
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))
