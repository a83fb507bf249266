"""The visit timetable: a review's sessions, day by day."""

import datetime as dt

from sqlmodel import Field

from peer_review.store.tables import partnership, review  # noqa: F401  (the tables these refer to, defined first)
from peer_review.store.tables.base import Base, json_list


class VisitSession(Base, table=True):
    """One session of a review's visit, as the host trust (or the coordinator) entered it
    (domain.timetable.TimetableSession is its value). `sequence` goes up by one on each change, as the
    session's calendar event's SEQUENCE does."""

    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    day: dt.date
    start: dt.time
    end: dt.time
    activity: str  # domain.timetable.Activity
    description: str = ""
    school: str
    room: str = ""
    host_people: str = ""  # typed: the host trust's people at the session, by name and role
    reviewer_ids: list[int] = json_list()  # the review team's person ids
    sequence: int = 0
    created_by_id: int = Field(foreign_key="person.id")
    created_at: dt.datetime
    updated_by_id: int = Field(foreign_key="person.id")
    updated_at: dt.datetime
