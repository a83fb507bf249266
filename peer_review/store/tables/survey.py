"""The stakeholder survey."""

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class SurveyRound(Base, table=True):
    """One round of the stakeholder survey in a partnership (baseline, mid-cycle or end), with its questionnaire."""

    __table_args__ = (UniqueConstraint("partnership_id", "round"),)
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    round: str  # baseline | mid_cycle | end
    questionnaire: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # snapshot, so later edits of the file do not rewrite history
    opened_on: dt.date
    due: dt.date
    opened_by: str


class SurveyInvitation(Base, table=True):
    """A person's task to answer one round of the survey. Answers are only ever reported by group."""

    __table_args__ = (UniqueConstraint("round_id", "person_id"),)
    id: int = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="surveyround.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    group: str  # ceo | reviewer | moderator | coordinator, or a respondent's own group
    due: dt.date
    status: str = "open"  # open | done
    created_at: dt.datetime
    completed_at: dt.datetime | None = None


class SurveyAnswer(Base, table=True):
    __table_args__ = (UniqueConstraint("invitation_id", "item"),)
    id: int = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="surveyinvitation.id", index=True)
    item: str  # a statement's or open question's id
    value: int | None = None  # 1-5 for a statement; None when left blank, or for an open question
    text: str = ""
