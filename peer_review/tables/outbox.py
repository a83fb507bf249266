"""Notifications waiting to be sent, and sent."""

import datetime as dt
from typing import Optional

from sqlmodel import Field

from peer_review.tables import partnership, review, task  # noqa: F401  (the tables these refer to, defined first)
from peer_review.tables.base import Base


class OutboxMessage(Base, table=True):
    """A notification to one person, written in the same transaction as the change that caused it.

    `key` names the event (so reruns never add a second row); `message_id` is fixed when the row is
    made, so a message sent again after a crash is recognisably the same message.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: Optional[int] = Field(default=None, foreign_key="review.id", index=True)
    task_id: Optional[int] = Field(default=None, foreign_key="task.id")
    event: str
    recipient: str  # email
    subject: str
    text: str
    html: str
    ics: Optional[str] = None
    message_id: str
    created_at: dt.datetime
    status: str = Field(default="pending", index=True)  # pending | sent
    attempts: int = 0
    last_error: str = ""
    sent_at: Optional[dt.datetime] = None
