"""Proposed cycles and the host trusts' answers, kept after publishing: what was asked and how it was honoured."""

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base, json_list


class CycleProposal(Base, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "number"),)
    id: int = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    number: int  # 1, 2, ... within the partnership
    status: str = "proposed"  # domain.proposals.ProposalStatus
    start: dt.date
    end: dt.date
    visits: list = json_list()  # planning.Plan.as_json(): weeks, teams, deadlines and reasons
    proposed_at: dt.datetime
    proposed_by: str = ""  # the coordinator's email, or "" from the command line
    published_at: dt.datetime | None = None
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id")  # once published


class ProposalAnswer(Base, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "trust_id"),)
    id: int = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="cycleproposal.id", index=True)
    trust_id: int = Field(foreign_key="trust.id")
    answer: str = "waiting"  # domain.proposals.Answer
    requests: list = json_list()  # ChangeRequest.to_dict() each, with its reason
    answered_by_id: int | None = Field(default=None, foreign_key="person.id")
    answered_at: dt.datetime | None = None
    carried_over: bool = False  # a confirmation of the last proposal, whose part for this trust is unchanged
