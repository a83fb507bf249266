"""Participants' feedback on a review."""

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class FeedbackResponse(Base, table=True):
    __table_args__ = (UniqueConstraint("review_id", "person_id"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str
    helped_us_improve: int
    fair_and_accurate: int
    would_take_part_again: bool
    comments: str = ""
