"""The stakeholder survey's rounds, invitations and answers: what the survey use cases read and claim."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import update
from sqlmodel import col, select

from peer_review.store.db import Session
from peer_review.store.tables import Person, SurveyAnswer, SurveyInvitation
from peer_review.store.tables import SurveyRound as RoundRow


def invitation_by_id(session: Session, invitation_id: int) -> SurveyInvitation | None:
    """The invitation with that id, or None (an id no table can hold included)."""
    return session.get(SurveyInvitation, invitation_id) if 0 < invitation_id < 2**63 else None


def survey_round(session: Session, round_id: int) -> RoundRow:
    return session.get_one(RoundRow, round_id)


def open_invitation_ids(session: Session, today: dt.date, emails: list[str] | None = None) -> list[int]:
    """The invitations still to answer in rounds still open on `today`, soonest due first: everyone's, or
    those sent to these addresses (already in lower case) of people who have not left."""
    query = (
        select(SurveyInvitation.id)
        .join(Person, col(Person.id) == SurveyInvitation.person_id)
        .where(SurveyInvitation.status == "open", SurveyInvitation.due >= today)
    )
    if emails is not None:
        query = query.where(col(Person.email).in_(emails), col(Person.left_on).is_(None))
    return list(session.exec(query.order_by(col(SurveyInvitation.due), col(SurveyInvitation.id))).all())


def claim_invitation(session: Session, invitation_id: int, now: dt.datetime) -> bool:
    """Mark an open invitation answered with one conditional UPDATE: of two answers sent at once, only one
    claims it (False for the other)."""
    taken = session.exec(
        update(SurveyInvitation)
        .where(col(SurveyInvitation.id) == invitation_id, col(SurveyInvitation.status) == "open")
        .values(status="done", completed_at=now)
    ).rowcount
    return taken == 1


def invitations_to_remind(
    session: Session, partnership_id: int, today: dt.date
) -> list[tuple[SurveyInvitation, RoundRow, Person]]:
    """The partnership's open invitations due today or later, of people who have not left, with their round
    and person, oldest first."""
    return list(
        session.exec(
            select(SurveyInvitation, RoundRow, Person)
            .join(RoundRow, col(RoundRow.id) == SurveyInvitation.round_id)
            .join(Person, col(Person.id) == SurveyInvitation.person_id)
            .where(
                RoundRow.partnership_id == partnership_id,
                SurveyInvitation.status == "open",
                SurveyInvitation.due >= today,
                col(Person.left_on).is_(None),
            )
            .order_by(col(SurveyInvitation.id))
        ).all()
    )


def counted_invitations(session: Session, round_ids: list[int]) -> list[SurveyInvitation]:
    """The rounds' invitations that count as asked: answered ones, and unanswered ones of people still here
    (those asked who left before answering no longer count)."""
    return list(
        session.exec(
            select(SurveyInvitation)
            .join(Person, col(Person.id) == SurveyInvitation.person_id)
            .where(
                col(SurveyInvitation.round_id).in_(round_ids),
                (col(SurveyInvitation.status) == "done") | col(Person.left_on).is_(None),
            )
        ).all()
    )


def scale_answers(session: Session, round_ids: list[int]) -> list[tuple[int, str, int]]:
    """(invitation_id, item, value) of every answer on the scale given in these rounds (open answers left out)."""
    rows = session.exec(
        select(SurveyAnswer.invitation_id, SurveyAnswer.item, SurveyAnswer.value)
        .join(SurveyInvitation, col(SurveyInvitation.id) == SurveyAnswer.invitation_id)
        .where(col(SurveyInvitation.round_id).in_(round_ids), col(SurveyAnswer.value).is_not(None))
    ).all()
    return cast(list[tuple[int, str, int]], list(rows))  # no value is None: the query leaves them out


def survey_rounds(session: Session, partnership_id: int) -> list[RoundRow]:
    return list(
        session.exec(select(RoundRow).where(RoundRow.partnership_id == partnership_id).order_by(col(RoundRow.id))).all()
    )


def add_survey_round(
    session: Session,
    *,
    partnership_id: int,
    round: str,
    questionnaire: dict,
    opened_on: dt.date,
    due: dt.date,
    opened_by: str,
) -> RoundRow:
    """A round the coordinator opens, flushed so that its invitations can refer to its id."""
    row = RoundRow(
        partnership_id=partnership_id,
        round=round,
        questionnaire=questionnaire,
        opened_on=opened_on,
        due=due,
        opened_by=opened_by,
    )
    session.add(row)
    session.flush()
    return row


def add_survey_invitation(
    session: Session, *, round_id: int, person_id: int, group: str, due: dt.date, created_at: dt.datetime
) -> SurveyInvitation:
    """A person's invitation to answer a round, flushed so that the message asking them can name its id."""
    invitation = SurveyInvitation(round_id=round_id, person_id=person_id, group=group, due=due, created_at=created_at)
    session.add(invitation)
    session.flush()
    return invitation


def add_survey_answer(
    session: Session, *, invitation_id: int, item: str, value: int | None = None, text: str = ""
) -> SurveyAnswer:
    """One answer to a statement (`value`) or an open question (`text`); written at the next flush."""
    answer = SurveyAnswer(invitation_id=invitation_id, item=item, value=value, text=text)
    session.add(answer)
    return answer
