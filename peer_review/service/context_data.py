"""Context for the evaluation: published headline figures about the trusts, and commissioned external reviews
compared with the peer reviews. Figures are shown as published, without interpretation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain import comparison
from peer_review.domain.lifecycle import Stage
from peer_review.errors import UserError
from peer_review.files.context_files import (
    HeadlineFigures,
    LoadedExternalReview,
    number_of,
    year_order,
)
from peer_review.service.common import ENGINE, audit
from peer_review.store.context_figures import (
    add_external_review,
    add_headline_figure,
    add_strand_view,
    discard_strand_views,
    external_review_on,
    external_reviews,
    headline_figures_of,
    strand_views,
    supported_findings,
    trust_figures,
)
from peer_review.store.db import Session
from peer_review.store.people import get_partnership, trusts_in
from peer_review.store.records import agreed_lines, standing_judgements
from peer_review.store.reviews import hosted_reviews

if TYPE_CHECKING:
    from peer_review.store.tables import Partnership, Trust


def _trusts(session: Session, partnership: Partnership) -> dict[str, Trust]:
    return {t.key: t for t in trusts_in(session, partnership.id)}


def _unknown_trust(key: str, partnership: Partnership, trusts: dict[str, Trust]) -> str:
    return f"unknown trust '{key}' in '{partnership.name}'; trust ids: {', '.join(trusts)}"


# --- headline figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineLoad:
    partnership: str
    added: int
    changed: int
    unchanged: int


def load_headline_figures(session: Session, partnership_name: str | None, loaded: HeadlineFigures) -> HeadlineLoad:
    """Store a file's figures; a figure already stored for the same trust, measure and year is replaced.
    Figures the file does not mention stay. Every row is checked before anything is written."""
    partnership = get_partnership(session, partnership_name)
    trusts = _trusts(session, partnership)
    for i, row in enumerate(loaded.rows):
        if row.trust not in trusts:
            raise loaded.error(_unknown_trust(row.trust, partnership, trusts), i, "trust")
    stored = {(f.trust_id, f.measure, f.year): f for f in headline_figures_of(session, partnership.id)}
    now, counts = clock.now(), {"added": 0, "changed": 0, "unchanged": 0}
    for row in loaded.rows:
        trust = trusts[row.trust]
        source = row.source or str(loaded.source)  # the publication the row names, else the file it came from
        figure = stored.get((trust.id, row.measure, row.year))
        if figure is None:
            add_headline_figure(
                session,
                partnership_id=partnership.id,
                trust_id=trust.id,
                year=row.year,
                measure=row.measure,
                value=row.value,
                number=number_of(row.value),
                source=source,
                loaded_at=now,
            )
            counts["added"] += 1
        elif (figure.value, figure.source) != (row.value, source):
            figure.value, figure.number, figure.source, figure.loaded_at = row.value, number_of(row.value), source, now
            session.add(figure)
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
    audit(session, partnership.id, "headline_figures_loaded", ENGINE, source=str(loaded.source), **counts)
    return HeadlineLoad(partnership.name, **counts)


@dataclass(frozen=True)
class MeasureTrend:
    measure: str
    points: list[tuple[str, str]]  # (year, value as published), by year


@dataclass(frozen=True)
class TrustTrend:
    key: str
    name: str
    measures: list[MeasureTrend]  # by measure

    @property
    def years(self) -> list[str]:
        return sorted({year for m in self.measures for year, _ in m.points}, key=year_order)

    def table(self) -> list[tuple[str, list[str]]]:
        """One row per measure, one value per year of `years` ('' where nothing was published)."""
        years = self.years
        return [(m.measure, [dict(m.points).get(y, "") for y in years]) for m in self.measures]


def headline_trends(session: Session, partnership_name: str | None, trust_key: str | None = None) -> list[TrustTrend]:
    """Each trust's figures (the trusts with any), per measure, as a (year, value) series sorted by year."""
    partnership = get_partnership(session, partnership_name)
    trusts = _trusts(session, partnership)
    if trust_key is not None and trust_key not in trusts:
        raise UserError(_unknown_trust(trust_key, partnership, trusts))
    chosen = [trusts[trust_key]] if trust_key else list(trusts.values())
    return [trend for trend in (trust_trend(session, t) for t in chosen) if trend.measures]


def trust_trend(session: Session, trust: Trust) -> TrustTrend:
    series: dict[str, list[tuple[str, str]]] = {}
    for f in trust_figures(session, trust.id):
        series.setdefault(f.measure, []).append((f.year, f.value))
    measures = [MeasureTrend(m, sorted(points, key=lambda p: year_order(p[0]))) for m, points in series.items()]
    return TrustTrend(trust.key, trust.name, measures)


# --- external reviews -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalLoad:
    partnership: str
    trust: str
    reviewed_on: dt.date
    strands: int
    replaced: bool  # an external review of the same trust on the same date was loaded before


def load_external_review(session: Session, partnership_name: str | None, loaded: LoadedExternalReview) -> ExternalLoad:
    """Store an external review; one already stored for the same trust and date is replaced."""
    spec = loaded.spec
    partnership = get_partnership(session, partnership_name)
    trusts = _trusts(session, partnership)
    if spec.trust not in trusts:
        raise loaded.error(_unknown_trust(spec.trust, partnership, trusts), ("trust",))
    strand_ids = [s["id"] for s in partnership.framework["strands"]]
    for i, view in enumerate(spec.strands):
        if view.strand not in strand_ids:
            raise loaded.error(
                f"unknown strand '{view.strand}' for framework '{partnership.framework_id}'; strands: {', '.join(strand_ids)}",
                ("strands", i, "strand"),
            )
    if spec.reviewed_on > clock.today():
        raise loaded.error(
            f"the review is dated {spec.reviewed_on}, after today ({clock.today()}); give the date it took place",
            ("reviewed_on",),
        )
    trust = trusts[spec.trust]
    review = external_review_on(session, trust.id, spec.reviewed_on)
    replaced = review is not None
    if review is None:
        review = add_external_review(
            session,
            partnership_id=partnership.id,
            trust_id=trust.id,
            reviewed_on=spec.reviewed_on,
            reviewer=spec.reviewer,
            organisation=spec.organisation,
            source=str(loaded.source),
            loaded_at=clock.now(),
        )
    else:  # replaced: its strand views go, and the file's take their place
        discard_strand_views(session, review.id)
        review.reviewer, review.organisation, review.source, review.loaded_at = (
            spec.reviewer,
            spec.organisation,
            str(loaded.source),
            clock.now(),
        )
        session.add(review)
        session.flush()
    for view in spec.strands:
        add_strand_view(
            session,
            external_review_id=review.id,
            strand_id=view.strand,
            view=view.view,
            strengths=list(view.strengths),
            areas_for_development=list(view.areas_for_development),
        )
    audit(
        session,
        partnership.id,
        "external_review_loaded",
        source=str(loaded.source),
        trust=trust.key,
        reviewed_on=spec.reviewed_on.isoformat(),
        strands=len(spec.strands),
        replaced=replaced,
    )
    return ExternalLoad(partnership.name, trust.name, spec.reviewed_on, len(spec.strands), replaced)


@dataclass(frozen=True)
class ExternalComparison:
    trust_key: str
    trust_name: str
    reviewer: str
    organisation: str
    reviewed_on: dt.date
    strands: list[comparison.StrandComparison]


def external_comparison(
    session: Session, partnership_name: str | None, trust_key: str | None = None
) -> list[ExternalComparison]:
    """Every external review of the partnership's trusts (or of one trust), oldest first, compared strand by
    strand with the trust's peer reviews (see domain/comparison.py: the matching is lexical)."""
    partnership = get_partnership(session, partnership_name)
    trusts = _trusts(session, partnership)
    if trust_key is not None and trust_key not in trusts:
        raise UserError(_unknown_trust(trust_key, partnership, trusts))
    reviews = external_reviews(session, partnership.id, trusts[trust_key].id if trust_key is not None else None)
    by_id = {t.id: t for t in trusts.values()}
    strands = [(s["id"], s["title"]) for s in partnership.framework["strands"]]
    peer: dict[int, dict[str, comparison.PeerStrand]] = {}
    compared = []
    for external in reviews:
        trust = by_id[external.trust_id]
        if trust.id not in peer:
            peer[trust.id] = _peer_strands(session, trust)
        views = strand_views(session, external.id)
        theirs = {
            v.strand_id: comparison.ExternalStrand(
                v.strand_id, v.view, list(v.strengths), list(v.areas_for_development)
            )
            for v in views
        }
        compared.append(
            ExternalComparison(
                trust.key,
                trust.name,
                external.reviewer,
                external.organisation,
                external.reviewed_on,
                comparison.compare(strands, theirs, peer[trust.id]),
            )
        )
    return compared


def _peer_strands(session: Session, trust: Trust) -> dict[str, comparison.PeerStrand]:
    """The trust's peer review of each strand (its latest cycle's), with its supported strengths and areas for
    development, and its agreed lines' self-evaluations with the moderator's standing judgements."""
    reviews = hosted_reviews(session, trust.id)
    latest = {r.strand_id: r for r in reviews}  # a later cycle's review of a strand replaces an earlier one
    supported: dict[int, list[comparison.Item]] = {}
    if latest:
        for f in supported_findings(session, [r.id for r in latest.values()], comparison.KINDS):
            supported.setdefault(f.review_id, []).append(comparison.Item(f.kind, f.text, f.ref))
    strands = {}
    for strand_id, review in latest.items():
        judgements = standing_judgements(session, review)
        lines = [
            comparison.SelfEvaluationLine(
                line.number,
                line.title,
                line.self_evaluation,
                judgements[line.number].alignment if line.number in judgements else None,
                judgements[line.number].comment if line.number in judgements else "",
            )
            for line in agreed_lines(session, review)
        ]
        strands[strand_id] = comparison.PeerStrand(
            strand_id, review.id, Stage(review.stage).label, supported.get(review.id, []), lines
        )
    return strands
