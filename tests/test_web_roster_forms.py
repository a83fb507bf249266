"""The coordinator sees the roster and changes it on forms (a trust, a CEO, a reviewer, a moderator added or
removed): each change previewed, then stored exactly as the same change made to the file with
`partnership load --update` stores it; refusals in people's words, and nothing written."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sqlite3

import pytest

from peer_review import clock
from peer_review.entrypoints.cli import app
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading
from peer_review.store import db

from helpers import EXAMPLE, compare_databases, csrf_of, plan_and_publish, row_counts, sign_in

OWEN_LINE = "      - {name: Owen Fletcher, email: owen.fletcher@donriver.example.org, role: Deputy CEO, strands: [school-improvement, workforce]}\n"
JO = "      - {name: Jo New, email: jo.new@donriver.example.org, role: Head of School Improvement}\n"
CEO = "helen.marsh@steelvalley.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"


def _change(client, fields: dict):
    """POST a roster change as the roster page's forms and buttons send it."""
    token = csrf_of(client.get("/partnerships/1/roster").text)
    return client.post("/partnerships/1/roster/change", data={"csrf_token": token, **fields})


def _apply(client, preview):
    text = re.search(r'name="text" value="([^"]*)"', preview.text, re.S).group(1)
    filename = re.search(r'name="filename" value="([^"]*)"', preview.text).group(1)
    as_of = re.search(r'name="as_of" value="([^"]*)"', preview.text).group(1)
    return client.post(
        "/partnerships/1/roster/apply",
        data={"csrf_token": csrf_of(preview.text), "filename": filename, "text": html.unescape(text), "as_of": as_of},
    )


def test_a_reviewer_added_on_the_form_is_stored_as_the_same_change_with_update_stores(tmp_path, monkeypatch):
    """Jo New joins Don River as a reviewer a week into the cycle: on the roster page's form, and by adding her
    line to the partnership file and running `partnership load --update`; every table's records compared."""
    edited = tmp_path / "roster-page.yaml"  # the name a form's change is recorded under
    edited.write_text(EXAMPLE.read_text().replace(OWEN_LINE, OWEN_LINE + JO))
    paths = {"web": tmp_path / "web.db", "cli": tmp_path / "cli.db"}
    for how, path in paths.items():
        db.dispose_all()
        db.configure(f"sqlite:///{path}")
        try:
            with clock.frozen_at(clock.at_london(dt.date(2023, 11, 1), 9)):
                with db.session_scope() as session:
                    loading.store_partnership(session, load_partnership_file(EXAMPLE))
                    plan_and_publish(session, None)
            with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
                if how == "cli":
                    monkeypatch.chdir(tmp_path)
                    app(["partnership", "load", edited.name, "--update"], standalone_mode=False)
                    continue
                coordinator = sign_in(COORDINATOR)
                roster = coordinator.get("/partnerships/1/roster").text
                assert "Owen Fletcher, Deputy CEO" in roster and "Daniel Okafor" in roster
                form = coordinator.get("/partnerships/1/roster/change?action=add_reviewer&trust=don-river")
                assert form.status_code == 200 and "Don River Learning Partnership" in form.text
                before = row_counts()
                preview = _change(
                    coordinator,
                    {
                        "action": "add_reviewer",
                        "trust": "don-river",
                        "name": "Jo  New",
                        "email": "Jo.New@donriver.example.org",
                        "role": "Head of School Improvement",
                    },
                )
                assert preview.status_code == 200, preview.text
                [change] = re.findall(
                    r'<ul class="govuk-list govuk-list--bullet" id="changes"><li>([^<]+)</li>', preview.text
                )
                assert html.unescape(change) == (
                    "Jo New <jo.new@donriver.example.org> joins Don River Learning Partnership as reviewer"
                )
                assert row_counts() == before  # a preview writes nothing
                applied = _apply(coordinator, preview)
                assert applied.status_code == 303
                after = coordinator.get(applied.headers["location"]).text
                assert "The roster has been changed" in after and "Jo New, Head of School Improvement" in after
        finally:
            db.configure(None)
            db.dispose_all()
    web_only = shutil.copy(paths["web"], tmp_path / "web-records.db")
    with sqlite3.connect(web_only) as connection:  # signing in is the web's own record, not the change's
        connection.execute("DELETE FROM outboxmessage WHERE event = 'sign_in'")
        connection.execute("DELETE FROM websession")
        connection.execute("DELETE FROM signinrequest")
        # the web knows who made the change; the command line does not
        connection.execute("UPDATE auditentry SET actor = 'engine' WHERE actor = ?", (COORDINATOR,))
    assert compare_databases().main(str(paths["cli"]), str(web_only)) == 0


@pytest.mark.db
def test_trusts_ceos_and_moderators_change_on_forms_and_refusals_write_nothing(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    coordinator = sign_in(COORDINATOR)
    before = row_counts()
    for fields, field, message in (
        (
            {"action": "add_reviewer", "trust": "don-river", "name": "", "email": "jo@x.org", "role": "Head"},
            "name",
            "Enter their full name",
        ),
        (
            {"action": "add_reviewer", "trust": "don-river", "name": "Jo", "email": "jo at x", "role": "Head"},
            "email",
            "Enter an email address in the correct format, like name@example.org",
        ),
        (
            {
                "action": "add_moderator",
                "name": "Jo",
                "email": "helen.marsh@steelvalley.example.org",
                "organisation": "LS",
            },
            "email",
            "Helen Marsh already uses this email address in the partnership, as the CEO of Steel Valley Academy Trust",
        ),
        (
            {"action": "replace_ceo", "trust": "steel-valley", "name": "Helen Marsh", "email": CEO},
            "email",
            "Helen Marsh is already the CEO of Steel Valley Academy Trust",
        ),
        (
            {
                "action": "add_trust",
                "trust_name": "Don River Learning Partnership",
                "ceo_name": "A",
                "ceo_email": "a@b.org",
                "reviewer_name": "B",
                "reviewer_email": "b@b.org",
                "reviewer_role": "Head",
            },
            "trust_name",
            "Don River Learning Partnership is already in the partnership",
        ),
    ):
        refused = _change(coordinator, fields)
        assert refused.status_code == 400, fields
        assert f'<a href="#{field}">{html.escape(message, quote=True)}</a>' in refused.text, refused.text
        assert f'id="{field}-error"' in refused.text
    removed_all = _change(
        coordinator, {"action": "remove_person", "email": "daniel.okafor@coordinator.example.org", "role": "moderator"}
    )
    assert removed_all.status_code == 200  # one moderator left: previewed
    alone = _change(coordinator, {"action": "remove_trust", "trust": "nowhere"})
    assert alone.status_code == 400 and "Select a trust of this partnership" in alone.text
    assert row_counts() == before

    new_ceo = _change(
        coordinator,
        {
            "action": "replace_ceo",
            "trust": "steel-valley",
            "name": "Nia Cole",
            "email": "nia.cole@steelvalley.example.org",
        },
    )
    assert "Steel Valley Academy Trust: CEO Helen Marsh" in html.unescape(new_ceo.text)
    assert "Helen Marsh &lt;helen.marsh@steelvalley.example.org&gt; leaves the partnership" in new_ceo.text
    assert _apply(coordinator, new_ceo).status_code == 303
    joined = _change(
        coordinator,
        {
            "action": "add_trust",
            "trust_name": "Loxley Valley Trust",
            "ceo_name": "Ann Lee",
            "ceo_email": "ann@loxley.example.org",
            "reviewer_name": "Bo Ray",
            "reviewer_email": "bo@loxley.example.org",
            "reviewer_role": "Director of Education",
        },
    )
    assert "Loxley Valley Trust joins the partnership" in joined.text
    assert _apply(coordinator, joined).status_code == 303
    page = coordinator.get("/partnerships/1/roster").text
    assert "Nia Cole" in page and "Loxley Valley Trust" in page and "Bo Ray, Director of Education" in page
    download = coordinator.get("/partnerships/1/roster.yaml")
    assert download.status_code == 200 and "id: loxley-valley-trust" in download.text
    assert "helen.marsh" not in download.text


@pytest.mark.db
def test_only_the_coordinator_sees_and_changes_the_roster(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    ceo = sign_in(CEO)
    before = row_counts()
    token = csrf_of(ceo.get("/").text)
    assert ceo.get("/partnerships/1/roster.yaml").status_code == 403
    assert ceo.get("/partnerships/1/roster/change?action=add_moderator").status_code == 403
    sent = {"csrf_token": token, "action": "remove_trust", "trust": "don-river"}
    assert ceo.post("/partnerships/1/roster/change", data=sent).status_code == 403
    coordinator = sign_in(COORDINATOR)
    assert coordinator.post("/partnerships/1/roster/change", data=sent | {"csrf_token": ""}).status_code == 403
    assert row_counts() == before | {k: before[k] + 1 for k in ("signinrequest", "websession", "outboxmessage")}


@pytest.mark.db
def test_the_file_as_it_stands_holds_everyone_even_those_added_as_replacements(database_url):
    """Written out and read back, the stored partnership differs from itself only where a replacement the
    coordinator added left a detail blank that the file must give."""
    from peer_review.files.partnerships import load_uploaded_partnership
    from peer_review.service import roster
    from peer_review.service.partnership_file import as_yaml, partnership_file, stored_parts
    from peer_review.store.people import add_person, partnership_named, trust_by_key

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
        partnership = partnership_named(session, "Sheffield pilot triad")
        trust = trust_by_key(session, partnership.id, "don-river")
        add_person(
            session,
            partnership_id=partnership.id,
            email="kim.new@donriver.example.org",
            name="Kim New",
            trust_id=trust.id,
            is_reviewer=True,
            organisation=trust.name,
        )
        add_person(
            session, partnership_id=partnership.id, email="lee.mod@example.org", name="Lee Mod", is_moderator=True
        )
        session.flush()
        text = as_yaml(partnership_file(session, partnership))
        loaded = load_uploaded_partnership("x.yaml", text, stored=stored_parts(session, partnership))
        changes = roster.update_partnership(session, loaded, dry_run=True).changes
        assert [c.sentence for c in changes] == [
            "Lee Mod <lee.mod@example.org>: organisation '' -> 'Learn Sheffield'; max reviews per term None -> 2",
            "Kim New <kim.new@donriver.example.org>: job title '' -> 'Reviewer'",
        ]
        session.rollback()


def test_a_trust_with_a_started_review_cannot_be_removed_and_the_page_says_why_in_names(planned):
    from helpers import do, open_tasks

    for _ in range(20):  # Steel Valley's first review starts: its CEO is asked for the lines of enquiry
        tasks = open_tasks(1)
        if any(t.kind == "propose_lines" for t in tasks):
            break
        do(tasks[0])
    coordinator = sign_in(COORDINATOR)
    before = row_counts()
    refused = _change(coordinator, {"action": "remove_trust", "trust": "steel-valley"})
    assert refused.status_code == 409
    [message] = re.findall(r'<a href="#roster">([^<]+)</a>', refused.text)
    assert html.unescape(message).startswith(
        "Steel Valley Academy Trust cannot leave: it has started or finished reviews (School improvement)"
    ), message
    assert "steel-valley" not in message and "line" not in message
    assert row_counts() == before


@pytest.mark.db
def test_a_change_checked_before_another_was_applied_is_not_applied_over_it(database_url):
    """Two changes previewed (two tabs, or a page left open), both applied: the second was checked against a
    roster that is no longer there, and applying it would undo the first, so it is refused, in words."""
    from sqlmodel import select

    from peer_review.store.tables import AuditEntry

    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    coordinator = sign_in(COORDINATOR)
    jo = _change(
        coordinator,
        {
            "action": "add_reviewer",
            "trust": "don-river",
            "name": "Jo New",
            "email": "jo.new@donriver.example.org",
            "role": "Head",
        },
    )
    kim = _change(
        coordinator,
        {"action": "add_moderator", "name": "Kim Mod", "email": "kim@moderators.example.org", "organisation": "LS"},
    )
    assert _apply(coordinator, jo).status_code == 303
    before = row_counts()
    stale = _apply(coordinator, kim)
    assert stale.status_code == 409 and "The roster has changed since these changes were checked" in stale.text
    assert row_counts() == before
    page = coordinator.get("/partnerships/1/roster").text
    assert "Jo New, Head" in page and "Kim Mod" not in page
    assert coordinator.get("/partnerships/1/roster.yaml").status_code == 200
    with db.session_scope() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action.in_(["person_joined", "roster_exported"]))
        ).all()
        assert [(e.action, e.actor) for e in entries] == [
            ("person_joined", COORDINATOR),
            ("roster_exported", COORDINATOR),
        ]
