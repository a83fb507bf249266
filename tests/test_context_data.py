"""Context for the evaluation: published headline figures and commissioned external reviews, imported from
files, compared with the peer reviews, and shown as published."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest
import yaml
from sqlmodel import func, select

from peer_review.domain.comparison import (
    ExternalStrand,
    Item,
    Match,
    PeerStrand,
    SelfEvaluationLine,
    compare,
    similarity,
)
from peer_review.entrypoints.cli import run as run_command
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import context_data, loading
from peer_review.store import db
from peer_review.store.tables import (
    AuditEntry,
    ExternalReview,
    ExternalStrandView,
    Finding,
    HeadlineFigure,
    LineOfEnquiry,
    Person,
    Review,
    SelfEvaluationJudgement,
    Trust,
)

from helpers import EXAMPLE, plan_and_publish, sign_in

pytestmark = pytest.mark.db

EXAMPLES = EXAMPLE.parent
HEADLINE = EXAMPLES / "headline.csv"
EXTERNAL = EXAMPLES / "external-review.yaml"
HELEN = "helen.marsh@steelvalley.example.org"  # Steel Valley's CEO
MARCUS = "marcus.hale@donriver.example.org"  # Don River's CEO
OWEN = "owen.fletcher@donriver.example.org"
TRUST_IDS = "trust ids: steel-valley, don-river, peak-edge"
STRANDS = "strands: quality-inclusive-education, school-improvement, workforce, governance-leadership-operations"
HOSTILE = ["=cmd|' /C calc'!A0", "{{ 7*7 }}", "<script>alert(1)</script>", "[bold]x[/]", "\u200fright-to-left mark"]
GRADE_WORDS = re.compile(
    r"\b(outstanding|good(?! practice)|requires improvement|inadequate|rag|scores?|grades?|graded|grading)\b",
    re.IGNORECASE,
)


@pytest.fixture
def loaded(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    return database_url


@pytest.fixture
def cli(capsys):
    """`peer-review ARGS` as the console script runs it, in this process: (exit code, stdout, stderr)."""

    def run(*args) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run_command([*map(str, args)])
        got = capsys.readouterr()
        return code, got.out, got.err

    return run


def _counts() -> dict[str, int]:
    with db.session_scope() as session:
        return {
            t.__name__: session.exec(select(func.count()).select_from(t)).one()
            for t in (HeadlineFigure, ExternalReview, ExternalStrandView, AuditEntry)
        }


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def _external_csv_rows(spec: dict) -> list[list[str]]:
    """An external review in its CSV form: one row per item."""
    about = [spec["trust"], spec["reviewer"], spec.get("organisation", ""), str(spec["reviewed_on"])]
    rows = [["trust", "reviewer", "organisation", "reviewed_on", "strand", "kind", "text"]]
    for s in spec["strands"]:
        if s.get("view"):
            rows.append([*about, s["strand"], "view", s["view"]])
        rows += [[*about, s["strand"], "strength", t] for t in s.get("strengths", [])]
        rows += [[*about, s["strand"], "area_for_development", t] for t in s.get("areas_for_development", [])]
    return rows


# --- loading -------------------------------------------------------------------------------------


def test_headline_figures_load_and_a_reload_replaces_only_what_changed(loaded, cli, tmp_path):
    code, out, _ = cli("headline-data", "load", HEADLINE)
    assert code == 0 and out.strip() == "Sheffield pilot triad: 27 figure(s) added, 0 changed, 0 unchanged"
    rows = list(csv.reader(HEADLINE.open(newline="")))
    edited = [rows[0], *reversed(rows[1:])]  # years out of order in the file: the trend is still by year
    edited[edited.index(["steel-valley", "2023-24", "KS4 Progress 8", "0.02", rows[1][4]])][3] = "0.03"
    edited.append(["steel-valley", "2024-25", "KS4 Progress 8", "c", ""])
    code, out, _ = cli("headline-data", "load", _write_csv(tmp_path / "edited.csv", edited))
    assert code == 0 and out.strip() == "Sheffield pilot triad: 1 figure(s) added, 1 changed, 26 unchanged"
    with db.session_scope() as session:
        trends = {t.key: t for t in context_data.headline_trends(session, None)}
        figures = {
            (f.measure, f.year): f
            for f in session.exec(select(HeadlineFigure).join(Trust).where(Trust.key == "steel-valley"))
        }
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.action == "headline_figures_loaded")
            .order_by(AuditEntry.id)
        ).all()
    steel = trends["steel-valley"]
    assert [m.measure for m in steel.measures] == [
        "KS2 reading, writing and maths: expected standard (%)",
        "KS4 Progress 8",
        "Persistent absence (%)",
    ]
    assert steel.measures[1].points == [
        ("2021-22", "-0.12"),
        ("2022-23", "-0.05"),
        ("2023-24", "0.03"),
        ("2024-25", "c"),
    ]
    assert steel.years == ["2021-22", "2022-23", "2023-24", "2024-25"]
    assert steel.table()[0] == ("KS2 reading, writing and maths: expected standard (%)", ["55", "58", "61", ""])
    assert (
        figures["KS4 Progress 8", "2021-22"].number == -0.12 and figures["KS4 Progress 8", "2024-25"].number is None
    )  # published as suppressed
    assert figures["KS4 Progress 8", "2024-25"].source == str(tmp_path / "edited.csv")  # no source column: the file
    assert figures["KS4 Progress 8", "2021-22"].source == "Fictional figures for the example triad"
    assert [d["added"] for _a, d in actions] == [27, 1] and actions[1][1]["changed"] == 1


def test_external_review_loads_from_yaml_or_csv_and_a_reload_replaces_it(loaded, cli, tmp_path):
    code, out, _ = cli("external-review", "load", EXTERNAL)
    assert code == 0 and out.strip() == "Steel Valley Academy Trust: external review of 2024-06-12, 2 strand(s); loaded"
    spec = yaml.safe_load(EXTERNAL.read_text())
    spec["strands"][1]["strengths"].append("Induction is planned with each school.")
    code, out, _ = cli("external-review", "load", _write_csv(tmp_path / "review.csv", _external_csv_rows(spec)))
    assert (
        code == 0
        and out.strip()
        == "Steel Valley Academy Trust: external review of 2024-06-12, 2 strand(s); replaced the one loaded before"
    )
    with db.session_scope() as session:
        (review,) = session.exec(select(ExternalReview)).all()
        views = session.exec(
            select(ExternalStrandView)
            .where(ExternalStrandView.external_review_id == review.id)
            .order_by(ExternalStrandView.strand_id)
        ).all()
    assert (review.reviewer, review.organisation, review.reviewed_on, review.source) == (
        "Alex Morgan",
        "Example Education Consultancy",
        dt.date(2024, 6, 12),
        str(tmp_path / "review.csv"),
    )
    assert [(v.strand_id, v.view, v.strengths, v.areas_for_development) for v in views] == [
        (s["strand"], s["view"], s["strengths"], s["areas_for_development"])
        for s in sorted(spec["strands"], key=lambda s: s["strand"])
    ]
    spec["reviewed_on"] = "2025-01-20"  # a later review of the same trust is kept beside the first
    assert cli("external-review", "load", _write_csv(tmp_path / "later.csv", _external_csv_rows(spec)))[0] == 0
    assert _counts()["ExternalReview"] == 2


# --- bad input: exit 2, the file and the place named, nothing written ----------------------------

_H = "trust,year,measure,value\n"
BAD_HEADLINE = {
    "unknown trust": (
        _H + "steel-valley,2023,New measure,1\nnowhere,2023,New measure,2\n",
        rf"line 3, column 'trust': unknown trust 'nowhere' in 'Sheffield pilot triad'; {TRUST_IDS}",
    ),
    "duplicate row": (
        _H + "steel-valley,2023,M,1\ndon-river,2023,M,1\nsteel-valley,2023,M,2\n",
        r"line 4: a second figure for trust 'steel-valley', measure 'M', year '2023' \(first on line 2\)",
    ),
    "missing column": (
        "trust,year,measure\nsteel-valley,2023,M\n",
        r"line 1: missing column 'value'; the columns are trust, year, measure, value, source \(optional\)",
    ),
    "unknown column": (
        "trust,year,measure,valu\nsteel-valley,2023,M,1\n",
        r"line 1: unknown column 'valu'; the columns are trust, year, measure, value, source \(optional\)",
    ),
    "column twice": ("trust,year,measure,value,Value\n", r"line 1: the column 'value' is given twice"),
    "cells": (
        _H + "steel-valley,2023,M,1\nsteel-valley,2024,M,1,234\n",
        r"line 3: the row has 5 cells but the first line names 4 columns",
    ),
    "empty value": (
        _H + "steel-valley,2023,M,\n",
        r"line 2, column 'value': the value cell is empty; every row needs one",
    ),
    "year": (
        _H + "steel-valley,23,M,1\n",
        r"line 2, column 'year': give the year as published, with its four digits, e.g. 2023 or 2022-23",
    ),
    "control character": (
        _H + "steel-valley,2023,M\x1b[2J,1\n",
        r"line 2, column 'measure': remove the control character U\+001B",
    ),
    "NUL": (_H + "steel-valley,2023,M\x00,1\n", r"line 2, column 'measure': remove the control character NUL"),
    "line break": (_H + 'steel-valley,2023,"two\nlines",1\n', r"line 2, column 'measure': must be one line"),
    "too long": (
        _H + f"steel-valley,2023,{'m' * 301},1\n",
        r"line 2, column 'measure': String should have at most 300 characters",
    ),
    "empty file": ("", r"line 1: the file is empty; its first line names the columns"),
    "header only": (_H, r"no rows after the first line"),
    "too big": (
        _H + "steel-valley,2023,M,1\n" * 50_000,
        r"the file holds 1,\d{3},\d{3} characters; files are limited to 1,000,000",
    ),
    "not UTF-8": (b"trust,year,measure,value\nsteel-valley,2023,M\xe9,1\n", r"not UTF-8 text .*save it as CSV UTF-8"),
}

_E = "trust,reviewer,organisation,reviewed_on,strand,kind,text\n"
_ROW = "steel-valley,A. N. Other,,2024-06-12,"
BAD_EXTERNAL = {
    "yaml unknown trust": (
        "review.yaml",
        lambda t: t.replace("trust: steel-valley", "trust: nowhere"),
        rf"line 3 \(trust\): unknown trust 'nowhere' in 'Sheffield pilot triad'; {TRUST_IDS}",
    ),
    "yaml unknown strand": (
        "review.yaml",
        lambda t: t.replace("strand: workforce", "strand: finance"),
        rf"line 17 \(strands\[1\]\.strand\): unknown strand 'finance' for framework 'learn-sheffield-trust-review'; {STRANDS}",
    ),
    "yaml strand twice": (
        "review.yaml",
        lambda t: t.replace("strand: workforce", "strand: school-improvement"),
        r"line 17 \(strands\[1\]\.strand\): strand 'school-improvement' is given twice",
    ),
    "yaml empty strand": (
        "review.yaml",
        lambda t: t.split("  - strand: workforce")[0] + "  - strand: workforce\n",
        r"line 17 \(strands\[1\]\): strand 'workforce' has no view, strengths or areas_for_development",
    ),
    "yaml missing reviewer": (
        "review.yaml",
        lambda t: t.replace("reviewer: Alex Morgan\n", ""),
        r"line \d+ \(reviewer\): missing required key 'reviewer'",
    ),
    "yaml misspelt key": (
        "review.yaml",
        lambda t: t.replace("    strengths:\n      - Early", "    strenghts:\n      - Early"),
        r"line 20 \(strands\[1\]\.strenghts\): unknown key 'strenghts'",
    ),
    "yaml impossible date": (
        "review.yaml",
        lambda t: t.replace("2024-06-12", "2024-02-30"),
        r"line 6 \(reviewed_on\): '2024-02-30' cannot be read",
    ),
    "yaml repeated key": (
        "review.yaml",
        lambda t: t.replace("reviewer: Alex Morgan\n", "reviewer: Alex Morgan\nreviewer: Sam Smith\n"),
        r"line 5 \(reviewer\): the key 'reviewer' is given twice",
    ),
    "yaml alias": (
        "review.yaml",
        lambda t: t.replace("reviewer: Alex Morgan", "reviewer: &who Alex Morgan\norganisation: *who").replace(
            "organisation: Example Education Consultancy\n", ""
        ),
        r"line 5.*aliases \(\*who\) are not allowed",
    ),
    "wrong kind of file": ("review.txt", lambda t: t, r"an external review is a \.yaml, \.yml or \.csv file"),
    "csv unknown kind": (
        "review.csv",
        _E + _ROW + "workforce,strength,Mentors\n" + _ROW + "workforce,weakness,Succession\n",
        r"line 3, column 'kind': Input should be 'view', 'strength' or 'area_for_development'",
    ),
    "csv reviewer differs": (
        "review.csv",
        _E + _ROW + "workforce,strength,Mentors\nsteel-valley,B. Other,,2024-06-12,workforce,view,Fine\n",
        r"line 3, column 'reviewer': 'B. Other' differs from line 2's 'A. N. Other'",
    ),
    "csv unknown strand": (
        "review.csv",
        _E + _ROW + "workforce,strength,Mentors\n" + _ROW + "finance,strength,Budgets\n",
        rf"line 3, column 'strand': unknown strand 'finance'.*; {STRANDS}",
    ),
    "csv unknown trust": (
        "review.csv",
        _E + "nowhere,A. N. Other,,2024-06-12,workforce,strength,Mentors\n",
        rf"line 2, column 'trust': unknown trust 'nowhere'.*; {TRUST_IDS}",
    ),
    "csv second view": (
        "review.csv",
        _E + _ROW + "workforce,view,One\n" + _ROW + "workforce,strength,Mentors\n" + _ROW + "workforce,view,Two\n",
        r"line 4, column 'kind': a second view of strand 'workforce' \(the first is on line 2\)",
    ),
    "csv date": (
        "review.csv",
        _E + "steel-valley,A. N. Other,,12/06/2024,workforce,strength,Mentors\n",
        r"line 2, column 'reviewed_on': .*write dates as YYYY-MM-DD",
    ),
    "csv empty text": (
        "review.csv",
        _E + _ROW + "workforce,strength,\n",
        r"line 2, column 'text': the text cell is empty; every row needs one",
    ),
    "file not found": ("missing.csv", None, r"file not found"),
}


@pytest.fixture
def with_data(loaded, cli):
    """The example figures and external review loaded, so a refused file could only have changed them."""
    assert cli("headline-data", "load", HEADLINE)[0] == 0
    assert cli("external-review", "load", EXTERNAL)[0] == 0
    return _counts()


def _refused(cli, before: dict, args: list, path: Path, expected: str) -> None:
    code, out, err = cli(*args)
    message = " ".join(err.split())
    assert code == 2, (out, err)
    assert "Traceback" not in err and message.startswith(f"error: {path}"), message
    assert re.search(expected, message), message
    assert _counts() == before


@pytest.mark.parametrize("case", list(BAD_HEADLINE))
def test_a_bad_headline_file_is_refused_naming_file_line_and_column(case, with_data, cli, tmp_path):
    content, expected = BAD_HEADLINE[case]
    path = tmp_path / "figures.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    _refused(cli, with_data, ["headline-data", "load", path], path, expected)


@pytest.mark.parametrize("case", list(BAD_EXTERNAL))
def test_a_bad_external_review_is_refused_naming_file_and_place(case, with_data, cli, tmp_path):
    name, content, expected = BAD_EXTERNAL[case]
    path = tmp_path / name
    if content is not None:
        path.write_text(content(EXTERNAL.read_text()) if callable(content) else content, encoding="utf-8")
    _refused(cli, with_data, ["external-review", "load", path], path, expected)


def test_unknown_trust_and_partnership_options_are_refused(with_data, cli):
    code, _, err = cli("external-review", "compare", "--trust", "nowhere")
    assert code == 2 and f"unknown trust 'nowhere' in 'Sheffield pilot triad'; {TRUST_IDS}" in err
    code, _, err = cli("headline-data", "load", HEADLINE, "-p", "No such partnership")
    assert code == 2 and "no partnership named 'No such partnership'; loaded: Sheffield pilot triad" in err
    assert _counts() == with_data


# --- hostile text: kept as typed, printed as typed, escaped on the web ----------------------------


def test_hostile_text_is_stored_and_shown_as_typed(loaded, cli, tmp_path):
    figures = [["trust", "year", "measure", "value"]] + [
        ["steel-valley", "2023", f"Measure {i} {h}", h] for i, h in enumerate(HOSTILE)
    ]
    assert cli("headline-data", "load", _write_csv(tmp_path / "figures.csv", figures))[0] == 0
    spec = {
        "trust": "steel-valley",
        "reviewer": HOSTILE[3],
        "organisation": HOSTILE[1],
        "reviewed_on": "2024-06-12",
        "strands": [
            {"strand": "workforce", "view": HOSTILE[4], "strengths": HOSTILE[:3], "areas_for_development": HOSTILE[3:]}
        ],
    }
    assert cli("external-review", "load", _write_csv(tmp_path / "review.csv", _external_csv_rows(spec)))[0] == 0
    with db.session_scope() as session:
        stored = {f.measure: (f.value, f.number) for f in session.exec(select(HeadlineFigure))}
        view = session.exec(select(ExternalStrandView)).one()
    assert stored == {f"Measure {i} {h}": (h, None) for i, h in enumerate(HOSTILE)}
    assert (view.view, view.strengths, view.areas_for_development) == (HOSTILE[4], HOSTILE[:3], HOSTILE[3:])

    code, out, _ = cli("external-review", "compare")
    assert code == 0
    for h in HOSTILE[:3]:
        assert f"Only the external review found (strength): {h}\n" in out
    assert f"Only the external review found (area for development): {HOSTILE[3]}\n" in out
    assert f"External reviewer's view: {HOSTILE[4]}\n" in out
    assert f"external review by {HOSTILE[3]} ({HOSTILE[1]}), 2024-06-12" in out
    (compared,) = json.loads(cli("external-review", "compare", "--json")[1])
    assert (
        compared["reviewer"] == HOSTILE[3] and [i["text"] for i in compared["strands"][0]["only_external"]] == HOSTILE
    )
    (trend,) = json.loads(cli("headline-data", "show", "--json")[1])
    assert [(m["measure"], m["points"]) for m in trend["measures"]] == [
        (f"Measure {i} {h}", [["2023", h]]) for i, h in enumerate(HOSTILE)
    ]

    with db.session_scope() as session:
        steel = session.exec(select(Trust.id).where(Trust.key == "steel-valley")).one()
    page = sign_in(HELEN).get(f"/trusts/{steel}")
    assert page.status_code == 200
    table = page.text.split('id="headline-figures"', 1)[1].split("</table>", 1)[0]
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    assert "{{ 7*7 }}" in table and "49" not in table
    assert [html.unescape(cell) for cell in re.findall(r'<td class="govuk-table__cell">(.*?)</td>', table)] == HOSTILE


# --- the comparison -------------------------------------------------------------------------------

EXT_STRENGTH = "Leaders know each school well through regular visits and shared assessment data."
EXT_GOVERNORS = "Governors challenge leaders on budgets."
EXT_AREA = "Checking the impact of support on outcomes is not yet systematic."
EXT_CROSSED = "Pupils attend regularly and behave calmly."  # worded like a peer strength, but an area here
PEER_STRENGTH = "Trust leaders know every school through regular visits and assessment data."
PEER_PUPILS = "Pupils attend regularly and behave calmly."
PEER_AREA = "The impact of support on outcomes is not checked systematically."
PEER_SUCCESSION = "Succession planning is at an early stage."


def test_similarity_is_the_share_of_significant_words_in_common():
    assert similarity("Visits to schools", "the school visit") == 1.0  # stop words and plural s dropped
    assert similarity("Leaders do not know their schools", "Leaders know their schools") == pytest.approx(
        2 * 3 / 7
    )  # "not" counts
    assert similarity(EXT_STRENGTH, PEER_STRENGTH) == pytest.approx(14 / 16)
    assert similarity("the and of", "leaders") == 0.0


def test_compare_lists_matches_and_what_only_one_side_found_strand_by_strand():
    strands = [("a", "Strand A"), ("b", "Strand B"), ("c", "Strand C"), ("d", "Strand D")]
    external = {
        "a": ExternalStrand("a", "Their view of A", [EXT_STRENGTH, EXT_GOVERNORS], [EXT_AREA, EXT_CROSSED]),
        "b": ExternalStrand("b", "", ["Mentors are trained."], []),
    }
    judged = [
        SelfEvaluationLine(
            1, "How do leaders know their schools?", "We know our schools.", "partly_aligned", "Less than claimed"
        )
    ]
    peer = {
        "a": PeerStrand(
            "a",
            1,
            "report",
            [
                Item("strength", PEER_STRENGTH, "F1"),
                Item("strength", PEER_PUPILS, "F2"),
                Item("area_for_development", PEER_AREA, "F3"),
                Item("area_for_development", PEER_SUCCESSION, "F4"),
            ],
            judged,
        ),
        "b": PeerStrand("b", 2, "evidence", []),  # not yet moderated: nothing supported
        "c": PeerStrand(
            "c",
            3,
            "closed",
            [Item("strength", "Budgets are balanced.", "F1"), Item("good_practice", "A shared finance team.", "F2")],
        ),
        "d": PeerStrand("d", 4, "scheduled", []),
    }
    a, b, c = compare(strands, external, peer)
    assert (a.strand_id, a.covered_by, a.external_view, a.review_id, a.review_stage, a.self_evaluation) == (
        "a",
        "both",
        "Their view of A",
        1,
        "report",
        judged,
    )
    assert a.matched == [
        Match("strength", EXT_STRENGTH, PEER_STRENGTH, "F1", 0.88),
        Match("area_for_development", EXT_AREA, PEER_AREA, "F3", 0.62),
    ]
    assert a.only_external == [Item("strength", EXT_GOVERNORS), Item("area_for_development", EXT_CROSSED)]
    assert a.only_peer == [Item("strength", PEER_PUPILS, "F2"), Item("area_for_development", PEER_SUCCESSION, "F4")]
    assert (b.covered_by, b.matched, b.only_external, b.only_peer, b.review_stage) == (
        "external review only",
        [],
        [Item("strength", "Mentors are trained.")],
        [],
        "evidence",
    )
    assert (c.covered_by, c.matched, c.only_external, c.only_peer) == (
        "peer review only",
        [],
        [],
        [Item("strength", "Budgets are balanced.", "F1")],
    )


def test_external_comparison_reads_supported_findings_and_standing_judgements(loaded, cli):

    with db.session_scope() as session:
        plan_and_publish(session, None)
        review = session.exec(
            select(Review).join(Trust).where(Trust.key == "steel-valley", Review.strand_id == "school-improvement")
        ).one()
        owen = session.exec(select(Person.id).where(Person.email == OWEN)).one()
        review.lines_round = 1
        session.add(review)
        for n in (1, 2):
            session.add(
                LineOfEnquiry(
                    review_id=review.id, round=1, number=n, title=f"Line {n}", self_evaluation=f"Our view of line {n}."
                )
            )
        for ref, kind, text, status in [
            ("F1", "strength", PEER_STRENGTH, "supported"),
            ("F2", "area_for_development", PEER_SUCCESSION, "supported"),
            ("F3", "strength", "Support from the central team is matched to each school's priorities.", "pending"),
            ("F4", "good_practice", PEER_AREA, "supported"),
            ("F5", "area_for_development", EXT_AREA, "needs_revision"),
        ]:
            session.add(
                Finding(
                    review_id=review.id, ref=ref, line_number=1, author_id=owen, kind=kind, text=text, status=status
                )
            )
        session.add(
            SelfEvaluationJudgement(
                review_id=review.id, line_number=1, round=1, alignment="partly_aligned", comment="first round"
            )
        )
        session.add(
            SelfEvaluationJudgement(
                review_id=review.id, line_number=1, round=2, alignment="aligned", comment="second round"
            )
        )
        review_id = review.id
    assert cli("external-review", "load", EXTERNAL)[0] == 0
    with db.session_scope() as session:
        (compared,) = context_data.external_comparison(session, None, "steel-valley")
    school, workforce = compared.strands
    assert (school.strand_id, school.covered_by, school.review_id) == ("school-improvement", "both", review_id)
    assert school.matched == [
        Match(
            "strength",
            "Leaders know each school well through regular visits and shared assessment data.",
            PEER_STRENGTH,
            "F1",
            0.88,
        )
    ]
    assert [i.text for i in school.only_external] == [
        "Support from the central team is matched to each school's priorities.",
        "Checking the impact of support on pupils' outcomes is not yet systematic.",
    ]
    assert school.only_peer == [Item("area_for_development", PEER_SUCCESSION, "F2")]
    assert school.self_evaluation == [
        SelfEvaluationLine(1, "Line 1", "Our view of line 1.", "aligned", "second round"),
        SelfEvaluationLine(2, "Line 2", "Our view of line 2.", None, ""),
    ]
    assert (workforce.strand_id, workforce.covered_by, workforce.review_stage, workforce.only_peer) == (
        "workforce",
        "external review only",
        "scheduled",
        [],
    )

    code, out, _ = cli("external-review", "compare", "--trust", "steel-valley")
    assert code == 0
    assert (
        f"Both found (strength, similarity 0.88): external: Leaders know each school well through regular visits and shared assessment data. | peer review F1: {PEER_STRENGTH}"
        in out
    )
    assert f"Only the peer review found (area for development, F2): {PEER_SUCCESSION}" in out
    assert "Self-evaluation, line 1 (Line 1) [moderator: aligned]: Our view of line 1." in out
    assert "a lexical match, to be checked by reading both" in out
    assert not GRADE_WORDS.search(out), GRADE_WORDS.search(out)
    assert cli("external-review", "compare", "--trust", "don-river")[1].startswith("No external review loaded")


# --- the web page ---------------------------------------------------------------------------------


def test_the_trust_page_shows_its_figures_to_its_ceo_and_refuses_another_trusts_ceo(loaded, cli):
    assert cli("headline-data", "load", HEADLINE)[0] == 0
    with db.session_scope() as session:
        steel = session.exec(select(Trust.id).where(Trust.key == "steel-valley")).one()
    page = sign_in(HELEN).get(f"/trusts/{steel}")
    assert page.status_code == 200
    table = page.text.split('<table class="govuk-table" id="headline-figures">', 1)[1].split("</table>", 1)[0]
    assert "Published headline figures" in table and "not a judgement of your trust" in table
    assert re.findall(r'<th scope="col" class="govuk-table__header">([^<]*)</th>', table) == [
        "Measure",
        "2021-22",
        "2022-23",
        "2023-24",
    ]
    assert re.findall(r'<th scope="row" class="govuk-table__header">([^<]*)</th>', table) == [
        "KS2 reading, writing and maths: expected standard (%)",
        "KS4 Progress 8",
        "Persistent absence (%)",
    ]
    assert (
        '<td class="govuk-table__cell">-0.12</td><td class="govuk-table__cell">-0.05</td><td class="govuk-table__cell">0.02</td>'
        in table
    )
    assert not GRADE_WORDS.search(table)
    assert "Peak Edge" not in table and "27.5" not in table  # another trust's figures
    assert sign_in(MARCUS).get(f"/trusts/{steel}").status_code == 403
