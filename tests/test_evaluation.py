"""The evaluation of a finished cycle: every figure in evaluation.docx, the CSVs and the web page equals a count
made here independently, in SQL, from the records; small groups are withheld; no output grades anyone."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import docx
import pytest
from sqlalchemy import text

from peer_review.domain.evaluation import GRADE_WORDS, find_grade_words
from peer_review.store import db

from helpers import run_cli, run_whole_cycle, sign_in

COORDINATOR = "ruth.ashby@coordinator.example.org"
ALIGNMENTS = ("aligned", "partly_aligned", "not_aligned")


@pytest.fixture
def triad(finished_triad, tmp_path):
    """A copy of the finished triad, configured as the database."""
    path = tmp_path / "triad.db"
    shutil.copy(finished_triad, path)
    db.dispose_all()
    db.configure(f"sqlite:///{path}")
    yield f"sqlite:///{path}"
    db.configure(None)
    db.dispose_all()


def _sql(query: str) -> list:
    with db.get_engine().connect() as connection:
        return connection.execute(text(query)).all()


def _standing() -> list:
    """Each judged line's standing judgement (its latest round), with its review's trust, strand and place in
    the trust's cycle: straight from the tables."""
    return _sql("""
        WITH ordered AS (
            SELECT r.id, t.name AS trust, r.strand_title AS strand,
                   ROW_NUMBER() OVER (PARTITION BY r.host_trust_id ORDER BY r.visit_start, r.id) AS n
            FROM review r JOIN trust t ON t.id = r.host_trust_id WHERE r.stage <> 'cancelled'
        )
        SELECT o.id, o.trust, o.strand, o.n, j.line_number, j.alignment FROM selfevaluationjudgement j JOIN ordered o ON o.id = j.review_id
        WHERE j.round = (SELECT MAX(k.round) FROM selfevaluationjudgement k WHERE k.review_id = j.review_id AND k.line_number = j.line_number)
    """)


def _counts(rows, key) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        out[key(row)][row.alignment] += 1
    return out


def _tables(path: Path) -> dict[str, list[list[str]]]:
    """The first table under each heading of the Word report."""
    document = docx.Document(str(path))
    found, heading = {}, ""
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(child, document)
            if paragraph.style.name.startswith("Heading") and paragraph.text.strip():
                heading = paragraph.text.strip()
        elif tag == "tbl":
            table = docx.table.Table(child, document)
            found.setdefault(heading, [[cell.text for cell in row.cells] for row in table.rows])
    return found


def _all_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _check_tally(table: list[list[str]], expected: dict[str, Counter]) -> None:
    header, *rows = table
    assert header == ["Group", "Lines judged", "Matched", "Partly matched", "Did not match", "Share matched"]
    assert {row[0] for row in rows} == set(expected)
    for group, lines, *counts, share in rows:
        want = expected[group]
        assert [int(lines), *map(int, counts)] == [sum(want.values()), *(want[a] for a in ALIGNMENTS)], group
        assert share == f"{round(100 * want['aligned'] / sum(want.values()))}%", group


def test_every_figure_in_the_report_and_csvs_equals_an_independent_count(triad, tmp_path):
    result = run_cli("evaluation", "--out", tmp_path / "out", env={"PEER_REVIEW_DATABASE_URL": triad})
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    standing = _standing()
    assert len(standing) == 36  # 12 reviews x 3 lines: the simulated host proposes three

    tables = _tables(out / "evaluation.docx")
    _check_tally(tables["By strand"], _counts(standing, lambda r: r.strand))
    _check_tally(tables["By trust"], _counts(standing, lambda r: r.trust))
    _check_tally(tables["By review"], _counts(standing, lambda r: f"Review {r.id}: {r.trust}, {r.strand}"))
    _check_tally(tables["Through the cycle"], _counts(standing, lambda r: f"Review {r.n} of each trust"))
    overall = Counter(r.alignment for r in standing)
    paragraphs = _all_text(out / "evaluation.docx")
    assert (
        f"judged {len(standing)} lines of enquiry: the self-evaluation matched the evidence for {overall['aligned']} "
        in paragraphs
    )

    first_later = {row[0]: row for row in tables["Each trust’s first review against its later ones"][1:]}
    for trust in {r.trust for r in standing}:
        first = [r for r in standing if r.trust == trust and r.n == 1]
        later = [r for r in standing if r.trust == trust and r.n > 1]
        share = lambda rows: sum(r.alignment == "aligned" for r in rows) / len(rows)  # noqa: E731
        assert first_later[trust][1:] == [
            str(len(first)),
            f"{round(100 * share(first))}%",
            str(len(later)),
            f"{round(100 * share(later))}%",
            f"{100 * (share(later) - share(first)):+.0f}",
        ]

    changed = _sql("""
        SELECT a.review_id, a.line_number, a.alignment, b.alignment FROM selfevaluationjudgement a JOIN selfevaluationjudgement b
        ON b.review_id = a.review_id AND b.line_number = a.line_number
        AND b.round = (SELECT MIN(c.round) FROM selfevaluationjudgement c WHERE c.review_id = a.review_id AND c.line_number = a.line_number AND c.round > a.round)
        WHERE a.alignment <> b.alignment
    """)
    assert changed, "the simulated moderator changes a judgement in a later round"
    assert len(tables["Judgements changed in moderation"]) == 1 + len(changed)
    assert {(int(row[0]), row[3].split(".")[0]) for row in tables["Judgements changed in moderation"][1:]} == {
        (r[0], str(r[1])) for r in changed
    }

    # alignment.csv: one row per judged line, the standing judgement and its round
    rows = list(csv.DictReader(io.StringIO((out / "alignment.csv").read_text())))
    assert {"review_id", "trust", "strand", "line", "alignment", "round"} <= set(rows[0])
    got = sorted((int(r["review_id"]), int(r["line"]), r["alignment"]) for r in rows)
    assert got == sorted((r.id, r.line_number, r.alignment) for r in standing)
    rounds = {
        (r[0], r[1]): r[2]
        for r in _sql(
            "SELECT review_id, line_number, MAX(round) FROM selfevaluationjudgement GROUP BY review_id, line_number"
        )
    }
    assert all(int(r["round"]) == rounds[(int(r["review_id"]), int(r["line"]))] for r in rows)
    assert (
        len(list(csv.DictReader(io.StringIO((out / "alignment_rounds.csv").read_text()))))
        == _sql("SELECT COUNT(*) FROM selfevaluationjudgement")[0][0]
    )
    summary = {
        (r["breakdown"], r["group"]): r
        for r in csv.DictReader(io.StringIO((out / "alignment_summary.csv").read_text()))
    }
    for strand, counts in _counts(standing, lambda r: r.strand).items():
        assert [int(summary[("strand", strand)][a]) for a in ALIGNMENTS] == [counts[a] for a in ALIGNMENTS]


def test_feedback_is_shown_by_group_and_small_groups_are_withheld_everywhere(triad, tmp_path):
    result = run_cli("evaluation", "--out", tmp_path, env={"PEER_REVIEW_DATABASE_URL": triad})
    assert result.returncode == 0, result.stderr
    people = dict(_sql("SELECT role, COUNT(DISTINCT person_id) FROM feedbackresponse GROUP BY role"))
    averages = {
        role: (float(a), float(b), float(c))
        for role, a, b, c in _sql(  # each person's answers averaged, then the group's
            "SELECT role, AVG(a), AVG(b), AVG(c) FROM (SELECT role, person_id, AVG(helped_us_improve) AS a, AVG(fair_and_accurate) AS b, "
            "AVG(CASE WHEN would_take_part_again THEN 1.0 ELSE 0.0 END) AS c FROM feedbackresponse GROUP BY role, person_id) AS per_person GROUP BY role"
        )
    }
    means = {role: round(values[0], 2) for role, values in averages.items()}
    assert people["moderator"] < 3 <= people["peer"]  # the triad has two moderators: their group is withheld

    table = _tables(tmp_path / "evaluation.docx")["What participants said after each review"]
    by_group = {(row[0], row[1]): row[2:] for row in table[1:]}
    for role, group in (("peer", "Peer reviewers"), ("host", "Host trust CEOs")):
        improve, fair, again = averages[role]
        assert by_group[(group, "The review will help us improve")] == [str(people[role]), f"{round(improve, 2):.2f}"]
        assert by_group[(group, "The review gave a fair and accurate account")] == [
            str(people[role]),
            f"{round(fair, 2):.2f}",
        ]
        assert by_group[(group, "Would take part again (share saying yes)")] == [
            str(people[role]),
            f"{round(100 * round(again, 2))}%",
        ]
    for question in (
        "The review will help us improve",
        "The review gave a fair and accurate account",
        "Would take part again (share saying yes)",
    ):
        assert by_group[("Moderators", question)] == ["fewer than 3", "withheld"]
    feedback = [
        r for r in csv.DictReader(io.StringIO((tmp_path / "feedback.csv").read_text())) if r["group"] == "Moderators"
    ]
    assert len(feedback) == 3 and all(r["people"] == r["mean"] == "" and r["withheld"] for r in feedback)

    browser = sign_in(COORDINATOR)
    page = browser.get("/partnerships/1/evaluation")
    assert page.status_code == 200
    assert (
        page.text.count("withheld") >= 3
        and f"{means['moderator']:.2f}" not in page.text.split("Moderators", 1)[1][:400]
    )


def test_no_output_uses_a_grade_word_and_every_output_names_every_trust_and_strand(triad, tmp_path):
    assert run_cli("evaluation", "--out", tmp_path, env={"PEER_REVIEW_DATABASE_URL": triad}).returncode == 0
    trusts = [name for (name,) in _sql("SELECT name FROM trust")]
    strands = [title for (title,) in _sql("SELECT DISTINCT strand_title FROM review")]
    report = _all_text(tmp_path / "evaluation.docx")
    browser = sign_in(COORDINATOR)
    page = browser.get("/partnerships/1/evaluation").text
    csvs = {path.name: path.read_text() for path in tmp_path.glob("*.csv")}
    for name, output in {"evaluation.docx": report, "web page": page, **csvs}.items():
        assert find_grade_words(output) == [], name
    for name in trusts + strands:
        assert (
            name in report and name in page and name in csvs["alignment.csv"] and name in csvs["alignment_summary.csv"]
        ), name
    assert find_grade_words("The trust was graded Outstanding (a RAG rating)") == [
        "outstanding",
        "graded",
        "rating",
        "rag",
    ]  # the check itself can fail
    assert find_grade_words("disparaged, underrated, scored") == []
    assert all(word == word.lower() for word in GRADE_WORDS)


def test_the_web_page_shows_the_charts_as_svg_with_the_data_as_tables(triad):
    browser = sign_in(COORDINATOR)
    page = browser.get("/partnerships/1/evaluation").text
    for chart in ("by_strand", "over_time"):
        assert f'src="/partnerships/1/evaluation/{chart}.svg"' in page
        svg = browser.get(f"/partnerships/1/evaluation/{chart}.svg")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.startswith("<svg") and "<script" not in svg.text and "<title>" in svg.text
        assert (
            "script-src" not in svg.headers["content-security-policy"]
            and "default-src 'none'" in svg.headers["content-security-policy"]
        )
    assert browser.get("/partnerships/1/evaluation/nothing.svg").status_code == 404
    assert browser.get("/partnerships/1/evaluation/../status.csv.csv").status_code == 404
    word = browser.get("/partnerships/1/evaluation.docx")
    assert word.status_code == 200 and "How accurate was self-evaluation?" in _all_text(_saved(word.content))


def _saved(content: bytes) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "evaluation.docx"
    path.write_bytes(content)
    return path


def test_hostile_names_stay_text_in_every_output(triad, tmp_path):
    hostile = '=HYPERLINK("http://x") <script>alert(1)</script> {{ 7*7 }} [bold]x[/]'
    with db.get_engine().begin() as connection:
        connection.execute(text("UPDATE trust SET name = :name WHERE key = 'steel-valley'"), {"name": hostile})
        connection.execute(text("UPDATE selfevaluationjudgement SET comment = :c"), {"c": "@SUM(A1) " + hostile})
    result = run_cli("evaluation", "--out", tmp_path, env={"PEER_REVIEW_DATABASE_URL": triad})
    assert result.returncode == 0, result.stderr
    assert hostile in _all_text(tmp_path / "evaluation.docx")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "alignment.csv").read_text())))
    assert {r["trust_name"] for r in rows if r["trust"] == "steel-valley"} == {"'" + hostile}
    assert all(r["comment"].startswith("'@SUM") for r in rows)
    page = sign_in(COORDINATOR).get("/partnerships/1/evaluation").text
    assert (
        "<script>alert(1)</script>" not in page
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        and "{{ 7*7 }}" in page
    )


@pytest.mark.postgresql_only
def test_postgresql_gives_the_same_evaluation_as_sqlite(database_url, finished_triad):
    """The whole cycle again on PostgreSQL: the same records make the same CSVs as on SQLite (the reference)."""
    from peer_review.service.evaluation import csv_files, evaluate
    from peer_review.store.people import get_partnership

    name = run_whole_cycle()
    with db.session_scope() as session:
        here = csv_files(evaluate(session, get_partnership(session, name)))
    db.dispose_all()
    db.configure(f"sqlite:///{finished_triad}")
    with db.session_scope() as session:
        reference = csv_files(evaluate(session, get_partnership(session, name)))
    db.dispose_all()
    assert here == reference


def test_follow_up_and_headline_figures_in_the_report_equal_the_records(triad, tmp_path):
    assert run_cli("evaluation", "--out", tmp_path, env={"PEER_REVIEW_DATABASE_URL": triad}).returncode == 0
    tables = _tables(tmp_path / "evaluation.docx")
    latest = _sql("""
        SELECT t.name, a.id, (SELECT p.status FROM actionprogress p WHERE p.action_id = a.id ORDER BY p.recorded_at DESC, p.id DESC LIMIT 1)
        FROM developmentaction a JOIN trust t ON t.id = a.trust_id
    """)
    assert latest, "the simulated reports name areas for development"
    expected: dict[str, Counter] = defaultdict(Counter)
    for trust, _id, status in latest:
        expected[trust][status or "none"] += 1
    header, *rows = tables["Following up areas for development"]
    assert header == ["Trust", "Areas for development", "Done", "Under way", "Not started", "No progress recorded yet"]
    assert {row[0]: [int(n) for n in row[1:]] for row in rows} == {
        trust: [sum(c.values()), c["done"], c["under_way"], c["not_started"], c["none"]]
        for trust, c in expected.items()
    }
    actions = list(csv.DictReader(io.StringIO((tmp_path / "actions.csv").read_text())))
    assert sorted((int(r["action"][1:]), r["latest_status"]) for r in actions) == sorted(
        (i, s or "") for _t, i, s in latest
    )

    figures = _sql("SELECT t.name, f.measure, f.year, f.value FROM headlinefigure f JOIN trust t ON t.id = f.trust_id")
    for trust in {f[0] for f in figures}:
        header, *rows = tables[trust]
        shown = {(row[0], year): value for row in rows for year, value in zip(header[1:], row[1:]) if value != "-"}
        assert shown == {(m, y): v for t, m, y, v in figures if t == trust}, trust


def test_the_external_review_comparison_in_the_report_is_the_one_the_command_line_prints(triad, tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": triad}
    assert run_cli("evaluation", "--out", tmp_path, env=env).returncode == 0
    printed = run_cli("external-review", "compare", "--json", env=env)
    assert printed.returncode == 0, printed.stderr
    [compared] = json.loads(printed.stdout)
    tables = _tables(tmp_path / "evaluation.docx")
    [heading] = [h for h in tables if h.startswith(f"{compared['trust_name']}: external review by")]
    rows = {row[0]: row[1:5] for row in tables[heading][1:]}
    assert rows == {
        s["strand_title"]: [
            s["covered_by"],
            str(len(s["matched"])),
            str(len(s["only_external"])),
            str(len(s["only_peer"])),
        ]
        for s in compared["strands"]
    }
    found = list(csv.DictReader(io.StringIO((tmp_path / "external_comparison.csv").read_text())))
    assert sum(r["found_by"] == "both" for r in found) == sum(len(s["matched"]) for s in compared["strands"])
    assert sum(r["found_by"] == "external review only" for r in found) == sum(
        len(s["only_external"]) for s in compared["strands"]
    )


@pytest.mark.db
def test_feedback_is_published_only_when_every_review_has_closed(planned):
    """Feedback arrives review by review: figures that moved with each answer would give it away."""
    from peer_review.service.evaluation import evaluate, sections
    from peer_review.store.people import get_partnership

    with db.session_scope() as session:
        result = evaluate(session, get_partnership(session, None))
        text = str(sections(result))
    assert (
        result.feedback == [] and "published once every review of the cycle has closed (0 of 12 closed so far)" in text
    )


@pytest.mark.db
def test_an_external_review_dated_after_today_is_refused(planned, tmp_path):
    from peer_review.resources import example

    future = tmp_path / "future.yaml"
    future.write_text(
        example("external-review.yaml").read_text().replace("reviewed_on: 2024-06-12", "reviewed_on: 2099-06-12")
    )
    refused = run_cli("external-review", "load", future, env={"PEER_REVIEW_DATABASE_URL": planned})
    assert (
        refused.returncode == 2
        and "future.yaml" in refused.stderr
        and "(reviewed_on)" in refused.stderr
        and "after today" in refused.stderr
    )
