"""A person asked to join a review's team accepts, or declines and someone else is found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import TaskKind
from peer_review.service.kinds._forms import AnswerForm, nothing
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._team import leave_team
from peer_review.service.kinds._yaml import comment
from peer_review.service.steps import move
from peer_review.store.db import Session
from peer_review.store.memberships import place_of
from peer_review.store.reviews import team_with_people

if TYPE_CHECKING:
    from peer_review.store.tables import Assignment, Person, Review, Task


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """Who has already declined a place on the team."""
    return {"declined": [p.email for a, p in team_with_people(session, review.id) if a.status == "declined"]}


def _assignment_of(session: Session, review: Review, person_id: int) -> Assignment:
    return place_of(session, review.id, person_id)


def handle(session: Session, review: Review, task: Task, data: inp.RespondToAssignment, actor: Person) -> str:
    assignment = _assignment_of(session, review, task.assignee_id)
    if data.response == "accept":
        assignment.status = "accepted"
        session.add(assignment)
        move(session, review, Event.ASSIGNMENT_ACCEPTED, actor.email)
        return "accepted"
    leave_team(session, review, assignment, f"declined: {data.reason}", f"declined ({data.reason})", actor.email)
    return "declined"


def template(ctx: dict) -> list[str]:
    team = [f"#   {comment(p.name)} ({comment(p.organisation)})" for p in ctx["peers"]] + (
        [f"#   {comment(ctx['moderator'].name)} (moderator)"] if ctx["moderator"] else []
    )
    return [
        "# You are asked to join this review's team:",
        *team,
        "# response: accept, or decline with a reason (someone else is then found automatically)",
        "response: accept",
        'reason: ""',
    ]


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = [
        AnswerRow(
            "Your answer", "Accept the place" if answer["response"] == "accept" else "Decline the place", ("response",)
        )
    ]
    if answer["response"] == "decline":
        rows.append(AnswerRow("Why you decline", answer["reason"], ("reason",)))
    return rows


KIND = Kind(
    TaskKind.RESPOND_TO_ASSIGNMENT,
    inp.RespondToAssignment,
    handle,
    AnswerForm(nothing, anchors={(): ("reason",)}),
    template,
    context=context,
    summary=summary,
    next_step=(
        "The coordinator is told. If you accepted, the review's tasks reach you as they open; if you declined, the coordinator finds someone else."
    ),
)
