"""Database tables (SQLModel). The schema is created and upgraded by the Alembic migrations."""

# Annotations here are real objects, not `from __future__` strings that pydantic and SQLAlchemy would parse
# again (about 400 of them) each time a command starts.

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel


class _Table(SQLModel):
    """Every table's base. Rows are made from the database and by the service layer, not validated by
    pydantic, so each table's validator is built only if something asks for it (defer_build): every command
    defines all the tables at start-up, and that is part of how long it takes to answer."""

    model_config = {"defer_build": True}


def _json(**kw: Any) -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kw)


class Partnership(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    framework_id: str
    framework: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # snapshot, so later edits of the file do not rewrite history
    cycle_start: dt.date
    cycle_months: int
    term_dates: str = "sheffield"
    visit_days: int = 2
    peers_per_trust: int = 1
    deadlines: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # stage -> days from the visit
    blackouts: list = _json()
    calendars: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # snapshot by calendar id
    reminders: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # see partnerships.Reminders
    source: str = ""
    loaded_at: dt.datetime


class Trust(_Table, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str  # the id users write in YAML
    name: str
    strand_order: list = _json()
    conflicts: list = _json()
    calendar_id: str = "sheffield"
    left_on: Optional[dt.date] = None  # the day it left the partnership (`partnership load --update`); its records stay


class Person(_Table, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "email"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    email: str = Field(index=True)
    name: str
    trust_id: Optional[int] = Field(default=None, foreign_key="trust.id")
    job_title: str = ""
    organisation: str = ""
    strands: list = _json()
    is_ceo: bool = False
    is_reviewer: bool = False
    is_moderator: bool = False
    is_coordinator: bool = False
    max_reviews_per_term: Optional[int] = None
    conflicts: list = _json()  # trust ids and people's emails
    previous_employers: list = _json()  # trust ids
    digest_only: bool = False  # only the weekly digest, no email per task or reminder
    left_on: Optional[dt.date] = None  # the day they left (`partnership load --update`): no roles since, records kept
    survey_group: str = ""  # for someone asked only the stakeholder survey (the file's `respondents`), e.g. Trustees


class Cycle(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    start: dt.date
    end: dt.date
    months: int


class Review(_Table, table=True):
    __table_args__ = (
        UniqueConstraint("cycle_id", "host_trust_id", "strand_id"),
        Index("ix_review_stage_partnership_id", "stage", "partnership_id"),  # reviews closed, per partnership
    )
    id: Optional[int] = Field(default=None, primary_key=True)
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
    next_steps: list = _json()
    factual_corrections: list = _json()
    issued_on: Optional[dt.date] = None
    good_practice_consent: Optional[bool] = None  # the host's answer, in the factual accuracy check, to sharing its good practice


class DueDateChange(_Table, table=True):
    """The history of a task's due date: extensions, who granted them and why."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    old_due: dt.date
    new_due: dt.date
    reason: str
    changed_by: str
    changed_at: dt.datetime


class VisitChange(_Table, table=True):
    """The history of a review's visit dates: who moved it, when, and why."""

    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    old_start: dt.date
    old_end: dt.date
    new_start: dt.date
    new_end: dt.date
    reason: str
    changed_by: str
    changed_at: dt.datetime


class Assignment(_Table, table=True):
    __table_args__ = (UniqueConstraint("review_id", "person_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str  # peer | moderator
    status: str = "assigned"
    reason: str = ""


class LineOfEnquiry(_Table, table=True):
    __table_args__ = (UniqueConstraint("review_id", "round", "number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    round: int
    number: int
    title: str
    from_prompt: bool = False  # taken verbatim from the strand's suggested prompts
    self_evaluation: str
    lead_id: Optional[int] = Field(default=None, foreign_key="person.id")


class EvidenceItem(_Table, table=True):
    __table_args__ = (UniqueConstraint("review_id", "ref"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    ref: str  # E1, E2, ...
    title: str
    type: str
    location: str
    lines: list = _json()
    personal_data: bool = False


class Finding(_Table, table=True):
    __table_args__ = (UniqueConstraint("review_id", "ref"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    ref: str  # F1, F2, ...
    line_number: int
    author_id: int = Field(foreign_key="person.id")
    kind: str  # strength | area_for_development | good_practice
    text: str
    evidence: list = _json()
    revision: int = 1
    status: str = "pending"  # pending | supported | needs_revision


class ModerationRound(_Table, table=True):
    """One pass of the moderator over the findings still to be decided."""

    __table_args__ = (UniqueConstraint("review_id", "number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    number: int
    moderator_id: int = Field(foreign_key="person.id")
    outcome: str  # signed_off | revisions_requested
    completed_at: dt.datetime


class ModerationDecision(_Table, table=True):
    __table_args__ = (UniqueConstraint("finding_id", "round"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    round_id: int = Field(foreign_key="moderationround.id", index=True)
    round: int
    finding_id: int = Field(foreign_key="finding.id")
    finding_revision: int
    decision: str
    reason: str = ""


class SelfEvaluationJudgement(_Table, table=True):
    """The moderator's view of how well the host's self-evaluation of a line matched the evidence, in one
    moderation round. A later round may judge a line again; the latest round's judgement is the one that
    stands, and the earlier ones show which judgements changed."""

    __table_args__ = (UniqueConstraint("review_id", "line_number", "round", name="uq_selfevaluationjudgement_review_line_round"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    line_number: int
    round: int = 1
    alignment: str
    comment: str


class DevelopmentAction(_Table, table=True):
    """An area for development from an issued report, as an action its host trust owns (formative follow-up)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    review_id: int = Field(foreign_key="review.id", index=True)  # the review that found it
    finding_id: int = Field(foreign_key="finding.id", unique=True)
    text: str
    created_at: dt.datetime


class ActionProgress(_Table, table=True):
    """The host's account of an action's progress, recorded at the trust's next review or at the end of its cycle."""

    __table_args__ = (UniqueConstraint("action_id", "task_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="developmentaction.id", index=True)
    review_id: int = Field(foreign_key="review.id", index=True)  # the review at which it was recorded
    task_id: int = Field(foreign_key="task.id")
    occasion: str  # next_review | end_of_cycle
    status: str  # not_started | under_way | done
    evidence: str = ""
    recorded_at: dt.datetime


class HeadlineFigure(_Table, table=True):
    """One published headline figure about a trust (context for its reviews; never interpreted or graded)."""

    __table_args__ = (UniqueConstraint("trust_id", "measure", "year"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    year: str  # as published, e.g. 2023 or 2022-23
    measure: str
    value: str  # as published; `number` holds it as a number when it is one
    number: Optional[float] = None
    source: str = ""  # the file it came from
    loaded_at: dt.datetime


class ExternalReview(_Table, table=True):
    """A commissioned external review of a trust, imported to compare with the peer reviews."""

    __table_args__ = (UniqueConstraint("trust_id", "reviewed_on"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    trust_id: int = Field(foreign_key="trust.id", index=True)
    reviewer: str
    organisation: str = ""
    reviewed_on: dt.date
    source: str = ""
    loaded_at: dt.datetime


class ExternalStrandView(_Table, table=True):
    """What an external review said about one strand: its strengths, areas for development and view in its own words."""

    __table_args__ = (UniqueConstraint("external_review_id", "strand_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    external_review_id: int = Field(foreign_key="externalreview.id", index=True)
    strand_id: str
    view: str = ""
    strengths: list = _json()
    areas_for_development: list = _json()


class SurveyRound(_Table, table=True):
    """One round of the stakeholder survey in a partnership (baseline, mid-cycle or end), with its questionnaire."""

    __table_args__ = (UniqueConstraint("partnership_id", "round"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    round: str  # baseline | mid_cycle | end
    questionnaire: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # snapshot, so later edits of the file do not rewrite history
    opened_on: dt.date
    due: dt.date
    opened_by: str


class SurveyInvitation(_Table, table=True):
    """A person's task to answer one round of the survey. Answers are only ever reported by group."""

    __table_args__ = (UniqueConstraint("round_id", "person_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="surveyround.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    group: str  # ceo | reviewer | moderator | coordinator, or a respondent's own group
    due: dt.date
    status: str = "open"  # open | done
    created_at: dt.datetime
    completed_at: Optional[dt.datetime] = None


class SurveyAnswer(_Table, table=True):
    __table_args__ = (UniqueConstraint("invitation_id", "item"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="surveyinvitation.id", index=True)
    item: str  # a statement's or open question's id
    value: Optional[int] = None  # 1-5 for a statement; None when left blank, or for an open question
    text: str = ""


class Task(_Table, table=True):
    # open tasks by review, soonest first: what status pages, task lists and the reminder sweep read
    __table_args__ = (
        Index("ix_task_status_review_id_due", "status", "review_id", "due"),
        Index("ix_task_status_due_id", "status", "due", "id"),  # the first page of every open task, without sorting them all
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # idempotency: review/kind/round/assignee
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str
    round: int = 1
    assignee_id: int = Field(foreign_key="person.id", index=True)
    due: dt.date
    status: str = "open"
    outcome: Optional[str] = None
    note: str = ""  # why the task exists, e.g. the moderator's reason for a revision
    subject: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # what it is about, e.g. who is being replaced
    input: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    created_at: dt.datetime
    completed_at: Optional[dt.datetime] = None
    completed_by_id: Optional[int] = Field(default=None, foreign_key="person.id")


class TaskDraft(_Table, table=True):
    """A long answer saved part-way on the web, to finish later; removed when the task is submitted."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", unique=True)
    person_id: int = Field(foreign_key="person.id")
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    saved_at: dt.datetime


class Document(_Table, table=True):
    """A rendered Word document, kept in the database so every worker and machine sees it."""

    __table_args__ = (UniqueConstraint("review_id", "kind"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str
    filename: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str
    created_at: dt.datetime


class FeedbackResponse(_Table, table=True):
    __table_args__ = (UniqueConstraint("review_id", "person_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str
    helped_us_improve: int
    fair_and_accurate: int
    would_take_part_again: bool
    comments: str = ""


class OutboxMessage(_Table, table=True):
    """A notification to one person, written in the same transaction as the change that caused it.

    `key` names the event (so reruns never add a second row); `message_id` is fixed when the row is
    made, so a message sent again after a crash is recognisably the same message.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: Optional[int] = Field(default=None, foreign_key="review.id", index=True)
    task_id: Optional[int] = Field(default=None, foreign_key="task.id")
    event: str
    recipient: str  # email
    subject: str
    text: str
    html: str
    ics: Optional[str] = None
    message_id: str
    created_at: dt.datetime
    status: str = Field(default="pending", index=True)  # pending | sent
    attempts: int = 0
    last_error: str = ""
    sent_at: Optional[dt.datetime] = None


class SignInRequest(_Table, table=True):
    """One request for a sign-in link, known address or not (rate limits count both). A link is sent
    only to a known address; only its SHA-256 is kept, and it works once, before it expires."""

    __table_args__ = (Index("ix_signinrequest_client_requested_at", "client", "requested_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(index=True)
    client: str  # the requesting address, for the per-client limit
    requested_at: dt.datetime
    token_hash: Optional[str] = Field(default=None, unique=True)  # None when the address is unknown
    next_path: str = "/"
    expires_at: dt.datetime
    used_at: Optional[dt.datetime] = None


class WebSession(_Table, table=True):
    """A signed-in person in a browser. The cookie holds a random token; only its SHA-256 is kept here."""

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    email: str = Field(index=True)
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: Optional[dt.datetime] = None


class AuditEntry(_Table, table=True):
    """Append-only: who did what, when. Rows are never updated or deleted."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str  # an email, or "engine"
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: Optional[int] = Field(default=None, foreign_key="review.id", index=True)
    action: str
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MachineWork(_Table, table=True):
    """The engine's queue: a review whose records changed since the engine last found nothing to do for it.

    A row is written (or its `token` bumped) in the same transaction as any change to a review's records, by
    the listener below, so no change can be missed; the sweep deletes the row once the review waits on
    people, unless the token moved meanwhile. `claimed_until` is a sweep's lease (wall-clock time, not the
    simulated clock): a sweep killed part-way leaves its rows to the next sweep once the lease runs out.
    """

    review_id: int = Field(foreign_key="review.id", primary_key=True)
    token: int = 1
    claimed_until: Optional[dt.datetime] = None
    claimed_by: Optional[str] = None


#: Changes that never alter what the engine does next: the audit log, messages, drafts and histories.
_NOT_ENGINE_INPUT = (AuditEntry, OutboxMessage, TaskDraft, DueDateChange, VisitChange)


@event.listens_for(OrmSession, "after_flush")
def _note_changed_reviews(session: OrmSession, _context: Any) -> None:
    """Note every review whose records this flush changed, and the host trust of a review that itself changed
    (the trust's follow-up depends on its other reviews' stages and dates); queued when the transaction commits."""
    reviews = session.info.setdefault("changed_reviews", set())
    hosts = session.info.setdefault("changed_hosts", set())
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Review):
            if obj in session.new or session.is_modified(obj):
                reviews.add(obj.id)
                hosts.add(obj.host_trust_id)
        elif not isinstance(obj, (_NOT_ENGINE_INPUT, MachineWork)) and getattr(obj, "review_id", None) is not None:
            if obj not in session.dirty or session.is_modified(obj):
                reviews.add(obj.review_id)


@event.listens_for(OrmSession, "before_commit")
def _queue_changed_reviews(session: OrmSession) -> None:
    """One statement, just before commit, queues every review the transaction changed: taking the queue's
    row locks last, in review order, keeps transactions on different reviews of one trust from deadlocking."""
    session.flush()
    reviews, hosts = session.info.pop("changed_reviews", set()), session.info.pop("changed_hosts", set())
    settled = session.info.pop("settled_reviews", {})
    if reviews or hosts or settled:
        from peer_review.service.sweep import queue  # the statements are dialect-specific (an upsert)

        queue(session.connection(), reviews, hosts, settled)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_changed_reviews(session: OrmSession, transaction: Any) -> None:
    """Forget what a transaction changed once it is over; a savepoint's end (nested) forgets nothing, since
    what was noted before it still stands (noting too much only costs the engine a look)."""
    if transaction.parent is None:
        for key in ("changed_reviews", "changed_hosts", "settled_reviews"):
            session.info.pop(key, None)


@event.listens_for(OrmSession, "before_flush")
def _audit_is_append_only(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise RuntimeError("the audit log is append-only: audit entries cannot be changed or deleted")
