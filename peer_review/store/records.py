"""Reading a review's records: its team, lines, evidence and findings, and what a task may refer to."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from peer_review.store.tables import FeedbackResponse, ModerationDecision, ModerationRound


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


# --- making a review's records (the moderation's and the feedback's tables are defined when first written) ---


def add_line_of_enquiry(
    session: Session,
    *,
    review_id: int,
    round: int,
    number: int,
    title: str,
    from_prompt: bool,
    self_evaluation: str,
) -> LineOfEnquiry:
    """A proposed line of enquiry, added to the session (kinds/propose_lines.py)."""
    line = LineOfEnquiry(
        review_id=review_id,
        round=round,
        number=number,
        title=title,
        from_prompt=from_prompt,
        self_evaluation=self_evaluation,
    )
    session.add(line)
    return line


def add_evidence_item(
    session: Session,
    *,
    review_id: int,
    ref: str,
    title: str,
    type: str,
    location: str,
    lines: list[int],
    personal_data: bool,
) -> EvidenceItem:
    """An evidence item the host listed, added to the session (kinds/submit_evidence.py)."""
    item = EvidenceItem(
        review_id=review_id,
        ref=ref,
        title=title,
        type=type,
        location=location,
        lines=lines,
        personal_data=personal_data,
    )
    session.add(item)
    return item


def evidence_copy(item: EvidenceItem, *, title: str, location: str, personal_data: bool) -> EvidenceItem:
    """An unsaved copy of an evidence item with these columns changed, never added to the session (access.withheld)."""
    return EvidenceItem(
        id=item.id,
        review_id=item.review_id,
        ref=item.ref,
        title=title,
        type=item.type,
        location=location,
        lines=item.lines,
        personal_data=personal_data,
    )


def add_finding(
    session: Session,
    *,
    review_id: int,
    ref: str,
    line_number: int,
    author_id: int,
    kind: str,
    text: str,
    evidence: list[str],
) -> Finding:
    """A finding a peer recorded, added to the session (kinds/record_findings.py)."""
    finding = Finding(
        review_id=review_id,
        ref=ref,
        line_number=line_number,
        author_id=author_id,
        kind=kind,
        text=text,
        evidence=evidence,
    )
    session.add(finding)
    return finding


def add_moderation_round(
    session: Session, *, review_id: int, number: int, moderator_id: int, outcome: str, completed_at: dt.datetime
) -> ModerationRound:
    """A moderation round, added and flushed: its decisions name its id (kinds/moderate.py)."""
    from peer_review.store.tables import ModerationRound

    moderation_round = ModerationRound(
        review_id=review_id, number=number, moderator_id=moderator_id, outcome=outcome, completed_at=completed_at
    )
    session.add(moderation_round)
    session.flush()
    return moderation_round


def add_moderation_decision(
    session: Session,
    *,
    review_id: int,
    round_id: int,
    round: int,
    finding_id: int,
    finding_revision: int,
    decision: str,
    reason: str,
) -> ModerationDecision:
    """The moderator's decision on one finding in a round, added to the session (kinds/moderate.py)."""
    from peer_review.store.tables import ModerationDecision

    row = ModerationDecision(
        review_id=review_id,
        round_id=round_id,
        round=round,
        finding_id=finding_id,
        finding_revision=finding_revision,
        decision=decision,
        reason=reason,
    )
    session.add(row)
    return row


def add_self_evaluation_judgement(
    session: Session, *, review_id: int, line_number: int, round: int, alignment: str, comment: str
) -> SelfEvaluationJudgement:
    """The moderator's judgement of a line's self-evaluation in a round, added to the session (kinds/moderate.py)."""
    judgement = SelfEvaluationJudgement(
        review_id=review_id, line_number=line_number, round=round, alignment=alignment, comment=comment
    )
    session.add(judgement)
    return judgement


def add_feedback_response(
    session: Session,
    *,
    review_id: int,
    person_id: int,
    role: str,
    helped_us_improve: int,
    fair_and_accurate: int,
    would_take_part_again: bool,
    comments: str,
) -> FeedbackResponse:
    """Someone's feedback on the review process, added to the session (kinds/give_feedback.py)."""
    from peer_review.store.tables import FeedbackResponse

    response = FeedbackResponse(
        review_id=review_id,
        person_id=person_id,
        role=role,
        helped_us_improve=helped_us_improve,
        fair_and_accurate=fair_and_accurate,
        would_take_part_again=would_take_part_again,
        comments=comments,
    )
    session.add(response)
    return response
