"""The evaluation's context: published headline figures about trusts, and commissioned external reviews with
what the trusts' own peer reviews found to compare them with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import col, delete, select

from peer_review.store.db import Session
from peer_review.store.tables import ExternalReview, ExternalStrandView, Finding, HeadlineFigure


def headline_figures_of(session: Session, partnership_id: int) -> list[HeadlineFigure]:
    return list(session.exec(select(HeadlineFigure).where(HeadlineFigure.partnership_id == partnership_id)).all())


def trust_figures(session: Session, trust_id: int) -> list[HeadlineFigure]:
    """A trust's headline figures, by measure."""
    return list(
        session.exec(select(HeadlineFigure).where(HeadlineFigure.trust_id == trust_id).order_by(HeadlineFigure.measure))
    )


def external_review_on(session: Session, trust_id: int, reviewed_on: dt.date) -> ExternalReview | None:
    """The external review of a trust on that date, if one was loaded: loading another replaces it."""
    return session.exec(
        select(ExternalReview).where(ExternalReview.trust_id == trust_id, ExternalReview.reviewed_on == reviewed_on)
    ).first()


def discard_strand_views(session: Session, external_review_id: int) -> None:
    """Every strand view of an external review being replaced (the file's take their place)."""
    session.execute(delete(ExternalStrandView).where(col(ExternalStrandView.external_review_id) == external_review_id))


def external_reviews(session: Session, partnership_id: int, trust_id: int | None = None) -> list[ExternalReview]:
    """The partnership's external reviews (or one trust's), trust by trust, oldest first."""
    query = select(ExternalReview).where(ExternalReview.partnership_id == partnership_id)
    if trust_id is not None:
        query = query.where(ExternalReview.trust_id == trust_id)
    return list(session.exec(query.order_by(col(ExternalReview.trust_id), col(ExternalReview.reviewed_on))).all())


def strand_views(session: Session, external_review_id: int) -> list[ExternalStrandView]:
    return list(
        session.exec(
            select(ExternalStrandView).where(ExternalStrandView.external_review_id == external_review_id)
        ).all()
    )


def supported_findings(session: Session, review_ids: list[int], kinds: Iterable[str]) -> list[Finding]:
    """The supported findings of these kinds on these reviews, in the order recorded."""
    return list(
        session.exec(
            select(Finding)
            .where(col(Finding.review_id).in_(review_ids), Finding.status == "supported", col(Finding.kind).in_(kinds))
            .order_by(col(Finding.id))
        )
    )


def add_headline_figure(
    session: Session,
    *,
    partnership_id: int,
    trust_id: int,
    year: str,
    measure: str,
    value: str,
    number: float | None,
    source: str,
    loaded_at: dt.datetime,
) -> HeadlineFigure:
    """A published figure loaded from a file (rows are made here, not in service/); written at the next flush."""
    figure = HeadlineFigure(
        partnership_id=partnership_id,
        trust_id=trust_id,
        year=year,
        measure=measure,
        value=value,
        number=number,
        source=source,
        loaded_at=loaded_at,
    )
    session.add(figure)
    return figure


def add_external_review(
    session: Session,
    *,
    partnership_id: int,
    trust_id: int,
    reviewed_on: dt.date,
    reviewer: str,
    organisation: str,
    source: str,
    loaded_at: dt.datetime,
) -> ExternalReview:
    """An external review loaded from a file, flushed so that its strand views can refer to its id."""
    review = ExternalReview(
        partnership_id=partnership_id,
        trust_id=trust_id,
        reviewed_on=reviewed_on,
        reviewer=reviewer,
        organisation=organisation,
        source=source,
        loaded_at=loaded_at,
    )
    session.add(review)
    session.flush()
    return review


def add_strand_view(
    session: Session,
    *,
    external_review_id: int,
    strand_id: str,
    view: str,
    strengths: list[str],
    areas_for_development: list[str],
) -> ExternalStrandView:
    """What an external review said about one strand (rows are made here, not in service/); written at the next flush."""
    strand_view = ExternalStrandView(
        external_review_id=external_review_id,
        strand_id=strand_id,
        view=view,
        strengths=strengths,
        areas_for_development=areas_for_development,
    )
    session.add(strand_view)
    return strand_view
