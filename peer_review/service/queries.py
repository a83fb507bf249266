"""Read-only views for people: open tasks, review status, and what a task asks for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from peer_review import clock
from peer_review.adapters.csv_export import csv_text
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import TaskKind, days_overdue
from peer_review.errors import UserError
from peer_review.store.people import get_partnership, trust_of
from peer_review.store.reviews import get_review, get_task
from peer_review.store.tables import (
    Assignment,
    Partnership,
    Person,
    Review,
    Task,
    Trust,
)


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


def _task_rows():
    """Tasks with what a row of a task list shows: their review, assignee and host trust."""
    return (
        select(Task, Review, Person, Trust)
        .join(Review, Review.id == Task.review_id)
        .join(Person, Person.id == Task.assignee_id)
        .join(Trust, Trust.id == Review.host_trust_id)
    )


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


def _open_task_filter(session: Session, person_email: str | None, partnership_name: str | None) -> list:
    """The conditions on Task (and Review) that pick the open tasks of a person and/or a partnership; each
    is served by an index (task by status, review or assignee; person by email; review by partnership)."""
    where = [Task.status == "open"]
    if partnership_name is not None:
        partnership_id = get_partnership(session, partnership_name).id
        where.append(Task.review_id.in_(select(Review.id).where(Review.partnership_id == partnership_id)))
    if person_email is not None:
        email = person_email.strip().lower()
        if not session.exec(select(Person.id).where(Person.email == email)).first():
            raise UserError(f"no person with email {email} in any loaded partnership")
        where.append(Task.assignee_id.in_(select(Person.id).where(Person.email == email)))
    return where


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
    where = _open_task_filter(session, person_email, partnership_name)
    total = session.exec(select(func.count()).select_from(Task).where(*where)).one()
    at = Page(page, size, total)
    ids = select(Task.id).where(*where).order_by(Task.due, Task.id).offset(at.offset).limit(size)
    today = clock.today()
    rows = session.exec(_task_rows().where(Task.id.in_(ids)).order_by(Task.due, Task.id))
    return [_row(t, r, p, tr, today) for t, r, p, tr in rows], at


def iter_open_tasks(
    session: Session, person_email: str | None = None, partnership_name: str | None = None, chunk: int | None = 500
) -> Iterator[TaskRow]:
    """Open tasks, soonest due first, read from the database `chunk` rows at a time as they are used
    (a server-side cursor on PostgreSQL), so memory stays flat however many there are; None reads them at once."""
    query = _task_rows().where(*_open_task_filter(session, person_email, partnership_name)).order_by(Task.due, Task.id)
    if chunk is not None:
        query = query.execution_options(yield_per=chunk)
    today = clock.today()
    for t, r, p, tr in session.exec(query):
        yield _row(t, r, p, tr, today)


@dataclass(frozen=True)
class PersonTasks:
    open: list[TaskRow]
    done: list[TaskRow]


def tasks_of_person(session: Session, person_ids: frozenset[int] | set[int], done_limit: int = 50) -> PersonTasks:
    """One person's tasks (across their partnerships): open ones soonest due first, then the latest done."""
    if not person_ids:
        return PersonTasks([], [])
    base = _task_rows().where(Task.assignee_id.in_(person_ids))
    today = clock.today()
    opened = session.exec(base.where(Task.status == "open").order_by(Task.due, Task.id))
    done = session.exec(
        base.where(Task.status == "done").order_by(Task.completed_at.desc(), Task.id.desc()).limit(done_limit)
    )
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
    query = select(Review, Trust).join(Trust, Trust.id == Review.host_trust_id)
    hosted = (
        session.exec(query.where(Review.host_trust_id.in_(viewer.ceo_of)).order_by(Review.visit_start)).all()
        if viewer.ceo_of
        else []
    )
    joined = (
        session.exec(
            query.join(Assignment, Assignment.review_id == Review.id)
            .where(Assignment.person_id.in_(viewer.person_ids), Assignment.status == "accepted")
            .add_columns(Assignment.role)
            .order_by(Review.visit_start)
        ).all()
        if viewer.person_ids
        else []
    )
    links = [ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, "host") for r, t in hosted]
    links += [
        ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, role) for r, t, role in joined
    ]
    return sorted(links, key=lambda link: (link.visit_start, link.id))


@dataclass(frozen=True)
class CycleRow:
    review: Review
    stage: str
    team: list[tuple[str, str, str, str]]  # (name, organisation, role, status), moderator last


def trust_cycle(session: Session, trust: Trust) -> list[CycleRow]:
    """A host trust's reviews in its CEO's strand order, each with who is coming (three queries in all)."""
    reviews = session.exec(
        select(Review).where(Review.host_trust_id == trust.id).order_by(Review.position, Review.id)
    ).all()
    members: dict[int, list] = {}
    if reviews:
        rows = session.exec(
            select(Assignment, Person)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.review_id.in_([r.id for r in reviews]))
            .order_by(Assignment.role.desc(), Assignment.id)
        )
        for a, p in rows:
            members.setdefault(a.review_id, []).append((p.name, p.organisation, a.role, a.status))
    return [CycleRow(r, Stage(r.stage).label, members.get(r.id, [])) for r in reviews]


def trust_names(session: Session, ids) -> list[tuple[int, str]]:
    if not ids:
        return []
    return list(session.exec(select(Trust.id, Trust.name).where(Trust.id.in_(ids)).order_by(Trust.name)).all())


def partnership_names(session: Session, ids) -> list[tuple[int, str]]:
    if not ids:
        return []
    return list(
        session.exec(
            select(Partnership.id, Partnership.name).where(Partnership.id.in_(ids)).order_by(Partnership.name)
        ).all()
    )


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
    query = (
        select(Review, Trust)
        .join(Trust, Trust.id == Review.host_trust_id)
        .order_by(Review.partnership_id, Review.visit_start, Review.id)
    )
    if partnership_name is not None:
        partnership = get_partnership(session, partnership_name)
        partnerships = {partnership.id: partnership.name}
        query = query.where(Review.partnership_id == partnership.id)
    else:
        partnerships = dict(session.exec(select(Partnership.id, Partnership.name)).all())
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
        for r, t in session.exec(query)
    }
    for task in open_tasks(session, partnership_name=partnership_name):
        if task.review_id in rows:
            rows[task.review_id].tasks.append(task)
    return list(rows.values())


def several_partnerships(session: Session) -> bool:
    """Whether more than one partnership is loaded (reads two ids at most)."""
    return len(session.exec(select(Partnership.id).limit(2)).all()) > 1


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
    chosen = [] if among is None else [Partnership.id.in_(sorted(among))]
    total = session.exec(select(func.count()).select_from(Partnership).where(*chosen)).one()
    at = Page(page, size, total)
    listed = session.exec(
        select(Partnership.id, Partnership.name, Partnership.framework_id)
        .where(*chosen)
        .order_by(Partnership.name)
        .offset(at.offset)
        .limit(size)
    ).all()
    ids = [pid for pid, _name, _framework in listed]
    if not ids:
        return [], at
    today = clock.today()
    finished = (Stage.CLOSED.value, Stage.CANCELLED.value)
    reviews = {
        pid: (count, closed or 0, cancelled or 0, nxt)
        for pid, count, closed, cancelled, nxt in session.exec(
            select(
                Review.partnership_id,
                func.count(),
                func.sum(case((Review.stage == Stage.CLOSED.value, 1), else_=0)),
                func.sum(case((Review.stage == Stage.CANCELLED.value, 1), else_=0)),
                func.min(
                    case(
                        (and_(Review.visit_start >= today, Review.stage.notin_(finished)), Review.visit_start),
                        else_=None,
                    )
                ),
            )
            .where(Review.partnership_id.in_(ids))
            .group_by(Review.partnership_id)
        )
    }
    trusts = dict(
        session.exec(
            select(Trust.partnership_id, func.count())
            .where(Trust.partnership_id.in_(ids), Trust.left_on.is_(None))
            .group_by(Trust.partnership_id)
        ).all()
    )
    tasks = {
        pid: (count, late or 0)
        for pid, count, late in session.exec(
            select(Review.partnership_id, func.count(), func.sum(case((Task.due < today, 1), else_=0)))
            .select_from(Task)
            .join(Review, Review.id == Task.review_id)
            .where(Review.partnership_id.in_(ids), Task.status == "open")
            .group_by(Review.partnership_id)
        )
    }
    rows = []
    for pid, name, framework in listed:
        count, closed, cancelled, nxt = reviews.get(pid, (0, 0, 0, None))
        if isinstance(nxt, str):  # SQLite hands back an aggregate of dates as text
            nxt = dt.date.fromisoformat(nxt)
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
        "assignee": session.get(Person, task.assignee_id),
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
    stored = session.exec(select(Review).where(Review.partnership_id == partnership.id)).all()
    trusts = session.exec(select(Trust).where(Trust.partnership_id == partnership.id).order_by(Trust.id)).all()
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
