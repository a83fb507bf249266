"""The engine's queue."""

import datetime as dt

from sqlmodel import Field

from peer_review.store.tables import review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base


class MachineWork(Base, table=True):
    """The engine's queue: a review whose records changed since the engine last found nothing to do for it.

    A row is written (or its `token` bumped) in the same transaction as any change to a review's records, by
    the listener below, so no change can be missed; the sweep deletes the row once the review waits on
    people, unless the token moved meanwhile. `claimed_until` is a sweep's lease (wall-clock time, not the
    simulated clock): a sweep killed part-way leaves its rows to the next sweep once the lease runs out.
    """

    review_id: int = Field(foreign_key="review.id", primary_key=True)
    token: int = 1
    claimed_until: dt.datetime | None = None
    claimed_by: str | None = None
