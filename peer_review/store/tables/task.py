"""People's tasks, drafts of long answers, and the history of due dates."""

import datetime as dt

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class Task(Base, table=True):
    # open tasks by review, soonest first: what status pages, task lists and the reminder sweep read
    __table_args__ = (
        Index("ix_task_status_review_id_due", "status", "review_id", "due"),
        Index(
            "ix_task_status_due_id", "status", "due", "id"
        ),  # the first page of every open task, without sorting them all
    )
    id: int = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # idempotency: review/kind/round/assignee
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str
    round: int = 1
    assignee_id: int = Field(foreign_key="person.id", index=True)
    due: dt.date
    status: str = "open"
    outcome: str | None = None
    note: str = ""  # why the task exists, e.g. the moderator's reason for a revision
    subject: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )  # what it is about, e.g. who is being replaced
    input: dict | None = Field(default=None, sa_column=Column(JSON))
    created_at: dt.datetime
    completed_at: dt.datetime | None = None
    completed_by_id: int | None = Field(default=None, foreign_key="person.id")


class TaskDraft(Base, table=True):
    """A long answer saved part-way on the web, to finish later: one for each person working on a task (the
    assignee, the coordinator acting for them), each seen only by its writer. A task's drafts are all
    removed when it ends: submitted, handed over or cancelled (service.common.end_task)."""

    __table_args__ = (
        UniqueConstraint("task_id", "person_id", name="uq_taskdraft_task_id_person_id"),
    )  # also finds a task's drafts
    id: int = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    person_id: int = Field(foreign_key="person.id")
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    saved_at: dt.datetime


class DueDateChange(Base, table=True):
    """The history of a task's due date: extensions, who granted them and why."""

    id: int = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    old_due: dt.date
    new_due: dt.date
    reason: str
    changed_by: str
    changed_at: dt.datetime
