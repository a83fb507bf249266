"""The partnership: its trusts and people."""

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables.base import Base, json_list


class Partnership(Base, table=True):
    id: int = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    framework_id: str
    framework: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # snapshot, so later edits of the file do not rewrite history
    cycle_start: dt.date
    cycle_months: int
    term_dates: str = "sheffield"
    visit_days: int = 2
    peers_per_trust: int = 1
    deadlines: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # stage -> days from the visit
    blackouts: list = json_list()
    calendars: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # snapshot by calendar id
    reminders: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # see partnerships.Reminders
    source: str = ""
    loaded_at: dt.datetime


class Trust(Base, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str  # the id users write in YAML
    name: str
    strand_order: list = json_list()
    conflicts: list = json_list()
    calendar_id: str = "sheffield"
    left_on: dt.date | None = None  # the day it left the partnership (`partnership load --update`); its records stay
    # set by the trust's CEO on the web (the scheduling page), for the next proposed cycle:
    unavailable: list = json_list()  # [{start, end, reason}]: no visit hosted or made by the trust's people then
    preferred_terms: list = json_list()  # seasons ("autumn", "spring", "summer") the trust would rather host in


class Person(Base, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "email"),)
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    email: str = Field(index=True)
    name: str
    trust_id: int | None = Field(default=None, foreign_key="trust.id")
    job_title: str = ""
    organisation: str = ""
    strands: list = json_list()
    is_ceo: bool = False
    is_reviewer: bool = False
    is_moderator: bool = False
    is_coordinator: bool = False
    is_colleague: bool = False  # a CEO may name them to act for the trust on one of its reviews (HostColleague)
    max_reviews_per_term: int | None = None
    conflicts: list = json_list()  # trust ids and people's emails
    previous_employers: list = json_list()  # trust ids
    digest_only: bool = False  # only the weekly digest, no email per task or reminder
    comment_emails: str = "digest"  # new comments: "digest" (the daily digest) or "at_once"; set by the person
    left_on: dt.date | None = None  # the day they left (`partnership load --update`): no roles since, records kept
    survey_group: str = ""  # for someone asked only the stakeholder survey (the file's `respondents`), e.g. Trustees
