"""Reviews in a cycle, their teams and the history of their visit dates."""

import datetime as dt

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base, json_list


class Cycle(Base, table=True):
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    start: dt.date
    end: dt.date
    months: int


class Review(Base, table=True):
    __table_args__ = (
        UniqueConstraint("cycle_id", "host_trust_id", "strand_id"),
        Index("ix_review_stage_partnership_id", "stage", "partnership_id"),  # reviews closed, per partnership
    )
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    host_trust_id: int = Field(foreign_key="trust.id", index=True)
    strand_id: str
    strand_title: str
    position: int  # the strand's place in the host CEO's order
    visit_start: dt.date
    visit_end: dt.date
    term: str = ""  # e.g. "2023-24 autumn", for moderators' termly limits
    sequence: int = 0  # how often the visit has moved (the calendar event's SEQUENCE)
    deadlines: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # stage -> ISO date
    stage: str = "scheduled"
    lines_round: int = 0  # the round of lines of enquiry that was agreed
    moderator_statement: str = ""
    next_steps: list = json_list()
    factual_corrections: list = json_list()
    issued_on: dt.date | None = None
    good_practice_consent: bool | None = (
        None  # the host's answer, in the factual accuracy check, to sharing its good practice
    )


class Assignment(Base, table=True):
    __table_args__ = (UniqueConstraint("review_id", "person_id"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str  # peer | moderator
    status: str = "assigned"
    reason: str = ""


class VisitChange(Base, table=True):
    """The history of a review's visit dates: who moved it, when, and why."""

    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    old_start: dt.date
    old_end: dt.date
    new_start: dt.date
    new_end: dt.date
    reason: str
    changed_by: str
    changed_at: dt.datetime


class HostColleague(Base, table=True):
    """A colleague of the host trust's CEO, named by the CEO to do the trust's tasks on one review (lines of
    enquiry, evidence, the timetable, progress on actions): what they do is recorded as done for the CEO,
    who keeps the factual-accuracy check and the consent to share. Withdrawn, the row stays (who could act when)."""

    __table_args__ = (UniqueConstraint("review_id", "person_id"),)
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    named_by_id: int = Field(foreign_key="person.id")
    named_at: dt.datetime
    withdrawn_at: dt.datetime | None = None
