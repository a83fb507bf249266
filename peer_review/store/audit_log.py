"""Writing the audit log (its entries are read where they are shown: overviews.py, memberships.py). Its table is
defined when the first entry is written, not by every command that imports this module."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

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
