"""A review's lines of enquiry, evidence, findings and the moderator's view of the self-evaluation."""

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base, json_list


class LineOfEnquiry(Base, table=True):
    __table_args__ = (UniqueConstraint("review_id", "round", "number"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    round: int
    number: int
    title: str
    from_prompt: bool = False  # taken verbatim from the strand's suggested prompts
    self_evaluation: str
    lead_id: int | None = Field(default=None, foreign_key="person.id")


class EvidenceItem(Base, table=True):
    __table_args__ = (UniqueConstraint("review_id", "ref"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    ref: str  # E1, E2, ...
    title: str
    type: str
    location: str
    lines: list = json_list()
    personal_data: bool = False


class Finding(Base, table=True):
    __table_args__ = (UniqueConstraint("review_id", "ref"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    ref: str  # F1, F2, ...
    line_number: int
    author_id: int = Field(foreign_key="person.id")
    kind: str  # strength | area_for_development | good_practice
    text: str
    evidence: list = json_list()
    revision: int = 1
    status: str = "pending"  # pending | supported | needs_revision


class SelfEvaluationJudgement(Base, table=True):
    """The moderator's view of how well the host's self-evaluation of a line matched the evidence, in one
    moderation round. A later round may judge a line again; the latest round's judgement is the one that
    stands, and the earlier ones show which judgements changed."""

    __table_args__ = (
        UniqueConstraint("review_id", "line_number", "round", name="uq_selfevaluationjudgement_review_line_round"),
    )
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    line_number: int
    round: int = 1
    alignment: str
    comment: str


class EvidenceFile(Base, table=True):
    """A file the host attached to an evidence item (E1, E2, ... by number, before and after the index is
    submitted). Its bytes are in the file store under `key` (adapters.file_store); the name is as uploaded,
    cleaned of any folder. `scanned` says whether clamd passed it ("clean") or no scanner was configured
    ("not scanned"); a file clamd flags is never kept."""

    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    item: int  # the evidence item's number: 2 is E2
    filename: str
    file_type: str  # the allow-list's extension: pdf, docx, xlsx, ...
    size: int
    sha256: str
    key: str = Field(unique=True)  # where its bytes are in the file store
    personal_data: bool = False
    scanned: str  # clean | not scanned
    uploaded_by_id: int = Field(foreign_key="person.id")
    for_id: int | None = Field(
        default=None, foreign_key="person.id"
    )  # the CEO, when a colleague or the coordinator acted
    uploaded_at: dt.datetime
