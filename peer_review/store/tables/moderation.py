"""The moderator's rounds and decisions on findings."""

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import enquiry, partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class ModerationRound(Base, table=True):
    """One pass of the moderator over the findings still to be decided."""

    __table_args__ = (UniqueConstraint("review_id", "number"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    number: int
    moderator_id: int = Field(foreign_key="person.id")
    outcome: str  # signed_off | revisions_requested
    completed_at: dt.datetime


class ModerationDecision(Base, table=True):
    __table_args__ = (UniqueConstraint("finding_id", "round"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    round_id: int = Field(foreign_key="moderationround.id", index=True)
    round: int
    finding_id: int = Field(foreign_key="finding.id")
    finding_revision: int
    decision: str
    reason: str = ""
