"""The stakeholder survey: questionnaires checked like frameworks, rounds sent to every group as
invitations with reminders, answered on the command line, and reported by group with the change from
the baseline, groups of fewer than three withheld."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path
from statistics import mean

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain.surveys import SurveyRound
from peer_review.errors import UserError
from peer_review.files.partnerships import load_partnership_file
from peer_review.files.questionnaires import (
    load_questionnaire_file,
    resolve_questionnaire,
)
from peer_review.service import loading, roster, surveys
from peer_review.service.reminders import sweep
from peer_review.store import db
from peer_review.store.people import get_partnership
from peer_review.store.tables import (
    OutboxMessage,
    Person,
    SurveyAnswer,
    SurveyInvitation,
)

from helpers import EXAMPLE, plan_and_publish, run_cli

COORDINATOR = "ruth.ashby@coordinator.example.org"
CEO = "helen.marsh@steelvalley.example.org"
TRUSTEE = "grace.adebayo@steelvalley.example.org"
START = dt.date(2023, 11, 1)


@pytest.fixture(autouse=True)
def _real_time_afterwards():
    yield
    clock.set_time(None)


@pytest.fixture
def triad(database_url):
    clock.set_time(clock.at_london(START, 9))
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)
    return database_url


def _open(round_: SurveyRound = SurveyRound.BASELINE, **kw) -> surveys.Opened:
    with db.session_scope() as session:
        return surveys.open_round(session, get_partnership(session, None), round_, **kw)


def _invitations() -> dict[str, SurveyInvitation]:
    with db.session_scope() as session:
        rows = session.exec(
            select(SurveyInvitation, Person).join(Person, Person.id == SurveyInvitation.person_id)
        ).all()
        return {p.email: i for i, p in rows}


def test_the_bundled_questionnaire_is_valid_and_a_bad_one_names_its_line(tmp_path):
    q = resolve_questionnaire("stakeholder-views")
    assert [t.title for t in q.themes] == [
        "Being accountable rather than held to account",
        "Confidence in self-evaluation",
        "The value of peer challenge",
    ]
    text = Path(resolve_questionnaire.__globals__["bundled_questionnaires"]()["stakeholder-views"]).read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("id: accountable-to-peers", "id: own-our-accountability"))
    with pytest.raises(UserError) as refused:
        load_questionnaire_file(bad)
    assert "bad.yaml" in str(refused.value) and "line" in str(refused.value) and "used twice" in str(refused.value)
    short = tmp_path / "short.yaml"
    short.write_text(text.replace("  - Strongly agree\n", ""))
    result = run_cli("survey", "validate", short)
    assert result.returncode == 2 and "short.yaml" in result.stderr and "scale" in result.stderr
    assert run_cli("survey", "validate", bad).returncode == 2
    assert (
        run_cli(
            "survey",
            "validate",
            Path(resolve_questionnaire.__globals__["bundled_questionnaires"]()["stakeholder-views"]),
        ).returncode
        == 0
    )


@pytest.mark.db
def test_a_round_asks_every_group_once_by_email_and_only_the_coordinator_opens_it(triad):
    opened = _open()
    invitations = _invitations()
    groups = defaultdict(int)
    for invitation in invitations.values():
        groups[invitation.group] += 1
    assert dict(groups) == {"Coordinator": 1, "Moderators": 2, "Trust CEOs": 3, "Peer reviewers": 9, "Trustees": 3}
    assert opened.invited == 18 and opened.due == START + dt.timedelta(weeks=3)
    assert invitations[TRUSTEE].group == "Trustees"
    with db.session_scope() as session:
        emails = session.exec(select(OutboxMessage.recipient).where(OutboxMessage.event == "survey_invitation")).all()
    assert sorted(emails) == sorted(invitations)
    with pytest.raises(UserError, match="each round is asked once"):
        _open()
    with pytest.raises(UserError, match="only the partnership's coordinator"):
        _open(SurveyRound.END, actor_email=CEO)
    with pytest.raises(UserError, match="same questionnaire"):
        _open(SurveyRound.END, questionnaire_ref=str(_edited_questionnaire()))
    assert _open(SurveyRound.END).invited == 18  # the baseline's questionnaire again


def _edited_questionnaire() -> Path:
    import tempfile

    from peer_review.files.questionnaires import bundled_questionnaires

    path = Path(tempfile.mkdtemp()) / "other.yaml"
    path.write_text(
        bundled_questionnaires()["stakeholder-views"].read_text().replace('version: "2026.11"', 'version: "2027.01"')
    )
    return path


@pytest.mark.db
def test_people_who_left_are_not_asked(triad, tmp_path):
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        EXAMPLE.read_text().replace(
            "  - {name: Grace Adebayo, email: grace.adebayo@steelvalley.example.org, group: Trustees}\n", ""
        )
    )
    with db.session_scope() as session:
        roster.update_partnership(session, load_partnership_file(edited))
    _open()
    assert TRUSTEE not in _invitations() and len(_invitations()) == 17


@pytest.mark.db
def test_answers_only_from_the_invitee_once_and_checked_against_the_questionnaire(triad, tmp_path):
    clock.set_time(None)  # the round opens today, so the command line (in real time) finds it open
    _open()
    invitation = _invitations()[CEO]
    statements = list(resolve_questionnaire("stakeholder-views").statements)
    good = {
        "statements": {s: (n % 5) + 1 for n, s in enumerate(statements)} | {statements[0]: None},
        "open_questions": {"most-useful": "<b>{{ 7*7 }}</b> =1+1"},
    }
    for who, data, problem in [
        (COORDINATOR, good, "sent to someone else"),
        (TRUSTEE, good, "sent to someone else"),
        (CEO, {"statements": {**good["statements"], statements[1]: 6}}, "less than or equal to 5"),
        (CEO, {"statements": {**good["statements"], "made-up": 3}}, "made-up is not in this questionnaire"),
        (CEO, {"statements": {s: 3 for s in statements[1:]}}, f"missing: {statements[0]}"),
        (CEO, ["not", "a", "mapping"], "must be a mapping"),
    ]:
        with pytest.raises(UserError, match=problem):
            with db.session_scope() as session:
                surveys.answer(session, invitation.id, data, who)
    with db.session_scope() as session:
        assert session.exec(select(SurveyAnswer)).all() == []
        surveys.answer(session, invitation.id, good, CEO.upper())
    with db.session_scope() as session:
        stored = {
            a.item: (a.value, a.text)
            for a in session.exec(select(SurveyAnswer).where(SurveyAnswer.invitation_id == invitation.id))
        }
    assert stored == {s: (v, "") for s, v in good["statements"].items()} | {
        "most-useful": (None, "<b>{{ 7*7 }}</b> =1+1")
    }
    with pytest.raises(UserError, match="already answered"):
        with db.session_scope() as session:
            surveys.answer(session, invitation.id, good, CEO)

    # on the command line: the template answers as it stands (all blank), and an error names the file and line
    env = {"PEER_REVIEW_DATABASE_URL": triad}
    other = _invitations()["owen.fletcher@donriver.example.org"]
    template = run_cli("survey", "template", other.id, env=env)
    assert template.returncode == 0 and "Strongly agree" in template.stdout
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(template.stdout.replace('"challenge-improves": null', '"challenge-improves": 7'))
    refused = run_cli("survey", "answer", other.id, wrong, "--as", "owen.fletcher@donriver.example.org", env=env)
    line = next(
        n
        for n, text in enumerate(wrong.read_text().splitlines(), start=1)
        if "challenge-improves" in text and not text.lstrip().startswith("#")
    )
    assert refused.returncode == 2 and f"wrong.yaml, line {line}" in refused.stderr
    blank = tmp_path / "blank.yaml"
    blank.write_text(template.stdout)
    assert (
        run_cli("survey", "answer", other.id, blank, "--as", "owen.fletcher@donriver.example.org", env=env).returncode
        == 0
    )
    listed = run_cli("tasks", "--person", "sian.pryce@donriver.example.org", env=env | {"COLUMNS": "200"})
    assert "Surveys to answer" in listed.stdout and "Your views of moderated peer review" in listed.stdout


@pytest.mark.db
def test_reminders_come_before_the_due_date_and_never_after_it(triad):
    opened = _open()
    with db.session_scope() as session:
        surveys.answer(
            session,
            _invitations()[CEO].id,
            {"statements": {s: 3 for s in resolve_questionnaire("stakeholder-views").statements}},
            CEO,
        )
    for day in (
        opened.due - dt.timedelta(days=2),
        opened.due + dt.timedelta(days=1),
        opened.due + dt.timedelta(days=10),
        opened.due + dt.timedelta(days=40),
    ):
        with clock.frozen_at(clock.at_london(day, 7)):
            with db.session_scope() as session:
                sweep(session)
    with db.session_scope() as session:
        reminded = session.exec(
            select(OutboxMessage.recipient, OutboxMessage.key).where(OutboxMessage.event == "survey_reminder")
        ).all()
        escalated = session.exec(select(OutboxMessage).where(OutboxMessage.event == "escalation")).all()
    assert CEO not in {r for r, _ in reminded}
    assert len(reminded) == 17  # everyone else, two days before the due date; none after it: the round has closed
    assert escalated == []  # forty days late, when a task would be escalated to the coordinator, nobody is told


@pytest.mark.db
def test_results_by_group_and_theme_equal_a_count_made_here_and_small_groups_are_withheld(triad, tmp_path):
    q = resolve_questionnaire("stakeholder-views")
    given: dict[tuple[str, str], dict[str, dict[str, int | None]]] = {}  # (round, email) -> statements
    for n_round, round_ in enumerate((SurveyRound.BASELINE, SurveyRound.END)):
        _open(round_)
        for email, invitation in _invitations().items():
            if invitation.status != "open" or email == "joe.hartley@peakedge.example.org":  # one reviewer never answers
                continue
            seed = sum(map(ord, email))
            values = {
                s: (None if (seed + k) % 7 == 0 else 1 + (seed + k + n_round) % 5) for k, s in enumerate(q.statements)
            }
            with db.session_scope() as session:
                surveys.answer(session, invitation.id, {"statements": values}, email)
            given[(round_.value, email)] = values
    result = run_cli("evaluation", "--out", tmp_path, env={"PEER_REVIEW_DATABASE_URL": triad})
    assert result.returncode == 0, result.stderr
    groups = {email: i.group for email, i in _invitations().items()}
    expected = {}
    for round_ in ("baseline", "end"):
        for group in set(groups.values()):
            for theme in q.themes:
                per_person = []
                for (r, email), values in given.items():
                    answered = [values[s.id] for s in theme.statements if values[s.id] is not None]
                    if r == round_ and groups[email] == group and answered:
                        per_person.append(mean(answered))
                expected[(round_, group, theme.title)] = (
                    len(per_person),
                    round(mean(per_person), 2) if len(per_person) >= 3 else None,
                )
    rows = list(csv.DictReader(io.StringIO((tmp_path / "survey.csv").read_text())))
    assert {(r["round"], r["group"], r["theme"]) for r in rows} == set(expected)
    for r in rows:
        people, want = expected[(r["round"], r["group"], r["theme"])]
        if want is None:
            assert r["mean"] == r["people"] == "" and r["withheld"], r
        else:
            assert (int(r["people"]), float(r["mean"])) == (people, want), r
            if r["round"] == "end" and expected[("baseline", r["group"], r["theme"])][1] is not None:
                assert float(r["change_from_baseline"]) == round(
                    want - expected[("baseline", r["group"], r["theme"])][1], 2
                )
    withheld = {r["group"] for r in rows if r["withheld"]}
    assert withheld == {"Coordinator", "Moderators"}
    responses = {
        (r["round"], r["group"]): r
        for r in csv.DictReader(io.StringIO((tmp_path / "survey_responses.csv").read_text()))
    }
    assert (
        responses[("end", "Peer reviewers")]["asked"] == "9" and responses[("end", "Peer reviewers")]["answered"] == "8"
    )
    assert responses[("end", "Moderators")]["answered"] == "fewer than 3"

    import docx

    document = docx.Document(str(tmp_path / "evaluation.docx"))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Group", "Theme"])
    for row in table.rows[1:]:
        group, theme, baseline, end, change = (c.text for c in row.cells)
        for round_, shown in (("baseline", baseline), ("end", end)):
            want = expected[(round_, group, theme)][1]
            assert shown == ("withheld" if want is None else f"{want:.2f}"), (group, theme, round_)
    assert "<b>" not in "".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )  # open answers are never reported


def test_respondents_in_the_partnership_file_are_checked_and_can_join_mid_cycle(tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    text = EXAMPLE.read_text()
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("group: Trustees}", "group: Trustees, trust: nowhere}", 1))
    refused = run_cli("partnership", "load", unknown, env=env)
    line = next(n for n, t in enumerate(unknown.read_text().splitlines(), start=1) if "trust: nowhere" in t)
    assert (
        refused.returncode == 2
        and f"unknown.yaml, line {line} (respondents[0].trust)" in refused.stderr
        and "steel-valley" in refused.stderr
    )
    assert run_cli("partnership", "load", EXAMPLE, env=env).returncode == 0
    joined = tmp_path / "joined.yaml"
    joined.write_text(
        text.replace(
            "respondents:\n",
            "respondents:\n  - {name: New Trustee, email: new.trustee@example.org, group: Trustees, trust: don-river}\n",
        )
    )
    update = run_cli("partnership", "load", joined, "--update", env=env | {"COLUMNS": "300"})
    assert update.returncode == 0, update.stderr
    assert (
        "New Trustee <new.trustee@example.org> joins Don River Learning Partnership as a survey respondent (Trustees)"
        in update.stdout
    )


@pytest.mark.db
def test_a_round_takes_answers_until_it_closes_and_publishes_its_results_only_then(triad):
    """Figures that moved with each answer would give it away: four people's mean minus three people's."""
    from peer_review.service.evaluation import evaluate, sections

    opened = _open()
    statements = list(resolve_questionnaire("stakeholder-views").statements)
    reviewers = [email for email, i in _invitations().items() if i.group == "Peer reviewers"]
    for email in reviewers[:4]:
        with db.session_scope() as session:
            surveys.answer(session, _invitations()[email].id, {"statements": {s: 4 for s in statements}}, email)
    with db.session_scope() as session:
        while_open = evaluate(session, get_partnership(session, None))
        text = str(sections(while_open))
    assert while_open.surveys.rounds == [] and while_open.surveys.themes == []
    assert "is open until" in text and "4.00" not in text
    with clock.frozen_at(clock.at_london(opened.due + dt.timedelta(days=1), 9)):
        with pytest.raises(UserError, match="closed on"):
            with db.session_scope() as session:
                surveys.answer(
                    session, _invitations()[reviewers[4]].id, {"statements": {s: 1 for s in statements}}, reviewers[4]
                )
        with db.session_scope() as session:
            assert surveys.open_invitations(session, reviewers) == []
            closed = evaluate(session, get_partnership(session, None))
        peers = [r for r in closed.surveys.themes if r.group == "Peer reviewers"]
        assert peers and all(r.answers.respondents == 4 and r.answers.mean == 4.0 for r in peers)


@pytest.mark.db
def test_rounds_go_in_order_and_keep_the_first_rounds_questionnaire(triad):
    _open(SurveyRound.MID_CYCLE)
    with pytest.raises(UserError, match="already open; rounds go in order"):
        _open(SurveyRound.BASELINE)
    with pytest.raises(
        UserError, match="the mid-cycle round asked 'stakeholder-views'.*must ask the same questionnaire"
    ):
        _open(SurveyRound.END, questionnaire_ref=str(_edited_questionnaire()))
    _open(SurveyRound.END)
    with pytest.raises(UserError, match="already open; rounds go in order"):
        _open(SurveyRound.BASELINE)


def test_respondent_groups_and_theme_titles_that_would_merge_results_are_refused(tmp_path):
    from peer_review.files.questionnaires import bundled_questionnaires

    merged = tmp_path / "merged.yaml"
    merged.write_text(EXAMPLE.read_text().replace("group: Trustees}", "group: moderators}", 1))
    refused = run_cli("partnership", "load", merged, env={"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert (
        refused.returncode == 2
        and "respondents[0].group" in refused.stderr
        and "a group of their own" in refused.stderr
    )
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        bundled_questionnaires()["stakeholder-views"]
        .read_text()
        .replace("title: Confidence in self-evaluation", "title: Being accountable rather than held to account")
    )
    with pytest.raises(UserError, match="theme title .* is used twice"):
        load_questionnaire_file(twice)


@pytest.mark.db
def test_a_dollar_sign_in_a_group_or_strand_is_drawn_as_typed(database_url, tmp_path):
    from peer_review.adapters.charts import figure, svg
    from peer_review.service.evaluation import charts, evaluate

    odd = tmp_path / "odd.yaml"
    odd.write_text(EXAMPLE.read_text().replace("group: Trustees}", "group: 'Trustees $\\bogus$ {{ x }}'}"))
    with clock.frozen_at(clock.at_london(START, 9)):
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(odd))
            plan_and_publish(session, None)
    statements = list(resolve_questionnaire("stakeholder-views").statements)
    for n, round_ in enumerate((SurveyRound.BASELINE, SurveyRound.END)):
        with clock.frozen_at(clock.at_london(START + dt.timedelta(days=40 * n), 9)):
            _open(round_)
            for email, invitation in _invitations().items():
                if invitation.status == "open" and invitation.due > clock.today():
                    with db.session_scope() as session:
                        surveys.answer(session, invitation.id, {"statements": {s: 2 + n for s in statements}}, email)
    with db.session_scope() as session:
        drawn = svg(figure(charts(evaluate(session, get_partnership(session, None)))["survey_change"]), "alt")
    assert "Trustees $\\bogus$ {{ x }}" in drawn.replace("&#x27;", "'")


def test_a_pilot_stopped_part_way_opens_no_end_of_cycle_survey_and_loads_no_later_review(database_url):
    """`demo --until`: the participants stop, mid-cycle; nothing that belongs to the cycle's end happens."""
    from peer_review.demo.simulation import simulate_pilot
    from peer_review.service import sweep as engine
    from peer_review.store.tables import ExternalReview, Review
    from peer_review.store.tables import SurveyRound as SurveyRoundRow

    simulate_pilot(
        load_partnership_file(EXAMPLE), lambda name: engine.sweep(db.session_scope, name), until=dt.date(2024, 6, 1)
    )
    with db.session_scope() as session:
        assert [r.round for r in session.exec(select(SurveyRoundRow))] == [SurveyRound.BASELINE.value]
        assert session.exec(select(ExternalReview)).all() == []
        stages = set(session.exec(select(Review.stage)).all())
    assert "closed" in stages and len(stages) > 1  # part-way: some reviews done, others not
    clock.set_time(None)
