"""A review's discussion: comments on the whole review or on one of its lines of enquiry, and every version of
each (domain/discussion.py has the rules)."""

import datetime as dt

from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class Comment(Base, table=True):
    """One comment: where it is, for whom (its visibility, fixed when posted), by whom, and whether the
    coordinator has hidden it. Its words are its versions (CommentVersion), the latest being what it says."""

    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    line_number: int | None = None  # None: on the whole review
    lines_round: int | None = None  # the round of the lines it was posted on (a line's number is per round)
    author_id: int = Field(foreign_key="person.id")
    author_role: str  # what the author was to the review when posting: host, peer, moderator or coordinator
    visibility: str  # domain.discussion.Visibility
    created_at: dt.datetime = Field(index=True)
    hidden_at: dt.datetime | None = None
    hidden_by: int | None = Field(default=None, foreign_key="person.id")
    hidden_reason: str | None = None


class CommentVersion(Base, table=True):
    """A comment's words as posted or edited: every edit is a new version, none is ever changed."""

    id: int = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    text: str
    at: dt.datetime
