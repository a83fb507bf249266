"""Staff change mid-cycle: `partnership load FILE --update` applies an edited partnership file to a loaded,
planned partnership. People leave and join, CEOs and moderators change, strand orders move, trusts join
and leave; open tasks are handed on; history is kept, and what would rewrite it is refused."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlmodel import func, select

from peer_review import clock
from peer_review.demo.simulation import answer, simulate_cycle
from peer_review.errors import UserError
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import access, queries, roster, workflow
from peer_review.store import db
from peer_review.store.people import host_ceo
from peer_review.store.records import team
from peer_review.store.tables import (
    Assignment,
    AuditEntry,
    Finding,
    OutboxMessage,
    Person,
    Review,
    Task,
    Trust,
)

from helpers import EXAMPLE, PEAK_EDGE_COPY, ask_for_link, new_client, plan_and_publish, run_cli, sign_in

pytestmark = pytest.mark.db

PARTNERSHIP = "Sheffield pilot triad"
COORDINATOR = "ruth.ashby@coordinator.example.org"
OWEN = "owen.fletcher@donriver.example.org"  # Don River's peer on review 1 (Steel Valley, school improvement)
HELEN = "helen.marsh@steelvalley.example.org"  # Steel Valley's CEO
DANIEL = "daniel.okafor@coordinator.example.org"  # review 1's moderator
OWEN_LINE = "      - {name: Owen Fletcher, email: owen.fletcher@donriver.example.org, role: Deputy CEO, strands: [school-improvement, workforce]}\n"
NEW_CEO = "{name: Sam Ng, email: sam.ng@steelvalley.example.org}"
NEW_MODERATOR = "  - {name: Ada Quist, email: ada.quist@coordinator.example.org, organisation: Learn Sheffield, max_reviews_per_term: 2}\n"


@pytest.fixture(autouse=True)
def _real_time_afterwards():
    yield
    clock.set_time(None)


def _edited(tmp_path: Path, *edits: tuple[str, str], name: str = "edited.yaml") -> Path:
    """A copy of the bundled triad with each (old, new) text replaced once."""
    text = EXAMPLE.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def _update(path: Path, dry_run: bool = False) -> roster.RosterUpdate:
    with db.session_scope() as session:
        return roster.update_partnership(session, load_partnership_file(path), dry_run=dry_run)


def _open(review_id: int | None = None) -> list[queries.TaskRow]:
    with db.session_scope() as session:
        return [t for t in queries.open_tasks(session) if review_id is None or t.review_id == review_id]


def _do(task: queries.TaskRow, data: dict | None = None) -> None:
    with db.session_scope() as session:
        workflow.submit(session, task.id, data or answer(queries.task_context(session, task.id)), task.assignee_email)
    workflow.advance_review(db.session_scope, task.review_id)


def _until(kind: str, review_id: int = 1) -> queries.TaskRow:
    """Review `review_id` moved on by its simulated participants until a task of `kind` is open."""
    for _ in range(40):
        tasks = _open(review_id)
        match = [t for t in tasks if t.kind == kind]
        if match:
            return match[0]
        _do(tasks[0])
    raise AssertionError(f"no {kind} task appeared")


def _drive_to_closed(review_id: int = 1) -> None:
    """The simulated participants finish the review; it must close, never stall or fail."""
    workflow.advance_review(db.session_scope, review_id)
    for _ in range(60):
        tasks = _open(review_id)
        if not tasks:
            break
        _do(tasks[0])
    with db.session_scope() as session:
        assert session.get(Review, review_id).stage == "closed"


def _person(email: str) -> Person:
    with db.session_scope() as session:
        return session.exec(select(Person).where(Person.email == email)).one()


def _nobody_who_left_has_open_tasks() -> None:
    with db.session_scope() as session:
        held = session.exec(
            select(Task, Person)
            .join(Person, Person.id == Task.assignee_id)
            .where(Task.status == "open", Person.left_on.is_not(None))
        ).all()
        assert held == [], held


def _counts() -> dict[str, int]:
    with db.session_scope() as session:
        tables = (AuditEntry, Task, Person, Assignment, Review, OutboxMessage, Trust)
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


def _audited(action: str) -> list[AuditEntry]:
    with db.session_scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


# --- the difference itself (pure: no database) -------------------------------------------------


def test_the_difference_matches_people_by_email_and_refuses_what_would_rewrite_history():
    from peer_review.domain.roster import (
        History,
        Member,
        Refused,
        Roster,
        TrustEntry,
        diff,
    )

    def member(email, name, trust, *roles, **details):
        return Member(email, trust, frozenset(roles), {"name": name, **details}, ("trusts", 0, "reviewers", 0))

    order = ("a", "b", "c")
    stored = Roster(
        {"t": TrustEntry("t", "T", order, (), "cal"), "u": TrustEntry("u", "U", order, (), "cal")},
        {"x@t.org": member("x@t.org", "Xi", "t", "is_reviewer"), "y@u.org": member("y@u.org", "Yu", "u", "is_ceo")},
    )
    renamed = Roster(
        stored.trusts, {"x@t.org": member("x@t.org", "Xi Li", "t", "is_reviewer"), "y@u.org": stored.people["y@u.org"]}
    )
    assert [c.sentence for c in diff(stored, renamed, History())] == ["Xi Li <x@t.org>: name 'Xi' -> 'Xi Li'"]
    new_email = Roster(
        stored.trusts, {"x2@t.org": member("x2@t.org", "Xi", "t", "is_reviewer"), "y@u.org": stored.people["y@u.org"]}
    )
    assert [c.kind for c in diff(stored, new_email, History())] == [
        "person_joined",
        "person_left",
    ]  # no records: two people
    with pytest.raises(Refused, match="x2@t.org is new, and x@t.org"):
        diff(stored, new_email, History(with_records=frozenset({"x@t.org"})))
    reordered = Roster({**stored.trusts, "t": TrustEntry("t", "T", ("a", "c", "b"), (), "cal")}, stored.people)
    assert [c.kind for c in diff(stored, reordered, History(started={"t": {"a": 1}}))] == ["strand_order_changed"]
    with pytest.raises(Refused, match="'b' is review 2 of T and has started"):
        diff(stored, reordered, History(started={"t": {"a": 1, "b": 2}}))


# --- people leaving and joining -----------------------------------------------------------------


def test_a_reviewer_who_leaves_is_replaced_under_the_decline_rules(planned, tmp_path):
    [owens] = [t for t in _open(1) if t.assignee_email == OWEN]  # asked to accept a place on review 1
    result = _update(_edited(tmp_path, (OWEN_LINE, "")))
    assert [c.kind for c in result.changes] == ["person_left"] and "Owen Fletcher" in result.changes[0].sentence
    assert any(e.startswith("review 1 ") and "gives up their place as peer" in e for e in result.effects), (
        result.effects
    )
    owen = _person(OWEN)
    assert owen.left_on is not None and not owen.is_reviewer
    with db.session_scope() as session:
        assert session.get(Task, owens.id).status == "done" and session.get(Task, owens.id).outcome == "withdrawn"
        peers, _ = team(session, session.get(Review, 1))
        newcomer = next(p for p in peers if p.email.endswith("donriver.example.org"))
        assignment = session.exec(
            select(Assignment).where(Assignment.review_id == 1, Assignment.person_id == owen.id)
        ).one()
        assert assignment.status == "declined" and "has left the partnership" in assignment.reason
    assert [t.kind for t in _open(1) if t.assignee_email == newcomer.email] == ["respond_to_assignment"]
    assert _audited("person_left")[0].detail["about"] == OWEN and _audited("partnership_updated")
    _nobody_who_left_has_open_tasks()
    _drive_to_closed(1)


def test_when_nobody_can_replace_a_leaver_the_coordinator_chooses(planned, tmp_path):
    conflicted = [  # the other Don River reviewers now declare a conflict with Steel Valley
        (
            "strands: [quality-inclusive-education]}",
            "strands: [quality-inclusive-education], conflicts: [steel-valley]}",
        ),
        (
            "strands: [governance-leadership-operations]}\n  - id: peak-edge",
            "strands: [governance-leadership-operations], conflicts: [steel-valley]}\n  - id: peak-edge",
        ),
    ]
    path = _edited(tmp_path, (OWEN_LINE, ""), *conflicted)
    result = _update(path)
    assert {c.kind for c in result.changes} == {"person_left", "details_changed"}
    [choose] = [t for t in _open(1) if t.kind == "choose_replacement"]
    assert (
        choose.assignee_email == COORDINATOR and "has left the partnership and nobody suitable is free" in choose.note
    )
    _nobody_who_left_has_open_tasks()
    _do(
        choose,
        {
            "choice": "new",
            "new_person": {"name": "Jo New", "email": "jo.new@donriver.example.org"},
            "reason": "Joined in May",
        },
    )
    [again] = _update(
        path, dry_run=True
    ).changes  # the file is the roster: someone the coordinator added, and not listed, would leave
    assert (
        again.about == "jo.new@donriver.example.org"
        and "the coordinator added them as a replacement: list them in the file" in again.sentence
    )
    _drive_to_closed(1)


def test_a_reviewer_joins_and_can_be_chosen(planned, tmp_path):
    joining = "      - {name: Jo New, email: Jo.New@donriver.example.org, role: Head of School Improvement, strands: [school-improvement]}\n"
    result = _update(_edited(tmp_path, (OWEN_LINE, OWEN_LINE + joining)))
    assert [c.sentence for c in result.changes] == [
        "Jo New <jo.new@donriver.example.org> joins Don River Learning Partnership as reviewer"
    ]
    jo = _person("jo.new@donriver.example.org")
    with db.session_scope() as session:
        assert (
            session.get(Trust, jo.trust_id).key == "don-river"
            and jo.is_reviewer
            and jo.strands == ["school-improvement"]
        )
    [owens] = [t for t in _open(1) if t.assignee_email == OWEN]
    _do(
        owens, {"response": "decline", "reason": "Jury service"}
    )  # the newcomer declared the strand: the planner picks them
    assert [t.kind for t in _open(1) if t.assignee_email == "jo.new@donriver.example.org"] == ["respond_to_assignment"]


def test_a_new_ceo_takes_over_the_open_tasks_mid_review(planned, tmp_path):
    proposal = _until("propose_lines")
    assert proposal.assignee_email == HELEN
    with db.session_scope() as session:
        due = session.get(Task, proposal.id).due
    result = _update(_edited(tmp_path, ("{name: Helen Marsh, email: helen.marsh@steelvalley.example.org}", NEW_CEO)))
    assert {c.kind for c in result.changes} == {"person_joined", "ceo_changed", "person_left"}
    assert any("moves to Sam Ng, the new CEO" in e for e in result.effects), result.effects
    [now] = _open(1)
    assert now.kind == "propose_lines" and now.assignee_email == "sam.ng@steelvalley.example.org" and now.due == due
    with db.session_scope() as session:
        assert session.get(Task, proposal.id).status == "cancelled"
        assert host_ceo(session, session.get(Review, 1)).email == "sam.ng@steelvalley.example.org"
    _nobody_who_left_has_open_tasks()
    _drive_to_closed(1)
    with db.session_scope() as session:
        feedback = session.exec(
            select(Task).where(Task.review_id == 1, Task.kind == "give_feedback", Task.status == "done")
        ).all()
        assert _person("sam.ng@steelvalley.example.org").id in {t.assignee_id for t in feedback}


@pytest.mark.parametrize("stage_task", ["agree_lines", "moderate"])
def test_a_moderator_who_leaves_hands_their_work_to_the_next(planned, tmp_path, stage_task):
    held = _until(stage_task)
    assert held.assignee_email == DANIEL
    moderators = "  - {name: Daniel Okafor, email: daniel.okafor@coordinator.example.org, organisation: Learn Sheffield, max_reviews_per_term: 2}\n"
    result = _update(_edited(tmp_path, (moderators, NEW_MODERATOR)))
    assert {c.kind for c in result.changes} == {"person_joined", "person_left"}
    [moved] = [t for t in _open(1) if t.kind == stage_task]
    with db.session_scope() as session:
        _, moderator = team(session, session.get(Review, 1))
    assert moved.assignee_email == moderator.email != DANIEL  # a free moderator, asked to accept too
    assert {t.kind for t in _open(1) if t.assignee_email == moderator.email} == {stage_task, "respond_to_assignment"}
    _nobody_who_left_has_open_tasks()
    _drive_to_closed(1)


def test_a_peer_who_leaves_after_the_visit_keeps_their_place_and_the_coordinator_finishes_their_findings(
    planned, tmp_path
):
    findings = [
        t for t in (_until("record_findings"), *_open(1)) if t.kind == "record_findings" and t.assignee_email == OWEN
    ]
    assert findings
    result = _update(_edited(tmp_path, (OWEN_LINE, "")))
    assert any("to do on Owen Fletcher's behalf" in e for e in result.effects), result.effects
    [held] = [t for t in _open(1) if t.kind == "record_findings" and t.assignee_email == COORDINATOR]
    assert "has left the partnership" in held.note
    with db.session_scope() as session:
        owen = session.exec(select(Person).where(Person.email == OWEN)).one()
        assert (
            session.exec(select(Assignment).where(Assignment.review_id == 1, Assignment.person_id == owen.id))
            .one()
            .status
            == "accepted"
        )
        assert not access.viewer_for(
            session, OWEN
        ).known  # his place stays in the records, but he no longer sees the review
    _nobody_who_left_has_open_tasks()
    _drive_to_closed(1)
    with db.session_scope() as session:
        assert (
            session.exec(select(Finding).where(Finding.review_id == 1, Finding.author_id == owen.id)).first()
            is not None
        )
        asked = {
            t.assignee_id for t in session.exec(select(Task).where(Task.review_id == 1, Task.kind == "give_feedback"))
        }
        assert owen.id not in asked  # nobody who left is asked for feedback


def test_a_new_coordinator_takes_over_what_the_one_before_held(planned, tmp_path):
    _until("record_findings")
    _update(_edited(tmp_path, (OWEN_LINE, "")))  # the coordinator holds Owen's findings for him
    [held] = [t for t in _open(1) if t.assignee_email == COORDINATOR]
    new = "coordinator: {name: Kim Lowe, email: kim.lowe@coordinator.example.org}"
    result = _update(
        _edited(
            tmp_path,
            (OWEN_LINE, ""),
            ("coordinator: {name: Ruth Ashby, email: ruth.ashby@coordinator.example.org}", new),
            name="new.yaml",
        )
    )
    assert {c.kind for c in result.changes} == {"person_joined", "coordinator_changed", "person_left"}
    [moved] = [
        t for t in _open(1) if t.kind == "record_findings" and t.assignee_email == "kim.lowe@coordinator.example.org"
    ]
    assert moved.note == held.note and moved.due == held.due
    with db.session_scope() as session:
        assert session.get(Task, moved.id).subject["for"] == OWEN
    _nobody_who_left_has_open_tasks()
    _drive_to_closed(1)


# --- strand order and trusts --------------------------------------------------------------------

STEEL_ORDER = (
    "strand_order: [school-improvement, quality-inclusive-education, workforce, governance-leadership-operations]"
)


def _reviews_of(trust: str) -> list[tuple[int, str, int, dt.date, str]]:
    with db.session_scope() as session:
        rows = session.exec(
            select(Review)
            .join(Trust, Trust.id == Review.host_trust_id)
            .where(Trust.key == trust)
            .order_by(Review.position)
        ).all()
        return [(r.id, r.strand_id, r.position, r.visit_start, r.stage) for r in rows]


def test_a_strand_order_change_moves_only_reviews_not_started(planned, tmp_path):
    _until("propose_lines")  # review 1 (Steel Valley's first strand) has started
    before = _reviews_of("steel-valley")
    swapped = (
        "strand_order: [school-improvement, workforce, quality-inclusive-education, governance-leadership-operations]"
    )
    result = _update(_edited(tmp_path, (STEEL_ORDER, swapped)))
    assert [c.kind for c in result.changes] == ["strand_order_changed"]
    after = _reviews_of("steel-valley")
    assert after[0] == before[0]  # the started review keeps its strand
    assert [(r[1], r[3]) for r in after[1:3]] == [
        (before[2][1], before[1][3]),
        (before[1][1], before[2][3]),
    ]  # same dates, strands swapped
    assert after[3] == before[3]
    with db.session_scope() as session:
        told = session.exec(select(OutboxMessage).where(OutboxMessage.event == "review_changed")).all()
        assert told and all(m.ics for m in told)
    moving_started = (
        "strand_order: [workforce, school-improvement, quality-inclusive-education, governance-leadership-operations]"
    )
    counts = _counts()
    with pytest.raises(
        UserError,
        match=r"line \d+ \(trusts\[0\]\.strand_order\).*'School improvement' is review 1 of Steel Valley Academy Trust and has started",
    ):
        _update(_edited(tmp_path, (STEEL_ORDER, moving_started), name="bad.yaml"))
    assert _counts() == counts
    _drive_to_closed(1)


def _without_trust(text: str, trust: str) -> str:
    """The triad's text without one trust's block."""
    return re.sub(rf"  - id: {trust}\n(    .*\n)+", "", text)


def test_a_trust_that_has_started_a_review_cannot_leave(planned, tmp_path):
    _until("propose_lines")  # Steel Valley's first review has started
    path = tmp_path / "two.yaml"
    path.write_text(_without_trust(EXAMPLE.read_text(), "steel-valley"))
    counts = _counts()
    with pytest.raises(
        UserError,
        match=r"Steel Valley Academy Trust cannot leave: it has started or finished reviews \(School improvement\)",
    ):
        _update(path)
    assert _counts() == counts


def test_a_trust_whose_reviews_have_not_started_can_leave(planned, tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(_without_trust(EXAMPLE.read_text(), "peak-edge"))
    result = _update(path)
    assert result.changes[-1].kind == "trust_left" and sum(c.kind == "person_left" for c in result.changes) == 4
    assert [r[4] for r in _reviews_of("peak-edge")] == ["cancelled"] * 4
    assert len(_audited("review_cancelled")) == 4
    with db.session_scope() as session:
        assert session.exec(select(Trust).where(Trust.key == "peak-edge")).one().left_on is not None
        assert not session.exec(
            select(Task)
            .join(Review, Review.id == Task.review_id)
            .where(Review.stage == "cancelled", Task.status == "open")
        ).all()
        peers, _ = team(session, session.get(Review, 1))
        assert [p.email for p in peers] == [OWEN]  # Peak Edge's peer is not replaced: the trust has gone
    _nobody_who_left_has_open_tasks()
    _drive_to_closed(1)


def test_a_trust_cannot_leave_when_it_takes_a_reviews_last_peer_with_it(planned, tmp_path):
    with db.session_scope() as session:  # Owen has given up his place on review 1: Peak Edge's peer is its last
        owen = session.exec(
            select(Assignment)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.review_id == 1, Person.email == OWEN)
        ).one()
        owen.status = "declined"
        session.add(owen)
    path = tmp_path / "two.yaml"
    path.write_text(_without_trust(EXAMPLE.read_text(), "peak-edge"))
    counts = _counts()
    with pytest.raises(UserError, match=r"review 1 .* would be left without a peer: its last peer's trust leaves"):
        _update(path)
    assert _counts() == counts


def test_someone_who_left_can_no_longer_sign_in_or_see_the_review(planned, tmp_path):
    _do(
        next(t for t in _open(1) if t.assignee_email == OWEN), {"response": "accept"}
    )  # his place on review 1 shows him the review
    owen = sign_in(OWEN)
    assert owen.get("/reviews/1").status_code == 200
    _update(_edited(tmp_path, (OWEN_LINE, "")))
    assert owen.get("/reviews/1").status_code in (303, 403, 404)  # the session's person has gone
    with db.session_scope() as session:
        links = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.event == "sign_in", OutboxMessage.recipient == OWEN)
        ).one()
    assert ask_for_link(new_client(), OWEN).status_code == 200  # the same page as for anyone unknown
    with db.session_scope() as session:
        assert (
            session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.event == "sign_in", OutboxMessage.recipient == OWEN)
            ).one()
            == links
        )


def test_someone_who_left_cannot_come_back_in_another_trust(planned, tmp_path):
    _update(_edited(tmp_path, (OWEN_LINE, "")))  # Owen, on review 1's team, leaves Don River
    helen_line = "    ceo: {name: Helen Marsh, email: helen.marsh@steelvalley.example.org}\n"
    back = _edited(
        tmp_path,
        (OWEN_LINE, ""),
        ("    reviewers:\n      - {name: Tom Beckett", "    reviewers:\n" + OWEN_LINE + "      - {name: Tom Beckett"),
        name="back.yaml",
    )
    assert helen_line in back.read_text()
    counts = _counts()
    with pytest.raises(
        UserError,
        match=r"owen\.fletcher@donriver\.example\.org left Don River Learning Partnership and would come back in Steel Valley Academy Trust",
    ):
        _update(back)
    assert _counts() == counts


def test_a_changed_school_calendar_is_refused_not_ignored(database_url, tmp_path):
    from peer_review.files.school_calendars import BUNDLED
    from peer_review.service import loading

    calendar = tmp_path / "ours.yaml"
    calendar.write_text((BUNDLED / "sheffield.yaml").read_text().replace("id: sheffield", "id: ours", 1))
    path = _edited(tmp_path, ("term_dates: sheffield", "term_dates: ours.yaml"))
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(path))
    calendar.write_text(calendar.read_text() + "\nclosures: [{start: 2024-06-10, end: 2024-06-14}]\n")
    with pytest.raises(UserError, match=r"term_dates.*closed days in its published dates differ.*first 2024-06-10"):
        _update(path)


def _loxley_joins_on(day: dt.date, tmp_path: Path) -> roster.RosterUpdate:
    """The bundled triad planned, then on `day` a fourth trust (Loxley) joins it."""
    from peer_review.service import loading

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)
    clock.set_time(clock.at_london(day, 9))
    path = tmp_path / "four.yaml"
    path.write_text(EXAMPLE.read_text() + PEAK_EDGE_COPY)
    return _update(path)


def test_a_trust_joining_gets_its_reviews_planned_when_the_cycle_has_room(database_url, tmp_path):
    result = _loxley_joins_on(dt.date(2023, 11, 6), tmp_path)
    assert result.changes[0].kind == "trust_joined"
    planned_ = _reviews_of("loxley")
    assert [r[1] for r in planned_] == [
        "workforce",
        "school-improvement",
        "quality-inclusive-education",
        "governance-leadership-operations",
    ]
    assert all(r[4] == "scheduled" and dt.date(2024, 1, 1) <= r[3] <= dt.date(2025, 10, 1) for r in planned_)
    assert [r[3] for r in planned_] == sorted(r[3] for r in planned_)
    with db.session_scope() as session:
        peers, moderator = team(session, session.get(Review, planned_[0][0]))
        assert {session.get(Trust, p.trust_id).key for p in peers} == {
            "steel-valley",
            "don-river",
            "peak-edge",
        } and moderator
    workflow.advance_review(db.session_scope, planned_[0][0])
    assert len(_open(planned_[0][0])) == 4  # three peers and the moderator asked to accept


def test_a_trust_joining_too_late_is_told_what_happens(database_url, tmp_path):
    result = _loxley_joins_on(dt.date(2025, 7, 14), tmp_path)
    assert any(
        "its reviews cannot be planned in this cycle" in e and "hosts its reviews in the next" in e
        for e in result.effects
    ), result.effects
    assert _reviews_of("loxley") == [] and _person("lena.ward@loxley.example.org").is_ceo


# --- refusals and dry runs ----------------------------------------------------------------------


def test_a_dry_run_writes_nothing(planned, tmp_path):
    _until("propose_lines")
    path = _edited(
        tmp_path, (OWEN_LINE, ""), ("{name: Helen Marsh, email: helen.marsh@steelvalley.example.org}", NEW_CEO)
    )
    counts = _counts()
    result = _update(path, dry_run=True)
    assert not result.applied and len(result.changes) == 4 and result.effects == []
    assert _counts() == counts
    assert _person(OWEN).left_on is None and _person(HELEN).is_ceo


def _joe_moves_to_don_river(text: str) -> str:
    joe = re.search(r"      - \{name: Joe Hartley.*\n", text).group(0)
    return text.replace(joe, "").replace(OWEN_LINE, OWEN_LINE + joe)


REFUSED = {
    "email changed": (
        lambda t: t.replace("email: owen.fletcher@donriver.example.org", "email: o.fletcher@donriver.example.org"),
        r"line 33 \(trusts\[1\]\.reviewers\[1\]\.email\): o\.fletcher@donriver\.example\.org is new, and owen\.fletcher@donriver\.example\.org",
    ),
    "trust changed": (
        _joe_moves_to_don_river,
        r"joe\.hartley@peakedge\.example\.org would move from Peak Edge Schools Trust to Don River Learning Partnership",
    ),
    "setting changed": (
        lambda t: t.replace("visit_days: 2", "visit_days: 3"),
        r"line 7 \(visit_days\): 'visit_days' differs",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_changes_that_would_break_history_are_refused_and_write_nothing(planned, tmp_path, case):
    mutate, expected = REFUSED[case]
    path = tmp_path / "edited.yaml"
    path.write_text(mutate(EXAMPLE.read_text()))
    counts = _counts()
    with pytest.raises(UserError) as refused:
        _update(path)
    message = " ".join(str(refused.value).split())
    assert str(path) in message and re.search(expected, message), message
    assert _counts() == counts


# --- the command line, and a whole cycle ---------------------------------------------------------


def test_the_command_line_prints_each_change_and_exits_2_when_refused(tmp_path):
    env = {"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    assert run_cli("partnership", "load", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("plan", "--publish", cwd=tmp_path, env=env).returncode == 0
    same = run_cli("partnership", "load", EXAMPLE, "--update", cwd=tmp_path, env=env)
    assert same.returncode == 0 and same.stdout.strip() == f"'{PARTNERSHIP}': no changes"
    again = run_cli("partnership", "load", EXAMPLE, cwd=tmp_path, env=env)
    assert again.returncode == 2 and "already loaded" in again.stderr
    renamed = "    name: Don River [bold]Learning[/] Partnership"  # rich markup in a name is printed as written
    path = _edited(tmp_path, (OWEN_LINE, ""), ("    name: Don River Learning Partnership", renamed))
    dry = run_cli("partnership", "load", path, "--update", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert (
        lines[0]
        == "Don River Learning Partnership: name 'Don River Learning Partnership' -> 'Don River [bold]Learning[/] Partnership'"
    )
    assert lines[1].startswith("Owen Fletcher <owen.fletcher@donriver.example.org> leaves the partnership")
    assert lines[-1] == f"'{PARTNERSHIP}': 2 change(s); dry run, nothing written"
    done = run_cli("partnership", "load", path, "--update", cwd=tmp_path, env=env)
    assert (
        done.returncode == 0
        and done.stdout.splitlines()[:2] == lines[:2]
        and "gives up their place as peer" in done.stdout
    )
    assert (
        run_cli("partnership", "load", path, "--update", cwd=tmp_path, env=env).stdout.strip()
        == f"'{PARTNERSHIP}': no changes"
    )
    bad = _edited(tmp_path, ("visit_days: 2", "visit_days: 3"), name="bad.yaml")
    refused = run_cli("partnership", "load", bad, "--update", cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and "line 7 (visit_days)" in refused.stderr


def test_a_whole_cycle_with_staff_changes_part_way_still_closes_every_review(database_url, tmp_path):
    from peer_review.service import loading

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        plan_and_publish(session, None)

    def advance(name: str) -> None:
        with db.session_scope() as session:
            ids = [r.id for r in queries.status(session, name)]
        for review_id in ids:
            workflow.advance_review(db.session_scope, review_id)

    middle = dt.date(2024, 6, 3)
    simulate_cycle(PARTNERSHIP, dt.date(2023, 11, 1), advance, until=middle)
    moderators = "  - {name: Daniel Okafor, email: daniel.okafor@coordinator.example.org, organisation: Learn Sheffield, max_reviews_per_term: 2}\n"
    path = _edited(
        tmp_path,
        (OWEN_LINE, ""),
        ("{name: Helen Marsh, email: helen.marsh@steelvalley.example.org}", NEW_CEO),
        (moderators, NEW_MODERATOR),
        (
            "strand_order: [governance-leadership-operations, school-improvement, workforce, quality-inclusive-education]",
            "strand_order: [governance-leadership-operations, school-improvement, quality-inclusive-education, workforce]",
        ),
    )
    result = _update(path)
    assert result.applied and result.effects
    _nobody_who_left_has_open_tasks()
    simulate_cycle(PARTNERSHIP, clock.today(), advance)
    with db.session_scope() as session:
        assert {r.stage for r in queries.status(session, PARTNERSHIP)} == {"closed"}
    _nobody_who_left_has_open_tasks()
