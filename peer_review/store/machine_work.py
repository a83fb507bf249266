"""The engine's queue (MachineWork): which reviews have changed since the engine last looked at them.

Filled by the session listeners in `tables/__init__.py` as every transaction that changes a review commits;
emptied by the sweep (service/sweep.py) as it finds each review waiting on people, which claims its rows here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, or_, update
from sqlmodel import Session, col, select

from peer_review.domain.lifecycle import Stage
from peer_review.store.tables.machine_work import MachineWork  # the modules, not the package: its hook imports this one
from peer_review.store.tables.review import Review

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

FINISHED = (Stage.CLOSED.value, Stage.CANCELLED.value)


def queue(
    connection: Connection,
    review_ids: Iterable[int],
    host_trust_ids: Iterable[int] = (),
    settled: dict[int, int | None] | None = None,
) -> None:
    """Queue reviews for the engine (or bump their token when already queued), in the caller's transaction;
    with `host_trust_ids`, also every open review those trusts host. `settled` reviews (id: the token seen)
    the engine has just found waiting on people: they leave the queue instead, unless their token moved.

    One statement per review, in review order: every transaction takes the queue's row locks in the same
    order, last thing before it commits, so two transactions on one trust's reviews never deadlock."""
    settled = settled or {}
    review_ids = set(review_ids)
    if host_trust_ids := sorted(set(host_trust_ids)):
        hosted = select(Review.id).where(
            col(Review.host_trust_id).in_(host_trust_ids), col(Review.stage).not_in(FINISHED)
        )
        review_ids.update(connection.execute(hosted).scalars())
    insert: Callable[[type[MachineWork]], postgresql.Insert | sqlite.Insert]
    if connection.dialect.name == "postgresql":  # each dialect's upsert, imported only where it is used
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for review_id in sorted(review_ids | set(settled)):
        if review_id in settled:
            if settled[review_id] is not None:
                connection.execute(
                    delete(MachineWork).where(
                        col(MachineWork.review_id) == review_id, col(MachineWork.token) == settled[review_id]
                    )
                )
            continue
        statement = insert(MachineWork).values(review_id=review_id, token=1)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["review_id"], set_={"token": MachineWork.token + 1})
        )


def claim_free(
    session: Session, limit: int, now: dt.datetime, until: dt.datetime, by: str, partnership_id: int | None = None
) -> list[int]:
    """Claim, until `until`, up to `limit` queued reviews (of one partnership, or all) that nobody holds or whose
    holder's lease ran out before `now`, lowest id first; returns their ids, sorted. One statement: on PostgreSQL,
    rows another sweep is claiming at this moment are skipped (SKIP LOCKED), not waited for."""
    free = select(MachineWork.review_id).where(
        or_(col(MachineWork.claimed_until).is_(None), col(MachineWork.claimed_until) < now)
    )
    if partnership_id is not None:
        reviews = select(Review.id).where(Review.partnership_id == partnership_id)
        free = free.where(col(MachineWork.review_id).in_(reviews))
    free = free.order_by(col(MachineWork.review_id)).limit(limit).with_for_update(skip_locked=True)
    taken = session.exec(
        update(MachineWork)
        .where(col(MachineWork.review_id).in_(free.scalar_subquery()))
        .values(claimed_until=until, claimed_by=by)
        .returning(col(MachineWork.review_id))
    ).all()
    return sorted(r for (r,) in taken)


def release_claims(session: Session, review_ids: list[int]) -> None:
    """Hand back the claims on these reviews, if still queued; the rows locked in review order, as every other
    writer of the queue does."""
    rows = (
        select(MachineWork.review_id)
        .where(col(MachineWork.review_id).in_(review_ids))
        .order_by(col(MachineWork.review_id))
        .with_for_update()
    )
    session.exec(
        update(MachineWork)
        .where(col(MachineWork.review_id).in_(rows.scalar_subquery()))
        .values(claimed_until=None, claimed_by=None)
    )


def token_of(session: Session, review_id: int) -> int | None:
    """The review's token on the queue (it moves each time the review changes), or None when it is not queued."""
    return session.exec(select(MachineWork.token).where(MachineWork.review_id == review_id)).one_or_none()
