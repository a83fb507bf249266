"""The stakeholder survey: the coordinator opens a round (baseline, mid-cycle, end), everyone in the
partnership with a group is asked to answer it by a due date (an invitation, reminded before it), and the
results are read by group only.

A round closes at the end of its due date: no answer is taken after it, and its results are published only
then. Figures that changed with every answer would give each answer away to anyone comparing them before
and after (four people's mean, minus three people's, is the fourth person's answer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from peer_review import clock
from peer_review.domain.surveys import (
    AnswerSurvey,
    Response,
    SurveyRound,
    ThemeResult,
    group_of,
    group_order,
    results,
)
from peer_review.errors import BadInput, NotFound, UserError
from peer_review.files.questionnaires import (
    DEFAULT,
    Questionnaire,
    resolve_questionnaire,
)
from peer_review.service.common import audit
from peer_review.store.db import Session
from peer_review.store.people import coordinator_of, get_partnership_by_id, people_in, person_by_email
from peer_review.store.people import person as get_person
from peer_review.store.survey_answers import (
    add_survey_answer,
    add_survey_invitation,
    add_survey_round,
    claim_invitation,
    counted_invitations,
    invitation_by_id,
    invitations_to_remind,
    open_invitation_ids,
    scale_answers,
    survey_round,
    survey_rounds,
)

if TYPE_CHECKING:
    from peer_review.store.tables import Partnership, Person, SurveyInvitation
    from peer_review.store.tables import SurveyRound as RoundRow

LONGEST_OPEN = dt.timedelta(days=365)  # a round is answered in weeks; a date years ahead is a typing slip
OPEN_FOR = dt.timedelta(weeks=3)
ROLE_FLAGS = ("is_ceo", "is_moderator", "is_reviewer", "is_coordinator")


@dataclass(frozen=True)
class Opened:
    round: SurveyRound
    due: dt.date
    invited: int


def open_round(
    session: Session,
    partnership: Partnership,
    round_: SurveyRound,
    due: dt.date | None = None,
    questionnaire_ref: str | None = None,
    actor_email: str | None = None,
) -> Opened:
    """Ask everyone in the partnership (who has not left) to answer a round by `due` (three weeks by default).
    A later round keeps the baseline's questionnaire, so its answers can be compared with the baseline's."""
    actor = (
        person_by_email(session, partnership.id, actor_email)
        if actor_email
        else coordinator_of(session, partnership.id)
    )
    if actor is None or not actor.is_coordinator:
        raise UserError(
            f"only the partnership's coordinator can open a survey round; {actor_email} is not its coordinator"
        )
    existing = {row.round: row for row in sorted(survey_rounds(session, partnership.id), key=lambda r: r.id)}
    if round_.value in existing:
        raise UserError(
            f"the {round_.label.lower()} round of '{partnership.name}' was opened on {existing[round_.value].opened_on}; each round is asked once"
        )
    order = list(SurveyRound)
    later = [SurveyRound(r) for r in existing if order.index(SurveyRound(r)) > order.index(round_)]
    if later:
        raise UserError(
            f"the {later[0].label.lower()} round of '{partnership.name}' is already open; rounds go in order: "
            + ", ".join(r.value for r in order)
        )
    questionnaire = _questionnaire_for(existing, questionnaire_ref, round_)
    today = clock.today()
    due = due or today + OPEN_FOR
    if not today < due <= today + LONGEST_OPEN:
        raise BadInput(
            f"The due date must be after today and within a year, {clock.long_date(today + dt.timedelta(days=1))} "
            f"to {clock.long_date(today + LONGEST_OPEN)}, not {clock.long_date(due)}"
        )
    row = add_survey_round(
        session,
        partnership_id=partnership.id,
        round=round_.value,
        questionnaire=questionnaire.model_dump(mode="json"),
        opened_on=today,
        due=due,
        opened_by=actor.email,
    )
    people = people_in(session, partnership.id, still_here=True)
    invited = 0
    for person in people:
        group = group_of({flag: getattr(person, flag) for flag in ROLE_FLAGS}, person.survey_group)
        if group is None:
            continue
        invitation = add_survey_invitation(
            session, round_id=row.id, person_id=person.id, group=group, due=due, created_at=clock.now()
        )
        _notify(
            session,
            partnership,
            row,
            invitation,
            person,
            "survey_invitation",
            f"You are asked for your views ({round_.label.lower()} round)",
        )
        invited += 1
    audit(
        session,
        partnership.id,
        "survey_opened",
        actor.email,
        round=round_.value,
        questionnaire=questionnaire.id,
        due=due.isoformat(),
        invited=invited,
    )
    return Opened(round_, due, invited)


def _questionnaire_for(existing: dict[str, RoundRow], ref: str | None, round_: SurveyRound) -> Questionnaire:
    """The first round's questionnaire, for every later round: answers are compared across rounds."""
    first = next(iter(existing.values()), None)
    if first is None:
        return resolve_questionnaire(ref or DEFAULT)
    kept = Questionnaire.model_validate(first.questionnaire)
    if ref is not None and resolve_questionnaire(ref).model_dump(mode="json") != first.questionnaire:
        raise UserError(
            f"the {SurveyRound(first.round).label.lower()} round asked '{kept.id}' (version {kept.version}); the {round_.label.lower()} round "
            "must ask the same questionnaire, so that its answers can be compared with the earlier ones"
        )
    return kept


def _notify(
    session: Session,
    partnership: Partnership,
    row: RoundRow,
    invitation: SurveyInvitation,
    person: Person,
    event: str,
    headline: str,
    key: str | None = None,
) -> None:
    from peer_review.service.outbox import (
        notify,  # mail is only for opening and reminding: a person's list of surveys needs none of it
    )

    title = row.questionnaire["title"]
    round_ = SurveyRound(row.round)
    notify(
        session,
        key=key or f"{event}/{invitation.id}",
        event=event,
        person=person,
        subject=f"{'Reminder: ' if event == 'survey_reminder' else ''}your views by {clock.long_date(invitation.due)}: {title} ({partnership.name})",
        context={
            "headline": headline,
            "title": title,
            "round_label": round_.label.lower(),
            "partnership": partnership.name,
            "due": clock.long_date(invitation.due),
            "invitation_id": invitation.id,
            "web_path": f"/surveys/{invitation.id}",
        },
    )


# --- answering --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyTask:
    """An invitation as its invitee sees it."""

    invitation: SurveyInvitation
    round: SurveyRound
    partnership: str
    questionnaire: Questionnaire


def invitation_for(session: Session, invitation_id: int, email: str | None = None) -> SurveyTask:
    """An invitation with its questionnaire; with `email`, only for the person it was sent to (answers are
    personal: nobody answers for anyone else, the coordinator included)."""
    invitation = invitation_by_id(session, invitation_id)
    if invitation is None:
        raise NotFound(f"no survey invitation with id {invitation_id}")
    person = get_person(session, invitation.person_id)
    if email is not None:
        if person is None:  # an invitation's person is always stored
            raise LookupError(
                f"no person with id {invitation.person_id}, though survey invitation {invitation_id} names one"
            )
        if person.email != email.strip().lower():
            raise UserError(
                f"survey invitation {invitation_id} was sent to someone else; each person answers only their own"
            )
        if person.left_on is not None:
            raise UserError(
                f"{person.email} left the partnership on {person.left_on}; their survey invitation is closed"
            )
    row = survey_round(session, invitation.round_id)
    return SurveyTask(
        invitation,
        SurveyRound(row.round),
        get_partnership_by_id(session, row.partnership_id).name,
        Questionnaire.model_validate(row.questionnaire),
    )


def open_invitations(session: Session, emails: list[str] | None = None) -> list[SurveyTask]:
    """Invitations still to answer in rounds still open, soonest due first: everyone's, or those sent to these addresses."""
    wanted = None if emails is None else [e.strip().lower() for e in emails]
    ids = open_invitation_ids(session, clock.today(), wanted)
    return [invitation_for(session, i) for i in ids]


class InvalidSurveyAnswer(UserError):
    def __init__(self, problems: list[tuple[tuple, str]]):
        self.problems = problems
        from peer_review.files.yaml_document import dotted

        loc, message = problems[0]
        super().__init__(message, place=dotted(loc) or None, loc=loc)


def validate(survey: SurveyTask, data: Any) -> AnswerSurvey:
    if not isinstance(data, dict):
        raise UserError(
            f"the answer must be a mapping of keys (see `peer-review survey template {survey.invitation.id}`)"
        )
    context = {
        "statements": list(survey.questionnaire.statements),
        "open_questions": [q.id for q in survey.questionnaire.open_questions],
    }
    try:
        return AnswerSurvey.model_validate(data, context=context)
    except ValidationError as exc:
        from peer_review.files.yaml_document import (
            describe,  # imported (with YAML) only for an answer that is wrong
        )

        raise InvalidSurveyAnswer([(tuple(e["loc"]), describe(e)) for e in exc.errors()]) from None


def answer(session: Session, invitation_id: int, data: Any, email: str) -> SurveyTask:
    """Record one person's answers to their invitation, once (of two answers sent at once, one is kept)."""
    survey = invitation_for(session, invitation_id, email)
    if survey.invitation.status != "open":
        raise UserError(
            f"survey invitation {invitation_id} is already answered (on {survey.invitation.completed_at:%Y-%m-%d})"
        )
    if clock.today() > survey.invitation.due:
        raise UserError(
            f"the {survey.round.label.lower()} round closed on {survey.invitation.due}; answers are no longer taken "
            "(a round's results are published when it closes, so that no one answer can be read from them)"
        )
    parsed = validate(survey, data)
    if not claim_invitation(session, invitation_id, clock.now()):
        raise UserError(f"survey invitation {invitation_id} is already answered")
    for item, value in parsed.statements.items():
        add_survey_answer(session, invitation_id=invitation_id, item=item, value=value)
    for item, text in parsed.open_questions.items():
        if text.strip():
            add_survey_answer(session, invitation_id=invitation_id, item=item, text=text)
    row = survey_round(session, survey.invitation.round_id)
    audit(
        session, row.partnership_id, "survey_answered", email.strip().lower(), round=row.round, invitation=invitation_id
    )
    return survey


def template(survey: SurveyTask) -> str:
    """A YAML skeleton for answering, with the scale and every statement as guidance."""
    from peer_review.service.kinds._yaml import comment, quoted

    q = survey.questionnaire
    lines = [
        f"# {comment(q.title)}: {survey.round.label.lower()} round of {comment(survey.partnership)}, due {survey.invitation.due}",
        *(f"# {comment(line)}" for line in q.introduction.split("\n")),
        "# Answer each statement with a number, or null to leave it blank:",
        *(f"#   {n} = {comment(label)}" for n, label in enumerate(q.scale, start=1)),
        "statements:",
    ]
    for theme in q.themes:
        lines.append(f"  # {comment(theme.title)}")
        for s in theme.statements:
            lines += [f"  # {comment(s.text)}", f"  {quoted(s.id)}: null"]
    if q.open_questions:
        lines.append("open_questions:")
        for question in q.open_questions:
            lines += [f"  # {comment(question.text)}", f"  {quoted(question.id)}: {quoted('')}"]
    return "\n".join(lines) + "\n"


# --- reminders --------------------------------------------------------------------------------------


def remind(session: Session, partnership: Partnership, rules, today: dt.date) -> int:
    """Reminders for open invitations on the days before their due date that tasks have them; none after
    it (the round has closed) and never an escalation: answering is voluntary."""
    from peer_review.domain.reminders import reminder_due

    sent = 0
    for invitation, row, person in invitations_to_remind(session, partnership.id, today):
        owed = reminder_due(rules, invitation.due, clock.local_date(invitation.created_at), today)
        if owed is None or not owed.startswith("before") or person.digest_only:
            continue
        headline = f"Your views are asked for by {clock.long_date(invitation.due)}, when this round closes."
        _notify(
            session,
            partnership,
            row,
            invitation,
            person,
            "survey_reminder",
            headline,
            key=f"survey_reminder/{owed}/{invitation.id}/{invitation.due.isoformat()}",
        )
        sent += 1
    return sent


# --- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyResults:
    questionnaire: Questionnaire | None
    rounds: list[RoundRow]  # the closed rounds, whose results are published
    still_open: list[RoundRow]
    themes: list[ThemeResult]
    invited: dict[tuple[str, str], int]  # (round, group) -> people asked
    answered: dict[tuple[str, str], int]  # (round, group) -> people who answered


def survey_results(session: Session, partnership: Partnership) -> SurveyResults:
    """Every round's answers by group and theme (fixed number of queries); withheld below MIN_GROUP people."""
    order = list(SurveyRound)
    every = sorted(survey_rounds(session, partnership.id), key=lambda r: order.index(SurveyRound(r.round)))
    rounds = [r for r in every if r.due < clock.today()]
    still_open = [r for r in every if r.due >= clock.today()]
    if not rounds:
        return SurveyResults(None, [], still_open, [], {}, {})
    questionnaire = Questionnaire.model_validate(rounds[0].questionnaire)
    by_round = {r.id: SurveyRound(r.round) for r in rounds}
    # those asked who left before answering no longer count as asked
    invitations = counted_invitations(session, list(by_round))
    answers: dict[int, dict[str, int]] = {}
    for invitation_id, item, value in scale_answers(session, list(by_round)):
        answers.setdefault(invitation_id, {})[item] = value
    responses = [
        Response(by_round[i.round_id], i.group, i.person_id, answers.get(i.id, {}))
        for i in invitations
        if i.status == "done"
    ]
    themes = {theme.title: [s.id for s in theme.statements] for theme in questionnaire.themes}
    invited: dict[tuple[str, str], int] = {}
    answered: dict[tuple[str, str], int] = {}
    rounds_in_order = list(SurveyRound)
    for i in sorted(invitations, key=lambda i: (rounds_in_order.index(by_round[i.round_id]), group_order(i.group))):
        key = (by_round[i.round_id].value, i.group)
        invited[key] = invited.get(key, 0) + 1
        answered[key] = answered.get(key, 0) + (i.status == "done")
    return SurveyResults(questionnaire, rounds, still_open, results(responses, themes), invited, answered)
