"""The host trust's CEO proposes the review's lines of enquiry, each with the trust's self-evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import TaskKind
from peer_review.service.common import moderator_of
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._yaml import comment, quoted
from peer_review.service.steps import move, open_task
from peer_review.store.db import Session
from peer_review.store.records import add_line_of_enquiry, strand_of

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task

BLANK_LINE = {"title": "", "self_evaluation": ""}


def handle(session: Session, review: Review, task: Task, data: inp.ProposeLines, actor: Person) -> str:
    prompts = set(strand_of(session, review).get("prompts", []))
    for number, line in enumerate(data.lines, start=1):
        add_line_of_enquiry(
            session,
            review_id=review.id,
            round=task.round,
            number=number,
            title=line.title,
            from_prompt=line.title in prompts,
            self_evaluation=line.self_evaluation,
        )
    open_task(session, review, TaskKind.AGREE_LINES, moderator_of(session, review), task.round)
    move(session, review, Event.LINES_PROPOSED, actor.email)
    return "proposed"


def initial(ctx: dict) -> dict:
    """A revised proposal starts from the last one; a first one from two blank lines."""
    if ctx["task"].round > 1 and ctx["lines"]:
        return {"lines": [{"title": line.title, "self_evaluation": line.self_evaluation} for line in ctx["lines"]]}
    return {"lines": [dict(BLANK_LINE), dict(BLANK_LINE)]}


def template(ctx: dict) -> list[str]:
    out = [
        "# Propose 2 to 4 lines of enquiry. Use the strand's suggested prompts word for word, or write your own.",
        "# For each line, give your trust's self-evaluation: what you believe and why (no grades).",
        "# Suggested prompts:",
        *[f"#   - {comment(p)}" for p in ctx["strand"]["prompts"]],
        "lines:",
    ]
    for prompt in ctx["strand"]["prompts"][:3]:
        out += [f"  - title: {quoted(prompt)}", '    self_evaluation: ""']
    return out


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = []
    for i, line in enumerate(answer["lines"]):
        rows.append(AnswerRow(f"Line {i + 1}", line["title"], ("lines", i, "title")))
        rows.append(
            AnswerRow(f"Your self-evaluation of line {i + 1}", line["self_evaluation"], ("lines", i, "self_evaluation"))
        )
    return rows


KIND = Kind(
    TaskKind.PROPOSE_LINES,
    inp.ProposeLines,
    handle,
    AnswerForm(initial, {("lines",): BLANK_LINE}),
    template,
    summary=summary,
    next_step=(
        "The moderator reads the lines and either agrees them or asks for changes. Once agreed, the review team sees them and you list the evidence."
    ),
)
