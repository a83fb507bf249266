"""Who a signed-in person is to each partnership, review and task, read from the records on every
request (never from the address they asked for).

One email is one person; they may hold several roles across partnerships (a Person row in each).
- A partnership's coordinator sees and acts on all of it, and on no other partnership.
- A host CEO sees their own trust's reviews, plan, documents and tasks.
- Peers and moderators see the reviews they are on (once they have accepted their place), their tasks
  and those reviews' documents; before that, only the invitation.
- Evidence flagged as personal data is shown only to that review's team and host.
- A host CEO's named colleagues (HostColleague) are the host on that review: they read it as the CEO does
  and do the trust's tasks whose kind allows it (KindRule.colleagues), recorded as done for the CEO; the
  factual-accuracy check, the consent to share and feedback stay the CEO's.
- One person's answer is their own: a survey, and a task whose kind says so (feedback), is answered only
  by the person asked; for every other task the coordinator may act on someone's behalf (recorded as such).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review.domain.model import KIND_RULES, TaskKind
from peer_review.errors import NotFound, Refused
from peer_review.service.common import stored_person
from peer_review.store import colleagues, people, records, reviews, survey_answers, tasks, viewers
from peer_review.store.db import Session
from peer_review.store.people import people_with_email

if TYPE_CHECKING:
    from peer_review.store.tables import EvidenceItem, Person, Review, SurveyInvitation, Task, Trust


@dataclass(frozen=True)
class Viewer:
    email: str
    person_ids: frozenset[int]
    partnership_ids: frozenset[int]  # every partnership they belong to, in any role
    coordinates: frozenset[int]  # partnership ids
    ceo_of: frozenset[int]  # trust ids
    name: str

    @property
    def known(self) -> bool:
        return bool(self.person_ids)


def viewer_for(session: Session, email: str) -> Viewer:
    # someone who has left a partnership (`partnership load --update`) sees nothing of it any more
    people = people_with_email(session, email, still_here=True)
    return Viewer(
        email=email.strip().lower(),
        person_ids=frozenset(p.id for p in people),
        partnership_ids=frozenset(p.partnership_id for p in people),
        coordinates=frozenset(p.partnership_id for p in people if p.is_coordinator),
        ceo_of=frozenset(p.trust_id for p in people if p.is_ceo and p.trust_id is not None),
        name=people[0].name if people else "",
    )


def roles_on(session: Session, viewer: Viewer, review: Review) -> set[str]:
    """What the viewer is to a review: coordinator, host, peer, moderator, or invited (asked, not yet accepted).
    The host is its CEO ("host" and "ceo") or a colleague the CEO named for it ("host" and "colleague"):
    what only the CEO does (moving the visit, naming colleagues) asks for "ceo"."""
    roles = set()
    if review.partnership_id in viewer.coordinates:
        roles.add("coordinator")
    if review.host_trust_id in viewer.ceo_of:
        roles |= {"host", "ceo"}
    if review.id in colleagues.colleague_places(session, viewer.person_ids):
        roles |= {"host", "colleague"}
    if viewer.person_ids:
        for a in viewers.assignments_of(session, review.id, viewer.person_ids):
            if a.status == "accepted":
                roles.add(a.role)
            elif a.status == "assigned":
                roles.add("invited")
    return roles


def _private(viewer: Viewer, partnership_id: int, what: str) -> None:
    """Outside their partnerships a thing's very existence is private: not found, as for a wrong id."""
    if partnership_id not in viewer.partnership_ids:
        raise NotFound(f"no {what}")


def review_for(session: Session, viewer: Viewer, review_id: int) -> tuple[Review, set[str]]:
    """A review the viewer may see, with their roles on it."""
    review = reviews.review_or_none(session, review_id)
    if review is None:
        raise NotFound(f"no review with id {review_id}")
    _private(viewer, review.partnership_id, f"review with id {review_id}")
    roles = roles_on(session, viewer, review) - {"invited"}
    if not roles:
        raise Refused(
            "This review is open to its host trust, its review team (once they have accepted) and the coordinator."
        )
    return review, roles


def partnership_for(viewer: Viewer, partnership_id: int) -> None:
    """Only a partnership's coordinator sees the partnership as a whole."""
    _private(viewer, partnership_id, f"partnership with id {partnership_id}")
    if partnership_id not in viewer.coordinates:
        raise Refused("The partnership's pages are for its coordinator.")


def may_set_up(viewer: Viewer) -> None:
    """Setting up a partnership is for the coordinating body: someone who coordinates one already (the first
    is loaded with `peer-review partnership load`)."""
    if not viewer.coordinates:
        raise Refused("Setting up a partnership is for the coordinating body's coordinators.")


def trust_for(session: Session, viewer: Viewer, trust_id: int) -> Trust:
    """A trust's cycle is for its CEO and its partnership's coordinator."""
    trust = people.trust_by_id(session, trust_id)
    if trust is None:
        raise NotFound(f"no trust with id {trust_id}")
    _private(viewer, trust.partnership_id, f"trust with id {trust_id}")
    if trust.id not in viewer.ceo_of and trust.partnership_id not in viewer.coordinates:
        raise Refused("A trust's cycle is for its CEO and the partnership's coordinator.")
    return trust


def task_for(session: Session, viewer: Viewer, task_id: int) -> tuple[Task, Review]:
    """A task the viewer may see and do: their own, or any in a partnership they coordinate."""
    task = tasks.task_or_none(session, task_id)
    if task is None:
        raise NotFound(f"no task with id {task_id}")
    review = reviews.get_review(session, task.review_id)  # a task's review is always there
    _private(viewer, review.partnership_id, f"task with id {task_id}")
    if (
        task.assignee_id not in viewer.person_ids
        and review.partnership_id not in viewer.coordinates
        and not colleague_may_do(session, task, viewer.person_ids)
    ):
        raise Refused("This task is someone else's; only they and the partnership's coordinator can see it.")
    return task, review


def colleague_may_do(session: Session, task: Task, person_ids: frozenset[int] | set[int]) -> bool:
    """Whether these people (one person's records) do this task as a colleague the host CEO named for its
    review: a host task of a kind colleagues may do, assigned to the host trust's CEO."""
    if not KIND_RULES[TaskKind(task.kind)].colleagues:
        return False
    if task.review_id not in colleagues.colleague_places(session, person_ids):
        return False
    assignee = stored_person(session, task.assignee_id)
    return assignee.is_ceo and assignee.trust_id == reviews.get_review(session, task.review_id).host_trust_id


def not_theirs_to_answer(session: Session, task: Task, person_ids: frozenset[int] | set[int]) -> str | None:
    """Why these people (one person's records) may not answer a task that they may otherwise see or do, or
    None: a kind whose answer is the assignee's own view (KindRule.own_answer) is answered by the assignee
    only, never on their behalf. The one rule for the web's pages and posts and for `peer-review submit`."""
    rule = KIND_RULES[TaskKind(task.kind)]
    if not rule.own_answer or task.assignee_id in person_ids:
        return None
    assignee = stored_person(session, task.assignee_id)
    return f"Only {assignee.name} can {rule.own_answer}. Nobody else can answer this task for them, the coordinator included."


def survey_invitation_for(session: Session, viewer: Viewer, invitation_id: int) -> SurveyInvitation:
    """A survey invitation, for the person it was sent to only: answers are personal, so nobody sees or
    gives anyone else's, the coordinator included (and someone who has left sees nothing of the partnership)."""
    # its table is defined there, when first asked for: `peer-review submit` checks tasks with this module
    invitation = survey_answers.invitation_by_id(session, invitation_id)
    if invitation is None:
        raise NotFound(f"no survey invitation with id {invitation_id}")
    _private(
        viewer,
        survey_answers.survey_round(session, invitation.round_id).partnership_id,
        f"survey invitation with id {invitation_id}",
    )
    if invitation.person_id not in viewer.person_ids:
        raise Refused(
            "This survey was sent to someone else. Answers are personal: only the person asked can see or give them."
        )
    return invitation


def acting_person(session: Session, viewer: Viewer, partnership_id: int) -> Person:
    """The viewer's own record in a partnership (what `--as EMAIL` names on the command line)."""
    return viewers.own_record_in(session, partnership_id, viewer.person_ids)


def sees_personal_data(roles: set[str]) -> bool:
    return bool(roles & {"host", "peer", "moderator"})


WITHHELD = "Personal data: named only to the review team and the host trust"


def withheld(item: EvidenceItem) -> EvidenceItem:
    """An evidence item as shown to someone who may know it exists but not what it is (a copy, never stored)."""
    return records.evidence_copy(item, title=WITHHELD, location="", personal_data=True)
