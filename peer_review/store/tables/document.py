"""Rendered Word documents."""

import datetime as dt

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class Document(Base, table=True):
    """A rendered Word document, kept in the database so every worker and machine sees it."""

    __table_args__ = (UniqueConstraint("review_id", "kind"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str
    filename: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str
    created_at: dt.datetime
    #: what it was rendered from (documents.document_context), for its page; None before schema 0011
    context: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
