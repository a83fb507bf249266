"""A host CEO's colleagues on a review: the CEO (or the coordinator) names people of the trust who then do
the trust's tasks on that review for the CEO (KindRule.colleagues: lines of enquiry, evidence, progress on
actions; the timetable and evidence files too). What they do is recorded as done for the CEO; the CEO keeps
the factual-accuracy check, the consent to share and their own feedback.

Someone new joins the partnership as the trust's colleague through the partnership file's rules (the
`colleagues:` list of the trust), with the same checks as any other change to the roster: the file is
edited, checked and applied as `partnership load --update` would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.lifecycle import Stage
from peer_review.errors import NotFound, Refused, UserError
from peer_review.service import access, outbox
from peer_review.service.common import audit
from peer_review.store import colleagues as stored
from peer_review.store.people import people_in, person_by_email, trust_of

if TYPE_CHECKING:
    from peer_review.store.db import Session
    from peer_review.store.tables import Person, Review

COLLEAGUES_SOURCE = "colleagues-page.yaml"  # what the roster's history names as the change's file


@dataclass(frozen=True)
class ColleagueView:
    person_id: int
    name: str
    email: str
    job_title: str


@dataclass(frozen=True)
class ColleaguesPage:
    review: Review
    host: str
    trust_key: str
    named: list[ColleagueView]  # acting for the trust on this review now
    others: list[ColleagueView]  # the trust's other colleagues, who could be named
    open: bool  # the review is still under way


def _review_for_naming(session: Session, viewer: access.Viewer, review_id: int) -> Review:
    review, roles = access.review_for(session, viewer, review_id)
    if not roles & {"ceo", "coordinator"}:
        raise Refused("Only the host trust's CEO and the coordinator name the colleagues who act for the trust.")
    return review


def _view(person: Person) -> ColleagueView:
    assert person.id is not None
    return ColleagueView(person.id, person.name, person.email, person.job_title)


def colleagues_page(session: Session, viewer: access.Viewer, review_id: int) -> ColleaguesPage:
    review = _review_for_naming(session, viewer, review_id)
    trust = trust_of(session, review)
    named = [p for _, p in stored.colleagues_of(session, review.id)]
    named_ids = {p.id for p in named}
    others = [
        p
        for p in people_in(session, review.partnership_id, still_here=True)
        if p.trust_id == trust.id and p.is_colleague and p.id not in named_ids
    ]
    return ColleaguesPage(
        review,
        trust.name,
        trust.key,
        [_view(p) for p in named],
        [_view(p) for p in others],
        Stage(review.stage) not in (Stage.CLOSED, Stage.CANCELLED),
    )


def _still_open(review: Review) -> None:
    if Stage(review.stage) in (Stage.CLOSED, Stage.CANCELLED):
        raise UserError(f"The review is {Stage(review.stage).label.lower()}: nobody new can act on it.")


def name_colleague(session: Session, viewer: access.Viewer, review_id: int, person_id: int) -> Person:
    """Name one of the trust's colleagues (already in the partnership) to act for it on this review."""
    review = _review_for_naming(session, viewer, review_id)
    _still_open(review)
    trust = trust_of(session, review)
    person = next(
        (
            p
            for p in people_in(session, review.partnership_id, still_here=True)
            if p.id == person_id and p.trust_id == trust.id and p.is_colleague
        ),
        None,
    )
    if person is None:
        raise NotFound(f"no colleague of {trust.name} with id {person_id}")
    actor = access.acting_person(session, viewer, review.partnership_id)
    assert person.id is not None and actor.id is not None
    stored.name_colleague(session, review_id=review.id, person_id=person.id, named_by_id=actor.id, at=clock.now())
    audit(
        session, review.partnership_id, "colleague_named", actor.email, review.id, name=person.name, email=person.email
    )
    outbox.notify(
        session,
        f"colleague_named/{review.id}/{person.id}/{clock.now():%Y%m%dT%H%M%S}",
        "colleague_named",
        person,
        f"You can now act for {trust.name} on its review of {review.strand_title}",
        outbox.review_context(session, review) | {"named_by": actor.name},
        review=review,
    )
    return person


def add_and_name_colleague(
    session: Session, viewer: access.Viewer, review_id: int, name: str, email: str, job_title: str
) -> Person:
    """Someone new at the trust joins the partnership as its colleague (through the file's checks) and is
    named for this review. Refusals are UserErrors (a taken email, a bad address), with nothing written."""
    from peer_review.files import partnership_edits as edits
    from peer_review.files.partnerships import load_uploaded_partnership
    from peer_review.service import roster
    from peer_review.service.partnership_file import as_yaml, partnership_file, stored_parts
    from peer_review.store.people import get_partnership_by_id
    from peer_review.store.proposals import lock_partnership

    review = _review_for_naming(session, viewer, review_id)
    _still_open(review)
    partnership = get_partnership_by_id(session, review.partnership_id)
    lock_partnership(session, partnership.id)
    actor = access.acting_person(session, viewer, review.partnership_id)
    data = edits.add_colleague(
        partnership_file(session, partnership),
        trust_of(session, review).key,
        {"name": name, "email": email.lower(), "role": job_title},
    )
    loaded = load_uploaded_partnership(COLLEAGUES_SOURCE, as_yaml(data), stored=stored_parts(session, partnership))
    roster.update_partnership(session, loaded, by=actor.email)
    person = person_by_email(session, partnership.id, email.lower())
    assert person is not None and person.id is not None
    return name_colleague(session, viewer, review.id, person.id)


def withdraw_colleague(session: Session, viewer: access.Viewer, review_id: int, person_id: int) -> Person:
    """They no longer act for the trust on this review (what they did stays recorded as done for the CEO)."""
    review = _review_for_naming(session, viewer, review_id)
    place = next(((c, p) for c, p in stored.colleagues_of(session, review.id) if p.id == person_id), None)
    if place is None:
        raise NotFound(f"no colleague with id {person_id} acts on this review")
    actor = access.acting_person(session, viewer, review.partnership_id)
    row, person = place
    row.withdrawn_at = clock.now()
    session.add(row)
    audit(session, review.partnership_id, "colleague_withdrawn", actor.email, review.id, name=person.name)
    return person
