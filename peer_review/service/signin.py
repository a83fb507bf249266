"""Signing in with an emailed link, and the web sessions it starts.

Links and session cookies are random tokens from `secrets`; only their SHA-256 is stored, so a copy of
the database signs nobody in. A link's token is made when its email is sent (`link_for_sending`, called
by the outbox's delivery, sending.py), not when it is asked for: the queued message holds no link, and the sent
one's text is never stored, so neither the outbox nor a backup of it holds a working link (a token kept
encrypted until sending would need a key beside the database, which a copy of the machine has too).
A link works once, within LINK_LIFETIME of the request, and only by a POST (the page it opens has a
"Continue" button): mail scanners that open links, such as Microsoft Defender's Safe Links, cannot
spend it. A session ends on sign-out, after IDLE_LIMIT without a request, or after SESSION_LIMIT in all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock, settings
from peer_review.errors import UserError
from peer_review.service.outbox import notify
from peer_review.store import sign_in_records
from peer_review.store.db import Session
from peer_review.store.people import people_with_email

if TYPE_CHECKING:
    from peer_review.store.tables import OutboxMessage, Person, SignInRequest, WebSession

LINK_LIFETIME = dt.timedelta(minutes=30)
IDLE_LIMIT = dt.timedelta(hours=2)
SESSION_LIMIT = dt.timedelta(hours=12)
SEEN_EVERY = dt.timedelta(minutes=1)  # how often a session's last request is written down
RATE_WINDOW = dt.timedelta(minutes=15)
PER_ADDRESS = 3  # links asked for one address in RATE_WINDOW
PER_CLIENT = 10  # links asked from one client (IP address) in RATE_WINDOW


class TooManyRequests(UserError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def web_url() -> str:
    """Where people reach `peer-review serve` (PEER_REVIEW_WEB_URL), for links in emails."""
    return settings.web_url()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def request_link(session: Session, email: str, client: str, next_path: str = "/", base_url: str | None = None) -> None:
    """Email a sign-in link to a known address; an unknown one is recorded and gets nothing.

    The caller shows the same page either way, so nobody can learn who has an account.
    """
    now = clock.now()
    email = normalise_email(email)
    since = now - RATE_WINDOW
    by_address = sign_in_records.requests_for_address_since(session, email, since)
    by_client = sign_in_records.requests_from_client_since(session, client, since)
    if by_address >= PER_ADDRESS or by_client >= PER_CLIENT:
        raise TooManyRequests(
            f"Too many sign-in links were asked for. Wait {RATE_WINDOW.seconds // 60} minutes, then try again."
        )
    forget_old(session, now)
    person = _signs_in(session, email)
    request = sign_in_records.add_sign_in_request(
        session,
        email=email,
        client=client,
        requested_at=now,
        next_path=next_path,
        expires_at=now + LINK_LIFETIME,
        link_base=(base_url or web_url()).rstrip("/") if person else None,
    )
    if person is None:
        return
    notify(
        session,
        key=f"sign_in/{secrets.token_hex(16)}",
        event="sign_in",
        person=person,  # random: a purged request's id comes back
        subject="Your sign-in link for peer review",
        context={},
        sign_in_request_id=request.id,
    )


def _signs_in(session: Session, email: str) -> Person | None:
    """The person an address signs in as: one of its records in a partnership, not one of those who left."""
    return next(iter(people_with_email(session, email, still_here=True)), None)


def link_for_sending(session: Session, message: OutboxMessage) -> dict[str, object] | None:
    """The values of a sign-in email as it is sent, its link made now: a new token, of which only the hash
    is stored.

    None when the link could no longer be used (its request expired, was used or purged, or names someone
    else than the message's recipient, or its person has left): such a message is not sent. Sent again after
    a crash between sending and recording it, the message carries a new token, and the first email's stops working.
    """
    request = (
        sign_in_records.sign_in_request(session, message.sign_in_request_id) if message.sign_in_request_id else None
    )
    if (
        request is None
        or request.email != message.recipient
        or request.used_at is not None
        or request.link_base is None
    ):
        return None
    person = _signs_in(session, request.email)
    if person is None or _aware(request.expires_at) <= clock.now():
        return None
    token = secrets.token_urlsafe(32)
    request.token_hash = _hash(token)
    session.add(request)
    return {
        "name": person.name,
        "email": person.email,
        "link": f"{request.link_base}/sign-in/{token}",
        "minutes": LINK_LIFETIME.seconds // 60,
    }


KEPT_FOR = dt.timedelta(
    days=1
)  # how long spent links, and ended sessions, are kept (for the rate limits and a look back)


def forget_old(session: Session, now: dt.datetime) -> None:
    """Requests and sessions past any use: no table grows for ever, whoever asks for links. Also done at every
    `send` (sending.deliver), so that nothing is kept longer than KEPT_FOR when nobody signs in."""
    sign_in_records.forget_requests_and_sessions(session, now - KEPT_FOR, now - SESSION_LIMIT - KEPT_FOR)


def usable_link(session: Session, token: str) -> SignInRequest | None:
    """The link's request if it can still be used (looking does not spend it)."""
    request = sign_in_records.request_by_token_hash(session, _hash(token))
    if request is None or request.used_at is not None or _aware(request.expires_at) <= clock.now():
        return None
    return request


@dataclass(frozen=True)
class Started:
    token: str  # for the cookie; never stored
    csrf_token: str
    email: str
    next_path: str


def use_link(session: Session, token: str) -> Started | None:
    """Spend a link and start a session; None if it was used, expired or never existed.

    The UPDATE claims the link only if it is still unused, so two clicks at once start one session.
    """
    now = clock.now()
    request = usable_link(session, token)
    if request is None:
        return None
    if not sign_in_records.claim_request(session, request.id, now):
        return None
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    sign_in_records.add_web_session(
        session, token_hash=_hash(cookie), email=request.email, csrf_token=csrf, created_at=now, last_seen_at=now
    )
    return Started(cookie, csrf, request.email, request.next_path)


def current_session(session: Session, token: str | None) -> WebSession | None:
    """The live session a cookie names (its last request noted), or None."""
    if not token:
        return None
    web = sign_in_records.web_session_by_token_hash(session, _hash(token))
    now = clock.now()
    if web is None or web.ended_at is not None:
        return None
    if now - _aware(web.last_seen_at) > IDLE_LIMIT or now - _aware(web.created_at) > SESSION_LIMIT:
        return None
    if now - _aware(web.last_seen_at) > SEEN_EVERY:
        web.last_seen_at = now
        session.add(web)
    return web


def end_session(session: Session, token: str | None) -> None:
    web = current_session(session, token)
    if web is not None:
        web.ended_at = clock.now()
        session.add(web)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
