"""The coordinator's pages over HTTP (FastAPI's TestClient): every page and export, the export token, 404s, `serve`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import event

from peer_review import clock
from peer_review.service.queries import CSV_COLUMNS, overview, overview_json
from peer_review.store import db
from peer_review.store.tables import Document

from helpers import EXAMPLE, new_client, run_cli, sign_in

pytestmark = pytest.mark.db

TOKEN = "test-token-not-a-secret"
COORDINATOR = "ruth.ashby@coordinator.example.org"
EXPORTS = ["/partnerships/1/timeline.svg", "/partnerships/1/status.json", "/partnerships/1/status.csv"]
PAGES = [
    "/",
    "/partnerships",
    "/partnerships/1",
    "/partnerships/1/timeline.svg",
    "/partnerships/1/status.json",
    "/partnerships/1/status.csv",
    "/reviews/1",
    "/reviews/1/documents/review-report",
]


@pytest.fixture
def site(planned):
    """The planned triad seen in January 2024, with a stored report for review 1, behind a token."""
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 10), 9)):
        with db.session_scope() as session:
            session.add(
                Document(
                    review_id=1,
                    kind="review-report",
                    filename="001 report & summary.docx",
                    content=b"PK\x03\x04 a word file",
                    sha256="x",
                    created_at=clock.now(),
                )
            )
        yield sign_in(COORDINATOR, new_client(export_token=TOKEN))


def test_every_page_and_export_answers_with_the_token(site):
    for path in PAGES:
        response = site.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path  # people's names and work
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path


def test_partnership_page_shows_grid_overdue_work_timeline_and_load(site):
    html = site.get("/partnerships/1").text
    assert '<h1 class="govuk-heading-l">Sheffield pilot triad</h1>' in html
    for trust in ("Steel Valley Academy Trust", "Don River Learning Partnership", "Peak Edge Schools Trust"):
        assert re.search(
            rf'<th scope="row" class="govuk-table__header"><a class="govuk-link" href="/trusts/\d+">{trust}</a></th>',
            html,
        )
    # stages are written in words beside their colour; review 1 is overdue (its team never answered)
    assert '<strong class="govuk-tag govuk-tag--light-blue">assignment</strong>' in html
    assert '<strong class="govuk-tag govuk-tag--red">overdue</strong>' in html
    for holder in (
        "owen.fletcher@donriver.example.org",
        "joe.hartley@peakedge.example.org",
        "daniel.okafor@coordinator.example.org",
    ):
        assert holder in html
    assert 'class="today"' in html and 'class="holiday"' in html
    assert "Daniel Okafor" in html and "(limit 2)" in html  # the moderators' load, against their termly limit


def test_exports_match_the_command_line_view(site):
    with db.session_scope() as session:
        expected = overview_json(overview(session))
    assert site.get("/partnerships/1/status.json").json() == expected
    response = site.get("/partnerships/1/status.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == 12


def test_partnerships_list_counts_each_partnerships_reviews_and_late_work(site):
    html = site.get("/partnerships").text
    assert '<a class="govuk-link" href="/partnerships/1">Sheffield pilot triad</a>' in html
    assert "0 of 12" in html  # reviews closed
    assert '<strong class="govuk-tag govuk-tag--red">3 overdue</strong>' in html  # review 1's team, in January 2024


def test_timeline_is_svg_with_planned_and_actual_bars_today_and_holidays(site):
    response = site.get("/partnerships/1/timeline.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(response.text)
    classes = [element.get("class") for element in svg.iter()]
    assert classes.count("planned") == 12
    assert classes.count("holiday") > 12  # every row shades its host's holidays
    assert classes.count("today") == 1
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "Sheffield pilot triad: planned and actual dates"


def test_review_page_shows_stages_team_tasks_documents_and_history(site):
    html = site.get("/reviews/1").text
    assert "School improvement" in html and "Steel Valley Academy Trust" in html
    for stage in (
        "scheduled",
        "assignment",
        "lines of enquiry",
        "evidence",
        "findings",
        "moderation",
        "report",
        "feedback",
        "closed",
    ):
        assert f'<dt class="govuk-summary-list__key">{stage}</dt>' in html
    assert "Daniel Okafor" in html and "moderator" in html
    assert "Accept or decline your place on the review team" in html
    assert "overdue by" in html
    assert 'href="/reviews/1/documents/review-report"' in html
    assert "The review moved from Scheduled to Assignment" in html  # the audit history, in words
    assert "Owen Fletcher was asked to accept or decline a place on the review team" in html


def test_document_download_keeps_the_stored_bytes_and_name(site):
    response = site.get("/reviews/1/documents/review-report")
    assert response.content == b"PK\x03\x04 a word file"
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''001%20report%20%26%20summary.docx"


def test_exports_answer_a_scripts_token_and_nothing_else_does(site):
    script = new_client(export_token=TOKEN)
    for path in EXPORTS:
        assert script.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200, path
        assert script.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401, path
        assert script.get(path).status_code == 401, path
    for path in ("/partnerships/1", "/reviews/1", "/"):  # pages are for people, who sign in
        response = script.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in?next="), path


def test_unknown_ids_are_404(site):
    for path in (
        "/partnerships/99",
        "/reviews/999",
        "/reviews/1/documents/moderation-record",
        "/partnerships/99/status.json",
        "/reviews/999/documents/review-report",
    ):
        assert site.get(path).status_code == 404, path
    page = site.get("/reviews/999")
    assert "Page not found" in page.text and "No review with id 999" in page.text
    for path in (
        "/reviews/not-a-number",
        "/reviews/99999999999999999999999",
        "/reviews/0",
        "/tasks/-1",
        "/partnerships/1e5",
    ):
        response = site.get(path)
        assert response.status_code == 404, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path


def test_pages_use_a_fixed_number_of_queries_however_much_work_there_is(site):
    """No N+1: opening every review adds tasks, team answers and history, but no queries."""
    from peer_review.service import workflow

    def statements(path: str) -> int:
        count = 0

        def tally(*_args):
            nonlocal count
            count += 1

        engine = db.get_engine()
        event.listen(engine, "before_cursor_execute", tally)
        try:
            assert site.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", tally)
        return count

    before = {path: statements(path) for path in ("/partnerships", "/partnerships/1", "/reviews/1")}
    for review_id in range(2, 13):
        workflow.advance_review(db.session_scope, review_id)
    after = {path: statements(path) for path in before}
    assert after == before


def test_serve_refuses_other_computers_without_its_public_address(tmp_path):
    result = run_cli(
        "serve",
        "--host",
        "0.0.0.0",
        env={"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PEER_REVIEW_WEB_URL": ""},
    )
    assert result.returncode == 2
    assert "PEER_REVIEW_WEB_URL" in result.stderr and "Traceback" not in result.stderr


def test_serve_answers_this_computer_over_http(tmp_path):
    """`peer-review serve` as a user starts it, on this computer: the sign-in page, and HEAD answered."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    env = {
        **os.environ,
        "PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "PEER_REVIEW_WEB_TOKEN": "",
        "PEER_REVIEW_WEB_URL": "",
    }
    assert run_cli("partnership", "load", EXAMPLE, env=env).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "peer_review", "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/")
                break
            except httpx.ConnectError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "serve did not start listening"
                time.sleep(0.2)
        assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=%2F"
        form = httpx.get(f"http://127.0.0.1:{port}/sign-in")
        assert form.status_code == 200 and "Email me a sign-in link" in form.text
        head = httpx.head(f"http://127.0.0.1:{port}/sign-in")
        assert head.status_code == 200 and head.content == b"" and head.headers["content-type"].startswith("text/html")
        assert httpx.get(f"http://127.0.0.1:{port}/sign-in", headers={"Host": "evil.example"}).status_code == 400
    finally:
        server.terminate()
        server.wait(10)


def test_an_unexpected_error_is_a_plain_500_page_with_the_security_headers(site, monkeypatch):
    from peer_review.service import dashboard

    def broken(*_args):
        raise RuntimeError("a bug, with a secret in its message")

    monkeypatch.setattr(dashboard, "review_detail", broken)
    response = site.get("/reviews/1")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text and "secret" not in response.text
    assert (
        "script-src 'none'" in response.headers["content-security-policy"]
        and response.headers["cache-control"] == "no-store"
    )
