"""The moderator decides on every pending finding (supported, or back for revision) and judges how well the
host's self-evaluation matched the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import Alignment, Decision, TaskKind
from peer_review.service.common import stored_person
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._read_back import line_named
from peer_review.service.kinds._yaml import comment, evidence_comment, quoted
from peer_review.service.steps import move, open_task
from peer_review.store.db import Session
from peer_review.store.people import names_by_id
from peer_review.store.records import (
    add_moderation_decision,
    add_moderation_round,
    add_self_evaluation_judgement,
    findings_of,
    findings_to_moderate,
    standing_judgements,
)

if TYPE_CHECKING:
    from peer_review.store.tables import Finding, Person, Review, Task


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """The findings to decide on, with their authors' names, and the judgements that stand (a later round may
    change them)."""
    findings = findings_to_moderate(session, review)
    return {
        "findings": findings,
        "judgements": standing_judgements(session, review),
        "authors": names_by_id(session, {f.author_id for f in findings}),  # each finding shown with who wrote it
    }


def references(session: Session, review: Review, task: Task, known: dict) -> dict:
    """Every pending finding needs a decision; the first round also a judgement of every agreed line."""
    return {
        "findings": [f.ref for f in findings_to_moderate(session, review)],
        "alignment_required": known["lines"] if task.round == 1 else None,
    }


def handle(session: Session, review: Review, task: Task, data: inp.Moderate, actor: Person) -> str:
    findings = {f.ref: f for f in findings_of(session, review)}
    returned: dict[int, list[Finding]] = {}
    outcome = (
        "revisions_requested" if any(d.decision == Decision.NEEDS_REVISION for d in data.findings) else "signed_off"
    )
    moderation_round = add_moderation_round(
        session,
        review_id=review.id,
        number=task.round,
        moderator_id=actor.id,
        outcome=outcome,
        completed_at=clock.now(),
    )
    for d in data.findings:
        finding = findings[d.finding]
        finding.status = d.decision.value
        session.add(finding)
        add_moderation_decision(
            session,
            review_id=review.id,
            round_id=moderation_round.id,
            round=task.round,
            finding_id=finding.id,
            finding_revision=finding.revision,
            decision=d.decision.value,
            reason=d.reason,
        )
        if d.decision == Decision.NEEDS_REVISION:
            returned.setdefault(finding.author_id, []).append(finding)
    for a in data.self_evaluation:  # each round's judgements are kept: the latest stands, the earlier show what changed
        add_self_evaluation_judgement(
            session,
            review_id=review.id,
            line_number=a.line,
            round=task.round,
            alignment=a.alignment.value,
            comment=a.comment,
        )
    if not returned:
        return outcome
    for author_id, sent_back in returned.items():
        reasons = "; ".join(f"{f.ref}: {d.reason}" for f in sent_back for d in data.findings if d.finding == f.ref)
        open_task(
            session, review, TaskKind.REVISE_FINDINGS, stored_person(session, author_id), task.round, note=reasons
        )
    move(session, review, Event.REVISION_REQUESTED, actor.email)
    return outcome


def initial(ctx: dict) -> dict:
    answer: dict = {"findings": [{"finding": f.ref, "reason": ""} for f in ctx["findings"]]}
    if ctx["task"].round == 1:
        answer["self_evaluation"] = [{"line": line.number, "comment": ""} for line in ctx["lines"]]
    else:  # the judgements stand unless the moderator changes them in the light of the revised findings
        standing = ctx["judgements"]
        answer["self_evaluation"] = [
            {"line": n, "alignment": j.alignment, "comment": j.comment} for n, j in sorted(standing.items())
        ]
    return answer


def template(ctx: dict) -> list[str]:
    out = evidence_comment(ctx) + [
        "# For every finding: supported, or needs_revision with a reason the reviewer can act on.",
        "findings:",
    ]
    for f in ctx["findings"]:
        out += [
            f"  # {f.ref} (line {f.line_number}, {f.kind.replace('_', ' ')}): {comment(f.text)} [evidence: {comment(', '.join(f.evidence))}]",
            f"  - finding: {f.ref}",
            "    decision: supported",
            '    reason: ""',
        ]
    if ctx["task"].round == 1:
        out += [
            "# For every line: how well did the host's self-evaluation match the evidence?",
            "# alignment: aligned, partly_aligned or not_aligned",
            "self_evaluation:",
        ]
        for line in ctx["lines"]:
            out += [
                f"  # {line.number}. {comment(line.title)}",
                f"  #    self-evaluation: {comment(line.self_evaluation)}",
                f"  - line: {line.number}",
                "    alignment: aligned",
                '    comment: ""',
            ]
    elif ctx["judgements"]:
        out += [
            "# Your judgements of the self-evaluation stand as below; change any the revised findings change",
            "# (or delete this section to keep them all).",
            "self_evaluation:",
        ]
        lines = {line.number: line for line in ctx["lines"]}
        for number, j in sorted(ctx["judgements"].items()):
            title = lines[number].title if number in lines else ""
            out += [
                f"  # {number}. {comment(title)}",
                f"  - line: {number}",
                f"    alignment: {j.alignment}",
                f"    comment: {quoted(j.comment)}",
            ]
    return out


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = []
    for i, d in enumerate(answer["findings"]):
        said = Decision(d["decision"]).label + (f": {d['reason']}" if d.get("reason") else "")
        rows.append(AnswerRow(f"Finding {d['finding']}", said, ("findings", i, "decision")))
    for i, a in enumerate(answer.get("self_evaluation", [])):
        said = Alignment(a["alignment"]).label + (f". {a['comment']}" if a.get("comment") else "")
        rows.append(
            AnswerRow(f"{line_named(a['line'], ctx)}: the self-evaluation", said, ("self_evaluation", i, "alignment"))
        )
    return rows


KIND = Kind(
    TaskKind.MODERATE,
    inp.Moderate,
    handle,
    AnswerForm(initial, drafts=True, anchors={("findings", "*"): ("reason",), (): ("findings",)}),
    template,
    context=context,
    references=references,
    summary=summary,
    next_step=(
        "Findings that need revision go back to their reviewers with your reasons, and come back to you to moderate again; once every finding is supported, the draft report is written and the host trust checks its facts."
    ),
    checks_answers=True,
)
