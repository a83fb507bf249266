"""The engine's machine steps: what moves a review on without a person (open it, open the people's
tasks, render documents, close a stage). Each step re-checks that it is still the pending one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.lifecycle import Event, Stage, next_stage
from peer_review.domain.model import (
    CLOSING_EVENT,
    KIND_RULES,
    OPENING_TASK,
    PROGRESS_OCCASION,
    PROGRESS_ROUND,
    Actor,
    DocumentKind,
    NextStep,
    ReviewView,
    Step,
    TaskKind,
    TaskStatus,
    TaskView,
    next_step,
    progress_missing,
    task_due,
)
from peer_review.errors import UserError
from peer_review.service import follow_up
from peer_review.service.calendars import reviews_calendar
from peer_review.service.common import ENGINE, audit, end_task, host_calendar
from peer_review.service.outbox import notify, review_context
from peer_review.store import review_locks
from peer_review.store.colleagues import colleagues_of
from peer_review.store.db import Session
from peer_review.store.people import coordinator_of, host_ceo
from peer_review.store.records import agreed_lines, team
from peer_review.store.rendered_documents import document_kinds_of
from peer_review.store.reviews import get_review
from peer_review.store.tasks import add_task, task_by_key, tasks_of

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def review_view(session: Session, review: Review) -> ReviewView:
    tasks = tasks_of(session, review.id)
    docs = document_kinds_of(session, review.id)
    return ReviewView(
        stage=Stage(review.stage),
        tasks=tuple(TaskView(TaskKind(t.kind), t.round, TaskStatus(t.status), t.outcome) for t in tasks),
        documents=frozenset(DocumentKind(d) for d in docs),
        progress_due=follow_up.progress_due(session, review),
    )


def pending_step(session: Session, review_id: int) -> NextStep | None:
    return next_step(review_view(session, get_review(session, review_id)))


def run_step(session: Session, review_id: int, expected: NextStep) -> bool:
    """Do one machine step if it is still the pending one (so a repeated or racing run does nothing).

    Racing runs (two `advance-review`s, a web answer's and a command line's) take turns per review: the
    check and the step happen under the review's lock, so a run that waited sees the step done.
    """
    lock_review(session, review_id)
    review = get_review(session, review_id)
    if next_step(review_view(session, review)) != expected:
        return False
    STEPS[expected.step](session, review, expected)
    return True


def lock_review(session: Session, review_id: int) -> None:
    """Hold the review's row until this transaction ends, with an UPDATE that changes nothing.

    A write is the one statement that waits for a lock on both databases with no dialect-specific code:
    PostgreSQL locks the row; Python's sqlite3 begins a transaction just before its first write, so on
    SQLite this statement takes the database's write lock, waiting (the busy timeout) while another
    writer holds it. What the session read before the wait may be stale, so it is read again.
    """
    review_locks.lock_review(session, review_id)


#: More machine steps than any review needs in one go (its stages, their documents and tasks).
MAX_STEPS = 4 * len(Stage)


class StuckReview(RuntimeError):
    def __init__(self, review_id: int, done: list):
        super().__init__(
            f"review {review_id} still has machine work pending after {len(done)} steps ({done[-1]}): a step is not taking effect"
        )


def move(session: Session, review: Review, event: Event, actor: str = ENGINE) -> None:
    before = Stage(review.stage)
    after = next_stage(before, event)
    review.stage = after.value
    session.add(review)
    if after != before:
        audit(
            session,
            review.partnership_id,
            "stage_changed",
            actor,
            review.id,
            event=event.value,
            before=before.value,
            after=after.value,
        )


def _open_review(session: Session, review: Review, _step: NextStep) -> None:
    move(session, review, Event.OPENED)


def open_task(
    session: Session,
    review: Review,
    kind: TaskKind,
    assignee: Person,
    round_: int = 1,
    note: str = "",
    subject: dict | None = None,
    due: dt.date | None = None,
) -> Task:
    """Create a task once: the key makes a second call return the first task (a cancelled one opens again).

    Nobody who has left the partnership is given work: theirs goes to the coordinator, to do on their behalf.
    """
    if assignee.left_on is not None:
        assignee, note, subject = on_behalf_of(session, review, assignee, "has left the partnership", note, subject)
    subject = subject or {}
    key = f"{review.id}/{kind.value}/{round_}/{assignee.id}" + (f"/for/{subject['for']}" if "for" in subject else "")
    existing = task_by_key(session, key)
    if existing and existing.status != TaskStatus.CANCELLED:
        return existing
    if due is None:
        deadlines = {k: dt.date.fromisoformat(v) for k, v in review.deadlines.items()}
        due = task_due(kind, deadlines, host_calendar(session, review), round_)
    task = existing or add_task(
        session,
        key=key,
        review_id=review.id,
        kind=kind.value,
        round=round_,
        assignee_id=assignee.id,
        due=due,
        created_at=clock.now(),
    )
    task.status, task.outcome, task.completed_at, task.completed_by_id = TaskStatus.OPEN.value, None, None, None
    task.due, task.note, task.subject = due, note, subject
    session.add(task)
    session.flush()
    audit(
        session,
        review.partnership_id,
        "task_opened",
        ENGINE,
        review.id,
        task=task.id,
        kind=kind.value,
        assignee=assignee.email,
        due=task.due.isoformat(),
        round=round_,
        on_behalf_of=subject.get("for"),
    )
    _notify_assigned(session, review, task, assignee)
    return task


def on_behalf_of(
    session: Session, review: Review, person: Person, why: str, note: str = "", subject: dict | None = None
) -> tuple[Person, str, dict]:
    """The coordinator, with the note and subject of a task they hold for `person` (who left, or gave up their
    place): the subject names them (`for`), so work such as findings stays theirs (records.worker)."""
    held = {**(subject or {}), "for": person.email, "their_note": note}
    return (
        coordinator_of(session, review.partnership_id),
        f"{person.name} <{person.email}> {why}: do this on their behalf (it passes on if someone takes their place). {note}".strip(),
        held,
    )


def hand_over(session: Session, task: Task, to: Person, why: str, for_: Person | None = None) -> Task | None:
    """Pass an open task on: it is cancelled, and the same task (kind, round, due date) opens for `to`, or with
    `for_`, for the coordinator to hold on that person's behalf. Returns the task now open; None for a task
    whose answer is its assignee's own (feedback), which is cancelled and passed to nobody.

    A task the coordinator held, passed to someone who takes the place, gets back its own note; passed to a
    new coordinator, it stays held for the same person."""
    review = get_review(session, task.review_id)
    if own := KIND_RULES[TaskKind(task.kind)].own_answer:  # nobody gives someone else's own view
        end_task(session, task, TaskStatus.CANCELLED.value, "not_passed_on")
        audit(
            session,
            review.partnership_id,
            "task_cancelled",
            ENGINE,
            review.id,
            task=task.id,
            kind=task.kind,
            reason=f"only its assignee can {own} ({why})",
        )
        return None
    subject = {k: v for k, v in task.subject.items() if k not in ("for", "their_note")}
    note = task.subject.get("their_note", task.note)
    if for_ is not None:
        to, note, subject = on_behalf_of(session, review, for_, why, note, subject)
    elif to.is_coordinator and "for" in task.subject:
        note, subject = task.note, dict(task.subject)
    end_task(session, task, TaskStatus.CANCELLED.value, "handed_over")
    session.flush()
    now_open = open_task(session, review, TaskKind(task.kind), to, task.round, note=note, subject=subject, due=task.due)
    audit(
        session,
        review.partnership_id,
        "task_handed_over",
        ENGINE,
        review.id,
        task=task.id,
        kind=task.kind,
        to_task=now_open.id,
        why=why,
    )
    return now_open


def _notify_assigned(session: Session, review: Review, task: Task, assignee: Person) -> None:
    if assignee.digest_only:  # they hear of it in their weekly digest
        return
    kind = TaskKind(task.kind)
    context = review_context(session, review)
    invited = KIND_RULES[kind].actor is Actor.INVITEES  # the task is the invitation to join the team
    intro = (
        f'You are invited to the review team for {context["host"]}\'s review of "{context["strand"]}". The visit is in the attached calendar entry.'
        if invited
        else f"There is a task for you in the peer review of {context['host']}."
    )
    due = clock.long_date(task.due)
    notify(
        session,
        key=f"task_assigned/{task.id}",
        event="task_assigned",
        person=assignee,
        subject=f"Action needed by {due}: {kind.title} ({context['host']}, {context['strand']})",
        context=context | {"intro": intro, "task_title": kind.title, "due": due, "note": task.note, "task_id": task.id},
        review=review,
        task=task,
        ics=reviews_calendar(session, [review], f"Peer review visit: {context['host']}") if invited else None,
    )
    if KIND_RULES[kind].colleagues and assignee.is_ceo:  # the colleagues the CEO named may do it for them
        for _, colleague in colleagues_of(session, review.id):
            if not colleague.digest_only:
                notify(
                    session,
                    key=f"task_assigned/{task.id}/colleague/{colleague.id}",
                    event="task_assigned",
                    person=colleague,
                    subject=f"Action needed by {due}: {kind.title} ({context['host']}, {context['strand']})",
                    context=context
                    | {
                        "intro": f"There is a task for {assignee.name} in the peer review of {context['host']}, which "
                        f"you may do for them: they named you to act for the trust on this review.",
                        "task_title": kind.title,
                        "due": due,
                        "note": task.note,
                        "task_id": task.id,
                    },
                    review=review,
                    task=task,
                )


def _open_tasks(session: Session, review: Review, _step: NextStep) -> None:
    """Open the stage's first task for everyone its kind goes to (the registry's rule says who), and the
    host's record of progress on earlier areas for development when one is due at this stage."""
    stage = Stage(review.stage)
    view = review_view(session, review)
    if not view.tasks_of(OPENING_TASK[stage]):
        _open_for_all(session, review, OPENING_TASK[stage])
    if progress_missing(view):
        round_ = PROGRESS_ROUND[stage]
        actions = follow_up.actions_to_ask(session, review, round_)
        _open_for_all(
            session,
            review,
            TaskKind.RECORD_PROGRESS,
            round_,
            note=follow_up.task_note(round_, len(actions)),
            subject={"actions": [a.id for a in actions], "occasion": PROGRESS_OCCASION[round_]},
        )


def _open_for_all(
    session: Session, review: Review, kind: TaskKind, round_: int = 1, note: str = "", subject: dict | None = None
) -> None:
    people = people_for(session, review, KIND_RULES[kind].actor)
    if not people:
        raise UserError(f"review {review.id} has no review team; plan the cycle with `peer-review plan`")
    for person in people:
        open_task(session, review, kind, person, round_, note=note, subject=subject)


def people_for(session: Session, review: Review, actor: Actor) -> list[Person]:
    """Who a kind of task goes to on this review, in a stable order; not those who have left the partnership
    (a peer who left after the visit keeps their place on the team, but is asked for nothing more)."""
    return [person for person in _people_for(session, review, actor) if person.left_on is None]


def _people_for(session: Session, review: Review, actor: Actor) -> list[Person]:
    peers, moderator = team(session, review)
    team_only = [*peers, moderator] if peers and moderator else []
    match actor:
        case Actor.HOST:
            return [host_ceo(session, review)]
        case Actor.PEERS:
            return peers
        case Actor.MODERATOR:
            return [moderator] if moderator else []
        case Actor.INVITEES:  # a place left empty before the review opened waits for the coordinator's choice
            return [*peers, moderator] if moderator else peers
        case Actor.TEAM:
            return [host_ceo(session, review), *team_only] if team_only else []
        case Actor.COORDINATOR:
            return [coordinator_of(session, review.partnership_id)]


def _render_document(session: Session, review: Review, step: NextStep) -> None:
    from peer_review.service.documents import render_and_store

    if step.document is None:
        raise RuntimeError(f"review {review.id}: a step to render a document names no document")
    render_and_store(session, review, step.document)


def _close_stage(session: Session, review: Review, _step: NextStep) -> None:
    stage = Stage(review.stage)
    if stage == Stage.LINES_OF_ENQUIRY:
        _allocate_leads(session, review)
    move(session, review, Event(CLOSING_EVENT[stage]))


def _allocate_leads(session: Session, review: Review) -> None:
    """Each agreed line gets a lead peer, in turn, so every line is sure to have findings."""
    peers, _ = team(session, review)
    if not peers:  # guarded against when choosing a replacement and updating the roster; never divide by zero
        raise UserError(f"review {review.id} has no peer to lead its lines of enquiry; the coordinator must add one")
    for i, line in enumerate(agreed_lines(session, review)):
        line.lead_id = peers[i % len(peers)].id
        session.add(line)


STEPS: dict[Step, Callable[[Session, Review, NextStep], None]] = {
    Step.OPEN_REVIEW: _open_review,
    Step.OPEN_TASKS: _open_tasks,
    Step.RENDER_DOCUMENT: _render_document,
    Step.CLOSE_STAGE: _close_stage,
}
