"""What a page weighs on the wire, and what it may then give away: the CSRF token masked afresh in each answer, so
that compressing answers never repeats a secret (BREACH)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import WebSession

from helpers import csrf_of, new_client, sign_in

pytestmark = pytest.mark.db

COORDINATOR = "ruth.ashby@coordinator.example.org"


@pytest.fixture
def coordinator(planned):
    """The planned triad's coordinator, signed in, in January 2024 (as tests/test_web.py's `site`)."""
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 10), 9)):
        yield sign_in(COORDINATOR)


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
