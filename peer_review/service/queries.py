"""Read-only views for people: open tasks, review status, and what a task asks for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from peer_review import clock
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import TaskKind, days_overdue
from peer_review.service import follow_up
from peer_review.service.common import get_partnership, get_review, get_task, person_by_email, trust_of
from peer_review.service.records import (
    agreed_lines,
    assignments,
    evidence,
    findings_of,
    findings_to_moderate,
    findings_to_revise,
    latest_lines,
    standing_judgements,
    strand_of,
    team,
    worker,
)
from peer_review.tables import Assignment, Partnership, Person, Review, Task, Trust
from peer_review.csvfile import csv_text
from peer_review.errors import UserError


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
    return TaskRow(t.id, t.kind, TaskKind(t.kind).title, r.id, tr.name, r.strand_title, p.name, p.email, t.due, days_overdue(t.due, today) if today else 0, t.round, t.note)


def open_tasks(session: Session, person_email: str | None = None, partnership_name: str | None = None) -> list[TaskRow]:
    query = _task_rows().where(Task.status == "open").order_by(Task.due, Task.id)
    if partnership_name is not None:
        query = query.where(Review.partnership_id == get_partnership(session, partnership_name).id)
    if person_email is not None:
        email = person_email.strip().lower()
        if not session.exec(select(Person.id).where(Person.email == email)).first():
            raise UserError(f"no person with email {email} in any loaded partnership")
        query = query.where(Person.email == email)
    today = clock.today()
    return [_row(t, r, p, tr, today) for t, r, p, tr in session.exec(query)]


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
    done = session.exec(base.where(Task.status == "done").order_by(Task.completed_at.desc(), Task.id.desc()).limit(done_limit))
    return PersonTasks([_row(t, r, p, tr, today) for t, r, p, tr in opened], [_row(t, r, p, tr, None) for t, r, p, tr in done])


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
    hosted = session.exec(query.where(Review.host_trust_id.in_(viewer.ceo_of)).order_by(Review.visit_start)).all() if viewer.ceo_of else []
    joined = session.exec(
        query.join(Assignment, Assignment.review_id == Review.id)
        .where(Assignment.person_id.in_(viewer.person_ids), Assignment.status == "accepted")
        .add_columns(Assignment.role)
        .order_by(Review.visit_start)
    ).all() if viewer.person_ids else []
    links = [ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, "host") for r, t in hosted]
    links += [ReviewLink(r.id, t.name, r.strand_title, Stage(r.stage).label, r.visit_start, role) for r, t, role in joined]
    return sorted(links, key=lambda link: (link.visit_start, link.id))


@dataclass(frozen=True)
class CycleRow:
    review: Review
    stage: str
    team: list[tuple[str, str, str, str]]  # (name, organisation, role, status), moderator last


def trust_cycle(session: Session, trust: Trust) -> list[CycleRow]:
    """A host trust's reviews in its CEO's strand order, each with who is coming (three queries in all)."""
    reviews = session.exec(select(Review).where(Review.host_trust_id == trust.id).order_by(Review.position, Review.id)).all()
    members: dict[int, list] = {}
    if reviews:
        rows = session.exec(
            select(Assignment, Person).join(Person, Person.id == Assignment.person_id)
            .where(Assignment.review_id.in_([r.id for r in reviews])).order_by(Assignment.role.desc(), Assignment.id)
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
    return list(session.exec(select(Partnership.id, Partnership.name).where(Partnership.id.in_(ids)).order_by(Partnership.name)).all())


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
    query = select(Review, Trust).join(Trust, Trust.id == Review.host_trust_id).order_by(Review.partnership_id, Review.visit_start, Review.id)
    if partnership_name is not None:
        partnership = get_partnership(session, partnership_name)
        partnerships = {partnership.id: partnership.name}
        query = query.where(Review.partnership_id == partnership.id)
    else:
        partnerships = dict(session.exec(select(Partnership.id, Partnership.name)).all())
    rows = {
        r.id: ReviewStatus(r.id, partnerships[r.partnership_id], t.name, r.strand_title, r.position, Stage(r.stage).label, r.visit_start, r.visit_end)
        for r, t in session.exec(query)
    }
    for task in open_tasks(session, partnership_name=partnership_name):
        if task.review_id in rows:
            rows[task.review_id].tasks.append(task)
    return list(rows.values())


def task_context(session: Session, task_id: int) -> dict:
    """Everything a person needs to do a task: the review, and what the input may refer to."""
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
    if kind == TaskKind.RESPOND_TO_ASSIGNMENT:
        context["declined"] = [session.get(Person, a.person_id).email for a in assignments(session, review) if a.status == "declined"]
    elif kind == TaskKind.CHOOSE_REPLACEMENT:
        leaving = person_by_email(session, review.partnership_id, task.subject["leaving"])
        context["candidates"] = _replacement_candidates(session, review, leaving, task.subject["role"])
        context["leaving_trust"] = session.get(Trust, leaving.trust_id).name if leaving.trust_id else ""
    elif kind == TaskKind.MODERATE:
        context["findings"] = findings_to_moderate(session, review)
        context["judgements"] = standing_judgements(session, review)  # a later round may change them
    elif kind == TaskKind.REVISE_FINDINGS:
        context["findings"] = findings_to_revise(session, review, context["worker"].id)
    elif kind == TaskKind.CHECK_REPORT:  # what the host's consent would share
        context["good_practice"] = [f for f in findings_of(session, review) if f.kind == "good_practice" and f.status == "supported"]
    elif kind == TaskKind.RECORD_PROGRESS:  # each action with the review it came from and the progress recorded so far
        context["actions"] = follow_up.asked_in(session, task)
        context["occasion"] = task.subject.get("occasion", "next_review")
    return context


def _replacement_candidates(session: Session, review: Review, leaving: Person, role: str) -> list[Person]:
    """People who could take the leaver's role (before the constraints are checked on submission)."""
    people = session.exec(select(Person).where(Person.partnership_id == review.partnership_id).order_by(Person.email)).all()
    on_team = {a.person_id for a in session.exec(select(Assignment).where(Assignment.review_id == review.id))}
    if role == "moderator":
        return [p for p in people if p.is_moderator and p.id not in on_team]
    return [p for p in people if p.is_reviewer and p.trust_id == leaving.trust_id and p.id not in on_team]


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
        progress.append(TrustProgress(trust.key, trust.name, mine, sum(1 for r in mine.values() if r.stage == "closed"), len(mine)))
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
                milestones.append(Milestone(day, f"{stage.replace('_', ' ')} deadline", review.id, row.host, row.strand))
    strands = [(s["id"], s["title"]) for s in partnership.framework["strands"]]
    return Overview(partnership.name, today, strands, progress, overdue, sorted(milestones, key=lambda m: (m.date, m.review_id)))


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
                    sid: {"review": r.id, "stage": r.stage, "visit_start": r.visit_start.isoformat(), "visit_end": r.visit_end.isoformat(),
                          "open_tasks": len(r.tasks), "overdue_tasks": sum(1 for x in r.tasks if x.overdue_days)}
                    for sid, r in t.cells.items()
                },
            }
            for t in view.trusts
        ],
        "overdue": [
            {"task": t.id, "what": t.title, "review": t.review_id, "host": t.host, "strand": t.strand, "assignee": t.assignee,
             "email": t.assignee_email, "due": t.due.isoformat(), "days_overdue": t.overdue_days}
            for t in view.overdue
        ],
        "milestones": [{"date": m.date.isoformat(), "what": m.what, "review": m.review_id, "host": m.host, "strand": m.strand} for m in view.milestones],
    }


CSV_COLUMNS = ["review", "trust", "host", "strand", "stage", "visit_start", "visit_end", "open_tasks", "overdue_tasks", "most_overdue_days", "held_up_by"]


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
            rows.append({
                "review": r.id, "trust": trust.key, "host": trust.name, "strand": sid, "stage": r.stage,
                "visit_start": r.visit_start.isoformat(), "visit_end": r.visit_end.isoformat(),
                "open_tasks": len(r.tasks), "overdue_tasks": len(late), "most_overdue_days": max((t.overdue_days for t in late), default=0),
                "held_up_by": "; ".join(sorted({t.assignee_email for t in late})),
            })
    return rows
