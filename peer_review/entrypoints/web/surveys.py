"""The stakeholder survey in the browser: the person asked answers their own invitation (answers are
personal: nobody answers for anyone else, the coordinator included)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from peer_review import clock
from peer_review.entrypoints.web.pages import DB, Id, Signed, page, posted
from peer_review.errors import UserError
from peer_review.files.questionnaires import Questionnaire
from peer_review.service import access, surveys
from peer_review.service.access import Viewer
from peer_review.store.db import Session

router = APIRouter()

#: Form fields are named for the answer's keys: `statements.ID` (a radio: "1".."5", or "" to leave it
#: blank) and `open_questions.ID` (a text box). Questionnaire ids never hold a dot.
STATEMENT, QUESTION = "statements.", "open_questions."
ANCHOR = "answers"  # the page's heading: where a problem with the answer as a whole is linked to


@dataclass(frozen=True)
class Shown:
    """What the page shows of an invitation, as plain values (still there after a rollback)."""

    id: int
    title: str
    round: str
    partnership: str
    due: dt.date
    status: str
    completed_at: dt.datetime | None
    questionnaire: Questionnaire


def _survey(s: Session, viewer: Viewer, invitation_id: int) -> Shown:
    access.survey_invitation_for(s, viewer, invitation_id)
    survey = surveys.invitation_for(s, invitation_id, viewer.email)
    i = survey.invitation
    return Shown(
        i.id,
        survey.questionnaire.title,
        survey.round.label,
        survey.partnership,
        i.due,
        i.status,
        i.completed_at,
        survey.questionnaire,
    )


@router.get("/surveys/{invitation_id}")
def survey_page(request: Request, invitation_id: Id, viewer: Signed, s: DB):
    survey = _survey(s, viewer, invitation_id)
    if survey.status != "open" or survey.due < clock.today():
        return _done(request, survey)
    return _form(request, survey, {}, {})


@router.post("/surveys/{invitation_id}")
async def survey_answer(request: Request, invitation_id: Id, viewer: Signed, s: DB):
    fields = await posted(request)
    survey = _survey(s, viewer, invitation_id)
    if survey.status != "open" or survey.due < clock.today():
        return _done(request, survey, 409)
    data, values = _answer_from(fields)
    try:
        surveys.answer(s, invitation_id, data, viewer.email)
    except surveys.InvalidSurveyAnswer as exc:
        s.rollback()
        return _form(request, survey, values, _errors(survey.questionnaire, exc.problems), 400)
    except UserError:  # an answer sent at the same moment (from another window) got there first
        s.rollback()
        again = _survey(s, viewer, invitation_id)
        if again.status != "open":
            return _done(request, again, 409)
        raise
    return RedirectResponse(f"/surveys/{invitation_id}", status_code=303)


def _answer_from(fields: list[tuple[str, str]]) -> tuple[dict, dict[str, str]]:
    """The posted form as the answer `peer-review survey answer` takes (a YAML file's mapping), and the
    fields as sent, to draw the form again. Anything but 1-5 or blank is passed on for validation to refuse."""
    statements: dict[str, int | str | None] = {}
    questions: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, value in fields:
        if name.startswith(STATEMENT):
            statements[name.removeprefix(STATEMENT)] = (
                None if value == "" else int(value) if value in ("1", "2", "3", "4", "5") else value
            )
        elif name.startswith(QUESTION):
            questions[name.removeprefix(QUESTION)] = value
        else:
            continue
        values[name] = value
    return {"statements": statements, "open_questions": questions}, values


def _errors(questionnaire: Questionnaire, problems: list[tuple[tuple, str]]) -> dict[str, str]:
    """Each problem once, keyed by the id of the field it is about (the heading for the answer as a whole)."""
    statements = questionnaire.statements
    questions = {q.id: q.text for q in questionnaire.open_questions}
    errors: dict[str, str] = {}
    for loc, message in problems:
        key, item = (loc + ("", ""))[:2]
        if key == "statements" and item in statements:
            errors.setdefault(
                STATEMENT + item, f"Select how far you agree with “{statements[item].text}”, or leave it blank"
            )
        elif key == "open_questions" and item in questions:
            answer = f"your answer to “{questions[item]}”"
            said = re.sub(r" \(got .*\)$", "", message, flags=re.S)  # what was typed is in the box, as typed
            errors.setdefault(
                QUESTION + item,
                f"{answer[0].upper()}{answer[1:]} must be 4,000 characters or fewer"
                if "at most" in message
                else f"{said[0].upper()}{said[1:]} from {answer}",
            )
        else:  # only a form changed by hand (or one from another survey) sends other items, or leaves a statement out
            errors.setdefault(
                ANCHOR, "The answers sent do not match this survey’s questions: reload the page and answer again"
            )
    return errors


def _form(request: Request, survey: Shown, values: dict[str, str], errors: dict[str, str], status_code: int = 200):
    return page(
        request,
        "survey.html",
        status_code,
        survey=survey,
        q=survey.questionnaire,
        values=values,
        errors=errors,
        statement_field=STATEMENT,
        question_field=QUESTION,
        anchor=ANCHOR,
    )


def _done(request: Request, survey: Shown, status_code: int = 200):
    """Answered: a thank-you, or (a 409) for an answer sent again."""
    return page(request, "survey_done.html", status_code, survey=survey, again=status_code == 409)
