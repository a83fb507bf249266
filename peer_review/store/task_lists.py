"""Who has what to do: the open tasks of a person or a partnership (whole, a page, or read as used), one
person's open and done tasks, and the reviews and visits a person or a trust takes part in."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func
from sqlmodel import Session, col, select

from peer_review.errors import UserError
from peer_review.store.colleagues import acting_places
from peer_review.store.people import get_partnership
from peer_review.store.tables import Assignment, Person, Review, Task, Trust

TaskWithReview = tuple[Task, Review, Person, Trust]


def _task_rows():
    """Tasks with what a row of a task list shows: their review, assignee and host trust."""
    return (
        select(Task, Review, Person, Trust)
        .join(Review, col(Review.id) == Task.review_id)
        .join(Person, col(Person.id) == Task.assignee_id)
        .join(Trust, col(Trust.id) == Review.host_trust_id)
    )


def open_task_filter(session: Session, person_email: str | None, partnership_name: str | None) -> list:
    """The conditions on Task (and Review) that pick the open tasks of a person and/or a partnership; each
    is served by an index (task by status, review or assignee; person by email; review by partnership).
    Refuses an email nobody has; hand the result to the reads below."""
    where = [col(Task.status) == "open"]
    if partnership_name is not None:
        partnership_id = get_partnership(session, partnership_name).id
        where.append(col(Task.review_id).in_(select(Review.id).where(Review.partnership_id == partnership_id)))
    if person_email is not None:
        email = person_email.strip().lower()
        if not session.exec(select(Person.id).where(Person.email == email)).first():
            raise UserError(f"no person with email {email} in any loaded partnership")
        where.append(col(Task.assignee_id).in_(select(Person.id).where(Person.email == email)))
    return where


def count_tasks(session: Session, where: list) -> int:
    """How many tasks meet the conditions (one count, however many there are)."""
    return session.exec(select(func.count()).select_from(Task).where(*where)).one()


def task_rows_page(session: Session, where: list, offset: int, size: int) -> list[TaskWithReview]:
    """One page of the tasks meeting the conditions, soonest due first (due date, then id: a stable order): the
    page's task ids are chosen first, so only they are joined with their review, assignee and host."""
    ids = select(Task.id).where(*where).order_by(col(Task.due), col(Task.id)).offset(offset).limit(size)
    return list(session.exec(_task_rows().where(col(Task.id).in_(ids)).order_by(Task.due, Task.id)))


def iter_task_rows(session: Session, where: list, chunk: int | None) -> Iterator[TaskWithReview]:
    """The tasks meeting the conditions, soonest due first, read `chunk` rows at a time as they are used (a
    server-side cursor on PostgreSQL); None reads them at once."""
    query = _task_rows().where(*where).order_by(Task.due, Task.id)
    if chunk is not None:
        query = query.execution_options(yield_per=chunk)
    yield from session.exec(query)


def tasks_of_people(
    session: Session, person_ids: frozenset[int] | set[int], done_limit: int
) -> tuple[list[TaskWithReview], list[TaskWithReview]]:
    """(open, done) tasks of these people: open ones soonest due first, then the latest `done_limit` done."""
    base = _task_rows().where(col(Task.assignee_id).in_(person_ids))
    opened = session.exec(base.where(Task.status == "open").order_by(Task.due, Task.id))
    done = session.exec(
        base.where(Task.status == "done").order_by(col(Task.completed_at).desc(), col(Task.id).desc()).limit(done_limit)
    )
    return list(opened), list(done)


def colleague_tasks(session: Session, person_ids: frozenset[int] | set[int], kinds: list[str]) -> list[TaskWithReview]:
    """The open tasks of these kinds that the host CEO holds on reviews these people are named colleagues on."""
    if not person_ids:
        return []
    return list(
        session.exec(
            _task_rows()
            .where(
                col(Task.review_id).in_(acting_places(person_ids)),
                Task.status == "open",
                col(Task.kind).in_(kinds),
                col(Person.is_ceo),
                col(Person.trust_id) == Review.host_trust_id,
            )
            .order_by(Task.due, Task.id)
        )
    )


def reviews_as_colleague(session: Session, person_ids: frozenset[int] | set[int]) -> list[tuple[Review, Trust]]:
    """The reviews these people are named colleagues on for their trust (and not withdrawn)."""
    if not person_ids:
        return []
    return list(
        session.exec(
            select(Review, Trust)
            .join(Trust, col(Trust.id) == Review.host_trust_id)
            .where(col(Review.id).in_(acting_places(person_ids)))
            .order_by(col(Review.visit_start))
        )
    )


def reviews_taken_part_in(
    session: Session, ceo_of, person_ids
) -> tuple[list[tuple[Review, Trust]], list[tuple[Review, Trust, str]]]:
    """(hosted, joined): the reviews these trusts host, and those these people accepted a place on (with
    the role), each by visit; no query for an empty set."""
    query = select(Review, Trust).join(Trust, col(Trust.id) == Review.host_trust_id)
    hosted = (
        session.exec(query.where(col(Review.host_trust_id).in_(ceo_of)).order_by(col(Review.visit_start))).all()
        if ceo_of
        else []
    )
    joined = (
        session.exec(
            # the role selected here: add_columns() is typed to return SQLAlchemy's Select, which exec() refuses
            select(Review, Trust, Assignment.role)
            .join(Trust, col(Trust.id) == Review.host_trust_id)
            .join(Assignment, col(Assignment.review_id) == Review.id)
            .where(col(Assignment.person_id).in_(person_ids), Assignment.status == "accepted")
            .order_by(col(Review.visit_start))
        ).all()
        if person_ids
        else []
    )
    return list(hosted), list(joined)


def reviews_with_team_places_of(session: Session, person_ids: list[int]) -> list[Review]:
    """The reviews these people have a place on the team of, whatever its status (one row per place)."""
    return list(
        session.exec(
            select(Review)
            .join(Assignment, col(Assignment.review_id) == Review.id)
            .where(col(Assignment.person_id).in_(person_ids))
        )
    )


def reviews_hosted_by(session: Session, trust_ids: list[int]) -> list[Review]:
    """The reviews these trusts host, in no particular order."""
    return list(session.exec(select(Review).where(col(Review.host_trust_id).in_(trust_ids))))
