"""The audit log."""

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class AuditEntry(Base, table=True):
    """Append-only: who did what, when. Rows are never updated or deleted."""

    id: int = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str  # an email, or "engine"
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    action: str
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AccessRecord(Base, table=True):
    """Who opened which of a review's documents or evidence files, and when (the access log a data protection
    officer asks for). Append-only, like the audit log."""

    id: int = Field(default=None, primary_key=True)
    at: dt.datetime
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    email: str  # who, as they signed in
    what: str  # document | file | zip | report page
    name: str  # the document's kind, or the file's name, as it was then
    file_id: int | None = None  # an evidence file's id (kept when the file is removed: no foreign key)
