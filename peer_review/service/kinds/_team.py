"""A review's team changing: someone gives up their place and a replacement takes it. Shared by the kinds that
change a team (respond_to_assignment, choose_replacement) and by roster updates (people leaving)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain.lifecycle import Event, Stage
from peer_review.domain.model import TaskKind
from peer_review.domain.scheduling import replacement
from peer_review.service.common import ENGINE, audit, stored_person
from peer_review.service.planning import stored_plan_of
from peer_review.service.steps import hand_over, move, open_task
from peer_review.store.db import Session
from peer_review.store.people import coordinator_of, member_by_email
from peer_review.store.records import lines_led_by, team
from peer_review.store.reviews import add_assignment, team_with_people
from peer_review.store.tasks import choosing_rounds, open_tasks

if TYPE_CHECKING:
    from peer_review.store.tables import Assignment, Person, Review, Task


def leave_team(
    session: Session,
    review: Review,
    assignment: Assignment,
    record: str,
    event: str,
    actor: str,
    unavailable: frozenset[str] = frozenset(),
    seek: bool = True,
) -> Person | None:
    """Someone gives up their place on a review's team (they decline, or leave the partnership): the planner's
    best free replacement takes it, or the coordinator is asked to choose one (with `seek` False, when their
    trust has left, the team goes ahead without them). Their unfinished work on the review passes to the
    replacement, or the coordinator holds it until someone takes the place. Returns the replacement, if any.

    `record` is kept on the assignment, `event` tells the coordinator what happened; `unavailable` people
    (others leaving at the same time) are never chosen.
    """
    leaving = stored_person(session, assignment.person_id)
    # chosen before the place is given up: the stored plan still has them
    found = find_replacement(session, review, leaving.email, unavailable) if seek else None
    assignment.status = "declined"
    assignment.reason = f"{assignment.reason}; {record}".lstrip("; ")
    session.add(assignment)
    move(session, review, Event.ASSIGNMENT_DECLINED, actor)
    if found is not None:
        return add_member(session, review, found[0], assignment.role, found[1], actor, leaving)
    coordinator = coordinator_of(session, review.partnership_id)
    if seek:
        round_ = choosing_rounds(session, review.id) + 1
        note = f"{leaving.name} <{leaving.email}> {event} and nobody suitable is free; choose a {assignment.role} to replace them"
        open_task(
            session,
            review,
            TaskKind.CHOOSE_REPLACEMENT,
            coordinator,
            round_,
            note=note,
            subject={"leaving": leaving.email, "role": assignment.role},
        )
        audit(
            session,
            review.partnership_id,
            "no_replacement",
            ENGINE,
            review.id,
            leaving=leaving.email,
            role=assignment.role,
        )
    else:
        audit(
            session,
            review.partnership_id,
            "team_reduced",
            actor,
            review.id,
            leaving=leaving.email,
            role=assignment.role,
            reason=record,
        )
        share_leads(session, review, leaving)
    for task in _open_work(session, review, leaving, held=False):
        hand_over(session, task, coordinator, event, for_=leaving)
    return None


def _open_work(session: Session, review: Review, person: Person, held: bool) -> list[Task]:
    """A person's open tasks on a review, besides being asked to join or choosing a replacement; with `held`, also those the coordinator holds for them."""
    not_theirs = (
        TaskKind.RESPOND_TO_ASSIGNMENT.value,
        TaskKind.CHOOSE_REPLACEMENT.value,
    )  # being asked, and the coordinator's choosing
    return [
        t
        for t in open_tasks(session, review_id=review.id)
        if t.kind not in not_theirs and (t.assignee_id == person.id or (held and t.subject.get("for") == person.email))
    ]


def find_replacement(
    session: Session, review: Review, leaving: str, unavailable: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """The planner's choice of someone to take `leaving`'s place, checked against every other review."""
    inputs, plan, index = stored_plan_of(session, review)
    visit = plan[index]
    others = plan[:index] + plan[index + 1 :]
    ever = {p.email for _, p in team_with_people(session, review.id)}
    return replacement(
        visit, leaving, inputs.trusts_by_id[visit.trust], inputs.people, inputs.moderators, others, ever | unavailable
    )


def add_member(
    session: Session, review: Review, email: str, role: str, reason: str, actor: str, leaving: Person | None = None
) -> Person:
    """Someone joins the team in `leaving`'s place: they are asked to accept (when the review opens, if it has
    not yet), and take over the leaver's unfinished work on the review (their open tasks, and the lines of
    enquiry they were to lead)."""
    person = member_by_email(session, review.partnership_id, email)  # as stored: the planner's or coordinator's choice
    add_assignment(session, review_id=review.id, person_id=person.id, role=role, reason=reason)
    audit(session, review.partnership_id, "assigned", actor, review.id, person=email, role=role, reason=reason)
    if review.stage != Stage.SCHEDULED:
        open_task(session, review, TaskKind.RESPOND_TO_ASSIGNMENT, person)
    move(session, review, Event.MEMBER_REPLACED, actor)
    if leaving is not None:
        for task in _open_work(session, review, leaving, held=True):
            hand_over(session, task, person, f"{person.name} takes the place of {leaving.name}")
        for line in lines_led_by(session, review.id, leaving.id):
            line.lead_id = person.id
            session.add(line)
    return person


def share_leads(session: Session, review: Review, leaving: Person) -> None:
    """The lines of enquiry a peer who is not replaced was to lead go, in turn, to the peers who stay."""
    peers, _ = team(session, review)
    lines = lines_led_by(session, review.id, leaving.id)
    for i, line in enumerate(lines if peers else []):
        line.lead_id = peers[i % len(peers)].id
        session.add(line)
