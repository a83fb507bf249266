"""The coordinator sets a partnership up on forms, with no file: what is stored is what the same partnership's
file stores; problems are named in GOV.UK's words with nothing stored; only a coordinator may."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from peer_review.files.partnerships import load_partnership_file, load_uploaded_partnership
from peer_review.service import loading
from peer_review.store import db
from peer_review.store.tables import Partnership, Person, Trust

from helpers import EXAMPLE, csrf_of, row_counts, sign_in

COORDINATOR = "ruth.ashby@coordinator.example.org"
CEO = "helen.marsh@steelvalley.example.org"
FORM = "/partnerships/new/form"
STRANDS = "[quality-inclusive-education, school-improvement, workforce, governance-leadership-operations]"

#: The partnership the forms below set up, written as its file.
AS_A_FILE = f"""name: Loxley valley triad (file)
framework: learn-sheffield-trust-review
cycle: {{start: 2027-01-04, months: 12}}
term_dates: sheffield
visit_days: 3
peers_per_trust: 2
coordinator: {{name: Ruth Ashby, email: ruth.ashby@coordinator.example.org}}
moderators:
  - {{name: Ada Moss, email: ada.moss@moderators.example.org, organisation: Learn Sheffield}}
trusts:
  - id: loxley-valley-trust
    name: Loxley Valley Trust
    ceo: {{name: Lena Ward, email: lena.ward@loxley.example.org}}
    strand_order: {STRANDS}
    reviewers: [{{name: Ian Cole, email: ian.cole@loxley.example.org, role: Director of Education}}]
  - id: rivelin-schools
    name: Rivelin Schools
    ceo: {{name: Kit Fry, email: kit.fry@rivelin.example.org}}
    strand_order: {STRANDS}
    reviewers: [{{name: Mo Reed, email: mo.reed@rivelin.example.org, role: Head of HR}}]
"""

BASICS = {
    "name": "Loxley valley triad",
    "framework": "learn-sheffield-trust-review",
    "start-day": "4",
    "start-month": "1",
    "start-year": "2027",
    "months": "12",
    "visit_days": "3",
    "peers_per_trust": "2",
}
LOXLEY = {
    "trust_name": "Loxley Valley Trust",
    "ceo_name": "Lena Ward",
    "ceo_email": "lena.ward@loxley.example.org",
    "reviewer_name": "Ian Cole",
    "reviewer_email": "ian.cole@loxley.example.org",
    "reviewer_role": "Director of Education",
}
RIVELIN = {
    "trust_name": "Rivelin Schools",
    "ceo_name": "Kit Fry",
    "ceo_email": "Kit.Fry@rivelin.example.org",
    "reviewer_name": "Mo Reed",
    "reviewer_email": "mo.reed@rivelin.example.org",
    "reviewer_role": "Head of HR",
}
MODERATOR = {"moderator_name": "Ada Moss", "moderator_email": "ada.moss@moderators.example.org"}


def _coordinator():
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))  # the one they coordinate already
    return sign_in(COORDINATOR)


def _next(client, page, path: str, fields: dict | None = None, status: int = 200):
    """Send one of the page's forms with the draft it carries."""
    draft = html.unescape(re.search(r'name="draft" value="([^"]*)"', page.text).group(1))
    answer = client.post(path, data={"csrf_token": csrf_of(page.text), "draft": draft, **(fields or {})})
    assert answer.status_code == status, answer.text
    return answer


def _draft_with_trusts(client, *trusts):
    basics = client.post(FORM, data={"csrf_token": csrf_of(client.get(FORM).text), **BASICS})
    assert basics.status_code == 200, basics.text
    for trust in trusts:
        basics = _next(client, basics, f"{FORM}/trust", trust)
    return basics


def _rows(session, name: str) -> tuple[dict, list[dict], list[dict]]:
    """A partnership's settings, trusts and people as stored, without row ids (trusts named by their keys)."""
    partnership = session.exec(select(Partnership).where(Partnership.name == name)).one()
    trusts = session.exec(select(Trust).where(Trust.partnership_id == partnership.id).order_by(Trust.key)).all()
    keys = {t.id: t.key for t in trusts}
    people = session.exec(select(Person).where(Person.partnership_id == partnership.id).order_by(Person.email)).all()
    settings = partnership.model_dump(exclude={"id", "name", "source", "loaded_at"})
    return (
        settings,
        [t.model_dump(exclude={"id", "partnership_id"}) for t in trusts],
        [p.model_dump(exclude={"id", "partnership_id"}) | {"trust_id": keys.get(p.trust_id)} for p in people],
    )


@pytest.mark.db
def test_the_coordinator_sets_up_a_partnership_on_forms_as_its_file_would(database_url, tmp_path):
    coordinator = _coordinator()
    assert f'href="{FORM}"' in coordinator.get("/partnerships/new").text
    draft = _draft_with_trusts(coordinator, LOXLEY, RIVELIN)
    assert "Loxley Valley Trust" in draft.text and "Rivelin Schools" in draft.text
    draft = _next(coordinator, draft, f"{FORM}/moderator", MODERATOR | {"organisation": "Learn Sheffield"})
    check = _next(coordinator, draft, f"{FORM}/check")
    assert "Check your answers" in check.text and "Ada Moss" in check.text and "4 January 2027" in check.text
    created = _next(coordinator, check, f"{FORM}/create", status=303)
    assert created.headers["location"] == "/partnerships/2?created=1"
    assert "The partnership has been set up" in coordinator.get(created.headers["location"]).text

    path = tmp_path / "loxley.yaml"
    path.write_text(AS_A_FILE)
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(path))
    with db.session_scope() as session:
        on_forms, from_file = _rows(session, "Loxley valley triad"), _rows(session, "Loxley valley triad (file)")
    assert on_forms == from_file
    assert [t["key"] for t in on_forms[1]] == ["loxley-valley-trust", "rivelin-schools"]
    assert len(on_forms[2]) == 6 and on_forms[2][0]["is_moderator"]  # Ruth, Ada, two CEOs and two reviewers


@pytest.mark.db
def test_problems_are_named_on_the_form_and_nothing_is_stored(database_url):
    coordinator = _coordinator()
    before = row_counts()
    token = csrf_of(coordinator.get(FORM).text)
    refused = coordinator.post(FORM, data={"csrf_token": token, **BASICS, "name": " ", "months": "30"})
    assert refused.status_code == 400 and "There is a problem" in refused.text
    assert '<a href="#name">Enter the partnership&#39;s name</a>' in refused.text
    assert '<a href="#months">Enter a number of months from 1 to 24</a>' in refused.text
    taken = coordinator.post(FORM, data={"csrf_token": token, **BASICS, "name": "Sheffield pilot triad"})
    assert taken.status_code == 400 and "already exists" in taken.text
    late = coordinator.post(FORM, data={"csrf_token": token, **BASICS, "start-year": "2031"})
    assert late.status_code == 400 and '<a href="#start">The cycle must fit the school years' in late.text

    one = _draft_with_trusts(coordinator, LOXLEY)
    bad = _next(coordinator, one, f"{FORM}/trust", RIVELIN | {"ceo_email": "kit.fry@", "trust_name": ""}, 400)
    assert '<a href="#ceo_email">Enter an email address in the correct format, like name@example.org</a>' in bad.text
    assert '<a href="#trust_name">Enter the trust&#39;s name</a>' in bad.text
    assert "Loxley Valley Trust" in bad.text  # the draft is kept
    twice = _next(coordinator, one, f"{FORM}/trust", RIVELIN | {"reviewer_email": LOXLEY["ceo_email"]}, 400)
    assert "Lena Ward already uses this email address in the partnership" in twice.text
    with_moderator = _next(coordinator, one, f"{FORM}/moderator", MODERATOR | {"organisation": "Learn Sheffield"})
    lonely = _next(coordinator, with_moderator, f"{FORM}/create", status=400)
    assert "Add at least two trusts" in lonely.text
    assert row_counts() == before

    tampered = coordinator.post(
        f"{FORM}/create", data={"csrf_token": token, "draft": AS_A_FILE.replace("ruth.ashby", "someone.else")}
    )
    assert tampered.status_code == 400 and "start again" in tampered.text
    assert row_counts() == before


def test_a_draft_starting_on_the_first_school_day_of_2027_loads_with_the_bundled_calendar():
    loaded = load_uploaded_partnership("partnership.yaml", AS_A_FILE)
    assert loaded.calendars["rivelin-schools"].is_school_day(loaded.spec.cycle.start)


@pytest.mark.db
def test_only_a_coordinator_sets_up_a_partnership_on_forms(database_url):
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(EXAMPLE))
    ceo = sign_in(CEO)
    before = row_counts()
    assert ceo.get(FORM).status_code == 403
    token = csrf_of(ceo.get("/").text)
    for path, fields in ((FORM, BASICS), (f"{FORM}/create", {"draft": AS_A_FILE})):
        assert ceo.post(path, data={"csrf_token": token, **fields}).status_code == 403
    assert row_counts() == before
