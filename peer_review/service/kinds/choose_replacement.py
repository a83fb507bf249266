"""The coordinator chooses who takes the place of a team member who declined or left, when the planner found
nobody free."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.model import TaskKind
from peer_review.errors import UserError
from peer_review.service.common import audit, stored_trust
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._team import add_member, share_leads
from peer_review.service.kinds._yaml import comment
from peer_review.service.planning import problems_after
from peer_review.store.db import Session
from peer_review.store.people import add_person, member_by_email, people_in, person_by_email, trust_by_id
from peer_review.store.records import assignments, team
from peer_review.store.reviews import team_with_people

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """Who could take the place, and the trust of the person leaving (a peer's place belongs to it)."""
    leaving = member_by_email(session, review.partnership_id, task.subject["leaving"])  # their email as stored
    return {
        "candidates": _candidates(session, review, leaving, task.subject["role"]),
        "leaving_trust": stored_trust(session, leaving.trust_id).name if leaving.trust_id else "",
    }


def _candidates(session: Session, review: Review, leaving: Person, role: str) -> list[Person]:
    """People who could take the leaver's role (before the constraints are checked on submission)."""
    people = people_in(session, review.partnership_id, by_email=True)
    on_team = {a.person_id for a in assignments(session, review)}
    if role == "moderator":
        return [p for p in people if p.is_moderator and p.id not in on_team]
    return [p for p in people if p.is_reviewer and p.trust_id == leaving.trust_id and p.id not in on_team]


def handle(session: Session, review: Review, task: Task, data: inp.ChooseReplacement, actor: Person) -> str:
    """The coordinator's choice, held to the same constraints as the planner's: never overridden silently."""
    role, leaving_email = task.subject["role"], task.subject["leaving"]
    leaving = member_by_email(session, review.partnership_id, leaving_email)  # their email as stored
    if data.choice == "without":
        if role == "moderator":
            raise UserError(
                "a review cannot go ahead without a moderator: choose someone in the partnership, or add a new moderator",
                loc=("choice",),
            )
        if not team(session, review)[0]:
            raise UserError(
                f"{leaving_email} is the review's last peer, and a review needs at least one: choose someone in the partnership, "
                "or add a new reviewer",
                loc=("choice",),
            )
        audit(
            session,
            review.partnership_id,
            "team_reduced",
            actor.email,
            review.id,
            leaving=leaving_email,
            role=role,
            reason=data.reason,
        )
        share_leads(session, review, leaving)
        return "without"
    person: Person | None
    where: tuple[str, ...]
    if data.choice == "new":
        if data.new_person is None:  # ChooseReplacement's own check refuses this first
            raise UserError("give the new person's name and email (new_person)", loc=("new_person",))
        person = _new_person(session, review, data.new_person, role, leaving, actor)
        where = ("new_person", "email")
    else:
        person = person_by_email(session, review.partnership_id, data.person)
        where = ("person",)
        if person is None:
            raise UserError(f"{data.person} is not a person in this partnership", loc=where)
    if person.email in {p.email for _, p in team_with_people(session, review.id)}:
        raise UserError(f"{person.email} is already on (or has declined) this review's team", loc=where)
    if role == "moderator" and not person.is_moderator:
        raise UserError(f"{person.email} is not a moderator", loc=where)
    if role == "peer" and (not person.is_reviewer or person.trust_id != leaving.trust_id):
        raise UserError(
            f"choose a reviewer from the same trust as {leaving_email}, so every other trust keeps a peer on the team",
            loc=where,
        )
    if role == "moderator":
        problems = problems_after(session, review, lambda visit: dataclasses.replace(visit, moderator=person.email))
    else:
        problems = problems_after(
            session, review, lambda visit: dataclasses.replace(visit, peers=(*visit.peers, person.email))
        )
    if problems:
        raise UserError(f"{person.email} cannot join review {review.id}: " + "; ".join(problems), loc=where)
    add_member(
        session, review, person.email, role, f"{role} chosen by the coordinator: {data.reason}", actor.email, leaving
    )
    return "chosen"


def _new_person(
    session: Session, review: Review, new: inp.NewPerson, role: str, leaving: Person, actor: Person
) -> Person:
    """Add someone to the partnership to take the leaver's place: a reviewer of the leaver's trust, or a moderator."""
    if person_by_email(session, review.partnership_id, new.email) is not None:
        raise UserError(
            f"{new.email} is already in this partnership: choose them from the list instead",
            loc=("new_person", "email"),
        )
    trust = trust_by_id(session, leaving.trust_id) if role == "peer" and leaving.trust_id is not None else None
    person = add_person(
        session,
        partnership_id=review.partnership_id,
        email=new.email,
        name=new.name,
        job_title=new.job_title,
        organisation=new.organisation or (trust.name if trust else ""),
        trust_id=trust.id if trust else None,
        is_reviewer=role == "peer",
        is_moderator=role == "moderator",
        strands=[review.strand_id] if role == "peer" else [],
    )
    session.flush()
    audit(
        session,
        review.partnership_id,
        "person_added",
        actor.email,
        review.id,
        person=person.email,
        name=person.name,
        role=role,
        trust=trust.key if trust else None,
    )
    return person


def initial(ctx: dict) -> dict:
    return {"choice": "existing" if ctx["candidates"] else None}


def only_the_option_chosen(answer: dict) -> dict:
    """The page sends the boxes of every option: keep those of the one chosen."""
    kept = dict(answer)
    if kept.get("choice") != "new":
        kept.pop("new_person", None)
    if kept.get("choice") != "existing":
        kept.pop("person", None)
    return kept


def template(ctx: dict) -> list[str]:
    out = [
        "# Nobody suitable was free. People who could take the place (the choice is checked against every",
        "# constraint when you submit; a choice that breaks one is refused):",
    ]
    out += [
        f"#   {comment(p.email)}: {comment(p.name)}, {comment(p.job_title or 'moderator')}" for p in ctx["candidates"]
    ] or ["#   (none listed: anyone you name is checked)"]
    out += [
        "# choice: existing (name them in person), new (someone not yet in the partnership: fill in new_person),",
        "# or without (a peer only: the review goes ahead with a smaller team). The reason is kept in the history.",
    ]
    return out + [
        "choice: existing",
        'person: ""',
        '# new_person: {name: "", email: "", job_title: "", organisation: ""}',
        'reason: ""',
    ]


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = []
    if answer["choice"] == "existing":
        named = {p.email: p.name for p in ctx.get("candidates", [])}
        rows.append(AnswerRow("Who joins the team", named.get(answer["person"], answer["person"]), ("choice",)))
    elif answer["choice"] == "new":
        new = answer["new_person"] or {}
        about = ", ".join(x for x in (new.get("job_title"), new.get("organisation")) if x)
        rows.append(
            AnswerRow(
                "Someone new joins the team",
                f"{new.get('name')} ({new.get('email')})" + (f", {about}" if about else ""),
                ("choice",),
            )
        )
    else:
        rows.append(AnswerRow("The team", "Goes ahead one reviewer smaller", ("choice",)))
    rows.append(AnswerRow("Why", answer["reason"], ("reason",)))
    return rows


KIND = Kind(
    TaskKind.CHOOSE_REPLACEMENT,
    inp.ChooseReplacement,
    handle,
    AnswerForm(initial, anchors={(): ("choice",)}, tidy=only_the_option_chosen),
    template,
    context=context,
    summary=summary,
    next_step=("The person chosen is asked to accept the place; the review goes on once the team is complete."),
)
