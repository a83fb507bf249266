"""The host trust lists the evidence the review team will see (numbered E1, E2, ... for findings to cite)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.model import TaskKind
from peer_review.errors import UserError
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._yaml import comment, lines_comment
from peer_review.store.db import Session
from peer_review.store.evidence_files import files_of
from peer_review.store.records import add_evidence_item

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task

BLANK_ITEM: dict[str, object] = {"title": "", "type": "", "location": "", "lines": [], "personal_data": None}


def handle(session: Session, review: Review, task: Task, data: inp.SubmitEvidence, actor: Person) -> str:
    beyond = [f"{f.filename} (E{f.item})" for f in files_of(session, review.id) if f.item > len(data.items)]
    if beyond:  # a file is never dropped without a word
        raise UserError(
            f"{len(beyond)} attached file{'s are' if len(beyond) > 1 else ' is'} on an item the index no longer has: "
            f"{', '.join(beyond[:3])}{' and more' if len(beyond) > 3 else ''}. Add the item back or remove the files",
            loc=("items",),
        )
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


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """How many files each item (by number) has attached, for the form's "Attach files" buttons."""
    counts: dict[int, int] = {}
    for f in files_of(session, review.id):
        counts[f.item] = counts.get(f.item, 0) + 1
    return {"files_per_item": counts}


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


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = []
    for i, item in enumerate(answer["items"]):
        lines = ", ".join(map(str, item["lines"]))
        about = f"{item['title']}\n{item['type']}, for line{'s' if len(item['lines']) > 1 else ''} {lines}\nKept at: {item['location']}"
        if item.get("personal_data"):
            about += "\nHolds personal data: shown only to the review team and your trust"
        rows.append(AnswerRow(f"Item {i + 1}", about, ("items", i, "title")))
    return rows


KIND = Kind(
    TaskKind.SUBMIT_EVIDENCE,
    inp.SubmitEvidence,
    handle,
    AnswerForm(initial, {("items",): BLANK_ITEM}, drafts=True),
    template,
    context=context,
    summary=summary,
    next_step=(
        "The review team reads the evidence index before the visit; after the visit the peers record their findings, each citing this evidence."
    ),
    checks_answers=True,
)
