"""Database tables (SQLModel), a module for each part of the record. The schema is created and upgraded
by the Alembic migrations.

`from peer_review.store.tables import Task` reads as from one module, but defines only the tables of the
module holding Task, and those they refer to. Defining a table costs about 3 ms; a command that names
a third of them starts that much sooner (`status` names 10 of 41). What needs every table (the migrations,
copying a database) calls `every_table()`.

The session listeners below keep the engine's queue (machine_work) in step with every change to a review.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, event
from sqlalchemy.orm import Session as OrmSession

if TYPE_CHECKING:  # the checker sees every table; at run time each is defined when first asked for (below)
    from peer_review.store.tables.audit import AccessRecord, AuditEntry  # noqa: F401
    from peer_review.store.tables.context import ExternalReview, ExternalStrandView, HeadlineFigure  # noqa: F401
    from peer_review.store.tables.discussion import Comment, CommentVersion  # noqa: F401
    from peer_review.store.tables.document import Document, ReportCorrection  # noqa: F401
    from peer_review.store.tables.enquiry import (  # noqa: F401
        EvidenceFile,
        EvidenceItem,
        Finding,
        LineOfEnquiry,
        SelfEvaluationJudgement,
    )
    from peer_review.store.tables.feedback import FeedbackResponse  # noqa: F401
    from peer_review.store.tables.follow_up import ActionProgress, DevelopmentAction  # noqa: F401
    from peer_review.store.tables.machine_work import MachineWork  # noqa: F401
    from peer_review.store.tables.moderation import ModerationDecision, ModerationRound  # noqa: F401
    from peer_review.store.tables.outbox import OutboxMessage  # noqa: F401
    from peer_review.store.tables.partnership import Partnership, Person, Trust  # noqa: F401
    from peer_review.store.tables.proposal import CycleProposal, ProposalAnswer  # noqa: F401
    from peer_review.store.tables.review import Assignment, Cycle, HostColleague, Review, VisitChange  # noqa: F401
    from peer_review.store.tables.survey import SurveyAnswer, SurveyInvitation, SurveyRound  # noqa: F401
    from peer_review.store.tables.task import DueDateChange, Task, TaskDraft  # noqa: F401
    from peer_review.store.tables.timetable import VisitSession  # noqa: F401
    from peer_review.store.tables.web import CalendarFeed, SignInRequest, WebSession  # noqa: F401

#: Each module's tables; a test checks this against the modules themselves.
MODULES: dict[str, tuple[str, ...]] = {
    "partnership": ("Partnership", "Trust", "Person"),
    "review": ("Cycle", "Review", "Assignment", "VisitChange", "HostColleague"),
    "proposal": ("CycleProposal", "ProposalAnswer"),
    "task": ("Task", "TaskDraft", "DueDateChange"),
    "enquiry": ("LineOfEnquiry", "EvidenceItem", "EvidenceFile", "Finding", "SelfEvaluationJudgement"),
    "moderation": ("ModerationRound", "ModerationDecision"),
    "follow_up": ("DevelopmentAction", "ActionProgress"),
    "document": ("Document", "ReportCorrection"),
    "feedback": ("FeedbackResponse",),
    "discussion": ("Comment", "CommentVersion"),
    "context": ("HeadlineFigure", "ExternalReview", "ExternalStrandView"),
    "survey": ("SurveyRound", "SurveyInvitation", "SurveyAnswer"),
    "outbox": ("OutboxMessage",),
    "audit": ("AuditEntry", "AccessRecord"),
    "web": ("SignInRequest", "WebSession", "CalendarFeed"),
    "machine_work": ("MachineWork",),
    "timetable": ("VisitSession",),
}
_HOME = {name: module for module, names in MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """A table, defined when it is first asked for (PEP 562)."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    table = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = table
    return table


def every_table() -> MetaData:
    """The metadata with every table defined."""
    from sqlmodel import SQLModel

    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return SQLModel.metadata


#: Changes that never alter what the engine does next: the audit log, messages, drafts, histories, the visit
#: timetable, comments, and the engine's queue itself. By table name, so that a listener defines no table.
_NOT_ENGINE_INPUT = frozenset(
    {
        "auditentry",
        "accessrecord",
        "calendarfeed",
        "outboxmessage",
        "taskdraft",
        "duedatechange",
        "visitchange",
        "machinework",
        "visitsession",
        "comment",
        "commentversion",
    }
)


def _table_name(obj: Any) -> str | None:
    return getattr(type(obj), "__tablename__", None)


@event.listens_for(OrmSession, "after_flush")
def _note_changed_reviews(session: OrmSession, _context: Any) -> None:
    """Note every review whose records this flush changed, and the host trust of a review that itself changed
    (the trust's follow-up depends on its other reviews' stages and dates); queued when the transaction commits."""
    reviews = session.info.setdefault("changed_reviews", set())
    hosts = session.info.setdefault("changed_hosts", set())
    for obj in [*session.new, *session.dirty, *session.deleted]:
        table = _table_name(obj)
        if table == "review":
            if obj in session.new or session.is_modified(obj):
                reviews.add(obj.id)
                hosts.add(obj.host_trust_id)
        elif table not in _NOT_ENGINE_INPUT and getattr(obj, "review_id", None) is not None:
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
        from peer_review.store.machine_work import queue  # defines the tables it names: only when needed

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
        if _table_name(obj) == "auditentry":
            raise RuntimeError("the audit log is append-only: audit entries cannot be changed or deleted")
