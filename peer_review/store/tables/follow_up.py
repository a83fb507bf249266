"""Areas for development as actions, and their progress."""

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import enquiry, partnership, review, task  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class DevelopmentAction(Base, table=True):
    """An area for development from an issued report, as an action its host trust owns (formative follow-up)."""

    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    review_id: int = Field(foreign_key="review.id", index=True)  # the review that found it
    finding_id: int = Field(foreign_key="finding.id", unique=True)
    text: str
    created_at: dt.datetime


class ActionProgress(Base, table=True):
    """The host's account of an action's progress, recorded at the trust's next review or at the end of its cycle."""

    __table_args__ = (UniqueConstraint("action_id", "task_id"),)
    id: int = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="developmentaction.id", index=True)
    review_id: int = Field(foreign_key="review.id", index=True)  # the review at which it was recorded
    task_id: int = Field(foreign_key="task.id")
    occasion: str  # next_review | end_of_cycle
    status: str  # not_started | under_way | done
    evidence: str = ""
    recorded_at: dt.datetime
