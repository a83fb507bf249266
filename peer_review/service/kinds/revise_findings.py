"""A peer revises the findings the moderator sent back; when the last of them is done, moderation comes round again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import TaskKind
from peer_review.service.common import audit, moderator_of
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._read_back import evidence_named
from peer_review.service.kinds._yaml import evidence_comment, quoted
from peer_review.service.steps import move, open_task
from peer_review.store.db import Session
from peer_review.store.records import findings_of, findings_to_revise, worker
from peer_review.store.tasks import open_tasks

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """The findings sent back to this peer (theirs, even when the coordinator holds the task for them)."""
    return {"findings": findings_to_revise(session, review, known["worker"].id)}


def references(session: Session, review: Review, task: Task, known: dict) -> dict:
    """Only the findings sent back to this peer may be revised."""
    return {"findings": [f.ref for f in findings_to_revise(session, review, worker(session, task).id)]}


def handle(session: Session, review: Review, task: Task, data: inp.ReviseFindings, actor: Person) -> str:
    findings = {f.ref: f for f in findings_of(session, review)}
    for revision in data.findings:
        finding = findings[revision.finding]
        audit(
            session,
            review.partnership_id,
            "finding_revised",
            actor.email,
            review.id,
            finding=finding.ref,
            before={"text": finding.text, "evidence": finding.evidence},
            revision=finding.revision + 1,
        )
        finding.text, finding.evidence = revision.text, revision.evidence
        finding.revision += 1
        finding.status = "pending"
        session.add(finding)
    move(session, review, Event.FINDINGS_REVISED, actor.email)
    others = open_tasks(session, review_id=review.id, kind=TaskKind.REVISE_FINDINGS)
    if not any(t.round == task.round and t.id != task.id for t in others):
        open_task(session, review, TaskKind.MODERATE, moderator_of(session, review), task.round + 1)
    return "revised"


def initial(ctx: dict) -> dict:
    return {"findings": [{"finding": f.ref, "text": f.text, "evidence": list(f.evidence)} for f in ctx["findings"]]}


def template(ctx: dict) -> list[str]:
    out = evidence_comment(ctx) + [
        "# The moderator sent these findings back; revise the text and/or the evidence cited.",
        "findings:",
    ]
    for f in ctx["findings"]:
        out += [
            f"  - finding: {f.ref}",
            f"    text: {quoted(f.text)}",
            f"    evidence: [{', '.join(map(quoted, f.evidence))}]",
        ]
    return out


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    return [
        AnswerRow(
            f"Finding {f['finding']}",
            f"{f['text']}\nEvidence: {evidence_named(f['evidence'], ctx)}",
            ("findings", i, "text"),
        )
        for i, f in enumerate(answer["findings"])
    ]


KIND = Kind(
    TaskKind.REVISE_FINDINGS,
    inp.ReviseFindings,
    handle,
    AnswerForm(initial, drafts=True, anchors={(): ("findings",)}),
    template,
    context=context,
    references=references,
    summary=summary,
    next_step=("The moderator checks the revised findings against the evidence again."),
    checks_answers=True,
)
