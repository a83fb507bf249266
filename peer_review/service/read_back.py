"""A task's answer read back: on "check your answers" before it is sent, and on the done task's page with who
sent it (for whom), when, and what happens next."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review.domain.model import TaskKind
from peer_review.service.kinds import KINDS, AnswerRow
from peer_review.store.db import Session
from peer_review.store.people import names_by_id
from peer_review.store.tasks import tasks_of

if TYPE_CHECKING:
    from peer_review.store.tables import Task


def fingerprint(answer: dict) -> str:
    """A short digest of an answer as checked, so that what is sent is what the person read back (not a
    draft changed since in another window)."""
    return hashlib.sha256(json.dumps(answer, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class NextTask:
    title: str
    who: str
    due: dt.date


@dataclass(frozen=True)
class DoneTask:
    rows: list[AnswerRow]  # empty for a task ended without an answer (handed over, cancelled)
    by: str  # who sent it
    for_whom: str  # whose task it was, when someone else sent it on their behalf; else ""
    at: dt.datetime | None
    next_step: str
    next_tasks: list[NextTask]  # the review's open tasks now: who acts next


def done_task(
    session: Session, task: Task, ctx: dict, sees_review: bool, viewer_ids: frozenset[int] | set[int]
) -> DoneTask:
    """The done task as the viewer reads it. An answer that is its giver's own view (feedback) is read back to
    them only: the evaluation shows such answers only in groups large enough to keep people anonymous."""
    kind = KINDS[TaskKind(task.kind)]
    own_view = bool(kind.rule.own_answer) and task.assignee_id not in viewer_ids
    names = names_by_id(session, {i for i in (task.completed_by_id, task.assignee_id) if i is not None})
    rows = kind.summary(ctx, task.input) if task.input is not None and kind.summary and not own_view else []
    by = names.get(task.completed_by_id, "") if task.completed_by_id is not None else ""
    for_whom = names.get(task.assignee_id, "") if task.completed_by_id not in (None, task.assignee_id) else ""
    waiting = [t for t in tasks_of(session, task.review_id) if t.status == "open"] if sees_review else []
    assignees = names_by_id(session, {t.assignee_id for t in waiting})
    return DoneTask(
        rows,
        by,
        for_whom,
        task.completed_at,
        kind.next_step,
        [NextTask(TaskKind(t.kind).title, assignees.get(t.assignee_id, ""), t.due) for t in waiting],
    )
