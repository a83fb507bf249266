"""What the coordinator's web pages show: people's load, one review in full, and each review's planned
and actual dates (the list of partnerships is queries.partnerships_page, shared with `status`). Every
view is a fixed number of queries, however many reviews the database holds (no query per row)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.history import EventKind, Names, TaskFacts, chosen_kinds, describe
from peer_review.domain.lifecycle import ORDER, Stage
from peer_review.domain.model import TaskKind, days_overdue
from peer_review.domain.scheduling import ReviewDates
from peer_review.errors import NotFound
from peer_review.service.planning import calendar_snapshots
from peer_review.store import overviews
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id, people_in, trust_of, trusts_in
from peer_review.store.rendered_documents import document_lines, stored_document
from peer_review.store.reviews import get_review

if TYPE_CHECKING:
    from peer_review.store.tables import AuditEntry, Document, Partnership, Person, Review, Task, VisitChange

# --- who carries how much -----------------------------------------------------------------------


@dataclass
class Load:
    name: str
    email: str
    organisation: str
    role: str  # peer | moderator
    reviews: int
    by_term: dict[str, int]
    limit_per_term: int | None
    open_tasks: int
    overdue_tasks: int

    @property
    def terms_over_limit(self) -> list[str]:
        if self.limit_per_term is None:
            return []
        return [term for term, count in self.by_term.items() if count > self.limit_per_term]

    @property
    def busiest_term(self) -> int:
        return max(self.by_term.values(), default=0)


def workload(session: Session, partnership: Partnership) -> list[Load]:
    """Each reviewer's and moderator's reviews in this partnership (per term too) and open tasks, busiest first."""
    today = clock.today()
    rows = overviews.team_places(session, partnership.id)
    loads: dict[tuple[int, str], Load] = {}
    for person, role, term in rows:
        load = loads.get((person.id, role))
        if load is None:
            load = loads[(person.id, role)] = Load(
                person.name, person.email, person.organisation, role, 0, {}, person.max_reviews_per_term, 0, 0
            )
        load.reviews += 1
        load.by_term[term] = load.by_term.get(term, 0) + 1
    tasks = overviews.open_task_counts_by_assignee(session, partnership.id, today)
    first_role: dict[int, Load] = {}  # a person's tasks are counted once, on their first role's row
    for (person_id, _role), load in loads.items():
        first_role.setdefault(person_id, load)
    for person_id, count, late in tasks:
        if person_id in first_role:
            first_role[person_id].open_tasks, first_role[person_id].overdue_tasks = count, late or 0
    return sorted(loads.values(), key=lambda x: (x.role != "moderator", -x.busiest_term, -x.reviews, x.name))


# --- planned and actual dates -------------------------------------------------------------------


def review_dates(session: Session, partnership: Partnership) -> list[ReviewDates]:
    reviews = overviews.reviews_by_host(session, partnership.id)
    first_move: dict[int, VisitChange] = {}
    for moved in overviews.visit_moves_in(session, partnership.id):
        first_move.setdefault(moved.review_id, moved)
    rows = []
    for review, trust in reviews:
        report_due = dt.date.fromisoformat(review.deadlines["report"])
        move = first_move.get(review.id)
        planned = (move.old_start, move.old_end) if move else (review.visit_start, review.visit_end)
        rows.append(
            ReviewDates(
                review.id,
                trust.key,
                trust.name,
                review.strand_title,
                review.position,
                Stage(review.stage).label,
                planned,
                report_due - (review.visit_end - planned[1]),
                (review.visit_start, review.visit_end),
                report_due,
                review.issued_on,
            )
        )
    return rows


def host_calendars(session: Session, partnership: Partnership) -> dict[str, SchoolCalendar]:
    """Each trust's school calendar, by trust key."""
    snapshots = calendar_snapshots(partnership)
    return {key: snapshots[calendar_id] for key, calendar_id in overviews.trust_calendar_ids(session, partnership.id)}


# --- one review in full -------------------------------------------------------------------------


@dataclass(frozen=True)
class StageDates:
    stage: str
    deadline: dt.date | None
    finished: dt.date | None
    state: str  # done | current | to come | cancelled (of a cancelled review: the stages it never finished)

    @property
    def late(self) -> bool:
        if self.deadline is None:
            return False
        if self.finished is not None:
            return self.finished > self.deadline
        return self.state == "current" and clock.today() > self.deadline


@dataclass(frozen=True)
class TeamMember:
    name: str
    email: str
    organisation: str
    role: str
    status: str
    reason: str


@dataclass(frozen=True)
class TaskLine:
    id: int
    title: str
    assignee: str
    assignee_email: str
    due: dt.date
    status: str
    completed: dt.datetime | None
    overdue_days: int


@dataclass(frozen=True)
class HistoryLine:
    """One event of the review's history, as people read it: when (England's time) and what, in a sentence."""

    at: dt.datetime
    when: str
    kind: EventKind
    sentence: str


@dataclass(frozen=True)
class DocumentLine:
    kind: str
    filename: str
    created_at: dt.datetime
    size: int


@dataclass
class ReviewDetail:
    review: Review
    partnership: Partnership
    host: str
    stages: list[StageDates]
    team: list[TeamMember]
    tasks: list[TaskLine]
    documents: list[DocumentLine]
    history: list[HistoryLine]  # newest first, only the kinds asked for
    visit_moves: list[VisitChange] = field(default_factory=list)
    history_kinds: frozenset[EventKind] = frozenset()  # the kinds asked for (none: every kind)
    history_total: int = 0  # events of every kind

    @property
    def history_filter(self) -> list[tuple[EventKind, bool]]:
        """Each kind of event, and whether the page's filter asks for it."""
        return [(kind, kind in self.history_kinds) for kind in EventKind]


def review_detail(
    session: Session,
    review_id: int,
    history_kinds: Iterable[str] = (),
    reasons_for_declining: bool = False,
    unread_comments: frozenset[int] = frozenset(),
    unnamed_files: frozenset[str] = frozenset(),
) -> ReviewDetail:
    """The review page's content. `history_kinds`: the kinds of event the history shows (as the query string
    gives them: unknown ones are ignored, none means all); `reasons_for_declining`: whether the history gives
    the reason someone declined their place (the coordinator's view, as on the team table); `unread_comments`:
    the comments the reader may not read, of which the history says nothing (service.discussion.Discussion.unread);
    `unnamed_files`: the checksums of the evidence files whose names the reader may not know, which the history
    gives as "a file" (service.evidence_files.unnamed_files)."""
    review = get_review(session, review_id)
    partnership = get_partnership_by_id(session, review.partnership_id)
    today = clock.today()
    entries = [
        entry
        for entry in overviews.history_of(session, review.id)
        if not (entry.action.startswith("comment_") and (entry.detail or {}).get("comment") in unread_comments)
    ]
    stages = _stages(review, entries)
    team = [
        TeamMember(p.name, p.email, p.organisation, a.role, a.status, a.reason)
        for a, p in overviews.team_members(session, [review.id])
    ]
    task_rows = overviews.tasks_with_assignees(session, review.id)
    tasks = [
        TaskLine(
            t.id,
            TaskKind(t.kind).title + (f" (round {t.round})" if t.round > 1 else ""),
            p.name,
            p.email,
            t.due,
            t.status,
            t.completed_at,
            days_overdue(t.due, today) if t.status == "open" else 0,
        )
        for t, p in task_rows
    ]
    documents = [
        DocumentLine(kind, filename, created_at, size or 0)
        for kind, filename, created_at, size in document_lines(session, review.id)
    ]
    names = _names(session, partnership, task_rows, reasons_for_declining)
    chosen = chosen_kinds(history_kinds)
    history = [_history_line(entry, names, unnamed_files) for entry in reversed(entries)]
    moves = overviews.visit_moves_of(session, review.id)
    return ReviewDetail(
        review,
        partnership,
        trust_of(session, review).name,
        stages,
        team,
        tasks,
        documents,
        [line for line in history if not chosen or line.kind in chosen],
        moves,
        chosen,
        len(history),
    )


def _stages(review: Review, entries: list[AuditEntry]) -> list[StageDates]:
    """Each stage's deadline, the day it finished and where the review is. A review passes through ORDER; a
    cancelled one stopped where it was, so the stages it never finished read "cancelled", and so does the
    Cancelled row itself, with the day it happened (a review that was not cancelled has no such row)."""
    left: dict[str, dt.date] = {}
    cancelled: tuple[str, dt.date] | None = None
    for entry in entries:
        if entry.action == "stage_changed" and entry.detail.get("before") != entry.detail.get("after"):
            left[entry.detail["before"]] = clock.local_date(entry.at)
            if entry.detail.get("after") == Stage.CLOSED:
                left[Stage.CLOSED.value] = clock.local_date(entry.at)
        elif entry.action == "review_cancelled":
            cancelled = (entry.detail.get("before") or Stage.SCHEDULED.value, clock.local_date(entry.at))
    if review.stage == Stage.CANCELLED:
        stopped = cancelled[0] if cancelled else Stage.SCHEDULED.value
        current = ORDER.index(Stage(stopped)) if stopped in ORDER else 0
    else:
        current = ORDER.index(Stage(review.stage))

    def state(index: int, stage: Stage) -> str:
        if review.stage == Stage.CANCELLED:
            return "done" if index < current else "cancelled"
        if index < current or stage == Stage.CLOSED == review.stage:
            return "done"
        return "current" if index == current else "to come"

    rows = [
        StageDates(
            stage.label,
            dt.date.fromisoformat(review.deadlines[stage.value]) if stage.value in review.deadlines else None,
            left.get(stage.value),
            state(index, stage),
        )
        for index, stage in enumerate(ORDER)
    ]
    if review.stage == Stage.CANCELLED:
        rows.append(StageDates(Stage.CANCELLED.label, None, cancelled[1] if cancelled else None, "cancelled"))
    return rows


def _names(session: Session, partnership: Partnership, tasks: list[tuple[Task, Person]], reasons: bool) -> Names:
    """Whom and what the history names, looked up once for the page: the partnership's people (those who left
    too) and trusts, its framework's strands, and the review's tasks."""
    people = people_in(session, partnership.id)
    return Names(
        people={p.email.strip().lower(): p.name for p in people},
        coordinators=frozenset(p.email.strip().lower() for p in people if p.is_coordinator),
        trusts={t.key: t.name for t in trusts_in(session, partnership.id)},
        strands={s["id"]: s["title"] for s in partnership.framework.get("strands", [])},
        tasks={t.id: TaskFacts(t.kind, p.email, (t.subject or {}).get("for")) for t, p in tasks},
        reasons_for_declining=reasons,
    )


def _history_line(entry: AuditEntry, names: Names, unnamed_files: frozenset[str] = frozenset()) -> HistoryLine:
    detail = entry.detail or {}
    if entry.action.startswith("evidence_file_") and detail.get("sha256") in unnamed_files:
        detail = {**detail, "filename": None}  # "a file", or "a file holding personal data" (never the entry itself)
    kind, sentence = describe(entry.action, entry.actor, detail, names)
    return HistoryLine(entry.at, clock.long_moment(entry.at), kind, sentence)


def document_of(session: Session, review_id: int, kind: str) -> Document:
    review = get_review(session, review_id)
    document = stored_document(session, review.id, kind)
    if document is None:
        raise NotFound(f"review {review_id} has no document '{kind}' yet; its page lists those it has")
    return document
