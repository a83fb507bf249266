"""What the coordinator's web pages show: people's load, one review in full, and each review's planned
and actual dates (the list of partnerships is queries.partnerships_page, shared with `status`). Every
view is a fixed number of queries, however many reviews the database holds (no query per row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import TaskKind, days_overdue
from peer_review.domain.scheduling import ReviewDates
from peer_review.errors import NotFound
from peer_review.service.planning import calendar_snapshots
from peer_review.store import overviews
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id, trust_of
from peer_review.store.rendered_documents import document_lines, stored_document
from peer_review.store.reviews import get_review

if TYPE_CHECKING:
    from peer_review.store.tables import Document, Partnership, Review, VisitChange

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
    state: str  # done | current | to come

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
    at: dt.datetime
    actor: str
    action: str
    detail: str


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
    history: list[HistoryLine]
    visit_moves: list[VisitChange] = field(default_factory=list)


def review_detail(session: Session, review_id: int) -> ReviewDetail:
    review = get_review(session, review_id)
    partnership = get_partnership_by_id(session, review.partnership_id)
    today = clock.today()
    entries = overviews.history_of(session, review.id)
    left: dict[str, dt.date] = {}
    for entry in entries:
        if entry.action == "stage_changed" and entry.detail.get("before") != entry.detail.get("after"):
            left[entry.detail["before"]] = clock.local_date(entry.at)
    order = list(Stage)
    current = order.index(Stage(review.stage))
    stages = [
        StageDates(
            stage.label,
            dt.date.fromisoformat(review.deadlines[stage.value]) if stage.value in review.deadlines else None,
            left.get(stage.value),
            "done"
            if index < current or stage == Stage.CLOSED and index == current
            else "current"
            if index == current
            else "to come",
        )
        for index, stage in enumerate(order)
    ]
    team = [
        TeamMember(p.name, p.email, p.organisation, a.role, a.status, a.reason)
        for a, p in overviews.team_members(session, [review.id])
    ]
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
        for t, p in overviews.tasks_with_assignees(session, review.id)
    ]
    documents = [
        DocumentLine(kind, filename, created_at, size or 0)
        for kind, filename, created_at, size in document_lines(session, review.id)
    ]
    history = [HistoryLine(e.at, e.actor, e.action.replace("_", " "), _describe(e.detail)) for e in reversed(entries)]
    moves = overviews.visit_moves_of(session, review.id)
    return ReviewDetail(
        review, partnership, trust_of(session, review).name, stages, team, tasks, documents, history, moves
    )


def _describe(detail: dict) -> str:
    return "; ".join(
        f"{key.replace('_', ' ')}: {value}" for key, value in detail.items() if value not in (None, "", [], {})
    )


def document_of(session: Session, review_id: int, kind: str) -> Document:
    review = get_review(session, review_id)
    document = stored_document(session, review.id, kind)
    if document is None:
        raise NotFound(f"review {review_id} has no document '{kind}' yet; its page lists those it has")
    return document
