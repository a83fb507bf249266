"""Reviews, their cycles, teams and tasks: each read in one place."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from peer_review.domain.lifecycle import Stage
from peer_review.store.people import by_id
from peer_review.store.tables import Assignment, Cycle, Person, Review, Task, VisitChange

#: Reviews something can still happen on: not closed, not cancelled.
STILL_OPEN = col(Review.stage).not_in([Stage.CLOSED.value, Stage.CANCELLED.value])


def get_review(session: Session, review_id: int) -> Review:
    return by_id(session, Review, review_id, "review", "`peer-review status` lists them")


def get_task(session: Session, task_id: int) -> Task:
    return by_id(session, Task, task_id, "task", "`peer-review tasks` lists the open ones")


def latest_cycle(session: Session, partnership_id: int) -> Cycle | None:
    """The partnership's most recently planned cycle, if any."""
    return session.exec(
        select(Cycle).where(Cycle.partnership_id == partnership_id).order_by(col(Cycle.id).desc())
    ).first()


def team_with_people(session: Session, review_id: int) -> list[tuple[Assignment, Person]]:
    """Every assignment of a review (declined ones too), in the order made, with its person."""
    return list(
        session.exec(
            select(Assignment, Person)
            .join(Person, col(Person.id) == Assignment.person_id)
            .where(Assignment.review_id == review_id)
            .order_by(col(Assignment.id))
        ).all()
    )


def stages(session: Session, partnership_id: int) -> list[str]:
    """The stage of each of a partnership's reviews."""
    return list(session.exec(select(Review.stage).where(Review.partnership_id == partnership_id)).all())


def open_review_ids(session: Session, partnership_id: int | None = None) -> list[int]:
    """The ids of the reviews not closed or cancelled (of one partnership, or all), in id order: the order their
    row locks are taken."""
    query = select(Review.id).where(STILL_OPEN)
    if partnership_id is not None:
        query = query.where(Review.partnership_id == partnership_id)
    return list(session.exec(query.order_by(col(Review.id))).all())


def hosted_reviews(session: Session, trust_id: int) -> list[Review]:
    """The reviews a trust hosts, cancelled ones aside, cycle by cycle in the order of its strands."""
    return list(
        session.exec(
            select(Review)
            .where(Review.host_trust_id == trust_id, Review.stage != Stage.CANCELLED.value)
            .order_by(col(Review.cycle_id), col(Review.position), col(Review.id))
        ).all()
    )


def review_or_none(session: Session, review_id: int) -> Review | None:
    return session.get(Review, review_id)


def add_assignment(session: Session, *, review_id: int, person_id: int, role: str, reason: str) -> Assignment:
    """A place on a review's team, added to the session: someone joins in a leaver's place (kinds/_team.py)."""
    assignment = Assignment(review_id=review_id, person_id=person_id, role=role, reason=reason)
    session.add(assignment)
    return assignment


def add_visit_change(
    session: Session,
    *,
    review_id: int,
    old_start: dt.date,
    old_end: dt.date,
    new_start: dt.date,
    new_end: dt.date,
    reason: str,
    changed_by: str,
    changed_at: dt.datetime,
) -> VisitChange:
    """A visit moved, added to the review's history of visit dates (rescheduling.reschedule)."""
    change = VisitChange(
        review_id=review_id,
        old_start=old_start,
        old_end=old_end,
        new_start=new_start,
        new_end=new_end,
        reason=reason,
        changed_by=changed_by,
        changed_at=changed_at,
    )
    session.add(change)
    return change
