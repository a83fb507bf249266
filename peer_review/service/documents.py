"""What goes into each document, storing rendered documents, and writing them out to a folder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.evidence_files import size_in_words
from peer_review.domain.model import Alignment, DocumentKind, FindingKind, TaskKind
from peer_review.service import follow_up, report_wording
from peer_review.service.common import audit, stored_person
from peer_review.store.db import Session
from peer_review.store.evidence_files import files_of
from peer_review.store.people import get_partnership_by_id, people_in, trust_of
from peer_review.store.records import (
    agreed_lines,
    evidence,
    findings_of,
    latest_lines,
    standing_judgements,
    team,
)
from peer_review.store.rendered_documents import add_document, moderation_decisions, stored_document, stored_documents
from peer_review.store.reviews import get_review
from peer_review.store.tasks import last_done

if TYPE_CHECKING:
    from peer_review.store.tables import Document, Review, Task

ABOUT = (
    "Trusts in this partnership review each other, strand by strand, with peers from the other trusts "
    "and an external moderator who checks that every finding rests on evidence. The review follows lines "
    "of enquiry agreed by the host trust. It names good practice and areas for development; it does not "
    "give a judgement or grade."
)


def _date(day) -> str:
    return clock.long_date(day) if day else "not yet"


def _common(session: Session, review: Review) -> dict:
    partnership = get_partnership_by_id(session, review.partnership_id)
    peers, moderator = team(session, review)
    members = [{"name": p.name, "role": f"peer reviewer, {p.job_title}", "organisation": p.organisation} for p in peers]
    if moderator:
        members.append({"name": moderator.name, "role": "external moderator", "organisation": moderator.organisation})
    return {
        "host": trust_of(session, review).name,
        "strand": review.strand_title,
        "framework": partnership.framework["title"],
        "partnership": partnership.name,
        "visit": clock.date_span(review.visit_start, review.visit_end),
        "team": members,
        "moderator": moderator.name if moderator else "",
    }


def _done_by(session: Session, task: Task) -> str:
    """The name of who answered a task that is done (an answer records who gave it)."""
    if task.completed_by_id is None:
        raise LookupError(f"task {task.id} is done, but its record names nobody who did it")
    return stored_person(session, task.completed_by_id).name


def lines_agreement_context(session: Session, review: Review) -> dict:
    agreed = last_done(session, review.id, TaskKind.AGREE_LINES)
    proposer = last_done(session, review.id, TaskKind.PROPOSE_LINES)
    rounds = review.lines_round
    return _common(session, review) | {
        "lines": [
            {
                "number": line.number,
                "title": line.title,
                "self_evaluation": line.self_evaluation,
                "source": "From the strand’s suggested lines of enquiry."
                if line.from_prompt
                else "The host trust’s own line of enquiry.",
            }
            for line in latest_lines(session, review)
        ],
        "proposed_by": _done_by(session, proposer) if proposer else "",
        "agreed_by": _done_by(session, agreed) if agreed else "",
        "agreed_on": _date(agreed.completed_at) if agreed else "",
        "history": "Agreed at the first proposal."
        if rounds <= 1
        else f"Agreed at proposal {rounds}, after the moderator asked for changes.",
    }


def moderation_context(session: Session, review: Review) -> dict:
    findings = findings_of(session, review)
    authors = {p.id: p.name for p in people_in(session, review.partnership_id)}
    decisions = moderation_decisions(session, review.id)
    by_finding: dict[int, list] = {}
    for d in decisions:
        reason = f": {d.reason}" if d.reason else ""
        by_finding.setdefault(d.finding_id, []).append(
            {"round": d.round, "decision": d.decision.replace("_", " "), "reason": reason}
        )
    judgements = standing_judgements(session, review)
    last = last_done(session, review.id, TaskKind.MODERATE)
    files: dict[int, list] = {}
    for f in files_of(session, review.id):
        files.setdefault(f.item, []).append(f)
    lines = []
    for line in agreed_lines(session, review):
        j = judgements.get(line.number)
        lines.append(
            {
                "number": line.number,
                "title": line.title,
                "findings": [
                    {
                        "ref": f.ref,
                        "kind": f.kind.replace("_", " "),
                        "author": authors.get(f.author_id, ""),
                        "text": f.text,
                        "evidence": ", ".join(f.evidence),
                        "decisions": by_finding.get(f.id, []),
                    }
                    for f in findings
                    if f.line_number == line.number
                ],
                "alignment": Alignment(j.alignment).label if j else "not judged",
                "alignment_comment": j.comment if j else "",
            }
        )
    return _common(session, review) | {
        "evidence": [
            # the record goes beyond the team: an item holding personal data is named only on the web, to the team and host
            {
                "ref": e.ref,
                "title": "(held by the host trust: personal data)" if e.personal_data else e.title,
                "type": e.type,
                "location": "" if e.personal_data else e.location,
                "personal_data": "yes" if e.personal_data else "no",
                "files": _files_listed(files.get(number, []), e.personal_data),
            }
            for number, e in enumerate(evidence(session, review), start=1)
        ],
        "lines": lines,
        "rounds": last.round if last else 0,
        "signed_off_on": _date(last.completed_at) if last else "",
    }


def _files_listed(files: list, personal_item: bool) -> str:
    """An item's files as the record lists them: each with its size and SHA-256 checksum (so a copy can be
    checked against it); a file holding personal data by its checksum only, as its name may say who."""
    listed = []
    for f in files:
        name = "a file holding personal data" if personal_item or f.personal_data else f.filename
        listed.append(f"{name} ({size_in_words(f.size)}, SHA-256 {f.sha256})")
    return ("Files: " + "; ".join(listed)) if listed else ""


def report_context(session: Session, review: Review, final: bool) -> dict:
    supported = [f for f in findings_of(session, review) if f.status == "supported"]
    judgements = standing_judgements(session, review)

    def cite(f) -> str:
        return f"{f.text} (evidence: {', '.join(f.evidence)})"

    lines = []
    for line in agreed_lines(session, review):
        mine = [f for f in supported if f.line_number == line.number]
        j = judgements.get(line.number)
        lines.append(
            {
                "number": line.number,
                "title": line.title,
                "self_evaluation": line.self_evaluation,
                "strengths": [cite(f) for f in mine if f.kind == FindingKind.STRENGTH]
                or ["None recorded for this line."],
                "areas_for_development": [cite(f) for f in mine if f.kind == FindingKind.AREA_FOR_DEVELOPMENT]
                or ["None recorded for this line."],
                "alignment": Alignment(j.alignment).label if j else "not judged",
                "alignment_comment": j.comment if j else "",
            }
        )
    good = [
        f"{f.text} (line {f.line_number}; evidence: {', '.join(f.evidence)})"
        for f in supported
        if f.kind == FindingKind.GOOD_PRACTICE
    ]
    counts = {a: sum(1 for j in judgements.values() if j.alignment == a) for a in Alignment}
    summary = "; ".join(f"{n} line(s): {a.label.lower()}" for a, n in counts.items() if n) or "not judged"
    return _common(session, review) | {
        "status": "Final report, issued by the moderator."
        if final
        else "DRAFT for the host trust’s factual accuracy check.",
        "issued_on": _date(review.issued_on) if final else "not yet issued",
        "about": ABOUT,
        "lines": lines,
        "good_practice": good or ["None recorded."],
        "next_steps": list(review.next_steps) or ["To be agreed when the report is issued."],
        "statement": review.moderator_statement or "The moderator’s statement is added when the report is issued.",
        "self_evaluation_summary": summary,
        **_progress_since_earlier_reviews(session, review),
        "corrections": _accuracy_check(session, review, final),
    }


def _accuracy_check(session: Session, review: Review, final: bool) -> list[str]:
    """The report's factual accuracy check: what the host trust asked to correct, and what the moderator
    changed in the wording (report_wording)."""
    asked = [f"The host trust asked for this correction: {c}" for c in review.factual_corrections]
    made = report_wording.corrections_made(session, review)
    if not asked and not made:
        return ["The host trust confirmed that the draft was factually accurate."] if final else ["Not yet checked."]
    changed = [f"Corrected: {c}" for c in made]
    if final and not changed:
        changed = ["The moderator made no change to the report’s wording."]
    return asked + changed


def _progress_since_earlier_reviews(session: Session, review: Review) -> dict:
    """Each area for development from the trust's earlier reviews, with the progress the host recorded at this one."""
    rows = []
    for a in follow_up.action_views(session, follow_up.earlier_actions(session, review)):
        here = next((p for p in reversed(a.progress) if p.review_id == review.id and p.occasion == "next_review"), None)
        issued = f", report issued {_date(a.issued_on)}" if a.issued_on else ""
        rows.append(
            {
                "ref": a.ref,
                "text": a.text,
                "source": f"review {a.review_id}, {a.strand}{issued}",
                "progress": (f"{here.status.label}: {here.evidence}" if here.evidence else here.status.label)
                if here
                else "No progress recorded",
            }
        )
    note = (
        "The areas for development from the trust’s earlier reviews, with the progress the host trust recorded at this review."
        if rows
        else "None: the trust has no areas for development from earlier reviews."
    )
    return {"progress_note": note, "progress": rows}


def document_context(session: Session, review: Review, kind: DocumentKind) -> dict:
    if kind == DocumentKind.LINES_AGREEMENT:
        return lines_agreement_context(session, review)
    if kind == DocumentKind.MODERATION_RECORD:
        return moderation_context(session, review)
    return report_context(session, review, final=kind == DocumentKind.REPORT)


def filename(session: Session, review: Review, kind: DocumentKind) -> str:
    trust = trust_of(session, review).key
    return f"{review.id:03d}-{trust}-{review.strand_id}-{kind.value}.docx"


def render_and_store(session: Session, review: Review, kind: DocumentKind) -> Document:
    from peer_review.adapters.word import render

    existing = stored_document(session, review.id, kind.value)
    if existing:
        return existing
    context = document_context(session, review, kind)
    content = render(kind, context)
    doc = add_document(
        session,
        review_id=review.id,
        kind=kind.value,
        filename=filename(session, review, kind),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=clock.now(),
        context=context,
    )
    audit(
        session,
        review.partnership_id,
        "document_rendered",
        review_id=review.id,
        kind=kind.value,
        filename=doc.filename,
        sha256=doc.sha256,
    )
    return doc


def export_documents(
    session: Session, out: Path, review_id: int | None = None, kinds: set[str] | None = None
) -> list[Path]:
    """Write stored documents to a folder (all, or one review's); returns the paths written."""
    if review_id is not None:
        get_review(session, review_id)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in stored_documents(session, review_id):
        if kinds and doc.kind not in kinds:
            continue
        path = out / re.sub(r"[^A-Za-z0-9._-]", "_", doc.filename)
        path.write_bytes(doc.content)
        written.append(path)
    return written
