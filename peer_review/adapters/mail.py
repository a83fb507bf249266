"""Where notifications go: a folder of .eml files (the embedded default and the demo), or SMTP."""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlparse

from peer_review import settings
from peer_review.errors import UserError


class QueuedMessage(Protocol):
    """What a channel reads of a queued message (the outbox's row, service/outbox.py)."""

    id: int
    event: str
    recipient: str
    subject: str
    message_id: str
    created_at: dt.datetime
    text: str
    html: str
    ics: str | None


def build_email(row: QueuedMessage, sender: str | None = None, body: tuple[str, str] | None = None) -> EmailMessage:
    """The email of a row; `body` (text, HTML) when it is written as it is sent rather than stored."""
    text, html = body or (row.text, row.html)
    message = EmailMessage()
    message["From"] = sender or settings.mail_from()
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if row.ics:
        message.add_attachment(
            row.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="peer-review-visit.ics",
            params={"method": "PUBLISH"},
        )
    return message


class Channel(Protocol):
    def send(self, message: EmailMessage, row: QueuedMessage) -> None: ...


class FolderChannel:
    """Writes each message as an .eml file; sending the same row again overwrites the same file.

    The folder is everyone's mailbox at once (for trying the service on one computer): it holds working
    sign-in links, so its files are readable by their owner only.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, message: EmailMessage, row: QueuedMessage) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{row.id:05d}-{row.event}-{re.sub(r'[^A-Za-z0-9.-]', '_', row.recipient)}.eml"
        # never through a link planted in the folder; a file written before keeps its mode when reopened: set it
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(message.as_bytes())


class SmtpChannel:
    """SMTP from a URL: smtp://[user:password@]host[:port][?starttls=true] or smtps://... (SSL)."""

    def __init__(self, url: str, timeout: float = 30):
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise UserError(
                f"PEER_REVIEW_SMTP_URL must look like smtp://host:25, smtp://user:password@host:587?starttls=true or smtps://host:465; got '{parsed.scheme}://...'"
            )
        self.ssl = parsed.scheme == "smtps"
        self.host, self.port = parsed.hostname, parsed.port or (465 if self.ssl else 25)
        self.user = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.starttls = parse_qs(parsed.query).get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.timeout = timeout

    def send(self, message: EmailMessage, row: QueuedMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.ssl:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)


def channel_from_environment(default_folder: Path = Path("outbox")) -> Channel:
    url = settings.smtp_url()
    return SmtpChannel(url) if url else FolderChannel(Path(settings.outbox_dir() or default_folder))
