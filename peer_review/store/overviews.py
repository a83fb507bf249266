"""Where partnerships and reviews stand, as the coordinator's pages and `status` show them: reviews with their
host trust, counts by partnership (reviews by stage, trusts, open and overdue tasks), people's load, a review's
team, tasks, history and visit moves. Each read is one query, however many reviews are stored.

Only the tables `status` names are imported here (partnership, review, task); the audit log is imported where
it is read, so that `status` starts without defining it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from peer_review.domain.lifecycle import Stage
from peer_review.store.tables import Assignment, Partnership, Person, Review, Task, Trust, VisitChange

FINISHED = (Stage.CLOSED.value, Stage.CANCELLED.value)


def _count_late(today: dt.date):
    return func.sum(case((col(Task.due) < today, 1), else_=0))


# --- partnerships and trusts by name --------------------------------------------------------------


def trust_calendar_ids(session: Session, partnership_id: int) -> list[tuple[str, str]]:
    """(key, calendar id) of each of a partnership's trusts."""
    return list(session.exec(select(Trust.key, Trust.calendar_id).where(Trust.partnership_id == partnership_id)))


# --- reviews ---------------------------------------------------------------------------------------


def reviews_with_hosts(session: Session, partnership_id: int | None = None) -> list[tuple[Review, Trust]]:
    """Every review (of one partnership) with its host trust, by partnership, then visit, then id."""
    query = (
        select(Review, Trust)
        .join(Trust, col(Trust.id) == Review.host_trust_id)
        .order_by(col(Review.partnership_id), col(Review.visit_start), col(Review.id))
    )
    if partnership_id is not None:
        query = query.where(Review.partnership_id == partnership_id)
    return list(session.exec(query))


def reviews_by_host(session: Session, partnership_id: int) -> list[tuple[Review, Trust]]:
    """A partnership's reviews with their host trust, trust by trust in its CEO's strand order."""
    return list(
        session.exec(
            select(Review, Trust)
            .join(Trust, col(Trust.id) == Review.host_trust_id)
            .where(Review.partnership_id == partnership_id)
            .order_by(col(Trust.id), col(Review.position))
        ).all()
    )


def reviews_of_partnership(session: Session, partnership_id: int) -> list[Review]:
    """A partnership's reviews, in no particular order."""
    return list(session.exec(select(Review).where(Review.partnership_id == partnership_id)).all())


def reviews_hosted_in_order(session: Session, trust_id: int) -> list[Review]:
    """The reviews a trust hosts, in its CEO's strand order."""
    return list(
        session.exec(
            select(Review).where(Review.host_trust_id == trust_id).order_by(col(Review.position), col(Review.id))
        ).all()
    )


def team_members(session: Session, review_ids: list[int]) -> list[tuple[Assignment, Person]]:
    """Every place on these reviews' teams (declined ones too) with its person: peers first, the moderator
    last (role descending), each in the order made."""
    return list(
        session.exec(
            select(Assignment, Person)
            .join(Person, col(Person.id) == Assignment.person_id)
            .where(col(Assignment.review_id).in_(review_ids))
            .order_by(col(Assignment.role).desc(), col(Assignment.id))
        )
    )


# --- counts by partnership -------------------------------------------------------------------------


def _among(among: Iterable[int] | None) -> list:
    return [] if among is None else [col(Partnership.id).in_(sorted(among))]


def count_partnerships(session: Session, among: Iterable[int] | None = None) -> int:
    """How many partnerships are loaded (or of those `among` these ids)."""
    return session.exec(select(func.count()).select_from(Partnership).where(*_among(among))).one()


def partnerships_by_name(
    session: Session, among: Iterable[int] | None, offset: int, size: int
) -> list[tuple[int, str, str]]:
    """(id, name, framework id) of one page of the partnerships (or of those `among` these ids), by name."""
    return list(
        session.exec(
            select(Partnership.id, Partnership.name, Partnership.framework_id)
            .where(*_among(among))
            .order_by(Partnership.name)
            .offset(offset)
            .limit(size)
        ).all()
    )


def review_counts(
    session: Session, partnership_ids: list[int], today: dt.date
) -> dict[int, tuple[int, int, int, dt.date | None]]:
    """Each partnership's (reviews, closed, cancelled, next visit from today of a review still open), in one
    GROUP BY over reviews by partnership."""
    counts = {}
    for pid, count, closed, cancelled, nxt in session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for 4 columns at most (sqlmodel#271)
            Review.partnership_id,
            func.count(),
            func.sum(case((col(Review.stage) == Stage.CLOSED.value, 1), else_=0)),
            func.sum(case((col(Review.stage) == Stage.CANCELLED.value, 1), else_=0)),
            func.min(
                case(
                    (and_(col(Review.visit_start) >= today, col(Review.stage).notin_(FINISHED)), Review.visit_start),
                    else_=None,
                )
            ),
        )
        .where(col(Review.partnership_id).in_(partnership_ids))
        .group_by(col(Review.partnership_id))
    ):
        if isinstance(nxt, str):  # SQLite hands back an aggregate of dates as text
            nxt = dt.date.fromisoformat(nxt)
        counts[pid] = (count, closed or 0, cancelled or 0, nxt)
    return counts


def trust_counts(session: Session, partnership_ids: list[int]) -> dict[int, int]:
    """How many trusts each partnership has that have not left."""
    return dict(
        session.exec(
            select(Trust.partnership_id, func.count())
            .where(col(Trust.partnership_id).in_(partnership_ids), col(Trust.left_on).is_(None))
            .group_by(col(Trust.partnership_id))
        ).all()
    )


def open_task_counts(session: Session, partnership_ids: list[int], today: dt.date) -> dict[int, tuple[int, int]]:
    """Each partnership's (open tasks, overdue ones), read by review."""
    return {
        pid: (count, late or 0)
        for pid, count, late in session.exec(
            select(Review.partnership_id, func.count(), _count_late(today))
            .select_from(Task)
            .join(Review, col(Review.id) == Task.review_id)
            .where(col(Review.partnership_id).in_(partnership_ids), Task.status == "open")
            .group_by(col(Review.partnership_id))
        )
    }


# --- who carries how much --------------------------------------------------------------------------


def team_places(session: Session, partnership_id: int) -> list[tuple[Person, str, str]]:
    """(person, role, term) of every place on a partnership's review teams not declined."""
    return list(
        session.exec(
            select(Person, Assignment.role, Review.term)
            .join(Assignment, col(Assignment.person_id) == Person.id)
            .join(Review, col(Review.id) == Assignment.review_id)
            .where(Review.partnership_id == partnership_id, Assignment.status != "declined")
        )
    )


def open_task_counts_by_assignee(session: Session, partnership_id: int, today: dt.date) -> list[tuple[int, int, int]]:
    """(assignee id, open tasks, overdue ones, or None when none is) of everyone with open tasks in a partnership."""
    return list(
        session.exec(
            select(Task.assignee_id, func.count(), _count_late(today))
            .join(Review, col(Review.id) == Task.review_id)
            .where(Review.partnership_id == partnership_id, Task.status == "open")
            .group_by(col(Task.assignee_id))
        )
    )


# --- one review in full ----------------------------------------------------------------------------


def tasks_with_assignees(session: Session, review_id: int) -> list[tuple[Task, Person]]:
    """Every task of a review with its assignee, soonest due first."""
    return list(
        session.exec(
            select(Task, Person)
            .join(Person, col(Person.id) == Task.assignee_id)
            .where(Task.review_id == review_id)
            .order_by(col(Task.due), col(Task.id))
        )
    )


def history_of(session: Session, review_id: int) -> list:
    """A review's audit entries, oldest first."""
    from peer_review.store.tables import AuditEntry  # here: `status` never reads the audit log

    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.review_id == review_id).order_by(col(AuditEntry.at), col(AuditEntry.id))
        ).all()
    )


def visit_moves_of(session: Session, review_id: int) -> list[VisitChange]:
    """Each move of a review's visit, first first."""
    return list(
        session.exec(select(VisitChange).where(VisitChange.review_id == review_id).order_by(col(VisitChange.id))).all()
    )


def visit_moves_in(session: Session, partnership_id: int) -> list[VisitChange]:
    """Each move of a partnership's visits, first first."""
    return list(
        session.exec(
            select(VisitChange)
            .join(Review, col(Review.id) == VisitChange.review_id)
            .where(Review.partnership_id == partnership_id)
            .order_by(col(VisitChange.id))
        )
    )
