"""Signing in on the web."""

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field

from peer_review.store.tables.base import Base


class SignInRequest(Base, table=True):
    """One request for a sign-in link, known address or not (rate limits count both). A link is sent
    only to a known address; its token is made when the email is sent and only its SHA-256 is kept
    here; it works once, before it expires."""

    __table_args__ = (Index("ix_signinrequest_client_requested_at", "client", "requested_at"),)
    id: int = Field(default=None, primary_key=True)
    email: str = Field(index=True)
    client: str  # the requesting address, for the per-client limit
    requested_at: dt.datetime
    token_hash: str | None = Field(
        default=None, unique=True
    )  # None until the email is sent, and for an unknown address
    next_path: str = "/"
    link_base: str | None = None  # the site's address the link starts with (None: no link for an unknown address)
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class WebSession(Base, table=True):
    """A signed-in person in a browser. The cookie holds a random token; only its SHA-256 is kept here."""

    id: int = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    email: str = Field(index=True)
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None = None


class CalendarFeed(Base, table=True):
    """A person's calendar address (a feed their calendar subscribes to, without signing in): a random token
    in the address, of which only the SHA-256 is kept here. Stopped (revoked_at), it answers no more."""

    id: int = Field(default=None, primary_key=True)
    email: str = Field(index=True)  # the person, as they sign in (every partnership they are in)
    token_hash: str = Field(unique=True)
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
