"""What one person reads of a review on its pages: its lines and self-evaluation, its evidence, its findings
with the moderator's decisions, its report and its actions, each as far as domain/reading.py allows them.
A fixed number of queries, whatever the review holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peer_review.domain.model import Alignment, Decision, DocumentKind, FindingKind, TaskKind
from peer_review.domain.reading import Progress, Reading, Scope, reading_for, web_address
from peer_review.service import follow_up
from peer_review.service.access import WITHHELD
from peer_review.store.db import Session
from peer_review.store.development_actions import actions_of_review
from peer_review.store.people import names_by_id
from peer_review.store.records import evidence, findings_of, latest_lines, standing_judgements
from peer_review.store.rendered_documents import document_kinds_of, moderation_decisions, stored_document
from peer_review.store.tasks import tasks_of

if TYPE_CHECKING:
    from peer_review.store.tables import Review

FINDING_STATUS = {
    "pending": "Waiting for moderation",
    "supported": "Supported by the evidence",
    "needs_revision": "Returned to its reviewer for revision",
}


@dataclass(frozen=True)
class DecisionView:
    round: int
    decision: str
    reason: str


@dataclass(frozen=True)
class FindingView:
    ref: str
    kind: str
    text: str
    author: str
    evidence: list[tuple[str, str]]  # (ref, title as the reader may see it)
    status: str  # "" where the reader may not see the moderator's decisions on it
    decisions: list[DecisionView]
    own: bool


@dataclass(frozen=True)
class LineView:
    number: int
    title: str
    self_evaluation: str
    from_prompt: bool
    findings: list[FindingView]
    alignment: str  # "" where the reader may not see it, or it is not judged yet
    alignment_comment: str


@dataclass(frozen=True)
class EvidenceView:
    ref: str
    title: str
    type: str
    location: str
    href: str | None  # the location as a link, when it is one web address (http or https)
    lines: list[int]
    personal_data: bool
    withheld: bool


@dataclass
class ReviewContents:
    reading: Reading
    lines_agreed: bool
    lines: list[LineView]
    evidence: list[EvidenceView]
    findings_shown: int
    findings_hidden: int  # how many exist that the reader may not read yet
    report_kind: DocumentKind | None  # the report there is to read: the issued one, else the draft
    actions: list[follow_up.ActionView] = field(default_factory=list)

    @property
    def hidden_evidence(self) -> int:
        return sum(1 for e in self.evidence if e.withheld)


def progress_of(session: Session, review: Review, person_ids: frozenset[int] | set[int], kinds: list[str]) -> Progress:
    own_submitted = any(
        t.kind == TaskKind.RECORD_FINDINGS and t.status == "done" and t.assignee_id in person_ids
        for t in tasks_of(session, review.id)
    )
    return Progress(bool(review.lines_round), DocumentKind.REPORT_DRAFT in kinds, own_submitted)


def reading_of(session: Session, review: Review, roles: set[str], person_ids: frozenset[int] | set[int]) -> Reading:
    """What this reader may read of the review now."""
    return reading_for(roles, progress_of(session, review, person_ids, document_kinds_of(session, review.id)))


def review_contents(
    session: Session, review: Review, roles: set[str], person_ids: frozenset[int] | set[int]
) -> ReviewContents:
    """The review's substance as this reader (their roles on it, their people's ids) may read it now."""
    kinds = document_kinds_of(session, review.id)
    reading = reading_for(roles, progress_of(session, review, person_ids, kinds))
    items = [_evidence_view(e, reading) for e in evidence(session, review)]
    titles = {e.ref: e.title for e in items}
    findings = findings_of(session, review)
    shown = [f for f in findings if _reads_finding(reading.findings, f.author_id in person_ids)]
    decisions: dict[int, list[DecisionView]] = {}
    for d in moderation_decisions(session, review.id):
        decisions.setdefault(d.finding_id, []).append(DecisionView(d.round, Decision(d.decision).label, d.reason))
    authors = names_by_id(session, {f.author_id for f in shown})
    judgements = standing_judgements(session, review) if reading.alignment else {}
    lines = []
    for line in latest_lines(session, review) if reading.lines else []:
        judged = judgements.get(line.number)
        lines.append(
            LineView(
                line.number,
                line.title,
                line.self_evaluation,
                line.from_prompt,
                [
                    _finding_view(f, authors, titles, decisions, reading, f.author_id in person_ids)
                    for f in shown
                    if f.line_number == line.number
                ],
                Alignment(judged.alignment).label if judged else "",
                judged.comment if judged else "",
            )
        )
    report = next((k for k in (DocumentKind.REPORT, DocumentKind.REPORT_DRAFT) if k in kinds), None)
    actions = follow_up.action_views(session, actions_of_review(session, review.id))
    return ReviewContents(
        reading, bool(review.lines_round), lines, items, len(shown), len(findings) - len(shown), report, actions
    )


def _reads_finding(scope: Scope, own: bool) -> bool:
    return scope == Scope.ALL or (scope == Scope.OWN and own)


def _evidence_view(item, reading: Reading) -> EvidenceView:
    withheld = item.personal_data and not reading.personal_data
    location = "" if withheld else item.location
    return EvidenceView(
        item.ref,
        WITHHELD if withheld else item.title,
        item.type,
        location,
        web_address(location),
        list(item.lines),
        item.personal_data,
        withheld,
    )


def _finding_view(f, authors, titles, decisions, reading: Reading, own: bool) -> FindingView:
    sees_decisions = _reads_finding(reading.decisions, own)
    return FindingView(
        f.ref,
        FindingKind(f.kind).label,
        f.text,
        authors.get(f.author_id, ""),
        [(ref, titles.get(ref, "")) for ref in f.evidence],
        FINDING_STATUS.get(f.status, f.status) if sees_decisions else "",
        decisions.get(f.id, []) if sees_decisions else [],
        own,
    )


@dataclass(frozen=True)
class ReportPage:
    kind: DocumentKind
    text: dict | None  # what the Word document was rendered from; None for one rendered before it was kept
    filename: str


def report_page(session: Session, review: Review, kind: DocumentKind) -> ReportPage | None:
    """The report (issued or draft) as stored with its Word document, or None before it is written."""
    document = stored_document(session, review.id, kind.value)
    if document is None:
        return None
    return ReportPage(kind, document.context, document.filename)
