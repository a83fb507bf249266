"""Reading a review's records: its team, lines, evidence and findings, and what a task may refer to."""

from __future__ import annotations

from sqlmodel import Session, col, select

from peer_review.store.tables import (
    Assignment,
    EvidenceItem,
    Finding,
    LineOfEnquiry,
    Partnership,
    Person,
    Review,
    SelfEvaluationJudgement,
    Task,
)


def assignments(session: Session, review: Review) -> list[Assignment]:
    return list(session.exec(select(Assignment).where(Assignment.review_id == review.id).order_by(col(Assignment.id))))


def team(session: Session, review: Review) -> tuple[list[Person], Person | None]:
    """(peers, moderator) of a review, in assignment order."""
    peers, moderator = [], None
    rows = session.exec(
        select(Assignment.role, Person)
        .join(Person, col(Person.id) == Assignment.person_id)
        .where(Assignment.review_id == review.id, Assignment.status != "declined")
        .order_by(col(Assignment.id))
    )
    for role, person in rows:
        if role == "moderator":
            moderator = person
        else:
            peers.append(person)
    return peers, moderator


def lines_of_round(session: Session, review: Review, round_: int) -> list[LineOfEnquiry]:
    return list(
        session.exec(
            select(LineOfEnquiry)
            .where(LineOfEnquiry.review_id == review.id, LineOfEnquiry.round == round_)
            .order_by(col(LineOfEnquiry.number))
        )
    )


def latest_lines(session: Session, review: Review) -> list[LineOfEnquiry]:
    """The agreed lines, or before agreement the latest proposal."""
    if review.lines_round:
        return lines_of_round(session, review, review.lines_round)
    rounds = session.exec(select(LineOfEnquiry.round).where(LineOfEnquiry.review_id == review.id)).all()
    return lines_of_round(session, review, max(rounds)) if rounds else []


def agreed_lines(session: Session, review: Review) -> list[LineOfEnquiry]:
    return lines_of_round(session, review, review.lines_round) if review.lines_round else []


def evidence(session: Session, review: Review) -> list[EvidenceItem]:
    return list(
        session.exec(select(EvidenceItem).where(EvidenceItem.review_id == review.id).order_by(col(EvidenceItem.id)))
    )


def evidence_refs(session: Session, review: Review) -> list[str]:
    return [e.ref for e in evidence(session, review)]


def findings_of(session: Session, review: Review) -> list[Finding]:
    return list(session.exec(select(Finding).where(Finding.review_id == review.id).order_by(col(Finding.id))))


def standing_judgements(session: Session, review: Review) -> dict[int, SelfEvaluationJudgement]:
    """Each line's judgement of the host's self-evaluation that stands: the latest moderation round's."""
    rows = session.exec(
        select(SelfEvaluationJudgement)
        .where(SelfEvaluationJudgement.review_id == review.id)
        .order_by(col(SelfEvaluationJudgement.round))
    )
    return {j.line_number: j for j in rows}


def strand_of(session: Session, review: Review) -> dict:
    framework = session.get_one(Partnership, review.partnership_id).framework
    return next(s for s in framework["strands"] if s["id"] == review.strand_id)


def findings_to_moderate(session: Session, review: Review) -> list[Finding]:
    return [f for f in findings_of(session, review) if f.status == "pending"]


def findings_to_revise(session: Session, review: Review, author_id: int) -> list[Finding]:
    return [f for f in findings_of(session, review) if f.status == "needs_revision" and f.author_id == author_id]


def worker(session: Session, task: Task) -> Person:
    """Whose work a task is: its assignee, or the person the coordinator holds it for (someone who left after
    the visit), so that findings recorded or revised on their behalf stay theirs."""
    held_for = task.subject.get("for")
    if held_for:
        return session.exec(
            select(Person).where(
                Person.partnership_id == session.get_one(Review, task.review_id).partnership_id,
                Person.email == held_for,
            )
        ).one()
    return session.get_one(Person, task.assignee_id)


def action_ref(action_id: int) -> str:
    """How people refer to a development action: A and its id, the same on every page, file and report."""
    return f"A{action_id}"


def lines_led_by(session: Session, review_id: int, person_id: int) -> list[LineOfEnquiry]:
    """The lines of enquiry (every round's) someone was to lead on a review, in the order made."""
    from peer_review.store.tables import LineOfEnquiry

    return list(
        session.exec(
            select(LineOfEnquiry)
            .where(LineOfEnquiry.review_id == review_id, LineOfEnquiry.lead_id == person_id)
            .order_by(col(LineOfEnquiry.id))
        ).all()
    )
