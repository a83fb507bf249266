"""Writing the audit log (its entries are read where they are shown: overviews.py, memberships.py), and the access
log (who opened which document or evidence file). Their tables are defined when first used, not by every command
that imports this module."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from peer_review.store.tables import AuditEntry


def add_audit_entry(
    session: Session,
    *,
    at: dt.datetime,
    actor: str,
    partnership_id: int,
    review_id: int | None,
    action: str,
    detail: dict[str, Any],
) -> AuditEntry:
    """One entry of the audit log, added to the session (service.common.audit words what it records)."""
    from peer_review.store.tables import AuditEntry

    entry = AuditEntry(
        at=at, actor=actor, partnership_id=partnership_id, review_id=review_id, action=action, detail=detail
    )
    session.add(entry)
    return entry


def add_access_record(session: Session, **columns) -> None:
    """One line of the access log, added to the session (service.access_log words what it records)."""
    from peer_review.store.tables import AccessRecord

    session.add(AccessRecord(**columns))


def access_records_of(session: Session, review_id: int, limit: int) -> list:
    """A review's access log, newest first, at most `limit` lines."""
    from peer_review.store.tables import AccessRecord

    return list(
        session.exec(
            select(AccessRecord)
            .where(AccessRecord.review_id == review_id)
            .order_by(col(AccessRecord.at).desc(), col(AccessRecord.id).desc())
            .limit(limit)
        )
    )
