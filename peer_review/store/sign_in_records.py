"""Sign-in requests (the emailed links), the web sessions they start, and people's calendar addresses: only
tokens' hashes are stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from peer_review.store.tables import CalendarFeed, SignInRequest, WebSession


def requests_for_address_since(session: Session, email: str, since: dt.datetime) -> int:
    """How many links were asked for this address after `since` (the rate limit per address)."""
    return session.exec(
        select(func.count())
        .select_from(SignInRequest)
        .where(SignInRequest.email == email, SignInRequest.requested_at > since)
    ).one()


def requests_from_client_since(session: Session, client: str, since: dt.datetime) -> int:
    """How many links were asked for from this client (IP address) after `since` (the rate limit per client)."""
    return session.exec(
        select(func.count())
        .select_from(SignInRequest)
        .where(SignInRequest.client == client, SignInRequest.requested_at > since)
    ).one()


def sign_in_request(session: Session, request_id: int) -> SignInRequest | None:
    return session.get(SignInRequest, request_id)


def request_by_token_hash(session: Session, token_hash: str) -> SignInRequest | None:
    return session.exec(select(SignInRequest).where(SignInRequest.token_hash == token_hash)).first()


def claim_request(session: Session, request_id: int, now: dt.datetime) -> bool:
    """Mark the request used, if it is still unused: of two clicks at once, one claims it."""
    return (
        session.exec(
            update(SignInRequest)
            .where(col(SignInRequest.id) == request_id, col(SignInRequest.used_at).is_(None))
            .values(used_at=now)
        ).rowcount
        == 1
    )


def web_session_by_token_hash(session: Session, token_hash: str) -> WebSession | None:
    return session.exec(select(WebSession).where(WebSession.token_hash == token_hash)).first()


def forget_requests_and_sessions(session: Session, requested_before: dt.datetime, seen_before: dt.datetime) -> None:
    """Delete the requests asked for before `requested_before`, and the sessions last seen before `seen_before`."""
    session.exec(delete(SignInRequest).where(col(SignInRequest.requested_at) < requested_before))
    session.exec(delete(WebSession).where(col(WebSession.last_seen_at) < seen_before))


def add_sign_in_request(
    session: Session,
    *,
    email: str,
    client: str,
    requested_at: dt.datetime,
    next_path: str,
    expires_at: dt.datetime,
    link_base: str | None,
) -> SignInRequest:
    """A request for a sign-in link, added and flushed: its email names its id (signin.request_link)."""
    request = SignInRequest(
        email=email,
        client=client,
        requested_at=requested_at,
        next_path=next_path,
        expires_at=expires_at,
        link_base=link_base,
    )
    session.add(request)
    session.flush()
    return request


def add_web_session(
    session: Session,
    *,
    token_hash: str,
    email: str,
    csrf_token: str,
    created_at: dt.datetime,
    last_seen_at: dt.datetime,
) -> WebSession:
    """A web session a sign-in link started, added to the session (signin.use_link)."""
    web = WebSession(
        token_hash=token_hash, email=email, csrf_token=csrf_token, created_at=created_at, last_seen_at=last_seen_at
    )
    session.add(web)
    return web


def live_feeds_of(session: Session, email: str) -> list[CalendarFeed]:
    """A person's calendar addresses not stopped, newest first."""
    return list(
        session.exec(
            select(CalendarFeed)
            .where(CalendarFeed.email == email, col(CalendarFeed.revoked_at).is_(None))
            .order_by(col(CalendarFeed.id).desc())
        )
    )


def feed_by_token_hash(session: Session, token_hash: str) -> CalendarFeed | None:
    return session.exec(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash)).first()


def add_calendar_feed(session: Session, *, email: str, token_hash: str, created_at: dt.datetime) -> None:
    session.add(CalendarFeed(email=email, token_hash=token_hash, created_at=created_at))
