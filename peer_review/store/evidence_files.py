"""The files attached to a review's evidence items."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from peer_review.store.tables import EvidenceFile


def add_evidence_file(session: Session, **columns) -> EvidenceFile:
    """A file's record, added to the session once its bytes are in the file store (service.evidence_files)."""
    row = EvidenceFile(**columns)
    session.add(row)
    session.flush()
    return row


def files_of(session: Session, review_id: int) -> list[EvidenceFile]:
    return list(
        session.exec(
            select(EvidenceFile)
            .where(EvidenceFile.review_id == review_id)
            .order_by(col(EvidenceFile.item), col(EvidenceFile.id))
        )
    )


def file_or_none(session: Session, file_id: int) -> EvidenceFile | None:
    return session.get(EvidenceFile, file_id)


def bytes_held(session: Session, review_id: int) -> int:
    """The sizes of a review's files, added up (its limit is PEER_REVIEW_REVIEW_FILES_LIMIT_MB)."""
    total = session.exec(select(func.sum(EvidenceFile.size)).where(EvidenceFile.review_id == review_id)).one()
    return int(total or 0)


def remove_file(session: Session, row: EvidenceFile) -> None:
    session.delete(row)
    session.flush()


def every_file(session: Session) -> list[EvidenceFile]:
    """Every evidence file the database names (what the file store should hold; the rest is left over from a failure)."""
    return list(session.exec(select(EvidenceFile).order_by(col(EvidenceFile.id))))


def files_on_item(session: Session, review_id: int, item: int) -> list[EvidenceFile]:
    return [row for row in files_of(session, review_id) if row.item == item]


def shift_items_after(session: Session, review_id: int, removed: int) -> bool:
    """The evidence form's item `removed` is gone: the files of the items after it move up one number
    (whether there were any)."""
    moved = [row for row in files_of(session, review_id) if row.item > removed]
    for row in moved:
        row.item -= 1
        session.add(row)
    session.flush()
    return bool(moved)
