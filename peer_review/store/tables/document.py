"""Rendered Word documents, and the corrections the moderator made to a report's wording before its issue."""

import datetime as dt

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
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


class ReportCorrection(Base, table=True):
    """One change the moderator made to the report's wording before issue (usually the host trust's factual
    corrections): a finding's text as the report shows it, or a line's comment on the self-evaluation. The
    text itself is changed where it is kept (Finding.text, SelfEvaluationJudgement.comment), so the issued
    report, the actions and the good practice library all carry it; these rows are its versions, in order."""

    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    part: str  # finding | alignment
    ref: str  # the finding's ref (F3), or the line's number
    before: str
    after: str
    reason: str
    by_id: int = Field(foreign_key="person.id")
    at: dt.datetime
