"""The coordinator sets a partnership up from its file, and changes its roster, in the browser: the file's
errors named by line and key, nothing stored on a refusal, and a roster change stores what
`partnership load --update` stores."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sqlite3

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.entrypoints.cli import app
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading
from peer_review.store import db
from peer_review.store.tables import Partnership

from helpers import EXAMPLE, PEAK_EDGE_COPY, ROOT, compare_databases, csrf_of, plan_and_publish, row_counts, sign_in

COORDINATOR = "ruth.ashby@coordinator.example.org"
CEO = "helen.marsh@steelvalley.example.org"
NEW = EXAMPLE.read_text().replace("Sheffield pilot triad", "Loxley valley triad")


def _upload(client, page_path: str, path: str, name: str, text: str, fields: dict | None = None):
    token = csrf_of(client.get(page_path).text)
    return client.post(
        path,
        data={"csrf_token": token, **(fields or {})},
        files={"file": (name, text.encode(), "application/yaml")},
    )


@pytest.mark.db
def test_the_coordinator_sets_up_a_partnership_from_its_file_after_one_with_an_error(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))  # the one they coordinate already
    coordinator = sign_in(COORDINATOR)
    assert 'href="/partnerships/new"' in coordinator.get("/partnerships").text
    before = row_counts()
    broken = NEW.replace("strand_order: [school-improvement,", "strand_order: [school-improvment,", 1)
    refused = _upload(coordinator, "/partnerships/new", "/partnerships/new", "loxley.yaml", broken)
    assert refused.status_code == 400 and "There is a problem" in refused.text
    [message] = re.findall(r'<a href="#file">([^<]+)</a>', refused.text)
    assert re.match(r"loxley\.yaml, line \d+ \(trusts\[0\]\.strand_order\[0\]\): ", message), message
    assert "school-improvment" in message
    assert row_counts() == before

    for bad, words in (
        (NEW.replace("term_dates: sheffield", "term_dates: /etc/passwd.yaml"), "names a file"),
        (
            NEW.replace("email: ruth.ashby@coordinator.example.org", "email: someone@else.example.org"),
            "you can set up only a partnership you coordinate",
        ),
        ("", "The selected file is empty"),
    ):
        answer = _upload(coordinator, "/partnerships/new", "/partnerships/new", "x.yaml", bad)
        assert answer.status_code == 400 and words in answer.text.replace("&#39;", "'"), words
    nothing = coordinator.post(
        "/partnerships/new", data={"csrf_token": csrf_of(coordinator.get("/partnerships/new").text)}
    )
    assert nothing.status_code == 400 and "Select the partnership file" in nothing.text
    assert row_counts() == before

    created = _upload(coordinator, "/partnerships/new", "/partnerships/new", "loxley.yaml", NEW)
    assert created.status_code == 303
    page = coordinator.get(created.headers["location"]).text
    assert "The partnership has been set up" in page and "Loxley valley triad" in page
    assert "Propose the cycle to the trusts" in page


@pytest.mark.db
def test_only_a_coordinator_sets_up_and_changes_a_roster(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    ceo = sign_in(CEO)
    before = row_counts()
    assert ceo.get("/partnerships/new").status_code == 403
    token = csrf_of(ceo.get("/").text)
    files = {"file": ("x.yaml", NEW.encode(), "application/yaml")}
    assert ceo.post("/partnerships/new", data={"csrf_token": token}, files=files).status_code == 403
    assert ceo.get("/partnerships/1/roster").status_code == 403
    assert ceo.post("/partnerships/1/roster", data={"csrf_token": token}, files=files).status_code == 403
    assert ceo.post("/partnerships/1/roster/apply", data={"csrf_token": token, "text": NEW}).status_code == 403
    coordinator = sign_in(COORDINATOR)
    no_token = coordinator.post("/partnerships/new", files=files)
    assert no_token.status_code == 403 and "Your form has expired" in no_token.text
    too_big = coordinator.post(
        "/partnerships/new",
        data={"csrf_token": token},
        files={"file": ("x.yaml", b"a" * 2_100_000, "application/yaml")},
    )
    assert too_big.status_code == 413
    assert row_counts() == before | {
        "signinrequest": before["signinrequest"] + 1,
        "websession": before["websession"] + 1,
        "outboxmessage": before["outboxmessage"] + 1,
    }


def test_a_roster_change_on_the_web_stores_what_the_same_change_with_update_stores(tmp_path, monkeypatch):
    """Loxley joins the triad a week into its cycle: through the web's preview and apply, and with
    `peer-review partnership load --update`, each on its own database; every table's records compared."""
    four = tmp_path / "four.yaml"
    four.write_text(EXAMPLE.read_text() + PEAK_EDGE_COPY)
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
                    monkeypatch.chdir(tmp_path)  # the file as the coordinator names it: in the records as "four.yaml"
                    app(["partnership", "load", "four.yaml", "--update"], standalone_mode=False)
                else:
                    coordinator = sign_in(COORDINATOR)
                    before = row_counts()
                    preview = _upload(
                        coordinator, "/partnerships/1/roster", "/partnerships/1/roster", "four.yaml", four.read_text()
                    )
                    assert preview.status_code == 200 and "Apply these changes" in preview.text
                    assert "Loxley Valley Trust" in preview.text
                    assert row_counts() == before  # a preview writes nothing
                    token = csrf_of(preview.text)
                    text = re.search(r'name="text" value="([^"]*)"', preview.text, re.S).group(1)
                    as_of = re.search(r'name="as_of" value="([^"]*)"', preview.text).group(1)
                    applied = coordinator.post(
                        "/partnerships/1/roster/apply",
                        data={
                            "csrf_token": token,
                            "filename": "four.yaml",
                            "text": html.unescape(text),
                            "as_of": as_of,
                        },
                    )
                    assert applied.status_code == 303
                    assert "The roster has been changed" in coordinator.get(applied.headers["location"]).text
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
    compare = compare_databases()
    assert compare.main(str(paths["cli"]), str(web_only)) == 0
    with sqlite3.connect(paths["cli"]) as connection:
        assert connection.execute("SELECT count(*) FROM trust").fetchone()[0] == 4
        assert connection.execute("SELECT count(*) FROM review").fetchone()[0] == 16  # Loxley's four planned


SHEFFIELD = ROOT / "peer_review" / "files" / "calendars" / "sheffield.yaml"


@pytest.mark.db
def test_the_coordinator_loads_school_calendars_on_the_web_with_the_update_rules(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    coordinator, ceo = sign_in(COORDINATOR), sign_in(CEO)
    assert ceo.get("/partnerships/1/calendars").status_code == 403
    page = coordinator.get("/partnerships/1/calendars").text
    assert "provisional from" in page and "Steel Valley Academy Trust, Don River" in page

    before = row_counts()
    longer = SHEFFIELD.read_text().replace("through: 2028-29", "through: 2029-30")
    preview = _upload(coordinator, "/partnerships/1/calendars", "/partnerships/1/calendars", "sheffield.yaml", longer)
    assert preview.status_code == 200
    assert (
        "The school calendar &#39;sheffield&#39; now covers 2023-24 to 2029-30 (it covered 2023-24 to 2028-29)"
        in preview.text
    )
    assert row_counts() == before  # checked, not kept
    first_term = re.search(r"  - \{start: (2023-09-\d\d), end: (2023-10-\d\d)\}", longer)
    moved = longer.replace(first_term.group(0), first_term.group(0).replace(first_term.group(2), "2023-10-27"), 1)
    refused = _upload(coordinator, "/partnerships/1/calendars", "/partnerships/1/calendars", "sheffield.yaml", moved)
    assert refused.status_code == 400 and "put the published dates back as they were loaded" in refused.text
    assert row_counts() == before

    token = csrf_of(preview.text)
    text = html.unescape(re.search(r'name="text" value="([^"]*)"', preview.text, re.S).group(1))
    applied = coordinator.post(
        "/partnerships/1/calendars/apply",
        data={"csrf_token": token, "filename": "sheffield.yaml", "for": "", "text": text},
    )
    assert applied.status_code == 303
    with db.session_scope() as session:
        stored = session.exec(select(Partnership)).one().calendars["sheffield"]
        assert stored["half_terms"][-1][1].startswith("2030-07")

    own = SHEFFIELD.read_text().replace("id: sheffield", "id: peak-edge-own", 1)
    for_one = _upload(
        coordinator, "/partnerships/1/calendars", "/partnerships/1/calendars", "own.yaml", own, {"for": "peak-edge"}
    )
    assert "Peak Edge Schools Trust now follows the school calendar &#39;peak-edge-own&#39;" in for_one.text


EXAMPLES = ROOT / "peer_review" / "demo" / "examples"


@pytest.mark.db
def test_the_coordinator_opens_a_survey_and_loads_context_on_the_web_as_the_command_line_does(database_url):
    from peer_review.store.tables import ExternalReview, HeadlineFigure, SurveyInvitation

    with clock.frozen_at(clock.at_london(dt.date(2024, 7, 1), 9)):  # after the example external review's date
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
        coordinator, ceo = sign_in(COORDINATOR), sign_in(CEO)
        assert ceo.get("/partnerships/1/context").status_code == 403
        before = row_counts()
        token = csrf_of(coordinator.get("/partnerships/1/context").text)
        nothing = coordinator.post("/partnerships/1/context/survey", data={"csrf_token": token})
        assert nothing.status_code == 400 and "Select the survey round to open" in nothing.text
        headline = (EXAMPLES / "headline.csv").read_text()
        broken = headline.replace("\n", "\nnobody,2022-23,Pupils (%),55,x\n", 1)
        refused = coordinator.post(
            "/partnerships/1/context/headline",
            data={"csrf_token": token},
            files={"headline-file": ("headline.csv", broken.encode(), "text/csv")},
        )
        assert refused.status_code == 400 and re.search(r"headline\.csv, line 2, column &#39;trust&#39;", refused.text)
        assert row_counts() == before

        opened = coordinator.post("/partnerships/1/context/survey", data={"csrf_token": token, "round": "baseline"})
        assert opened.status_code == 303
        loaded = coordinator.post(
            "/partnerships/1/context/headline",
            data={"csrf_token": token},
            files={"headline-file": ("headline.csv", headline.encode(), "text/csv")},
        )
        assert loaded.status_code == 303
        assert "The headline figures have been loaded" in coordinator.get(loaded.headers["location"]).text
        external = (EXAMPLES / "external-review.yaml").read_text()
        assert (
            coordinator.post(
                "/partnerships/1/context/external",
                data={"csrf_token": token},
                files={"external-file": ("external-review.yaml", external.encode(), "application/yaml")},
            ).status_code
            == 303
        )
    with db.session_scope() as session:
        web = sorted((f.trust_id, f.year, f.measure, f.value) for f in session.exec(select(HeadlineFigure)))
        assert session.exec(select(SurveyInvitation)).first() is not None
        assert session.exec(select(ExternalReview)).first() is not None
        # the same file through the command line's reader and use case gives the same figures
        from peer_review.files.context_files import read_headline_csv
        from peer_review.service import context_data

        context_data.load_headline_figures(session, None, read_headline_csv(EXAMPLES / "headline.csv"))
        session.flush()
        again = sorted((f.trust_id, f.year, f.measure, f.value) for f in session.exec(select(HeadlineFigure)))
        assert again == web and web
