"""A peer records the team's findings on the agreed lines (strengths, areas for development, good practice), each
citing evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import FindingKind, TaskKind
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._read_back import evidence_named, line_named
from peer_review.service.kinds._yaml import evidence_comment, lines_comment
from peer_review.service.steps import move
from peer_review.store.db import Session
from peer_review.store.records import add_finding, agreed_lines, findings_of, worker

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task

BLANK_FINDING = {"text": "", "evidence": []}
FINDING_LISTS = ("strengths", "areas_for_development", "good_practice")
KIND_OF = {"strengths": "strength", "areas_for_development": "area_for_development", "good_practice": "good_practice"}


def references(session: Session, review: Review, task: Task, known: dict) -> dict:
    """The lines this peer leads on: they must record findings on each."""
    return {
        "lead_lines": [
            line.number for line in agreed_lines(session, review) if line.lead_id == worker(session, task).id
        ]
    }


def handle(session: Session, review: Review, task: Task, data: inp.RecordFindings, actor: Person) -> str:
    count = len(findings_of(session, review))
    author = worker(session, task)  # the peer, even when the coordinator records them on behalf of one who left
    for entry in data.lines:
        for kind, items in (
            ("strength", entry.strengths),
            ("area_for_development", entry.areas_for_development),
            ("good_practice", entry.good_practice),
        ):
            for item in items:
                count += 1
                add_finding(
                    session,
                    review_id=review.id,
                    ref=f"F{count}",
                    line_number=entry.line,
                    author_id=author.id,
                    kind=kind,
                    text=item.text,
                    evidence=item.evidence,
                )
    session.flush()
    move(session, review, Event.FINDINGS_RECORDED, actor.email)
    return "recorded"


def initial(ctx: dict) -> dict:
    """One section per agreed line, each with a blank strength, area for development and good practice."""
    return {
        "lines": [
            {"line": line.number, **{kind: [dict(BLANK_FINDING)] for kind in FINDING_LISTS}} for line in ctx["lines"]
        ]
    }


def template(ctx: dict) -> list[str]:
    lead = [line.number for line in ctx["lines"] if line.lead_id == ctx["worker"].id]
    out = (
        lines_comment(ctx)
        + evidence_comment(ctx)
        + [
            f"# You lead on line(s): {', '.join(map(str, lead)) or 'none'}; you may add findings on any line.",
            "# Every finding cites at least one evidence item. Good practice is practice worth sharing beyond the trust.",
            "lines:",
        ]
    )
    for number in lead or [ctx["lines"][0].number]:
        out += [
            f"  - line: {number}",
            "    strengths:",
            '      - text: ""',
            "        evidence: []",
            "    areas_for_development:",
            '      - text: ""',
            "        evidence: []",
            "    good_practice: []",
        ]
    return out


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = []
    for i, entry in enumerate(answer["lines"]):
        for kind in FINDING_LISTS:
            for j, finding in enumerate(entry.get(kind, [])):
                rows.append(
                    AnswerRow(
                        f"{line_named(entry['line'], ctx)}: {FindingKind(KIND_OF[kind]).label.lower()} {j + 1}",
                        f"{finding['text']}\nEvidence: {evidence_named(finding['evidence'], ctx)}",
                        ("lines", i, kind, j, "text"),
                    )
                )
    return rows


KIND = Kind(
    TaskKind.RECORD_FINDINGS,
    inp.RecordFindings,
    handle,
    AnswerForm(
        initial,
        {("lines",): {"line": ""}} | {("lines", "*", kind): BLANK_FINDING for kind in FINDING_LISTS},
        drafts=True,
        anchors={(): ("lines",)},
        about=("line",),
    ),
    template,
    references=references,
    summary=summary,
    next_step=(
        "Once every peer has recorded their findings, the moderator checks each one against the evidence it cites. You will see the other peers' findings on the review's page now."
    ),
    checks_answers=True,
)
