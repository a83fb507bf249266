"""The host trust lists the evidence the review team will see (numbered E1, E2, ... for findings to cite)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.model import TaskKind
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import Kind
from peer_review.service.kinds._yaml import comment, lines_comment
from peer_review.store.db import Session
from peer_review.store.records import add_evidence_item

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task

BLANK_ITEM: dict[str, object] = {"title": "", "type": "", "location": "", "lines": [], "personal_data": None}


def handle(session: Session, review: Review, task: Task, data: inp.SubmitEvidence, actor: Person) -> str:
    for number, item in enumerate(data.items, start=1):
        add_evidence_item(
            session,
            review_id=review.id,
            ref=f"E{number}",
            title=item.title,
            type=item.type,
            location=item.location,
            lines=item.lines,
            personal_data=item.personal_data,
        )
    return "submitted"


def initial(_ctx: dict) -> dict:
    return {"items": [dict(BLANK_ITEM)]}


def template(ctx: dict) -> list[str]:
    return lines_comment(ctx) + [
        "# List the evidence the review team will see. Items are numbered E1, E2, ... in this order.",
        "# personal_data: true for anything that identifies pupils or staff (it is handled with care).",
        "# Suggested evidence types for this strand: " + comment(", ".join(ctx["strand"].get("evidence", []))),
        "items:",
        '  - title: ""',
        '    type: ""',
        '    location: ""',
        "    lines: [1]",
        "    personal_data: false",
    ]


KIND = Kind(
    TaskKind.SUBMIT_EVIDENCE,
    inp.SubmitEvidence,
    handle,
    AnswerForm(initial, {("items",): BLANK_ITEM}, drafts=True),
    template,
)
