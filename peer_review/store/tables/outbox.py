"""Notifications waiting to be sent, and sent."""

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field

from peer_review.store.tables import partnership, review, task  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class OutboxMessage(Base, table=True):
    """A notification to one person, written in the same transaction as the change that caused it.

    `key` names the event (so reruns never add a second row); `message_id` is fixed when the row is
    made, so a message sent again after a crash is recognisably the same message. The text is kept for a
    while after sending, then deleted (service.outbox.purge_sent); a sign-in email's is never stored.
    """

    __table_args__ = (
        Index("ix_outboxmessage_body_deleted_at_sent_at", "body_deleted_at", "sent_at"),  # the texts to delete
        Index("ix_outboxmessage_event_created_at", "event", "created_at"),  # the sign-in emails to delete
    )
    id: int = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id")
    event: str
    recipient: str  # email
    subject: str
    text: str
    html: str
    ics: str | None = None
    sign_in_request_id: int | None = None  # a sign-in email, written as it is sent; no foreign key: requests go first
    message_id: str
    created_at: dt.datetime
    status: str = Field(default="pending", index=True)  # pending | sent | expired (a sign-in email too late to send)
    attempts: int = 0
    last_error: str = ""
    sent_at: dt.datetime | None = None
    body_deleted_at: dt.datetime | None = None  # when the text was deleted, SENT_MAIL_DAYS after sending
