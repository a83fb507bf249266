"""A review's rendered documents as stored (one of each kind), and what only the documents read to make them:
the moderation's decisions and the names of everyone in the partnership."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from peer_review.store.tables import Document, ModerationDecision, ReportCorrection


def stored_document(session: Session, review_id: int, kind: str) -> Document | None:
    """The review's document of that kind, if it has been rendered."""
    return session.exec(select(Document).where(Document.review_id == review_id, Document.kind == kind)).first()


def stored_documents(session: Session, review_id: int | None = None) -> list[Document]:
    """Every stored document (or one review's), review by review in the order rendered."""
    query = select(Document).order_by(col(Document.review_id), col(Document.id))
    if review_id is not None:
        query = query.where(Document.review_id == review_id)
    return list(session.exec(query))


def document_lines(session: Session, review_id: int) -> list[tuple[str, str, dt.datetime, int | None]]:
    """(kind, filename, created at, size in bytes) of a review's documents, by kind, without reading their content."""
    return list(
        session.exec(
            select(Document.kind, Document.filename, Document.created_at, func.length(Document.content))
            .where(Document.review_id == review_id)
            .order_by(Document.kind)
        )
    )


def moderation_decisions(session: Session, review_id: int) -> list[ModerationDecision]:
    """Every decision the moderator took on a review's findings, round by round."""
    return list(
        session.exec(
            select(ModerationDecision)
            .where(ModerationDecision.review_id == review_id)
            .order_by(col(ModerationDecision.round))
        )
    )


def document_kinds_of(session: Session, review_id: int) -> list[str]:
    """The kinds of document a review has (one of each at most)."""
    return list(session.exec(select(Document.kind).where(Document.review_id == review_id)).all())


def add_document(
    session: Session,
    *,
    review_id: int,
    kind: str,
    filename: str,
    content: bytes,
    sha256: str,
    created_at: dt.datetime,
    context: dict,
) -> Document:
    """A review's rendered document and what it was rendered from, added to the session to be stored
    (documents.render_and_store)."""
    document = Document(
        review_id=review_id,
        kind=kind,
        filename=filename,
        content=content,
        sha256=sha256,
        created_at=created_at,
        context=context,
    )
    session.add(document)
    return document


def report_corrections(session: Session, review_id: int) -> list[ReportCorrection]:
    """The moderator's corrections to a review's report wording, in the order made (its versions)."""
    return list(
        session.exec(
            select(ReportCorrection).where(ReportCorrection.review_id == review_id).order_by(col(ReportCorrection.id))
        )
    )


def add_report_correction(
    session: Session,
    *,
    review_id: int,
    part: str,
    ref: str,
    before: str,
    after: str,
    reason: str,
    by_id: int,
    at: dt.datetime,
) -> ReportCorrection:
    """A correction to a report's wording, added to the session (report_wording.correct)."""
    row = ReportCorrection(
        review_id=review_id, part=part, ref=ref, before=before, after=after, reason=reason, by_id=by_id, at=at
    )
    session.add(row)
    return row
