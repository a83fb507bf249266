"""Correcting the report's wording before it is issued, usually to apply the host trust's factual corrections.

Between the host's factual accuracy check and the issue (while the moderator's "issue the report" task is open),
the moderator, or the coordinator on their behalf, may change the words the report shows: each supported
finding's text and each line's comment on the self-evaluation. The text is changed where it is kept, so the
issued report, the host's actions and the good practice library carry it; each change is kept as a version
(who, when, why, the words before and after) and the issued report lists them. The moderation record, written
when the findings were moderated, keeps the words that were moderated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from peer_review import clock
from peer_review.domain.model import FindingKind, TaskKind
from peer_review.domain.text import Text
from peer_review.errors import NotFound, Refused, UserError
from peer_review.service.common import audit
from peer_review.store.db import Session
from peer_review.store.people import names_by_id, person_by_email
from peer_review.store.records import agreed_lines, findings_of, standing_judgements
from peer_review.store.rendered_documents import add_report_correction, report_corrections
from peer_review.store.review_locks import lock_review
from peer_review.store.reviews import get_review
from peer_review.store.tasks import open_tasks

if TYPE_CHECKING:
    from peer_review.store.tables import Review

PARTS = {"finding": "finding", "alignment": "comment on the self-evaluation"}


@dataclass(frozen=True)
class Version:
    before: str
    after: str
    reason: str
    by: str
    at: object  # a datetime


@dataclass(frozen=True)
class Wording:
    """One part of the report whose words may be corrected."""

    part: str  # finding | alignment
    ref: str  # F3, or the line's number
    label: str  # "Finding F3 (line 2, strength)"
    text: str
    versions: list[Version]


def open_for_correction(session: Session, review: Review) -> bool:
    """Whether the report's wording may change now: the host has checked the draft and it is not issued."""
    return review.issued_on is None and bool(open_tasks(session, review_id=review.id, kind=TaskKind.ISSUE_REPORT))


def wordings(session: Session, review: Review) -> list[Wording]:
    """The report's parts that may be corrected, line by line, each with its corrections so far."""
    corrections = report_corrections(session, review.id)
    names = names_by_id(session, {c.by_id for c in corrections})
    versions: dict[tuple[str, str], list[Version]] = {}
    for c in corrections:
        versions.setdefault((c.part, c.ref), []).append(
            Version(c.before, c.after, c.reason, names.get(c.by_id, ""), c.at)
        )
    judgements = standing_judgements(session, review)
    findings = [f for f in findings_of(session, review) if f.status == "supported"]
    out = []
    for line in agreed_lines(session, review):
        for f in (f for f in findings if f.line_number == line.number):
            label = f"Finding {f.ref} (line {line.number}, {FindingKind(f.kind).label.lower()})"
            out.append(Wording("finding", f.ref, label, f.text, versions.get(("finding", f.ref), [])))
        if (j := judgements.get(line.number)) is not None:
            label = f"Line {line.number}: the comment on the self-evaluation"
            ref = str(line.number)
            out.append(Wording("alignment", ref, label, j.comment, versions.get(("alignment", ref), [])))
    return out


def correct(session: Session, review_id: int, part: str, ref: str, text: str, reason: str, by_email: str) -> Wording:
    """Change one part's words, keeping the change as a version; refused (writing nothing) when the report is
    not open for correction, the person is not its moderator or the coordinator, or nothing would change."""
    lock_review(session, review_id)  # a correction and the issue take turns: the issue sees every correction
    review = get_review(session, review_id)
    actor = person_by_email(session, review.partnership_id, by_email)
    if actor is None or not (actor.is_coordinator or _moderates(session, review, actor.id)):
        raise Refused("Only the review's moderator and the coordinator can correct the report's wording.")
    if not open_for_correction(session, review):
        raise Refused(
            "The report's wording can be corrected only after the host trust has checked the draft and before "
            "the report is issued."
        )
    wording = next((w for w in wordings(session, review) if (w.part, w.ref) == (part, ref)), None)
    if wording is None:
        raise NotFound(f"the report has no {PARTS.get(part, 'part')} {ref} whose wording can be corrected")
    after = _checked(text, "text", "Enter the corrected wording")
    why = _checked(reason, "reason", "Enter why the wording changes")
    if after == wording.text:
        raise UserError("The corrected wording is the same as the report's: change it, or go back", loc=("text",))
    _store(session, review, part, ref, after)
    add_report_correction(
        session,
        review_id=review.id,
        part=part,
        ref=ref,
        before=wording.text,
        after=after,
        reason=why,
        by_id=actor.id,
        at=clock.now(),
    )
    audit(session, review.partnership_id, "report_wording_corrected", actor.email, review.id, part=part, ref=ref)
    return next(w for w in wordings(session, review) if (w.part, w.ref) == (part, ref))


def _moderates(session: Session, review: Review, person_id: int) -> bool:
    return any(t.assignee_id == person_id for t in open_tasks(session, review_id=review.id, kind=TaskKind.ISSUE_REPORT))


def _checked(value: str, field: str, empty: str) -> str:
    if not value.strip():
        raise UserError(empty, loc=(field,))
    try:
        return TypeAdapter(Text).validate_python(value.strip())
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise UserError(problem[0].upper() + problem[1:], loc=(field,)) from None


def _store(session: Session, review: Review, part: str, ref: str, text: str) -> None:
    if part == "finding":
        finding = next(f for f in findings_of(session, review) if f.ref == ref)
        finding.text = text
        session.add(finding)
    else:
        judgement = standing_judgements(session, review)[int(ref)]
        judgement.comment = text
        session.add(judgement)


def corrections_made(session: Session, review: Review) -> list[str]:
    """What was corrected, for the issued report: one sentence per change, in the order made."""
    lines = {str(line.number): line for line in agreed_lines(session, review)}
    out = []
    for c in report_corrections(session, review.id):
        where = (
            f"Finding {c.ref}"
            if c.part == "finding"
            else f"Line {c.ref} ({lines[c.ref].title if c.ref in lines else ''}), the comment on the self-evaluation"
        )
        out.append(f"{where}: “{c.before}” now reads “{c.after}” ({c.reason})")
    return out
