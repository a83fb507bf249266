"""The stakeholder survey in the browser: the inbox lists a person's open invitations, the form stores
exactly what they chose (blanks as null), a wrong or forged answer records nothing, an answer is given
once, and only the person asked may see or give it (not another participant, not the coordinator, not
someone who has left)."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain.surveys import SurveyRound
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import roster, surveys
from peer_review.store import db
from peer_review.store.people import get_partnership
from peer_review.store.tables import SurveyAnswer, SurveyInvitation

from helpers import EXAMPLE, load_second_partnership, new_client, post_form, row_counts, sign_in

pytestmark = pytest.mark.db

OWEN = "owen.fletcher@donriver.example.org"  # a peer reviewer in the triad
SIAN = "sian.pryce@donriver.example.org"  # another reviewer
COORDINATOR = "ruth.ashby@coordinator.example.org"
OUTSIDER = "ruth.ashby@coordinator.other.example.org"  # the coordinator of another partnership
OWEN_LINE = "      - {name: Owen Fletcher, email: owen.fletcher@donriver.example.org, role: Deputy CEO, strands: [school-improvement, workforce]}\n"
HOSTILE = '<script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} & "quoted"'


@pytest.fixture
def opened(planned):
    """The triad's baseline round, open; Owen's invitation and its questionnaire."""
    with db.session_scope() as session:
        surveys.open_round(session, get_partnership(session, None), SurveyRound.BASELINE)
    with db.session_scope() as session:
        [mine] = surveys.open_invitations(session, [OWEN])
        return {"id": mine.invitation.id, "questionnaire": mine.questionnaire, "due": mine.invitation.due}


def _path(opened) -> str:
    return f"/surveys/{opened['id']}"


def _stored(invitation_id: int) -> dict[str, tuple]:
    with db.session_scope() as session:
        rows = session.exec(select(SurveyAnswer).where(SurveyAnswer.invitation_id == invitation_id)).all()
        return {row.item: (row.value, row.text) for row in rows}


def _status(invitation_id: int) -> str:
    with db.session_scope() as session:
        return session.get(SurveyInvitation, invitation_id).status


def _every_statement(opened, given: dict[str, str]) -> list[tuple[str, str]]:
    """The form as a browser sends it: every statement's radio (blank unless given), then the open questions."""
    return [(f"statements.{sid}", given.get(sid, "")) for sid in opened["questionnaire"].statements]


def test_the_inbox_lists_the_invitation_and_the_form_shows_the_questionnaire(opened):
    owen = sign_in(OWEN)
    inbox = owen.get("/")
    assert inbox.status_code == 200
    assert "Surveys to answer" in inbox.text and f'href="{_path(opened)}"' in inbox.text
    q = opened["questionnaire"]
    section = inbox.text.split("Surveys to answer")[1].split("</ul>")[0]
    assert (
        html.escape(q.title, quote=False) in section
        and "baseline round" in section
        and "Sheffield pilot triad" in section
    )
    assert clock.long_date(opened["due"]) in section
    assert inbox.text.index("Surveys to answer") < inbox.text.index("<table")  # above the tasks

    form = owen.get(_path(opened))
    assert form.status_code == 200
    text = html.unescape(form.text)
    assert q.introduction.split(".")[0] in text and "Baseline" in text and clock.long_date(opened["due"]) in text
    for theme in q.themes:
        assert f">{theme.title}</h2>" in text
    for statement in q.statements.values():
        assert statement.text in text
        assert (
            len(re.findall(rf'name="statements\.{statement.id}" type="radio"', form.text)) == 6
        )  # the scale and "Leave blank"
        assert re.search(
            rf'id="statements\.{statement.id}-blank" name="statements\.{statement.id}" type="radio" value="" checked',
            form.text,
        )
    for label in q.scale:
        assert f">{label}</label>" in text
    for question in q.open_questions:
        assert (
            question.text in text and f'<textarea class="govuk-textarea" id="open_questions.{question.id}"' in form.text
        )
    assert 'method="post"' in form.text and 'name="csrf_token"' in form.text


def test_answering_stores_exactly_the_answers_given(opened):
    owen = sign_in(OWEN)
    ids = list(opened["questionnaire"].statements)
    given = {ids[0]: "1", ids[1]: "5", ids[3]: "3"}
    question = opened["questionnaire"].open_questions[0].id
    sent = post_form(owen, _path(opened), _every_statement(opened, given) + [(f"open_questions.{question}", HOSTILE)])
    assert sent.status_code == 303 and sent.headers["location"] == _path(opened)
    expected = {sid: (int(given[sid]) if sid in given else None, "") for sid in ids}
    expected[question] = (None, HOSTILE)  # typed text stored as typed
    assert _stored(opened["id"]) == expected
    assert _status(opened["id"]) == "done"
    thanks = owen.get(_path(opened))
    assert thanks.status_code == 200 and "Thank you for your views" in thanks.text
    assert "<script>alert" not in thanks.text and "Surveys to answer" not in owen.get("/").text


def test_an_empty_open_answer_and_all_blanks_are_kept_as_blanks(opened):
    owen = sign_in(OWEN)
    question = opened["questionnaire"].open_questions[0].id
    assert (
        post_form(
            owen, _path(opened), _every_statement(opened, {}) + [(f"open_questions.{question}", "  ")]
        ).status_code
        == 303
    )
    assert _stored(opened["id"]) == {sid: (None, "") for sid in opened["questionnaire"].statements}


@pytest.mark.parametrize(
    "change", ["out_of_range", "zero", "not_a_number", "unknown_statement", "missing_statement", "too_long"]
)
def test_a_wrong_answer_records_nothing_and_shows_the_form_again(opened, change):
    owen = sign_in(OWEN)
    ids = list(opened["questionnaire"].statements)
    question = opened["questionnaire"].open_questions[0].id
    fields = _every_statement(opened, {ids[0]: "4"})
    text = HOSTILE
    if change == "out_of_range":
        fields[1] = (f"statements.{ids[1]}", "6")
    elif change == "zero":
        fields[1] = (f"statements.{ids[1]}", "0")
    elif change == "not_a_number":
        fields[1] = (f"statements.{ids[1]}", "lots")
    elif change == "unknown_statement":
        fields.append(("statements.made-up", "3"))
    elif change == "missing_statement":
        del fields[1]
    elif change == "too_long":
        text = "x" * 4001
    before = row_counts()
    shown = post_form(owen, _path(opened), fields + [(f"open_questions.{question}", text)])
    assert shown.status_code == 400, shown.text
    assert row_counts() == before and _status(opened["id"]) == "open"
    assert "There is a problem" in shown.text and "<title>Error: " in shown.text
    anchors = re.findall(r'<li><a href="#([^"]+)">', shown.text)
    assert anchors and all(f'id="{a}"' in shown.text for a in anchors)  # every error links to its field
    field = {
        "unknown_statement": "answers",
        "missing_statement": "answers",
        "too_long": f"open_questions.{question}",
    }.get(change, f"statements.{ids[1]}")
    assert anchors == [field]
    said = {
        "unknown_statement": "do not match this survey",
        "missing_statement": "do not match this survey",
        "too_long": "must be 4,000 characters or fewer",
    }
    assert said.get(change, "Select how far you agree with “") in shown.text
    assert change in said or "”, or leave it blank" in shown.text
    # what was chosen and typed is kept, escaped
    assert re.search(
        rf'id="statements\.{ids[0]}-4" name="statements\.{ids[0]}" type="radio" value="4" checked', shown.text
    )
    if change != "too_long":
        box = shown.text.split("<textarea")[1].split(">", 1)[1].split("</textarea>")[0]
        assert html.unescape(box) == HOSTILE and "&lt;script&gt;" in box and "<script>" not in shown.text


def test_a_post_without_the_csrf_token_records_nothing(opened):
    owen = sign_in(OWEN)
    before = row_counts()
    refused = owen.post(_path(opened), data={f"statements.{sid}": "3" for sid in opened["questionnaire"].statements})
    assert refused.status_code == 403 and "Your form has expired" in refused.text
    forged = owen.post(
        _path(opened),
        data={"csrf_token": "forged", **{f"statements.{sid}": "3" for sid in opened["questionnaire"].statements}},
    )
    assert forged.status_code == 403
    assert row_counts() == before and _status(opened["id"]) == "open"


def test_answering_twice_gives_409_and_keeps_the_first_answer(opened):
    owen = sign_in(OWEN)
    ids = list(opened["questionnaire"].statements)
    assert post_form(owen, _path(opened), _every_statement(opened, {ids[0]: "2"})).status_code == 303
    first, before = _stored(opened["id"]), row_counts()
    again = post_form(owen, _path(opened), _every_statement(opened, {ids[0]: "5"}))
    assert (
        again.status_code == 409 and "Already answered" in again.text and clock.long_date(clock.today()) in again.text
    )
    assert _stored(opened["id"]) == first and row_counts() == before


def test_only_the_person_asked_may_see_or_answer(opened, tmp_path):
    load_second_partnership(tmp_path)
    fields = _every_statement(opened, {sid: "5" for sid in opened["questionnaire"].statements})
    for who, expected in ((SIAN, 403), (COORDINATOR, 403), (OUTSIDER, 404)):
        browser = sign_in(who)
        before = row_counts()  # signing in writes its own rows
        assert browser.get(_path(opened)).status_code == expected, who
        assert post_form(browser, _path(opened), fields).status_code == expected, who
        assert f'href="{_path(opened)}"' not in browser.get("/").text
        assert row_counts() == before and _status(opened["id"]) == "open", who
    assert new_client().get(_path(opened)).status_code == 303  # nobody signed in: to the sign-in page

    # Owen, signed in, leaves the partnership: his own invitation is closed to him like the rest of it
    owen = sign_in(OWEN)
    assert owen.get(_path(opened)).status_code == 200
    text = EXAMPLE.read_text()
    assert text.count(OWEN_LINE) == 1
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace(OWEN_LINE, ""))
    with db.session_scope() as session:
        roster.update_partnership(session, load_partnership_file(edited))
    before = row_counts()
    assert owen.get(_path(opened)).status_code == 404
    assert post_form(owen, _path(opened), fields).status_code == 404
    assert "Surveys to answer" not in owen.get("/").text
    assert row_counts() == before and _status(opened["id"]) == "open"
    assert _stored(opened["id"]) == {}
