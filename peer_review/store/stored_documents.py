"""The documents stored for a review (rendered once, kept in the database, exported later)."""

from __future__ import annotations

from sqlmodel import Session, select

from peer_review.store.tables import Document


def document_kinds_of(session: Session, review_id: int) -> list[str]:
    """The kinds of document a review has (one of each at most)."""
    return list(session.exec(select(Document.kind).where(Document.review_id == review_id)).all())
