"""The access log: who opened which of a review's documents and evidence files, and when. Written as each is
served (a Word document, an evidence file, the review's zip, the report's page); read by the partnership's
coordinator, for whom a data protection officer asks "who has seen this?". Each line names what was opened as
it was then (a file's name, a document's kind), so a file removed since still shows in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.errors import Refused
from peer_review.service import access
from peer_review.store.audit_log import access_records_of, add_access_record
from peer_review.store.db import Session

if TYPE_CHECKING:
    from peer_review.store.tables import Review

SHOWN = 500  # lines on the page, newest first


@dataclass(frozen=True)
class AccessLine:
    at: str  # in England's time, as people write it
    who: str
    what: str


def opened(
    session: Session,
    viewer: access.Viewer,
    review_id: int,
    partnership_id: int,
    what: str,
    name: str,
    file_id: int | None = None,
) -> None:
    """Note that this person opened this, now (after the access checks let them)."""
    add_access_record(
        session,
        at=clock.now(),
        partnership_id=partnership_id,
        review_id=review_id,
        email=viewer.email,
        what=what,
        name=name,
        file_id=file_id,
    )


def access_log(session: Session, viewer: access.Viewer, review_id: int) -> tuple[Review, list[AccessLine]]:
    """The review's access log, for its partnership's coordinator only."""
    review, roles = access.review_for(session, viewer, review_id)
    if "coordinator" not in roles:
        raise Refused("The access log of a review is for its partnership's coordinator.")
    lines = []
    for row in access_records_of(session, review.id, SHOWN):
        if row.what == "zip":
            said = "downloaded the zip of the documents and files they may have"
        elif row.what == "report page":
            said = f"read the {'report' if row.name == 'review-report' else 'draft report'} as a page"
        elif row.what == "file":
            said = f"downloaded the evidence file {row.name}"
        else:
            said = f"downloaded the Word document: {row.name.replace('-', ' ')}"
        lines.append(AccessLine(clock.long_moment(row.at), row.email, said))
    return review, lines
