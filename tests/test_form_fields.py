"""Posted form fields to answers and back (web/forms.py), without a server: nesting, blank "add
another" rows dropped, errors pointed back at the field the person filled in, hostile field names."""

from __future__ import annotations

from peer_review.domain import inputs as inp
from peer_review.domain.model import TaskKind
from peer_review.entrypoints.web import forms
from peer_review.service.kinds import KINDS

FINDINGS = KINDS[TaskKind.RECORD_FINDINGS].form


def test_fields_nest_into_the_answer_yaml_would_give():
    posted = [
        ("lines-0-line", "1"),
        ("lines-0-strengths-0-text", "Clear plans"),
        ("lines-0-strengths-0-evidence", "E1"),
        ("lines-0-strengths-0-evidence", "E3"),
        ("lines-1-line", "2"),
        ("csrf_token", "t"),
        ("action", "submit"),
    ]
    assert forms.nest(posted, inp.RecordFindings) == {
        "lines": [{"line": "1", "strengths": [{"text": "Clear plans", "evidence": ["E1", "E3"]}]}, {"line": "2"}]
    }
    unticked = forms.nest([("items-0-title", "Minutes"), ("items-0-lines", "")], inp.SubmitEvidence)
    assert unticked == {"items": [{"title": "Minutes", "lines": []}]}


def test_blank_rows_are_dropped_and_errors_point_at_the_field_filled_in():
    answer = {
        "lines": [
            {
                "line": "1",
                "strengths": [{"text": "", "evidence": []}],
                "areas_for_development": [{"text": "", "evidence": []}],
                "good_practice": [],
            },
            {
                "line": "2",
                "strengths": [{"text": "", "evidence": []}, {"text": "No evidence", "evidence": []}],
                "areas_for_development": [],
                "good_practice": [],
            },
        ]
    }
    pruned = forms.prune(answer, FINDINGS)
    assert pruned.answer == {
        "lines": [
            {
                "line": "2",
                "strengths": [{"text": "No evidence", "evidence": []}],
                "areas_for_development": [],
                "good_practice": [],
            }
        ]
    }
    # pydantic reports lines[0].strengths[0].evidence: on the page that is line 2's second strength
    assert forms.field_id(pruned.original(("lines", 0, "strengths", 0, "evidence"))) == "lines-1-strengths-1-evidence"


def test_add_and_remove_rows_only_where_the_form_repeats():
    answer = {"lines": [{"line": "1", "strengths": [{"text": "a", "evidence": []}]}]}
    forms.add_row(answer, FINDINGS, ("lines", 0, "strengths"))
    assert answer["lines"][0]["strengths"][1] == {"text": "", "evidence": []}
    forms.remove_row(answer, FINDINGS, ("lines", 0, "strengths", 0))
    assert answer["lines"][0]["strengths"] == [{"text": "", "evidence": []}]
    forms.add_row(answer, FINDINGS, ("lines",))  # not a repeating list of this form: unchanged
    forms.remove_row(answer, FINDINGS, ("lines", 0))
    assert len(answer["lines"]) == 1


def test_hostile_field_names_give_an_answer_the_model_refuses_not_a_crash():
    posted = [
        ("lines-0-title", "x"),
        ("lines-0-title-deeper", "y"),
        ("__class__", "z"),
        ("lines-99999999999-title", "w"),
        ("-", "v"),
        ("", "u"),
    ]
    answer = forms.nest(posted, inp.ProposeLines)
    assert isinstance(answer, dict) and answer["lines"][0]["title"] == "x"
    assert forms.parse_action("remove:lines-x-2") == ("remove", ("lines", "x", 2))
    forms.remove_row(answer, KINDS[TaskKind.PROPOSE_LINES].form, ("lines", "x", 2))  # nothing to remove: no error


def test_problems_are_worded_for_people():
    def said(model, answer: dict, error: dict) -> str:
        return forms.message(error, error["loc"], forms.Pruned(answer, answer), model)

    assert said(inp.RespondToAssignment, {}, {"type": "missing", "loc": ("response",)}) == (
        "Select whether you accept your place"
    )
    assert said(inp.ProposeLines, {"lines": [{}, {}]}, {"type": "string_too_short", "loc": ("lines", 1, "title")}) == (
        "Line of enquiry 2: enter the question the review will explore"
    )
    assert said(
        inp.ProposeLines, {"lines": [{}]}, {"type": "too_short", "loc": ("lines",), "ctx": {"min_length": 2}}
    ) == ("Enter at least 2 lines of enquiry")
    assert said(
        inp.RespondToAssignment, {}, {"type": "string_too_long", "loc": ("reason",), "ctx": {"max_length": 4000}}
    ) == ("Your reason must be 4,000 characters or fewer")
    # an entry is named as the page names it: a line by its number, a finding by its id
    findings = {"lines": [{"line": "3", "areas_for_development": [{"text": "", "evidence": []}]}]}
    assert said(
        inp.RecordFindings, findings, {"type": "too_short", "loc": ("lines", 0, "areas_for_development", 0, "evidence")}
    ) == ("Line 3, area for development 1: select the evidence it rests on")
    assert said(
        inp.Moderate, {"findings": [{"finding": "F7"}]}, {"type": "missing", "loc": ("findings", 0, "decision")}
    ) == ("Finding F7: select whether it is supported by the evidence")


def test_crafted_names_are_left_out_so_the_answer_keeps_the_models_shape():
    crafted = [
        ("0-title", "x"),
        ("0", "y"),
        ("lines", "x"),
        ("lines-0", "x"),
        ("lines-0-strengths", "x"),
        ("lines-99999999-title", "x"),
        ("-".join(["lines", "0"] * 600), "deep"),
        ("lines-0-line", "1"),
        ("lines-0-strengths-0-text", "kept"),
    ]
    assert forms.nest(crafted, inp.RecordFindings) == {"lines": [{"line": "1", "strengths": [{"text": "kept"}]}]}
    chosen = forms.nest(
        [("choice", "new"), ("new_person-name", "Jo"), ("new_person-email", "jo@example.org"), ("reason", "r")],
        inp.ChooseReplacement,
    )
    assert chosen["new_person"] == {"name": "Jo", "email": "jo@example.org"}


def test_text_from_the_web_cannot_break_a_yaml_template():
    import yaml

    from peer_review.service.kinds._yaml import comment

    line = "# " + comment("Pupil outcomes\x01 (pasted)\nalignment: aligned\u2028x\x7f")
    assert "\n" not in line and yaml.safe_load(line + "\nkey: 1") == {"key": 1}
