"""The visit timetable's rows: a review's sessions, and the timetable as its team was last told of it (the
latest `timetable_told` entry of the audit log, which keeps the sessions as they were then)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import Session, col, func, select

from peer_review.domain.timetable import Activity, TimetableSession

if TYPE_CHECKING:
    from peer_review.store.tables import AuditEntry, Person, VisitSession

TOLD = "timetable_told"  # the audit log's action of telling the team


def add_visit_session(
    session: Session,
    *,
    review_id: int,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    activity: str,
    description: str,
    school: str,
    room: str,
    host_people: str,
    reviewer_ids: list[int],
    by_id: int,
    at: dt.datetime,
) -> VisitSession:
    """A session of a review's visit, added to the session (service.timetable checks it first)."""
    from peer_review.store.tables import VisitSession

    row = VisitSession(
        review_id=review_id,
        day=day,
        start=start,
        end=end,
        activity=activity,
        description=description,
        school=school,
        room=room,
        host_people=host_people,
        reviewer_ids=list(reviewer_ids),
        sequence=0,
        created_by_id=by_id,
        created_at=at,
        updated_by_id=by_id,
        updated_at=at,
    )
    session.add(row)
    return row


def value(row: VisitSession) -> TimetableSession:
    """A stored session as the domain's value."""
    return TimetableSession(
        day=row.day,
        start=row.start,
        end=row.end,
        activity=Activity(row.activity),
        school=row.school,
        description=row.description,
        room=row.room,
        host_people=row.host_people,
        reviewers=tuple(row.reviewer_ids),
        id=row.id,
        sequence=row.sequence,
    )


def sessions_of(session: Session, review_id: int) -> list[VisitSession]:
    """A review's sessions, in the order of the day."""
    return sessions_of_reviews(session, [review_id]).get(review_id, [])


def sessions_of_reviews(session: Session, review_ids: list[int]) -> dict[int, list[VisitSession]]:
    """The sessions of these reviews, by review, each in the order of the day (one query)."""
    from peer_review.store.tables import VisitSession

    if not review_ids:
        return {}
    found: dict[int, list[VisitSession]] = {}
    rows = session.exec(
        select(VisitSession)
        .where(col(VisitSession.review_id).in_(review_ids))
        .order_by(col(VisitSession.day), col(VisitSession.start), col(VisitSession.end), col(VisitSession.id))
    )
    for row in rows:
        found.setdefault(row.review_id, []).append(row)
    return found


def visit_session(session: Session, review_id: int, session_id: int) -> VisitSession | None:
    """One of a review's sessions, or None (another review's session is not this review's)."""
    from peer_review.store.tables import VisitSession

    row = session.get(VisitSession, session_id)
    return row if row is not None and row.review_id == review_id else None


def remove_visit_session(session: Session, row: VisitSession) -> None:
    session.delete(row)


#: The audit log's actions that change a timetable (a moved visit moves its sessions).
CHANGES = ("timetable_session_added", "timetable_session_changed", "timetable_session_removed", "visit_moved")


def last_change(session: Session, review_id: int) -> dt.datetime | None:
    """When the review's timetable last changed (None: never)."""
    from peer_review.store.tables import AuditEntry

    return session.exec(
        select(func.max(AuditEntry.at)).where(AuditEntry.review_id == review_id, col(AuditEntry.action).in_(CHANGES))
    ).one()


def last_told(session: Session, review_id: int) -> tuple[AuditEntry | None, int]:
    """The latest time the review's team was told of its timetable (None: never), and how many times they have been."""
    from peer_review.store.tables import AuditEntry

    where = (AuditEntry.review_id == review_id, AuditEntry.action == TOLD)
    count = session.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    latest = session.exec(select(AuditEntry).where(*where).order_by(col(AuditEntry.id).desc()).limit(1)).first()
    return latest, count


def team_places(session: Session, review_id: int) -> list[tuple[Person, str, str]]:
    """(person, role, status) of the review's team, in assignment order, but those who declined."""
    from peer_review.store.tables import Assignment, Person

    rows = session.exec(
        select(Person, Assignment.role, Assignment.status)
        .join(Assignment, col(Assignment.person_id) == Person.id)
        .where(Assignment.review_id == review_id, Assignment.status != "declined")
        .order_by(col(Assignment.id))
    )
    return [(person, role, status) for person, role, status in rows]
