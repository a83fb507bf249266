"""Frameworks and partnerships: the bundled files load, and every kind of bad input gets one clear message."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from peer_review.errors import UserError
from peer_review.files.frameworks import bundled_frameworks, load_framework_file
from peer_review.files.partnerships import load_partnership_file

from helpers import EXAMPLE, run_cli

REPO = Path(__file__).resolve().parent.parent


def test_bundled_frameworks_have_what_the_pilot_needs():
    frameworks = {fid: load_framework_file(path) for fid, path in bundled_frameworks().items()}
    sheffield = frameworks["learn-sheffield-trust-review"]
    assert len(sheffield.strands) == 4
    covered = {area for strand in sheffield.strands for area in strand.areas}
    assert covered == {
        "high-quality-inclusive-education",
        "school-improvement",
        "workforce",
        "finance-operations",
        "governance-leadership",
    }
    for strand in sheffield.strands:
        assert 4 <= len(strand.prompts) <= 6 and strand.description and strand.evidence
    assert len(frameworks["dfe-trust-quality"].strands) == 5


def test_example_partnership_loads_with_its_framework():
    loaded = load_partnership_file(EXAMPLE)
    assert [t.id for t in loaded.spec.trusts] == ["steel-valley", "don-river", "peak-edge"]
    assert loaded.framework.id == "learn-sheffield-trust-review"


def test_framework_path_is_resolved_against_the_partnership_folder(tmp_path):
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "mine.yaml").write_text((REPO / "frameworks" / "dfe-trust-quality.yaml").read_text())
    text = EXAMPLE.read_text().replace("framework: learn-sheffield-trust-review", "framework: fw/mine.yaml")
    text = _five_strand_orders(text)
    (tmp_path / "p.yaml").write_text(text)
    assert load_partnership_file(tmp_path / "p.yaml").framework.id == "dfe-trust-quality"


def _five_strand_orders(text: str) -> str:
    order = "[school-improvement, quality-inclusive-education, workforce, finance-operations, governance-leadership]"
    text = re.sub(r"strand_order: \[[^\]]*\]", "strand_order: " + order, text)
    text = text.replace("governance-leadership-operations", "governance-leadership")
    return text


# --- bad partnership files -----------------------------------------------------------------------

BAD_PARTNERSHIPS = {
    "yaml syntax": (
        lambda t: t.replace("cycle: {start: 2023-11-01, months: 24}", "cycle: {start: 2023-11-01, months: 24"),
        r"line \d+.*not valid YAML",
    ),
    "missing key": (
        lambda t: t.replace("    name: Don River Learning Partnership\n", ""),
        r"line 27 \(trusts\[1\]\.name\).*missing required key 'name'",
    ),
    "wrong type": (lambda t: t.replace("months: 24", "months: two years"), r"line 5 \(cycle\.months\).*valid integer"),
    "duplicate id": (
        lambda t: t.replace("id: peak-edge", "id: steel-valley"),
        r"line \d+ \(trusts\[2\]\.id\).*duplicate trust id 'steel-valley'",
    ),
    "unknown strand": (
        lambda t: t.replace("strand_order: [school-improvement, quality", "strand_order: [finance, quality", 1),
        r"trusts\[0\]\.strand_order\[0\].*unknown strand 'finance'.*valid strands: quality-inclusive-education",
    ),
    "missing strand": (
        lambda t: t.replace(", workforce, governance-leadership-operations]", ", governance-leadership-operations]", 1),
        r"trusts\[0\]\.strand_order\).*missing: workforce",
    ),
    "person in two trusts": (
        lambda t: t.replace("ravi.sood@peakedge.example.org", "tom.beckett@steelvalley.example.org").replace(
            "name: Ravi Sood", "name: Tom Beckett"
        ),
        r"trusts\[2\]\.reviewers\[2\]\.email.*tom.beckett@steelvalley.example.org is in trust 'peak-edge' and also in trust 'steel-valley'",
    ),
    "no moderator": (
        lambda t: re.sub(r"moderators:\n(  - .*\n)+", "moderators: []\n", t),
        r"line \d+ \(moderators\).*at least one moderator",
    ),
    "unknown framework": (
        lambda t: t.replace("framework: learn-sheffield-trust-review", "framework: no-such-framework"),
        r"line 4 \(framework\).*unknown framework 'no-such-framework'",
    ),
    "unknown conflict": (
        lambda t: t.replace(
            "    strand_order: [quality-inclusive-education, workforce,",
            "    conflicts: [nowhere]\n    strand_order: [quality-inclusive-education, workforce,",
        ),
        r"conflicts\[0\].*unknown trust 'nowhere'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_PARTNERSHIPS))
def test_bad_partnership_exits_non_zero_with_one_clear_message_and_writes_nothing(case, tmp_path):
    mutate, expected = BAD_PARTNERSHIPS[case]
    text = EXAMPLE.read_text()
    bad = mutate(text)
    assert bad != text, "the mutation must change the file"
    path = tmp_path / "partnership.yaml"
    path.write_text(bad)
    database = tmp_path / "peer-review.db"
    result = run_cli(
        "partnership", "load", path, cwd=tmp_path, env={"PEER_REVIEW_DATABASE_URL": f"sqlite:///{database}"}
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert str(path) in message
    assert re.search(expected, message), message
    assert not database.exists() or _partnerships(database) == 0


def _partnerships(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("select count(*) from partnership").fetchone()[0]


BAD_FRAMEWORKS = {
    "duplicate strand id": (
        lambda t: t.replace("  - id: workforce\n", "  - id: school-improvement\n"),
        r"strands\[2\]\.id.*duplicate strand id 'school-improvement'",
    ),
    "unknown area": (lambda t: t.replace("areas: [workforce]", "areas: [happiness]"), r"strands\[2\]\.areas\[0\]"),
    "missing prompts": (
        lambda t: t.replace(
            "    prompts:\n      - How does the trust recruit and retain teachers",
            "    prompt_list:\n      - How does the trust recruit and retain teachers",
        ),
        r"unknown key 'prompt_list'|missing required key 'prompts'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FRAMEWORKS))
def test_bad_framework_names_file_line_and_problem(case, tmp_path):
    mutate, expected = BAD_FRAMEWORKS[case]
    path = tmp_path / "framework.yaml"
    path.write_text(mutate((REPO / "frameworks" / "learn-sheffield-trust-review.yaml").read_text()))
    with pytest.raises(UserError) as error:
        load_framework_file(path)
    assert str(path) in str(error.value) and re.search(r"line \d+", str(error.value))
    assert re.search(expected, str(error.value)), str(error.value)


def test_framework_validate_command(tmp_path):
    ok = run_cli("framework", "validate", REPO / "frameworks" / "dfe-trust-quality.yaml")
    assert ok.returncode == 0 and "5 strands" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n")
    result = run_cli("framework", "validate", bad)
    assert result.returncode == 2 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr
