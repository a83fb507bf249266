"""Read-only views for people: open tasks, review status, and what a task asks for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.adapters.csv_export import csv_text
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import KIND_RULES, TaskKind, days_overdue
from peer_review.store import overviews, people, task_lists
from peer_review.store.db import Session
from peer_review.store.people import get_partnership, person, trust_of
from peer_review.store.reviews import get_review, get_task

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task, Trust


@dataclass(frozen=True)
class TaskRow:
    id: int
    kind: str
    title: str
    review_id: int
    host: str
    strand: str
    assignee: str
    assignee_email: str
    due: dt.date
    overdue_days: int
    round: int
    note: str


def _row(t: Task, r: Review, p: Person, tr: Trust, today: dt.date | None) -> TaskRow:
    """A row of a task list; `today` None for done tasks, which are never overdue."""
    return TaskRow(
        t.id,
        t.kind,
        TaskKind(t.kind).title,
        r.id,
        tr.name,
        r.strand_title,
        p.name,
        p.email,
        t.due,
        days_overdue(t.due, today) if today else 0,
        t.round,
        t.note,
    )


def open_tasks(session: Session, person_email: str | None = None, partnership_name: str | None = None) -> list[TaskRow]:
    """Every open task (of one person, one partnership), soonest due first. Lists that people read page
    through them instead (`open_tasks_page`, `iter_open_tasks`)."""
    return list(iter_open_tasks(session, person_email, partnership_name, chunk=None))


@dataclass(frozen=True)
class Page:
    """One page of a list: `number` from 1, `size` rows a page, `total` rows in the whole list."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def footer(self, noun: str) -> str:
        """E.g. 'page 1 of 367 (18,348 open tasks); --page 2 for more, or --all for every one'."""
        line = f"page {self.number} of {self.pages} ({self.total:,} {noun})"
        if self.number < self.pages:
            return f"{line}; --page {self.number + 1} for more, or --all for every one"
        if self.number > self.pages:
            return f"{line}: nothing on this page; the last is --page {self.pages}"
        return line


def open_tasks_page(
    session: Session,
    person_email: str | None = None,
    partnership_name: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[TaskRow], Page]:
    """One page of open tasks, soonest due first (due date, then id: a stable order), and where it stands
    in the whole list. Two short queries, whatever the number of tasks: a count, and the page's rows
    (the page's task ids are chosen first, so only they are joined with their review, assignee and host)."""
    where = task_lists.open_task_filter(session, person_email, partnership_name)
    at = Page(page, size, task_lists.count_tasks(session, where))
    today = clock.today()
    rows = task_lists.task_rows_page(session, where, at.offset, size)
    return [_row(t, r, p, tr, today) for t, r, p, tr in rows], at


def iter_open_tasks(
    session: Session, person_email: str | None = None, partnership_name: str | None = None, chunk: int | None = 500
) -> Iterator[TaskRow]:
    """Open tasks, soonest due first, read from the database `chunk` rows at a time as they are used
    (a server-side cursor on PostgreSQL), so memory stays flat however many there are; None reads them at once."""
    where = task_lists.open_task_filter(session, person_email, partnership_name)
    today = clock.today()
    for t, r, p, tr in task_lists.iter_task_rows(session, where, chunk):
        yield _row(t, r, p, tr, today)


@dataclass(frozen=True)
class PersonTasks:
    open: list[TaskRow]
    done: list[TaskRow]


def tasks_of_person(session: Session, person_ids: frozenset[int] | set[int], done_limit: int = 50) -> PersonTasks:
    """One person's tasks (across their partnerships): open ones soonest due first, then the latest done."""
    if not person_ids:
        return PersonTasks([], [])
    today = clock.today()
    opened, done = task_lists.tasks_of_people(session, person_ids, done_limit)
    # the host CEO's tasks that a colleague they named for a review may do (access.colleague_may_do)
    kinds = [kind.value for kind, rule in KIND_RULES.items() if rule.colleagues]
    opened += task_lists.colleague_tasks(session, person_ids, kinds)
    opened.sort(key=lambda row: (row[0].due, row[0].id))
    return PersonTasks(
        [_row(t, r, p, tr, today) for t, r, p, tr in opened], [_row(t, r, p, tr, None) for t, r, p, tr in done]
    )


@dataclass(frozen=True)
class ReviewLink:
    id: int
    host: str
    strand: str
    stage: str
    visit_start: dt.date
    role: str


def reviews_of_person(session: Session, viewer) -> list[ReviewLink]:
    """The reviews a person takes part in: their trust's (as its CEO) and those whose team they joined."""
    hosted, joined = task_lists.reviews_taken_part_in(session, viewer.ceo_of, viewer.person_ids)
    links = [ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, "host") for r, t in hosted]
    links += [
        ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, role) for r, t, role in joined
    ]
    links += [
        ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, "colleague")
        for r, t in task_lists.reviews_as_colleague(session, viewer.person_ids)
    ]
    return sorted(links, key=lambda link: (link.visit_start, link.id))


@dataclass(frozen=True)
class CycleRow:
    review: Review
    stage: str
    team: list[tuple[str, str, str, str]]  # (name, organisation, role, status), moderator last


def trust_cycle(session: Session, trust: Trust) -> list[CycleRow]:
    """A host trust's reviews in its CEO's strand order, each with who is coming (three queries in all)."""
    reviews = overviews.reviews_hosted_in_order(session, trust.id)
    members: dict[int, list] = {}
    if reviews:
        for a, p in overviews.team_members(session, [r.id for r in reviews]):
            members.setdefault(a.review_id, []).append((p.name, p.organisation, a.role, a.status))
    return [CycleRow(r, Stage(r.stage).label, members.get(r.id, [])) for r in reviews]


def trust_names(session: Session, ids) -> list[tuple[int, str]]:
    return people.trust_names(session, ids)


def partnership_names(session: Session, ids) -> list[tuple[int, str]]:
    return people.partnership_names(session, ids)


@dataclass
class ReviewStatus:
    id: int
    partnership: str
    host: str
    strand: str
    position: int
    stage: str
    visit_start: dt.date
    visit_end: dt.date
    tasks: list[TaskRow] = field(default_factory=list)


def status(session: Session, partnership_name: str | None = None) -> list[ReviewStatus]:
    if partnership_name is not None:
        partnership = get_partnership(session, partnership_name)
        partnerships = {partnership.id: partnership.name}
        partnership_id = partnership.id
    else:
        partnerships = people.partnership_names_by_id(session)
        partnership_id = None
    rows = {
        r.id: ReviewStatus(
            r.id,
            partnerships[r.partnership_id],
            t.name,
            r.strand_title,
            r.position,
            Stage(r.stage).label,
            r.visit_start,
            r.visit_end,
        )
        for r, t in overviews.reviews_with_hosts(session, partnership_id)
    }
    for task in open_tasks(session, partnership_name=partnership_name):
        if task.review_id in rows:
            rows[task.review_id].tasks.append(task)
    return list(rows.values())


def several_partnerships(session: Session) -> bool:
    """Whether more than one partnership is loaded (reads two ids at most)."""
    return people.several_partnerships(session)


@dataclass(frozen=True)
class PartnershipRow:
    """A line of the list of partnerships: how many reviews, where they stand, what is next."""

    id: int
    name: str
    framework: str
    trusts: int
    reviews: int
    open: int  # neither closed nor cancelled
    closed: int
    cancelled: int
    next_visit: dt.date | None  # the earliest visit from today of a review still open
    open_tasks: int
    overdue_tasks: int


def partnerships_page(
    session: Session, page: int = 1, size: int = 50, among: Iterable[int] | None = None
) -> tuple[list[PartnershipRow], Page]:
    """One page of the loaded partnerships (or of those `among` these ids: a coordinator's), by name, each
    with its reviews counted by stage (GROUP BY), its next visit and its open and overdue tasks. A fixed
    number of queries, each reading only the page's partnerships (reviews and trusts by partnership,
    tasks by review), so a page costs the same however many partnerships are loaded."""
    among = None if among is None else sorted(among)  # read twice below: an iterator would be empty the second time
    at = Page(page, size, overviews.count_partnerships(session, among))
    listed = overviews.partnerships_by_name(session, among, at.offset, size)
    ids = [pid for pid, _name, _framework in listed]
    if not ids:
        return [], at
    today = clock.today()
    reviews = overviews.review_counts(session, ids, today)  # a date even on SQLite, which hands back text
    trusts = overviews.trust_counts(session, ids)
    tasks = overviews.open_task_counts(session, ids, today)
    rows = []
    for pid, name, framework in listed:
        count, closed, cancelled, nxt = reviews.get(pid, (0, 0, 0, None))
        open_tasks, late = tasks.get(pid, (0, 0))
        rows.append(
            PartnershipRow(
                pid,
                name,
                framework,
                trusts.get(pid, 0),
                count,
                count - closed - cancelled,
                closed,
                cancelled,
                nxt,
                open_tasks,
                late,
            )
        )
    return rows, at


PARTNERSHIP_CSV_COLUMNS = [
    "name",
    "trusts",
    "reviews",
    "open",
    "closed",
    "cancelled",
    "next_visit",
    "open_tasks",
    "overdue_tasks",
]


def partnership_row_json(row: PartnershipRow) -> dict:
    return {
        "name": row.name,
        "trusts": row.trusts,
        "reviews": row.reviews,
        "open": row.open,
        "closed": row.closed,
        "cancelled": row.cancelled,
        "next_visit": row.next_visit.isoformat() if row.next_visit else None,
        "open_tasks": row.open_tasks,
        "overdue_tasks": row.overdue_tasks,
    }


def task_context(session: Session, task_id: int) -> dict:
    """Everything a person needs to do a task: the review, what the input may refer to, and what its kind
    adds (its module's `context`, in service/kinds/)."""
    # imported here: the lists and status above need none of a review's records (and their six tables),
    # and `status` or `tasks` starts that much sooner
    from peer_review.service.kinds import KINDS
    from peer_review.store.records import agreed_lines, evidence, latest_lines, strand_of, team, worker

    task = get_task(session, task_id)
    review = get_review(session, task.review_id)
    kind = TaskKind(task.kind)
    strand = strand_of(session, review)
    peers, moderator = team(session, review)
    context = {
        "task": task,
        "kind": kind,
        "review": review,
        "host": trust_of(session, review).name,
        "strand": strand,
        "assignee": person(session, task.assignee_id),
        "worker": worker(session, task),  # whose work it is: the assignee, or whom the coordinator holds it for
        "peers": peers,
        "moderator": moderator,
        "lines": agreed_lines(session, review) or latest_lines(session, review),
        "evidence": evidence(session, review),
    }
    return context | KINDS[kind].context(session, review, task, context)


@dataclass
class TrustProgress:
    key: str
    name: str
    cells: dict[str, ReviewStatus]  # strand id -> review
    closed: int
    total: int


@dataclass
class Milestone:
    date: dt.date
    what: str
    review_id: int
    host: str
    strand: str


@dataclass
class Overview:
    partnership: str
    today: dt.date
    strands: list[tuple[str, str]]  # (id, title), in the framework's order
    trusts: list[TrustProgress]
    overdue: list[TaskRow]
    milestones: list[Milestone]


def overview(session: Session, partnership_name: str | None = None, weeks_ahead: int = 6) -> Overview:
    """The coordinator's view of one partnership: a trust x strand grid, progress, overdue work, what is next."""
    partnership = get_partnership(session, partnership_name)
    reviews = status(session, partnership.name)
    rows = {r.id: r for r in reviews}
    stored = overviews.reviews_of_partnership(session, partnership.id)
    trusts = people.trusts_in(session, partnership.id)
    today = clock.today()
    progress = []
    for trust in trusts:
        mine = {r.strand_id: rows[r.id] for r in stored if r.host_trust_id == trust.id}
        progress.append(
            TrustProgress(trust.key, trust.name, mine, sum(1 for r in mine.values() if r.stage == "closed"), len(mine))
        )
    overdue = sorted((t for r in reviews for t in r.tasks if t.overdue_days), key=lambda t: -t.overdue_days)
    horizon = today + dt.timedelta(weeks=weeks_ahead)
    milestones = []
    for review in stored:
        if review.stage in ("closed", "cancelled"):
            continue
        row = rows[review.id]
        if today <= review.visit_start <= horizon:
            milestones.append(Milestone(review.visit_start, "visit", review.id, row.host, row.strand))
        for stage, day in review.deadlines.items():
            day = dt.date.fromisoformat(day)
            if today <= day <= horizon:
                milestones.append(
                    Milestone(day, f"{stage.replace('_', ' ')} deadline", review.id, row.host, row.strand)
                )
    strands = [(s["id"], s["title"]) for s in partnership.framework["strands"]]
    return Overview(
        partnership.name, today, strands, progress, overdue, sorted(milestones, key=lambda m: (m.date, m.review_id))
    )


def overview_json(view: Overview) -> dict:
    return {
        "partnership": view.partnership,
        "today": view.today.isoformat(),
        "strands": [{"id": sid, "title": title} for sid, title in view.strands],
        "trusts": [
            {
                "id": t.key,
                "name": t.name,
                "closed": t.closed,
                "reviews": t.total,
                "grid": {
                    sid: {
                        "review": r.id,
                        "stage": r.stage,
                        "visit_start": r.visit_start.isoformat(),
                        "visit_end": r.visit_end.isoformat(),
                        "open_tasks": len(r.tasks),
                        "overdue_tasks": sum(1 for x in r.tasks if x.overdue_days),
                    }
                    for sid, r in t.cells.items()
                },
            }
            for t in view.trusts
        ],
        "overdue": [
            {
                "task": t.id,
                "what": t.title,
                "review": t.review_id,
                "host": t.host,
                "strand": t.strand,
                "assignee": t.assignee,
                "email": t.assignee_email,
                "due": t.due.isoformat(),
                "days_overdue": t.overdue_days,
            }
            for t in view.overdue
        ],
        "milestones": [
            {"date": m.date.isoformat(), "what": m.what, "review": m.review_id, "host": m.host, "strand": m.strand}
            for m in view.milestones
        ],
    }


CSV_COLUMNS = [
    "review",
    "trust",
    "host",
    "strand",
    "stage",
    "visit_start",
    "visit_end",
    "open_tasks",
    "overdue_tasks",
    "most_overdue_days",
    "held_up_by",
]


def overview_csv(view: Overview) -> str:
    """The partnership view as CSV, one row per review: what `status --csv` prints and the web page offers."""
    return csv_text(CSV_COLUMNS, overview_csv_rows(view))


def overview_csv_rows(view: Overview) -> list[dict]:
    rows = []
    for trust in view.trusts:
        for sid, _title in view.strands:
            r = trust.cells.get(sid)
            if r is None:
                continue
            late = [t for t in r.tasks if t.overdue_days]
            rows.append(
                {
                    "review": r.id,
                    "trust": trust.key,
                    "host": trust.name,
                    "strand": sid,
                    "stage": r.stage,
                    "visit_start": r.visit_start.isoformat(),
                    "visit_end": r.visit_end.isoformat(),
                    "open_tasks": len(r.tasks),
                    "overdue_tasks": len(late),
                    "most_overdue_days": max((t.overdue_days for t in late), default=0),
                    "held_up_by": "; ".join(sorted({t.assignee_email for t in late})),
                }
            )
    return rows
