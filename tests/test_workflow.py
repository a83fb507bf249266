"""Submitting tasks through the service layer (no Prefect): what is accepted, what is refused, and that refusals write nothing."""

from __future__ import annotations

import pytest
import yaml
from sqlmodel import select

from peer_review.demo.simulation import answer
from peer_review.service import queries, workflow
from peer_review.service.kinds import yaml_template
from peer_review.store import db
from peer_review.store.records import team
from peer_review.store.tables import Assignment, AuditEntry, Person, Review, Task, Trust

from helpers import EXAMPLE, do, nobody_left_from_don_river, open_tasks, refused, respond, run_cli

pytestmark = pytest.mark.db

CEO = "helen.marsh@steelvalley.example.org"


@pytest.fixture
def triad(planned):
    """Review 1 with its team in place (everyone accepted), waiting for the host's lines of enquiry."""
    _until("propose_lines")
    return planned


def _until(kind: str) -> queries.TaskRow:
    for _ in range(30):
        tasks = open_tasks()
        match = [t for t in tasks if t.kind == kind]
        if match:
            return match[0]
        do(tasks[0])
    raise AssertionError(f"no {kind} task appeared")


def test_first_task_is_the_host_proposing_lines(triad):
    [task] = open_tasks()
    assert task.kind == "propose_lines" and task.assignee_email == CEO


def test_refusals_write_nothing(triad):
    [task] = open_tasks()
    good = {"lines": [{"title": "A", "self_evaluation": "B"}, {"title": "C", "self_evaluation": "D"}]}
    refused(999, good, CEO, "no task with id 999")
    refused(task.id, good, "tom.beckett@steelvalley.example.org", f"assigned to {CEO}")
    refused(task.id, good, "nobody@example.org", "not a person")
    refused(task.id, {"lines": good["lines"][:1]}, CEO, "at least 2 items")
    refused(
        task.id,
        {"lines": [{"title": "A"}, {"title": "C", "self_evaluation": "D"}]},
        CEO,
        "missing required key 'self_evaluation'",
    )
    refused(task.id, {"lines": good["lines"], "grade": "outstanding"}, CEO, "unknown key 'grade'")
    with db.session_scope() as session:
        workflow.submit(session, task.id, good, CEO)
    refused(task.id, good, CEO, "already done")


def test_coordinator_may_submit_on_behalf(triad):
    [task] = open_tasks()
    data = {"lines": [{"title": "A", "self_evaluation": "B"}, {"title": "C", "self_evaluation": "D"}]}
    with db.session_scope() as session:
        result = workflow.submit(session, task.id, data, "ruth.ashby@coordinator.example.org")
    assert result.outcome == "proposed"


def test_findings_must_cite_evidence_that_exists(triad):
    task = _until("record_findings")
    data = answer(_context(task.id))
    data["lines"][0]["strengths"][0]["evidence"] = ["E99"]
    refused(task.id, data, task.assignee_email, "E99 does not exist in this review's evidence index")


def test_moderator_sends_a_finding_back_and_a_new_round_follows(triad):
    task = _until("moderate")
    with db.session_scope() as session:
        context = queries.task_context(session, task.id)
        refs = [f.ref for f in context["findings"]]
    decisions = [{"finding": ref, "decision": "supported"} for ref in refs]
    decisions[0] = {"finding": refs[0], "decision": "needs_revision"}
    data = {"findings": decisions, "self_evaluation": answer(_context(task.id))["self_evaluation"]}
    refused(task.id, data, task.assignee_email, r"findings\[0\]\.reason: Enter why it needs revision")
    decisions[0]["reason"] = "Cite the outcome data."
    do(task)  # the simulated moderator sends the first finding back
    revise = [t for t in open_tasks() if t.kind == "revise_findings"]
    assert len(revise) == 1 and "F1" in revise[0].note
    do(revise[0])
    [second] = [t for t in open_tasks() if t.kind == "moderate"]
    assert second.round == 2
    assert [f.ref for f in _context(second.id)["findings"]] == ["F1"]


def _context(task_id: int) -> dict:
    with db.session_scope() as session:
        return queries.task_context(session, task_id)


def test_templates_are_valid_yaml_for_every_kind_met(triad):
    seen = set()
    for _ in range(40):
        tasks = open_tasks()
        if not tasks:
            break
        for task in tasks:
            if task.kind not in seen:
                seen.add(task.kind)
                text = yaml_template(_context(task.id))
                assert isinstance(yaml.safe_load(text), dict), text
                assert f"peer-review submit {task.id}" in text
        do(tasks[0])
    assert {
        "propose_lines",
        "agree_lines",
        "submit_evidence",
        "record_findings",
        "moderate",
        "revise_findings",
        "check_report",
        "issue_report",
        "give_feedback",
    } <= seen


def test_cli_submit_names_file_and_line(tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    assert run_cli("partnership", "load", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", "--publish", cwd=tmp_path, env=env).returncode == 0
    db.configure(env["PEER_REVIEW_DATABASE_URL"])
    try:
        workflow.advance_review(db.session_scope, 1)
        invitation = open_tasks(1)[0]
        decline = tmp_path / "decline.yaml"
        decline.write_text("response: decline\n")  # a check on the whole answer: a decline needs a reason
        refused = run_cli("submit", invitation.id, decline, "--as", invitation.assignee_email, cwd=tmp_path, env=env)
        assert refused.returncode == 2 and f"{decline}, line 1 (reason): Enter why you decline" in " ".join(
            refused.stderr.split()
        )
        task_id = str(_until("propose_lines").id)  # the team accept their places first
    finally:
        db.configure(None)
    template = run_cli("task", "template", task_id, cwd=tmp_path, env=env)
    assert template.returncode == 0
    answer_file = tmp_path / "answer.yaml"
    answer_file.write_text(template.stdout)  # self_evaluation left empty
    result = run_cli("submit", task_id, answer_file, "--as", CEO, cwd=tmp_path, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert str(answer_file) in message and "line 17 (lines[0].self_evaluation)" in message
    filled = template.stdout.replace('self_evaluation: ""', 'self_evaluation: "Strong & improving <mostly>"')
    answer_file.write_text(filled)
    ok = run_cli("submit", task_id, answer_file, "--as", CEO, cwd=tmp_path, env=env)
    assert ok.returncode == 0, ok.stderr
    tasks = run_cli("tasks", "--person", "daniel.okafor@coordinator.example.org", cwd=tmp_path, env=env)
    assert "Agree the lines" in tasks.stdout


def _team_emails(review_id: int = 1) -> set[str]:
    with db.session_scope() as session:
        peers, moderator = team(session, session.get(Review, review_id))
        return {p.email for p in peers} | {moderator.email}


def test_a_decline_brings_in_a_replacement_from_the_same_trust(planned):
    tasks = open_tasks()
    assert {t.kind for t in tasks} == {"respond_to_assignment"} and len(tasks) == 3
    peer = next(t for t in tasks if t.assignee_email.endswith("donriver.example.org"))
    refused(peer.id, {"response": "decline"}, peer.assignee_email, "reason: Enter why you decline")
    respond(peer, {"response": "decline", "reason": "Jury service"})
    team = _team_emails()
    assert peer.assignee_email not in team
    newcomer = next(e for e in team if e.endswith("donriver.example.org"))
    [ask] = [t for t in open_tasks() if t.assignee_email == newcomer]
    assert ask.kind == "respond_to_assignment"
    with db.session_scope() as session:
        assignment = session.exec(
            select(Assignment)
            .join(Person, Person.id == Assignment.person_id)
            .where(Person.email == newcomer, Assignment.review_id == 1)
        ).one()
        assert "replacing " + peer.assignee_email in assignment.reason


def test_when_nobody_is_free_the_coordinator_chooses_within_the_constraints(planned):
    choose = nobody_left_from_don_river()  # every other Don River reviewer declines in turn
    assert choose.assignee_email == "ruth.ashby@coordinator.example.org" and "nobody suitable is free" in choose.note
    coordinator = choose.assignee_email
    refused(
        choose.id, {"person": "megan.doyle@peakedge.example.org", "reason": "x"}, coordinator, "from the same trust"
    )
    refused(
        choose.id, {"person": "marcus.hale@donriver.example.org", "reason": "x"}, coordinator, "from the same trust"
    )
    refused(
        choose.id,
        {"person": "owen.fletcher@donriver.example.org", "reason": "x"},
        coordinator,
        "already on .* this review's team",
    )
    refused(choose.id, {"person": "nobody@example.org", "reason": "x"}, coordinator, "not a person in this partnership")
    refused(
        choose.id,
        {"person": "marcus.hale@donriver.example.org", "reason": "The CEO will come"},
        "owen.fletcher@donriver.example.org",
        "assigned to",
    )


def test_the_coordinator_can_add_a_new_reviewer_for_the_trust(planned):
    choose = nobody_left_from_don_river()
    coordinator = choose.assignee_email
    refused(
        choose.id,
        {"choice": "new", "new_person": {"name": "Owen", "email": "owen.fletcher@donriver.example.org"}, "reason": "x"},
        coordinator,
        "already in this partnership",
    )
    refused(
        choose.id,
        {"choice": "new", "new_person": {"name": "No Address", "email": "not-an-address"}, "reason": "x"},
        coordinator,
        "String should match pattern",
    )
    refused(choose.id, {"choice": "new", "reason": "x"}, coordinator, "new person's name and email")
    new = {"name": "Jo New", "email": "Jo.New@DonRiver.example.org", "job_title": "Head of School Improvement"}
    with db.session_scope() as session:
        workflow.submit(
            session,
            choose.id,
            {"choice": "new", "new_person": new, "reason": "Joined the trust in January"},
            coordinator,
        )
    with db.session_scope() as session:
        person = session.exec(select(Person).where(Person.email == "jo.new@donriver.example.org")).one()
        trust = session.get(Trust, person.trust_id)
        assert trust.key == "don-river" and person.is_reviewer and person.strands == ["school-improvement"]
        assert (
            session.exec(select(AuditEntry).where(AuditEntry.action == "person_added")).one().detail["person"]
            == "jo.new@donriver.example.org"
        )
    assert [t for t in open_tasks() if t.assignee_email == "jo.new@donriver.example.org"][
        0
    ].kind == "respond_to_assignment"


def test_the_coordinator_can_go_ahead_with_a_smaller_team(planned):
    choose = nobody_left_from_don_river()
    with db.session_scope() as session:
        workflow.submit(
            session,
            choose.id,
            {"choice": "without", "reason": "Don River has nobody free this term"},
            choose.assignee_email,
        )
    workflow.advance_review(db.session_scope, 1)
    with db.session_scope() as session:
        review = session.get(Review, 1)
        peers, moderator = team(session, review)
        assert [p.email for p in peers] == ["joe.hartley@peakedge.example.org"] and moderator is not None
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "team_reduced")).one()
        assert entry.detail["reason"] == "Don River has nobody free this term"


def _assignment(review_id: int, email: str) -> Assignment:
    with db.session_scope() as session:
        return session.exec(
            select(Assignment)
            .join(Person, Person.id == Assignment.person_id)
            .where(Person.email == email, Assignment.review_id == review_id)
        ).one()


def test_the_coordinator_can_choose_someone_already_in_the_partnership(planned):
    choose = nobody_left_from_don_river()
    coordinator, chosen = choose.assignee_email, "lee.moss@donriver.example.org"
    with (
        db.session_scope() as session
    ):  # a reviewer who joined Don River after the last decline, so the automatic search never saw them
        trust = session.exec(select(Trust).where(Trust.key == "don-river")).one()
        session.add(
            Person(
                partnership_id=trust.partnership_id,
                trust_id=trust.id,
                email=chosen,
                name="Lee Moss",
                job_title="Head of Standards",
                organisation=trust.name,
                is_reviewer=True,
            )
        )
    with db.session_scope() as session:
        workflow.submit(
            session,
            choose.id,
            {
                "choice": "existing",
                "person": "Lee.Moss@DonRiver.example.org",
                "reason": "Joined in January; free that week",
            },
            coordinator,
        )
    workflow.advance_review(db.session_scope, 1)
    assert chosen in _team_emails()
    assignment = _assignment(1, chosen)
    assert (assignment.role, assignment.reason) == (
        "peer",
        "peer chosen by the coordinator: Joined in January; free that week",
    )
    assert [t.kind for t in open_tasks() if t.assignee_email == chosen] == ["respond_to_assignment"]
    with db.session_scope() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "assigned", AuditEntry.actor == coordinator)
        ).one()
        assert entry.detail["person"] == chosen and session.get(Task, choose.id).outcome == "chosen"


def test_when_no_moderator_is_left_the_coordinator_adds_one_and_cannot_go_without(planned):
    for _ in range(3):  # review 1's moderator declines, and so does anyone brought in automatically
        moderators = [
            t
            for t in open_tasks()
            if t.kind == "respond_to_assignment" and t.assignee_email.endswith("@coordinator.example.org")
        ]
        if not moderators:
            break
        respond(moderators[0], {"response": "decline", "reason": "Not available"})
    [choose] = [t for t in open_tasks() if t.kind == "choose_replacement"]
    coordinator = choose.assignee_email
    refused(choose.id, {"choice": "without", "reason": "x"}, coordinator, "cannot go ahead without a moderator")
    refused(
        choose.id, {"person": "nadia.bashir@donriver.example.org", "reason": "x"}, coordinator, "is not a moderator"
    )
    new = {"name": "Sam Reid", "email": "sam.reid@associates.example.org", "organisation": "Reid Associates"}
    with db.session_scope() as session:
        workflow.submit(
            session,
            choose.id,
            {"choice": "new", "new_person": new, "reason": "Associate moderator, free that week"},
            coordinator,
        )
    workflow.advance_review(db.session_scope, 1)
    with db.session_scope() as session:
        peers, moderator = team(session, session.get(Review, 1))
        assert (
            moderator.email == "sam.reid@associates.example.org"
            and moderator.is_moderator
            and moderator.trust_id is None
        )
    assert _assignment(1, moderator.email).role == "moderator"
    assert [t.kind for t in open_tasks() if t.assignee_email == moderator.email] == ["respond_to_assignment"]


def test_ids_out_of_range_and_characters_yaml_refuses_are_clear_errors(tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    answer, nul = tmp_path / "answer.yaml", tmp_path / "nul.yaml"
    answer.write_text("response: accept\n")
    nul.write_text('response: accept\nreason: "fine\x00"\n')
    for args in (("submit", "99999999999999999999999", answer, "--as", CEO), ("task", "template", "0")):
        result = run_cli(*args, env=env)
        assert result.returncode == 2 and "no task with id" in result.stderr and "Traceback" not in result.stderr, (
            result.stderr
        )
    result = run_cli("submit", "1", nul, "--as", CEO, env=env)
    assert (
        result.returncode == 2
        and "line 2" in result.stderr
        and "U+0000" in result.stderr
        and "Traceback" not in result.stderr
    ), result.stderr
