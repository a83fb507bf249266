"""The visit timetable on the web and in the service: the host trust (and the coordinator) builds it, the review
team reads it, everyone else is refused and nothing is written; clashes are flagged, errors named by field; each
reader's calendar file holds their sessions; "Tell the team" sends one email each, listing what changed since
they were last told; hostile text is shown as typed and escaped on the page, in the calendar and in the email."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import re
from urllib.parse import urlencode

import icalendar
import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.adapters.mail import build_email
from peer_review.service import access, queries, workflow
from peer_review.service import timetable as service
from peer_review.service.calendars import visits_calendar
from peer_review.store import db
from peer_review.store.tables import AuditEntry, OutboxMessage, VisitSession

from helpers import block_texts, csrf_of, load_second_partnership, post_form, row_counts, sign_in, visible_text

pytestmark = pytest.mark.db

HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley hosts review 1, visiting 15 and 16 January 2024
COORDINATOR = "ruth.ashby@coordinator.example.org"
PEER = "owen.fletcher@donriver.example.org"  # person 10, accepts their place
INVITED = "joe.hartley@peakedge.example.org"  # person 13, has not answered yet
MODERATOR = "daniel.okafor@coordinator.example.org"  # person 2, accepts
BYSTANDER = "sian.pryce@donriver.example.org"  # a reviewer in the partnership, not on review 1
OTHER_CEO = "marcus.hale@donriver.example.org"
OUTSIDER = "ruth.ashby@coordinator.other.example.org"
OWEN, JOE, DANIEL = "10", "13", "2"
NOW = clock.at_london(dt.date(2023, 11, 6), 9)  # the visit is still to come

#: Everything in one line that is kept as typed (the corpus of tests/test_hostile.py).
MIX_LINE = (
    '=HYPERLINK("http://evil.example/?leak","Click") [/] [bold]x[/red] {{ 7*7 }} {% if x %} '
    "<script>alert(1)</script> \u202eevil\u202c 📚 & 'q'"
)
MIX_PARAGRAPH = MIX_LINE + "\nA second line, +cmd|' /C calc'!A0"


def walk(day="2024-01-15", start="9am", end="10:30am", reviewers=(OWEN, DANIEL), **fields) -> list[tuple[str, str]]:
    """A session's form as a browser posts it."""
    values = {
        "day": day,
        "start": start,
        "end": end,
        "activity": "learning_walk",
        "description": "",
        "school": "Steel Valley Primary",
        "room": "Hall",
        "host_people": "Jo Bloggs, headteacher",
    } | fields
    return [*values.items(), *(("reviewers", r) for r in reviewers)]


@pytest.fixture
def world(planned, tmp_path):
    """Review 1 with the peer and the moderator in, the other peer still invited; a second partnership beside."""
    load_second_partnership(tmp_path)
    with clock.frozen_at(NOW):
        with db.session_scope() as session:
            for task in queries.open_tasks(session):
                if task.review_id == 1 and task.assignee_email in (PEER, MODERATOR):
                    workflow.submit(session, task.id, {"response": "accept"}, task.assignee_email)
    yield


def _sessions() -> list[VisitSession]:
    with db.session_scope() as session:
        return list(session.exec(select(VisitSession).order_by(VisitSession.id)))


def _events(content: bytes) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in icalendar.Calendar.from_ical(content).walk("VEVENT")}


def _told() -> list[OutboxMessage]:
    with db.session_scope() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.event == "timetable_changed").order_by(OutboxMessage.id)
            )
        )


def _tell(client):
    page = client.get("/reviews/1/timetable")
    return client.post("/reviews/1/timetable/tell", data={"csrf_token": csrf_of(page.text)})


def test_the_host_builds_it_with_a_clash_flagged_and_the_team_reads_it(world):
    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        first = post_form(host, "/reviews/1/timetable/add", walk())
        assert first.status_code == 303 and first.headers["location"].startswith("/reviews/1/timetable?done=added")
        # Owen is in both: a warning, and the session is saved all the same
        second = post_form(
            host,
            "/reviews/1/timetable/add",
            walk(start="10:00", end="11:00", activity="staff_voice", room="Staff room", reviewers=(OWEN,)),
        )
        assert second.status_code == 303
    assert [(s.start, s.end, s.reviewer_ids) for s in _sessions()] == [
        (dt.time(9), dt.time(10, 30), [10, 2]),
        (dt.time(10), dt.time(11), [10]),
    ]
    page = host.get("/reviews/1/timetable")
    assert page.status_code == 200
    [problem] = block_texts(page.text, "problems")
    assert "govuk-warning-text" in page.text
    assert problem == (
        "! Warning Owen Fletcher is in two sessions at once on Monday 15 January 2024: "
        "Learning walk (9am to 10:30am) and Staff voice (10am to 11am)"
    )
    text = visible_text(page.text)
    assert "Monday 15 January 2024" in text and "Tuesday 16 January 2024" in text and "No sessions yet." in text
    assert "Add a session" in text and "Tell the team" in text
    assert "The review team have not been told of the timetable yet" in text

    for reader in (PEER, MODERATOR, COORDINATOR):
        seen = sign_in(reader).get("/reviews/1/timetable")
        assert seen.status_code == 200, reader
        read = visible_text(seen.text)
        assert "9am to 10:30am: Learning walk" in read and "Steel Valley Primary, Staff room" in read
        assert "Jo Bloggs, headteacher" in read and "Owen Fletcher is in two sessions at once" in read
        changes = reader == COORDINATOR
        assert ("Add a session" in read) is changes and ("Tell the team" in read) is changes, reader
        assert ('href="/reviews/1/timetable/1"' in seen.text) is changes, reader
    # the review's page links to it, for everyone who reads the review
    assert 'href="/reviews/1/timetable"' in sign_in(PEER).get("/reviews/1").text
    # the print stylesheet hides the page's furniture
    css = host.get(re.search(r'href="(/static/peer-review[^"]+)"', page.text).group(1)).text
    assert "@media print" in css and ".app-header" in css.split("@media print", 1)[1]


def test_the_history_tells_each_change_in_words(world):
    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        post_form(host, "/reviews/1/timetable/add", walk())
        post_form(host, "/reviews/1/timetable/1", [*walk(start="9:15am"), ("as_of", "0")])
        post_form(host, "/reviews/1/timetable/1/remove", {})
    history = visible_text(host.get("/reviews/1?kind=visit").text)
    assert (
        "Helen Marsh added a session to the visit timetable: Learning walk, Monday 15 January 2024, "
        "9am to 10:30am, at Steel Valley Primary, Hall"
    ) in history
    assert (
        "Helen Marsh changed a session of the visit timetable: now Learning walk, Monday 15 January 2024, 9:15am"
        in history
    )
    assert "Helen Marsh removed a session from the visit timetable" in history


def test_a_form_with_problems_names_each_field_keeps_what_was_typed_and_writes_nothing(world):
    host = sign_in(HOST)
    before = row_counts()
    with clock.frozen_at(NOW):
        sent = post_form(
            host,
            "/reviews/1/timetable/add",
            walk(day="2024-01-17", start="25:00", end="9", activity="", school="", description="x" * 301)
            + [("reviewers", "99")],
        )
    assert sent.status_code == 400
    assert "<title>Error: Add a session" in sent.text
    summary = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', sent.text)
    assert summary == [
        ("day", "Select a day of the visit: Monday 15 January 2024 or Tuesday 16 January 2024"),
        ("start", "The start time must be a real time, like 9:30am or 14:00"),
        ("activity", "Select the activity"),
        ("description", "The description must be 300 characters or fewer"),
        ("school", "Enter the school or place"),
        ("reviewers", "Select the reviewers from the review team"),
    ]
    for field, message in summary:
        assert f'id="{field}-error"' in sent.text and message in sent.text
    assert 'value="25:00"' in sent.text and 'value="Hall"' in sent.text  # what was typed, kept
    assert row_counts() == before
    with clock.frozen_at(NOW):
        backwards = post_form(host, "/reviews/1/timetable/add", walk(start="2pm", end="1pm"))
        other = post_form(host, "/reviews/1/timetable/add", walk(activity="other", description=""))
    assert re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', backwards.text) == [
        ("end", "The end time must be after the start time")
    ]
    assert re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', other.text) == [
        ("description", "Enter what the activity is")
    ]
    assert row_counts() == before


def test_everyone_else_is_refused_and_nothing_is_written(world):
    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        assert post_form(host, "/reviews/1/timetable/add", walk()).status_code == 303
    browsers = {who: sign_in(who) for who in (PEER, MODERATOR, INVITED, BYSTANDER, OTHER_CEO, OUTSIDER)}
    readers = {PEER, MODERATOR}
    for who, browser in browsers.items():
        hidden = 404 if who == OUTSIDER else 403
        for path in ("/reviews/1/timetable", "/reviews/1/timetable/calendar.ics"):
            assert browser.get(path).status_code == (200 if who in readers else hidden), (who, path)
        for path in ("/reviews/1/timetable/add", "/reviews/1/timetable/1", "/reviews/1/timetable/1/remove"):
            assert browser.get(path).status_code == hidden, (who, path)
        token = csrf_of(browser.get("/").text)  # their own valid token: only access stops them
        for path, fields in (
            ("/reviews/1/timetable/add", walk()),
            ("/reviews/1/timetable/1", [*walk(start="8am"), ("as_of", "0")]),
            ("/reviews/1/timetable/1/remove", []),
            ("/reviews/1/timetable/tell", []),
        ):
            before = row_counts()
            with clock.frozen_at(NOW):
                answer = browser.post(
                    path,
                    content=urlencode([("csrf_token", token), *fields]),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            assert answer.status_code == hidden, (who, path)
            assert row_counts() == before, (who, path)
    assert [(s.start, s.sequence) for s in _sessions()] == [(dt.time(9), 0)]
    # a POST without the CSRF token is refused too, even from the host
    before = row_counts()
    sent = host.post(
        "/reviews/1/timetable/add",
        content=urlencode(walk()),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 403
    assert row_counts() == before
    # a session of another review is not found through this one
    assert host.get("/reviews/2/timetable/1").status_code in (403, 404)


def test_calendars_hold_each_readers_sessions_and_follow_each_change(world):
    host, peer = sign_in(HOST), sign_in(PEER)
    with clock.frozen_at(NOW):
        post_form(host, "/reviews/1/timetable/add", walk())  # Owen and Daniel
        post_form(host, "/reviews/1/timetable/add", walk(start="11am", end="midday", reviewers=(DANIEL,)))
    got = peer.get("/reviews/1/timetable/calendar.ics")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
    assert got.headers["content-disposition"] == 'attachment; filename="visit-1.ics"'
    events = _events(got.content)
    assert set(events) == {"review-1-visit@peer-review", "review-1-session-1@peer-review"}  # only Owen's
    walk_event = events["review-1-session-1@peer-review"]
    assert str(walk_event["summary"]) == "Learning walk, Steel Valley Primary"
    assert str(walk_event["location"]) == "Steel Valley Primary, Hall"
    assert str(walk_event["dtstart"].params["TZID"]) == "Europe/London"
    assert walk_event.decoded("dtstart") == dt.datetime(2024, 1, 15, 9, tzinfo=walk_event.decoded("dtstart").tzinfo)
    assert walk_event.decoded("dtstart").utcoffset() == dt.timedelta(0)  # January: GMT
    assert walk_event.decoded("dtend").time() == dt.time(10, 30) and int(walk_event["sequence"]) == 0
    assert "Owen Fletcher, Daniel Okafor" in str(walk_event["description"])
    assert "Jo Bloggs, headteacher" in str(walk_event["description"])
    every = set(_events(host.get("/reviews/1/timetable/calendar.ics").content))
    assert every == {"review-1-visit@peer-review", "review-1-session-1@peer-review", "review-1-session-2@peer-review"}
    # the host's trust calendar and the command line's calendars carry them too
    with db.session_scope() as session:
        assert set(_events(visits_calendar(session, person=MODERATOR))) >= every - {"review-1-visit@peer-review"}
        assert "review-1-session-2@peer-review" not in _events(visits_calendar(session, person=PEER))
        assert set(_events(visits_calendar(session, trust="steel-valley"))) >= every
    trust = re.search(r'href="/trusts/(\d+)"', host.get("/").text).group(1)
    assert set(_events(host.get(f"/trusts/{trust}/visits.ics").content)) >= every

    # a change: same UID, SEQUENCE up, new times; a stale form changes nothing
    with clock.frozen_at(NOW):
        form = host.get("/reviews/1/timetable/1")
        assert 'name="as_of" value="0"' in form.text and 'value="9am"' in form.text
        assert post_form(host, "/reviews/1/timetable/1", [*walk(start="9:30am"), ("as_of", "0")]).status_code == 303
        before = row_counts()
        stale = post_form(host, "/reviews/1/timetable/1", [*walk(start="8am"), ("as_of", "0")])
    assert stale.status_code == 409 and "Helen Marsh changed this session" in html.unescape(stale.text)
    assert row_counts() == before
    changed = _events(peer.get("/reviews/1/timetable/calendar.ics").content)["review-1-session-1@peer-review"]
    assert int(changed["sequence"]) == 1 and changed.decoded("dtstart").time() == dt.time(9, 30)

    # Owen taken off it: it leaves his calendar; then removed: it leaves everyone's
    with clock.frozen_at(NOW):
        post_form(host, "/reviews/1/timetable/1", [*walk(start="9:30am", reviewers=(DANIEL,)), ("as_of", "1")])
    assert "review-1-session-1@peer-review" not in _events(peer.get("/reviews/1/timetable/calendar.ics").content)
    with clock.frozen_at(NOW):
        assert "Remove this session?" in host.get("/reviews/1/timetable/1/remove").text
        assert post_form(host, "/reviews/1/timetable/1/remove", {}).status_code == 303
    assert set(_events(host.get("/reviews/1/timetable/calendar.ics").content)) == {
        "review-1-visit@peer-review",
        "review-1-session-2@peer-review",
    }


def test_tell_the_team_sends_one_email_each_with_what_changed_since_they_were_last_told(world):
    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        for start, end in (("9am", "10am"), ("10am", "11am"), ("11am", "midday")):
            post_form(host, "/reviews/1/timetable/add", walk(start=start, end=end, reviewers=(OWEN,)))
        post_form(
            host, "/reviews/1/timetable/3", [*walk(start="11am", end="12:30pm", reviewers=(OWEN,)), ("as_of", "0")]
        )
    assert _told() == []  # saving emails nobody: a host enters a dozen sessions in a row
    with clock.frozen_at(NOW):
        told = _tell(host)
    assert told.status_code == 303 and told.headers["location"] == "/reviews/1/timetable?done=told"
    first = _told()
    # the team who accepted (not Joe, still invited) and the host trust's CEO: one email each
    assert sorted(m.recipient for m in first) == sorted([PEER, MODERATOR, HOST])
    owen = next(m for m in first if m.recipient == PEER)
    assert owen.subject == "Visit timetable ready: peer review of Steel Valley Academy Trust (School improvement)"
    assert "Helen Marsh has set out the timetable" in owen.text
    assert "Monday 15 January 2024, 11am to 12:30pm: Learning walk, at Steel Valley Primary, Hall" in owen.text
    assert "Owen Fletcher is in" not in owen.text  # back to back: no clash
    owen_ics = _events(owen.ics.encode())
    assert {"review-1-session-1@peer-review", "review-1-session-3@peer-review"} <= set(owen_ics)
    daniel = next(m for m in first if m.recipient == MODERATOR)
    assert "You are not named at any session yet." in daniel.text
    assert set(_events(daniel.ics.encode())) == {"review-1-visit@peer-review"}
    helen = next(m for m in first if m.recipient == HOST)
    assert "The whole timetable:" in helen.text and "every session" in helen.text
    page = visible_text(host.get("/reviews/1/timetable?done=told").text)
    assert "The review team and the host trust have been told" in page
    assert "The team were told of the timetable as it stands on 6 November 2023 at 09:00" in page

    # nothing changed since: nobody is emailed again, and the page says why
    before = row_counts()
    with clock.frozen_at(NOW):
        again = _tell(host)
    assert again.status_code == 400 and "<title>Error: Visit timetable" in again.text
    assert re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', again.text) == [
        ("tell", "There are no changes to tell the team about since they were told on 6 November 2023 at 09:00")
    ]
    assert row_counts() == before

    # two edits of one session and a removal, then told: one email each listing just those
    with clock.frozen_at(NOW):
        post_form(
            host,
            "/reviews/1/timetable/1",
            [*walk(start="9am", end="10am", room="Library", reviewers=(OWEN,)), ("as_of", "0")],
        )
        post_form(
            host,
            "/reviews/1/timetable/1",
            [*walk(start="9am", end="9:45am", room="Library", reviewers=(OWEN,)), ("as_of", "1")],
        )
        post_form(host, "/reviews/1/timetable/2/remove", {})
        page = visible_text(host.get("/reviews/1/timetable").text)
        assert "Since the team were last told, on 6 November 2023 at 09:00, the timetable has changed:" in page
        assert _tell(host).status_code == 303
    second = _told()[len(first) :]
    assert sorted(m.recipient for m in second) == sorted([PEER, MODERATOR, HOST])
    owen = next(m for m in second if m.recipient == PEER)
    assert owen.subject.startswith("Visit timetable changed: ")
    changes = owen.text.split("What changed since you were last told:", 1)[1].split("The sessions you are at:", 1)[0]
    assert [line.strip() for line in changes.strip().splitlines() if line.strip()] == [
        "- Changed: Learning walk, Monday 15 January 2024, 9am to 9:45am: time now 9am to 9:45am (was 9am to 10am); "
        "place now Steel Valley Primary, Library (was Steel Valley Primary, Hall)",
        "- Removed: Learning walk, Monday 15 January 2024, 10am to 11am, at Steel Valley Primary, Hall",
    ]
    assert int(_events(owen.ics.encode())["review-1-session-1@peer-review"]["sequence"]) == 2
    with db.session_scope() as session:
        assert session.exec(select(AuditEntry.actor).where(AuditEntry.action == "timetable_told")).all() == [HOST] * 2


def test_hostile_text_in_every_field_is_kept_as_typed_and_escaped_everywhere(world):
    host = sign_in(HOST)
    fields = walk(
        activity="other",
        description=MIX_LINE,
        school=MIX_LINE + " school",
        room=MIX_LINE + " room",
        host_people=MIX_PARAGRAPH,
    )
    with clock.frozen_at(NOW):
        assert post_form(host, "/reviews/1/timetable/add", fields).status_code == 303
        assert _tell(host).status_code == 303
    [stored] = _sessions()
    assert (stored.description, stored.school, stored.room, stored.host_people) == (
        MIX_LINE,
        MIX_LINE + " school",
        MIX_LINE + " room",
        MIX_PARAGRAPH,
    )
    for who in (HOST, PEER):
        page = sign_in(who).get("/reviews/1/timetable")
        assert "<script>alert(1)</script>" not in page.text
        shown = html.unescape(page.text)
        assert MIX_LINE in shown and f"{MIX_LINE} school, {MIX_LINE} room" in shown and MIX_PARAGRAPH in shown
    form = host.get("/reviews/1/timetable/1")
    assert "<script>alert(1)</script>" not in form.text and MIX_PARAGRAPH in html.unescape(form.text)
    history = host.get("/reviews/1")
    assert "<script>alert(1)</script>" not in history.text and MIX_LINE in html.unescape(history.text)

    event = _events(sign_in(PEER).get("/reviews/1/timetable/calendar.ics").content)["review-1-session-1@peer-review"]
    assert str(event["summary"]) == f"{MIX_LINE}, {MIX_LINE} school"
    assert str(event["location"]) == f"{MIX_LINE} school, {MIX_LINE} room"
    assert f"From the host trust: {MIX_PARAGRAPH}" in str(event["description"])

    for row in _told():
        parsed = email.message_from_bytes(build_email(row).as_bytes(), policy=email.policy.default)
        assert parsed["Subject"] == row.subject and "\n" not in parsed["Subject"]
        assert "<script>alert(1)</script>" not in row.html
        assert MIX_LINE in row.text and MIX_LINE in html.unescape(row.html)
    assert any(MIX_PARAGRAPH in row.text for row in _told())

    # what cannot be kept is refused, naming the field: a line break in a one-line box, a NUL anywhere
    before = row_counts()
    with clock.frozen_at(NOW):
        broken = post_form(host, "/reviews/1/timetable/add", walk(school="first\nsecond", room="x" * 201))
    assert re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', broken.text) == [
        ("school", "The school or place must be one line: remove a line break at character 6"),
        ("room", "The room must be 200 characters or fewer"),
    ]
    with clock.frozen_at(NOW), db.session_scope() as session:
        viewer = access.viewer_for(session, HOST)
        with pytest.raises(service.InvalidSession) as refused:
            service.add_session(
                session, viewer, 1, service.SessionForm(**(dict(walk(reviewers=())) | {"host_people": "a\x00b"}))
            )
    assert refused.value.errors == {
        "host_people": "Who from the host trust: remove the control character NUL at character 2"
    }
    assert row_counts() == before


def test_a_cancelled_review_s_timetable_no_longer_changes(world):
    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        post_form(host, "/reviews/1/timetable/add", walk())
    with db.session_scope() as session:
        from peer_review.store.tables import Review

        review = session.get(Review, 1)
        review.stage = "cancelled"
        session.add(review)
    before = row_counts()
    with clock.frozen_at(NOW):
        refused = post_form(host, "/reviews/1/timetable/add", walk())
    assert refused.status_code == 409 and "can no longer change" in refused.text
    assert row_counts() == before
    page = visible_text(host.get("/reviews/1/timetable").text)
    assert "9am to 10:30am: Learning walk" in page and "Add a session" not in page


def test_when_the_visit_moves_its_sessions_move_with_it_day_for_day(world):
    from peer_review.service.rescheduling import reschedule

    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        post_form(host, "/reviews/1/timetable/add", walk(day="2024-01-16"))
        with db.session_scope() as session:
            reschedule(session, 1, dt.date(2024, 2, 27), "Ofsted inspection that week", HOST)
    [moved] = _sessions()
    assert (moved.day, moved.start, moved.sequence) == (dt.date(2024, 2, 28), dt.time(9), 1)  # still the second day
    event = _events(sign_in(PEER).get("/reviews/1/timetable/calendar.ics").content)["review-1-session-1@peer-review"]
    assert event.decoded("dtstart").date() == dt.date(2024, 2, 28) and int(event["sequence"]) == 1
    assert "Problems to put right" not in host.get("/reviews/1/timetable").text


def test_the_daily_sweep_tells_the_team_of_changes_nobody_told_them_of_once_it_is_quiet(world):
    from peer_review.service import reminders

    host = sign_in(HOST)
    with clock.frozen_at(NOW):
        post_form(host, "/reviews/1/timetable/add", walk(reviewers=(OWEN,)))
        assert reminders.sweep(db.session_scope).timetables == 0  # just changed: the host may be at it still
    assert _told() == []
    with clock.frozen_at(NOW + dt.timedelta(hours=3)):
        assert reminders.sweep(db.session_scope).timetables == 3  # Owen, Daniel and the host's CEO
        assert reminders.sweep(db.session_scope).timetables == 0  # told: nothing more
    owen = next(m for m in _told() if m.recipient == PEER)
    assert "Steel Valley Academy Trust has set out the timetable" in owen.text
    with db.session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "timetable_told")).one()
    assert entry.actor == "engine"
    history = visible_text(host.get("/reviews/1").text)
    assert "told the review team" in history
