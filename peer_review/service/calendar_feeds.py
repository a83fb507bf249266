"""A person's calendar address: a secret address their calendar (Outlook, Google, Apple) subscribes to, which
answers with the visits and timetable sessions they are part of (service.calendars), without signing in.

The address carries a random token (256 bits); only its SHA-256 is kept, so the database never holds a working
address, and it is shown once, when it is made. Making a new one stops the old; it can be stopped at any time,
and it answers no more once its person has left every partnership. The logs write `/calendar-feed/[address]`,
never the token."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from peer_review import clock
from peer_review.errors import NotFound
from peer_review.service import access
from peer_review.service.calendars import visits_calendar
from peer_review.store.db import Session
from peer_review.store.sign_in_records import add_calendar_feed, feed_by_token_hash, live_feeds_of

PATH = "/calendar-feed/"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(session: Session, viewer: access.Viewer):
    """The person's calendar address as it stands (when made, when last read), or None."""
    live = live_feeds_of(session, viewer.email)
    return live[0] if live else None


def make_feed(session: Session, viewer: access.Viewer) -> str:
    """A new calendar address for the signed-in person (the old one stops): its token, shown this once."""
    stop_feed(session, viewer)
    token = secrets.token_urlsafe(32)
    add_calendar_feed(session, email=viewer.email, token_hash=_hash(token), created_at=clock.now())
    return token


def stop_feed(session: Session, viewer: access.Viewer) -> int:
    """Stop the person's calendar addresses; how many were stopped."""
    live = live_feeds_of(session, viewer.email)
    for feed in live:
        feed.revoked_at = clock.now()
        session.add(feed)
    return len(live)


def calendar_for(session: Session, token: str) -> bytes:
    """The calendar an address answers with; NotFound for an address unknown, stopped, or of someone who has
    left (the same answer for each, so an address cannot be probed)."""
    feed = feed_by_token_hash(session, _hash(token)) if 20 <= len(token) <= 100 else None
    if feed is None or feed.revoked_at is not None or not access.viewer_for(session, feed.email).known:
        raise NotFound("no such calendar address")
    now = clock.now()
    if feed.last_used_at is None or clock.as_utc(feed.last_used_at) < now - dt.timedelta(hours=1):
        feed.last_used_at = now  # at most hourly: calendars poll often, and a write per poll is wasted
        session.add(feed)
    return visits_calendar(session, person=feed.email, still_here=True)  # not a partnership they have left
