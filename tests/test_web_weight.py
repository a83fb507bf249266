"""What a page weighs on the wire: answers gzipped when the client asks (and the CSRF token masked afresh in each
answer, so compression never repeats a secret: BREACH), static files at fingerprinted addresses kept for a year,
and a favicon."""

from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import WebSession

from helpers import csrf_of, new_client, sign_in

pytestmark = pytest.mark.db

COORDINATOR = "ruth.ashby@coordinator.example.org"
STATIC = "peer_review/entrypoints/web/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
def coordinator(planned):
    """The planned triad's coordinator, signed in, in January 2024 (as tests/test_web.py's `site`)."""
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 10), 9)):
        yield sign_in(COORDINATOR)


def _raw(client, path: str, encoding: str):
    """The answer as sent, its body not decoded."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding}) as response:
        return response, b"".join(response.iter_raw())


def _stylesheet(html: str) -> str:
    return re.search(r'<link rel="stylesheet" href="([^"]*govuk-frontend[^"]*)"', html).group(1)


def test_answers_are_gzipped_when_the_client_asks_and_only_then(coordinator):
    plain, plain_body = _raw(coordinator, "/partnerships/1", "identity")
    assert "content-encoding" not in plain.headers and int(plain.headers["content-length"]) == len(plain_body)
    zipped, zipped_body = _raw(coordinator, "/partnerships/1", "gzip, deflate")
    assert zipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["vary"]
    assert int(zipped.headers["content-length"]) == len(zipped_body) < len(plain_body) / 4
    page = gzip.decompress(zipped_body).decode()
    assert TOKEN.sub("", page) == TOKEN.sub("", plain_body.decode())  # the same page, but for the masked tokens
    assert (
        zipped.headers["cache-control"] == "no-store"
        and "script-src 'none'" in zipped.headers["content-security-policy"]
    )
    head = coordinator.head("/partnerships/1", headers={"Accept-Encoding": "gzip"})  # HEAD says what GET sends
    assert head.headers["content-encoding"] == "gzip" and head.content == b""

    stylesheet = _stylesheet(page)
    css, css_body = _raw(coordinator, stylesheet, "gzip")
    assert css.headers["content-encoding"] == "gzip"
    assert gzip.decompress(css_body) == open(STATIC + "govuk-frontend.min.css", "rb").read()
    css, css_body = _raw(coordinator, stylesheet, "identity")
    assert "content-encoding" not in css.headers and css_body == open(STATIC + "govuk-frontend.min.css", "rb").read()


def test_the_stylesheet_is_at_a_fingerprinted_address_kept_a_year_and_the_page_is_not_kept(coordinator):
    answer = coordinator.get("/partnerships/1")
    assert answer.headers["cache-control"] == "no-store"  # people's names and work
    address = _stylesheet(answer.text)
    assert re.fullmatch(r"/static/govuk-frontend\.min\.[0-9a-f]{10}\.css", address), address
    css = coordinator.get(address)
    assert css.status_code == 200 and css.headers["cache-control"] == IMMUTABLE
    assert css.headers["content-type"].startswith("text/css")
    assert css.content == open(STATIC + "govuk-frontend.min.css", "rb").read()
    assert "script-src 'none'" in css.headers["content-security-policy"]
    assert coordinator.get(address, headers={"If-None-Match": css.headers["etag"]}).status_code == 304
    # an older fingerprint or the plain name (a page drawn before a restart): today's file, checked before each use
    for old in ("/static/govuk-frontend.min.0123456789.css", "/static/govuk-frontend.min.css"):
        stale = coordinator.get(old)
        assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache", old
        assert stale.content == css.content, old
    for unknown in ("/static/nothing.0123456789.css", "/static/nothing.css", "/static/govuk-frontend.min.zz.css"):
        assert coordinator.get(unknown).status_code == 404, unknown


def test_a_changed_file_gets_a_new_address(tmp_path):
    from peer_review.entrypoints.web.pages import fingerprinted  # inside: each test here fails on its own

    (tmp_path / "site.css").write_text("body { color: black; }")
    before = fingerprinted(tmp_path)["site.css"]
    (tmp_path / "site.css").write_text("body { color: #0b0c0c; }")
    after = fingerprinted(tmp_path)["site.css"]
    assert re.fullmatch(r"site\.[0-9a-f]{10}\.css", before.address) and after.address != before.address
    assert after.content == b"body { color: #0b0c0c; }" and after.media_type == "text/css"


def test_the_favicon_is_linked_served_and_found_at_favicon_ico(coordinator):
    html = coordinator.get("/").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{10}\.svg", icon), icon
    svg = coordinator.get(icon)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["cache-control"] == IMMUTABLE and svg.text.startswith("<svg") and ">PR</text>" in svg.text
    moved = new_client().get("/favicon.ico")
    assert moved.status_code == 302 and moved.headers["location"] == icon


def test_each_answer_masks_the_csrf_token_afresh_and_each_masked_token_is_accepted(coordinator):
    first, second = (csrf_of(coordinator.get("/partnerships/1/roster").text) for _ in range(2))
    assert first != second
    for token in (first, second):  # a form's error, not "Your form has expired": the token was accepted
        answer = coordinator.post("/partnerships/1/roster/change", data={"csrf_token": token, "action": "add_trust"})
        assert answer.status_code == 400 and "There is a problem" in answer.text, answer.text[:300]
    assert coordinator.post("/sign-out", data={"csrf_token": first}).status_code == 303
    visitor = new_client()  # before signing in: the cookie's token, masked too
    first, second = (csrf_of(visitor.get("/sign-in").text) for _ in range(2))
    assert first != second
    for token in (first, second):
        answer = visitor.post("/sign-in", data={"csrf_token": token, "email": ""})
        assert answer.status_code == 400 and "Enter your email address" in answer.text


def test_a_tampered_masked_token_is_refused(coordinator):
    with db.session_scope() as session:
        [secret] = session.exec(select(WebSession.csrf_token).where(WebSession.ended_at.is_(None))).all()
    first, second = (csrf_of(coordinator.get("/").text) for _ in range(2))
    assert secret not in first and secret not in second  # pages never carry the secret itself
    half = len(first) // 2
    flipped = first[:10] + ("A" if first[10] != "A" else "B") + first[11:]
    for bad in (flipped, first[:half] + second[half:], secret, first + "x", first[:-3], ""):
        refused = coordinator.post("/sign-out", data={"csrf_token": bad})
        assert refused.status_code == 403 and "Your form has expired" in refused.text, bad
    assert coordinator.post("/sign-out", data={"csrf_token": first}).status_code == 303
