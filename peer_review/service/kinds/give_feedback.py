"""Everyone who took part gives their own feedback on the review process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import TaskKind
from peer_review.service.common import stored_person
from peer_review.service.kinds._forms import AnswerForm, nothing
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._read_back import yes_no
from peer_review.service.steps import move
from peer_review.store.db import Session
from peer_review.store.records import add_feedback_response, assignments

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def handle(session: Session, review: Review, task: Task, data: inp.GiveFeedback, actor: Person) -> str:
    person = stored_person(session, task.assignee_id)
    role = next((a.role for a in assignments(session, review) if a.person_id == person.id), "host")
    add_feedback_response(session, review_id=review.id, person_id=person.id, role=role, **data.model_dump())
    move(session, review, Event.FEEDBACK_GIVEN, actor.email)
    return "given"


def template(ctx: dict) -> list[str]:
    return [
        "# 1 (strongly disagree) to 5 (strongly agree). About the review process, not about the trust.",
        "helped_us_improve: 4",
        "fair_and_accurate: 4",
        "would_take_part_again: true",
        'comments: ""',
    ]


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = [
        AnswerRow("The review will help us improve", f"{answer['helped_us_improve']} out of 5", ("helped_us_improve",)),
        AnswerRow(
            "The review gave a fair and accurate account",
            f"{answer['fair_and_accurate']} out of 5",
            ("fair_and_accurate",),
        ),
        AnswerRow("Would take part again", yes_no(answer["would_take_part_again"]), ("would_take_part_again",)),
    ]
    if answer.get("comments"):
        rows.append(AnswerRow("Comments", answer["comments"], ("comments",)))
    return rows


KIND = Kind(
    TaskKind.GIVE_FEEDBACK,
    inp.GiveFeedback,
    handle,
    AnswerForm(nothing),
    template,
    summary=summary,
    next_step=(
        "Your feedback is counted in the pilot's evaluation, with everyone else's; groups too small to keep anyone anonymous are not shown."
    ),
)
