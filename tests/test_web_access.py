"""Who may see and do what on the web, from the records: every route x every role, on their own review
and partnership and on someone else's. A refusal is a 403 (a 404 outside the person's partnerships),
writes nothing, and is logged."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.demo.simulation import answer
from peer_review.service import access, discussion, queries, workflow
from peer_review.store import db
from peer_review.store.tables import Document, EvidenceItem, Task, Trust

from helpers import csrf_of, load_second_partnership, new_client, row_counts, sign_in

pytestmark = pytest.mark.db

PEOPLE = {
    "coordinator": "ruth.ashby@coordinator.example.org",
    "host": "helen.marsh@steelvalley.example.org",  # Steel Valley hosts review 1
    "peer": "owen.fletcher@donriver.example.org",  # on review 1, accepted
    "invited": "joe.hartley@peakedge.example.org",  # on review 1, not yet answered
    "moderator": "daniel.okafor@coordinator.example.org",  # review 1's moderator, accepted
    "bystander": "sian.pryce@donriver.example.org",  # a reviewer in the partnership, not on review 1
    "other_ceo": "marcus.hale@donriver.example.org",  # another trust's CEO in the partnership
    "outsider": "ruth.ashby@coordinator.other.example.org",  # the coordinator of another partnership
}
ROLES = list(PEOPLE)
OK, NO, HIDDEN = 200, 403, 404
PUBLIC = ("/accessibility", "/privacy", "/contact")  # the footer's pages: no sign-in needed


@pytest.fixture
def world(planned, tmp_path):
    """Review 1 with the peer and moderator in, the other peer still invited; a second partnership beside it."""
    load_second_partnership(tmp_path)
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        with db.session_scope() as session:
            for task in queries.open_tasks(session):
                if task.review_id == 1 and task.assignee_email in (PEOPLE["peer"], PEOPLE["moderator"]):
                    workflow.submit(session, task.id, {"response": "accept"}, task.assignee_email)
            session.add(
                Document(
                    review_id=1,
                    kind="review-report-draft",
                    filename="draft.docx",
                    content=b"PK word",
                    sha256="x",
                    created_at=clock.now(),
                )
            )
        with db.session_scope() as session:
            invited_task = session.exec(select(Task.id).where(Task.review_id == 1, Task.status == "open")).one()
            steel = session.exec(select(Trust.id).where(Trust.key == "steel-valley", Trust.partnership_id == 1)).one()
            peer = access.viewer_for(session, PEOPLE["peer"])
            comment = discussion.post(session, peer, 1, None, "team_and_host", "Can we see the tracker?").id
            team_only = discussion.post(session, peer, 1, None, "team_only", "For the team").id
        files = _evidence_files()
        browsers = {role: sign_in(email) for role, email in PEOPLE.items()}
        yield {
            "browsers": browsers,
            "task": invited_task,
            "trust": steel,
            "comment": comment,
            "team_only": team_only,
            **files,
        }


def _evidence_files() -> dict[str, int]:
    """Two files on review 1's first evidence item, one holding personal data, kept as an upload keeps them
    (the review is not at its evidence stage yet, so they are put in place here)."""
    import hashlib

    from peer_review.service.evidence_files import files
    from peer_review.store.evidence_files import add_evidence_file
    from peer_review.store.tables import Person

    pdf = b"%PDF-1.4\n%%EOF\n"
    ids = {}
    with db.session_scope() as session:
        host = session.exec(select(Person.id).where(Person.email == PEOPLE["host"])).one()
        for name, personal in (("file", False), ("personal_file", True)):
            key = f"reviews/1/{hashlib.md5(name.encode()).hexdigest()}"
            files().put(key, pdf)
            ids[name] = add_evidence_file(
                session,
                review_id=1,
                item=1,
                filename=f"{name}.pdf",
                file_type="pdf",
                size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(),
                key=key,
                personal_data=personal,
                scanned="not scanned",
                uploaded_by_id=host,
                uploaded_at=clock.now(),
            ).id
    return ids


def _expect(allowed: set[str], hidden_to: set[str] = frozenset({"outsider"}), hidden: int = HIDDEN) -> dict[str, int]:
    return {role: OK if role in allowed else hidden if role in hidden_to else NO for role in ROLES}


def _routes(
    task: int, trust: int, comment: int, team_only: int, file: int, personal_file: int
) -> dict[str, dict[str, int]]:
    review = {"coordinator", "host", "peer", "moderator"}
    return {
        # evidence files before the index is submitted: the host trust's, and the coordinator's but for personal data
        f"/files/{file}": _expect({"coordinator", "host"}),
        f"/files/{personal_file}": _expect({"host"}),
        "/files/99999": _expect(set(), hidden_to=set(ROLES)),
        "/reviews/1/evidence/1/files": _expect({"coordinator", "host"}),
        "/reviews/1/documents.zip": _expect(review),
        "/reviews/1/colleagues": _expect({"coordinator", "host"}),
        "/reviews/1/access-log": _expect({"coordinator"}),
        "/calendar": {role: OK for role in ROLES},  # each person's own calendar address
        "/calendar-feed/not-an-address-of-anyone-at-all.ics": {role: HIDDEN for role in ROLES},
        "/": {role: OK for role in ROLES},
        "/partnerships": {role: OK for role in ROLES},
        "/partnerships/1": _expect({"coordinator"}),
        "/partnerships/1/status.json": _expect({"coordinator"}),
        "/partnerships/1/status.csv": _expect({"coordinator"}),
        "/partnerships/1/timeline.svg": _expect({"coordinator"}),
        "/partnerships/1/evaluation": _expect({"coordinator"}),
        "/partnerships/1/evaluation/by_strand.svg": _expect({"coordinator"}),
        "/partnerships/1/evaluation/alignment.csv": _expect({"coordinator"}),
        "/partnerships/1/evaluation.docx": _expect({"coordinator"}),
        "/partnerships/2/evaluation": _expect({"outsider"}, hidden_to=set(ROLES) - {"outsider"}),
        "/reviews/1": _expect(review),
        "/reviews/1/documents/review-report-draft": _expect(review),
        "/reviews/1/move": _expect({"coordinator", "host"}),
        "/reviews/1/timetable": _expect(review),
        "/reviews/1/timetable/calendar.ics": _expect(review),
        "/reviews/1/timetable/add": _expect({"coordinator", "host"}),
        "/reviews/1/comments/new": _expect(review),
        f"/comments/{comment}/edit": _expect({"peer"}),  # its author only
        f"/comments/{comment}/hide": _expect({"coordinator"}),
        f"/comments/{team_only}/edit": _expect({"peer"}),
        f"/comments/{team_only}/hide": _expect({"coordinator"}),  # the host may not even read it
        "/email-settings": {role: OK for role in ROLES},  # each person's own
        f"/tasks/{task}": _expect({"coordinator", "invited"}),
        f"/tasks/{task}/extend": _expect({"coordinator", "moderator"}),
        f"/trusts/{trust}": _expect({"coordinator", "host"}),
        f"/trusts/{trust}/visits.ics": _expect({"coordinator", "host"}),
        "/partnerships/2": _expect({"outsider"}, hidden_to=set(ROLES) - {"outsider"}),
        "/reviews/13": _expect({"outsider"}, hidden_to=set(ROLES) - {"outsider"}),
        **{path: {role: OK for role in ROLES} for path in PUBLIC},
    }


def test_every_page_answers_each_role_as_the_records_say(world, caplog):
    browsers = world["browsers"]
    caplog.set_level(logging.WARNING, logger="peer_review.entrypoints.web")
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        routes = _routes(
            world["task"], world["trust"], world["comment"], world["team_only"], world["file"], world["personal_file"]
        )
        for path, expected in routes.items():
            got = {role: browsers[role].get(path).status_code for role in ROLES}
            assert got == expected, path
            if NO in expected.values():
                assert any("refused GET " + path in r.getMessage() for r in caplog.records), path
    assert new_client().get("/reviews/1").status_code == 303  # nobody signed in: to the sign-in page
    for path in PUBLIC:  # ...but the footer's pages are for anyone
        assert new_client().get(path).status_code == OK, path


def test_the_partnerships_list_shows_only_those_a_person_coordinates(world):
    browsers = world["browsers"]
    mine = browsers["coordinator"].get("/partnerships").text
    assert "Sheffield pilot triad" in mine and "Other triad" not in mine
    theirs = browsers["outsider"].get("/partnerships").text
    assert "Other triad" in theirs and "Sheffield pilot triad" not in theirs
    assert "Sheffield pilot triad" not in browsers["host"].get("/partnerships").text


def test_refused_actions_write_nothing(world):
    browsers, task = world["browsers"], world["task"]
    review = {"coordinator", "host", "peer", "moderator"}
    actions = {
        f"/tasks/{task}": ({"response": "decline", "reason": "not me", "action": "submit"}, {"coordinator", "invited"}),
        f"/tasks/{task}/extend": (
            {"due-day": "1", "due-month": "3", "due-year": "2024", "reason": "more time"},
            {"coordinator", "moderator"},
        ),
        "/reviews/1/move": (
            {"visit-day": "8", "visit-month": "1", "visit-year": "2024", "reason": "board"},
            {"coordinator", "host"},
        ),
        "/reviews/1/timetable/add": (
            {"day": "2024-01-15", "start": "9am", "end": "10am", "activity": "meeting", "school": "Steel Valley"},
            {"coordinator", "host"},
        ),
        "/reviews/1/timetable/tell": ({}, {"coordinator", "host"}),
        "/reviews/1/comments": ({"visibility": "team_and_host", "text": "A comment"}, review),
        f"/files/{world['file']}/remove": ({}, {"coordinator", "host"}),
        "/reviews/1/colleagues": (
            {"action": "add", "name": "Priya Shah", "email": "priya.shah@steelvalley.example.org", "job_title": "Head"},
            {"coordinator", "host"},
        ),
        f"/comments/{world['comment']}/edit": ({"text": "Changed"}, {"peer"}),
        f"/comments/{world['comment']}/hide": ({"reason": "Off topic"}, {"coordinator"}),
        f"/comments/{world['team_only']}/hide": ({"reason": "Off topic"}, {"coordinator"}),
    }
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        for path, (fields, allowed) in actions.items():
            for role in set(ROLES) - allowed:
                before = row_counts()
                token = csrf_of(browsers[role].get("/").text)  # their own valid CSRF token: only access stops them
                response = browsers[role].post(path, data={"csrf_token": token, **fields})
                assert response.status_code == (HIDDEN if role == "outsider" else NO), (path, role)
                assert row_counts() == before, (path, role)


def test_personal_data_evidence_is_shown_only_to_the_team_and_the_host(planned):
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        for _ in range(30):
            with db.session_scope() as session:
                tasks = [t for t in queries.open_tasks(session) if t.review_id == 1]
            if any(t.kind == "record_findings" for t in tasks):
                break
            task = tasks[0]
            with db.session_scope() as session:
                workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
            workflow.advance_review(db.session_scope, 1)
        with db.session_scope() as session:
            items = session.exec(
                select(EvidenceItem).where(EvidenceItem.review_id == 1).order_by(EvidenceItem.id)
            ).all()
            items[0].personal_data, items[0].title = True, "Pupil case studies (names)"  # as the host would flag it
            session.add(items[0])
            personal = [e.title for e in items if e.personal_data]
            ordinary = [e.title for e in items if not e.personal_data]
        assert personal and ordinary
        for role in ("host", "peer", "moderator"):
            html = sign_in(PEOPLE[role]).get("/reviews/1").text
            assert all(title in html for title in personal + ordinary), role
        html = sign_in(PEOPLE["coordinator"]).get("/reviews/1").text
        assert all(title in html for title in ordinary) and not any(title in html for title in personal)
        assert "holding personal data" in html
        findings_task = [t for t in tasks if t.kind == "record_findings" and t.assignee_email == PEOPLE["peer"]][0].id
        form = sign_in(PEOPLE["peer"]).get(f"/tasks/{findings_task}").text
        assert all(title in form for title in personal)  # the team cites them in their findings
        for_them = sign_in(PEOPLE["coordinator"]).get(f"/tasks/{findings_task}").text  # answering on the peer's behalf
        assert (
            not any(title in for_them for title in personal)
            and "E1: Personal data: named only to the review team" in for_them
        )
        from peer_review.service.documents import moderation_context

        with db.session_scope() as session:
            from peer_review.store.tables import Review

            record = moderation_context(session, session.get(Review, 1))
        assert [e["title"] for e in record["evidence"] if e["personal_data"] == "yes"] == [
            "(held by the host trust: personal data)"
        ]
