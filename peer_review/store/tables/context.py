"""Context from outside the reviews: published headline figures and external reviews."""

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base, json_list


class HeadlineFigure(Base, table=True):
    """One published headline figure about a trust (context for its reviews; never interpreted or graded)."""

    __table_args__ = (UniqueConstraint("trust_id", "measure", "year"),)
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    year: str  # as published, e.g. 2023 or 2022-23
    measure: str
    value: str  # as published; `number` holds it as a number when it is one
    number: float | None = None
    source: str = ""  # the file it came from
    loaded_at: dt.datetime


class ExternalReview(Base, table=True):
    """A commissioned external review of a trust, imported to compare with the peer reviews."""

    __table_args__ = (UniqueConstraint("trust_id", "reviewed_on"),)
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    reviewer: str
    organisation: str = ""
    reviewed_on: dt.date
    source: str = ""
    loaded_at: dt.datetime


class ExternalStrandView(Base, table=True):
    """What an external review said about one strand: its strengths, areas for development and view in its own words."""

    __table_args__ = (UniqueConstraint("external_review_id", "strand_id"),)
    id: int = Field(default=None, primary_key=True)
    external_review_id: int = Field(foreign_key="externalreview.id", index=True)
    strand_id: str
    view: str = ""
    strengths: list = json_list()
    areas_for_development: list = json_list()
