"""The moderator agrees the host's proposed lines of enquiry, or asks for changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import TaskKind
from peer_review.service.kinds._forms import AnswerForm, nothing
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._yaml import comment
from peer_review.service.steps import move, open_task
from peer_review.store.db import Session
from peer_review.store.people import host_ceo

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def handle(session: Session, review: Review, task: Task, data: inp.AgreeLines, actor: Person) -> str:
    if data.decision == "agreed":
        review.lines_round = task.round
        session.add(review)
        return "agreed"
    open_task(session, review, TaskKind.PROPOSE_LINES, host_ceo(session, review), task.round + 1, note=data.comments)
    move(session, review, Event.LINES_CHANGES_REQUESTED, actor.email)
    return "changes_requested"


def template(ctx: dict) -> list[str]:
    out = ["# The host proposed these lines and self-evaluations:"]
    for line in ctx["lines"]:
        out += [f"#   {line.number}. {comment(line.title)}", f"#      self-evaluation: {comment(line.self_evaluation)}"]
    return out + [
        "# decision: agreed, or changes_requested (then say what should change in comments)",
        "decision: agreed",
        'comments: ""',
    ]


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = [
        AnswerRow(
            "Your decision", "Agree the lines" if answer["decision"] == "agreed" else "Ask for changes", ("decision",)
        )
    ]
    if answer.get("comments"):
        rows.append(AnswerRow("Comments", answer["comments"], ("comments",)))
    return rows


KIND = Kind(
    TaskKind.AGREE_LINES,
    inp.AgreeLines,
    handle,
    AnswerForm(nothing, anchors={(): ("comments",)}),
    template,
    summary=summary,
    next_step=(
        "If you agreed the lines, the host trust lists its evidence next and the lines of enquiry agreement is written; if you asked for changes, the host proposes them again."
    ),
)
