"""Moving reviews on: people submitting their tasks, and the engine's machine steps after them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from peer_review import settings
from peer_review.adapters import prefect_events
from peer_review.domain.model import TaskKind, TaskStatus
from peer_review.errors import BadInput, Conflict, Refused
from peer_review.files.yaml_document import describe, dotted
from peer_review.service.access import colleague_may_do, not_theirs_to_answer
from peer_review.service.common import audit, end_task, stored_person
from peer_review.service.kinds import KINDS, validation_context
from peer_review.service.steps import lock_review, pending_step, run_step  # noqa: F401  (the engine's half of this module's job)
from peer_review.service.sweep import advance_review
from peer_review.store.db import Session
from peer_review.store.people import person, person_by_email
from peer_review.store.review_locks import claim_open_task
from peer_review.store.reviews import get_review, get_task

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


@dataclass(frozen=True)
class Submitted:
    task_id: int
    kind: TaskKind
    review_id: int
    outcome: str | None


class InvalidAnswer(BadInput):
    """An answer that fails its kind's checks; `problems` holds every (key path, message), first one first."""

    def __init__(self, problems: list[tuple[tuple, str]], raw: list[dict] | None = None):
        self.problems = problems
        self.raw = raw or []  # pydantic's own errors, for callers that word them differently
        loc, message = problems[0]
        super().__init__(message, place=dotted(loc) or None, loc=loc)


def check_actor(session: Session, task: Task, review: Review, as_email: str) -> Person:
    """The person acting, if they may submit this task now: its assignee, or the partnership's coordinator
    on their behalf, unless the answer is the assignee's own (feedback: access.not_theirs_to_answer)."""
    actor = person_by_email(session, review.partnership_id, as_email)
    if actor is None:
        raise Refused(f"{as_email} is not a person in this review's partnership")
    if task.status != TaskStatus.OPEN:
        raise _not_open(session, task)
    if actor.id != task.assignee_id and not actor.is_coordinator and not colleague_may_do(session, task, {actor.id}):
        assignee = stored_person(session, task.assignee_id)
        raise Refused(f"task {task.id} is assigned to {assignee.email}; only they or the coordinator can submit it")
    why = not_theirs_to_answer(session, task, {actor.id})
    if why:
        raise Refused(f"task {task.id}: {why}")
    return actor


def _not_open(session: Session, task: Task) -> Conflict:
    """The refusal of a task that is done (or cancelled), the same whether an answer came after the
    winner's or at the same moment: who did it, and when."""
    who = person(session, task.completed_by_id) if task.completed_by_id else None
    when = f" on {task.completed_at:%Y-%m-%d}" if task.completed_at else ""
    return Conflict(f"task {task.id} is already {task.status}" + (f" (by {who.email}{when})" if who else ""))


def validate_answer(session: Session, task: Task, review: Review, data: Any) -> BaseModel:
    """The answer parsed by its kind's model, checked against the review's own lines, evidence and findings."""
    if not isinstance(data, dict):
        raise BadInput(f"the input must be a mapping of keys (see `peer-review task template {task.id}`)")
    try:
        return KINDS[TaskKind(task.kind)].model.model_validate(data, context=validation_context(session, review, task))
    except ValidationError as exc:
        errors = exc.errors()
        raise InvalidAnswer([(tuple(e["loc"]), describe(e)) for e in errors], [dict(e) for e in errors]) from None


def check(session: Session, task_id: int, data: Any, as_email: str) -> BaseModel:
    """An answer checked as `submit` would check it, writing nothing: what a "check your answers" page shows
    before the person sends it. `submit` checks it again, against the records as they are then."""
    task = get_task(session, task_id)
    review = get_review(session, task.review_id)
    check_actor(session, task, review, as_email)
    return validate_answer(session, task, review, data)


def _claim(session: Session, task: Task) -> None:
    """Mark the task taken, if it is still open, before anything is recorded: of two answers sent at once
    (two clicks, two people, two processes), the database lets one through; the other waits for it, finds
    the task no longer open and is refused, as if it had come later. A refusal later in the transaction
    rolls the claim back too."""
    if not claim_open_task(session, task.id):
        session.refresh(task)  # the winner's answer: it committed before the claim stopped waiting
        raise _not_open(session, task)


def submit(session: Session, task_id: int, data: Any, as_email: str) -> Submitted:
    """Validate a task's input, record it with its follow-up tasks, and mark the task done.

    Everything happens in the caller's transaction: a refusal at any point writes nothing.
    """
    task = get_task(session, task_id)
    lock_review(
        session, task.review_id
    )  # answers, machine steps and roster updates on one review take turns: all checks see the latest
    review = get_review(session, task.review_id)
    actor = check_actor(session, task, review, as_email)
    kind = TaskKind(task.kind)
    parsed = validate_answer(session, task, review, data)
    _claim(session, task)
    outcome = KINDS[kind].handle(session, review, task, parsed, actor)
    end_task(session, task, TaskStatus.DONE.value, outcome)
    task.input = parsed.model_dump(mode="json")
    task.completed_by_id = actor.id
    on_behalf_of = stored_person(session, task.assignee_id).email if actor.id != task.assignee_id else None
    audit(
        session,
        review.partnership_id,
        "task_completed",
        actor.email,
        review.id,
        task=task.id,
        kind=kind.value,
        outcome=outcome,
        on_behalf_of=on_behalf_of,
    )
    return Submitted(task.id, kind, review.id, outcome)


@dataclass(frozen=True)
class MovedOn:
    """What happened to a review after an answer to one of its tasks was committed."""

    announced: bool  # a Prefect server was told; its advance-review deployment moves the review on
    steps: int = 0  # with no Prefect server: the machine steps run here
    problem: str | None = None  # why the server was not told; the next advance-cycle sweep moves the review on


def move_on(session_factory: Callable[[], Any], done: Submitted) -> MovedOn:
    """After a submission is committed, as `peer-review submit` and the web both do: tell the Prefect server
    (PREFECT_API_URL) that the task was done, or, with none, run the review's machine steps here. The answer
    stands whatever happens here: the review is already on the engine's queue."""
    if settings.prefect_api_url():
        try:
            prefect_events.announce_submission(done.task_id, done.review_id, done.kind.value)
        except prefect_events.NotAnnounced as exc:
            return MovedOn(announced=False, problem=str(exc))
        return MovedOn(announced=True)
    return MovedOn(announced=False, steps=len(advance_review(session_factory, done.review_id)))
