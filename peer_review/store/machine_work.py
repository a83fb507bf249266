"""The engine's queue (MachineWork): which reviews have changed since the engine last looked at them.

Filled by the session listeners in `tables/__init__.py` as every transaction that changes a review commits;
emptied by the sweep (service/sweep.py) as it finds each review waiting on people.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select

from peer_review.domain.lifecycle import Stage
from peer_review.store.tables.machine_work import MachineWork  # the modules, not the package: its hook imports this one
from peer_review.store.tables.review import Review

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
        hosted = select(Review.id).where(Review.host_trust_id.in_(host_trust_ids), Review.stage.not_in(FINISHED))
        review_ids.update(connection.execute(hosted).scalars())
    if connection.dialect.name == "postgresql":  # each dialect's upsert, imported only where it is used
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for review_id in sorted(review_ids | set(settled)):
        if review_id in settled:
            if settled[review_id] is not None:
                connection.execute(
                    delete(MachineWork).where(
                        MachineWork.review_id == review_id, MachineWork.token == settled[review_id]
                    )
                )
            continue
        statement = insert(MachineWork).values(review_id=review_id, token=1)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["review_id"], set_={"token": MachineWork.token + 1})
        )
