"""A review's discussion: who reads each comment (its visibility, the reader's roles, the lines' agreement), who
may post, edit and hide one, the form's errors, every version kept, the history saying nothing of a comment its
reader may not read, and new comments emailed at once or in the daily digest, never to their author nor once
hidden."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.domain import discussion as rules
from peer_review.domain.discussion import Visibility
from peer_review.service import reminders
from peer_review.store import db
from peer_review.store.tables import Comment, CommentVersion, OutboxMessage, Person

from helpers import block_texts, csrf_of, do_until, row_counts, sign_in, visible_text

pytestmark = pytest.mark.db

PEOPLE = {
    "coordinator": "ruth.ashby@coordinator.example.org",
    "host": "helen.marsh@steelvalley.example.org",  # Steel Valley hosts review 1
    "peer": "owen.fletcher@donriver.example.org",  # review 1's Don River peer
    "other peer": "joe.hartley@peakedge.example.org",  # review 1's Peak Edge peer
    "moderator": "daniel.okafor@coordinator.example.org",
    "bystander": "sian.pryce@donriver.example.org",  # in the partnership, not on review 1
}
MONDAY = clock.at_london(dt.date(2023, 11, 6), 9)
TUESDAY = clock.at_london(dt.date(2023, 11, 7), 7)
TEAM_ONLY = "Between us: the trust's data looks thin on attendance."
FOR_ALL = "Could the host bring the attendance tracker on day one?"


# --- the rules ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "roles, team_and_host, team_only",
    [
        ({"host"}, True, False),
        ({"peer"}, True, True),
        ({"moderator"}, True, True),
        ({"coordinator"}, True, True),
        ({"host", "coordinator"}, True, False),  # the host never reads the team's own comments
        ({"invited"}, False, False),
        (set(), False, False),
    ],
)
def test_who_reads_a_comment_on_the_whole_review(roles, team_and_host, team_only):
    assert rules.may_read(roles, Visibility.TEAM_AND_HOST, False, True) is team_and_host
    assert rules.may_read(roles, Visibility.TEAM_ONLY, False, True) is team_only


def test_a_comment_on_a_line_is_read_by_those_who_read_the_line():
    for visibility in Visibility:
        assert not rules.may_read({"peer"}, visibility, on_line=True, reads_lines=False)
        assert rules.may_read({"peer"}, visibility, on_line=True, reads_lines=True)
        assert rules.may_read({"peer"}, visibility, on_line=False, reads_lines=False)  # the whole review's


def test_who_may_post_edit_and_hide():
    assert rules.visibilities_for({"host"}) == [Visibility.TEAM_AND_HOST]
    assert rules.visibilities_for({"peer"}) == [Visibility.TEAM_AND_HOST, Visibility.TEAM_ONLY]
    assert rules.visibilities_for(set()) == []
    assert "host trust cannot post" in rules.why_not_post({"host"}, Visibility.TEAM_ONLY, False, True, "evidence")
    assert rules.why_not_post({"host"}, Visibility.TEAM_AND_HOST, False, True, "evidence") is None
    assert "closed" in rules.why_not_post({"peer"}, Visibility.TEAM_ONLY, False, True, "closed")
    assert "agreed them" in rules.why_not_post({"peer"}, Visibility.TEAM_ONLY, True, False, "lines_of_enquiry")
    assert rules.why_not_edit(True, False, "findings") is None
    assert "Only the person who posted" in rules.why_not_edit(False, False, "findings")
    assert "hidden" in rules.why_not_edit(True, True, "findings")
    assert "closed" in rules.why_not_edit(True, False, "closed")
    assert rules.why_not_hide({"coordinator"}, False) is None
    assert "Only the partnership's coordinator" in rules.why_not_hide({"moderator", "peer", "host"}, False)
    assert "already hidden" in rules.why_not_hide({"coordinator"}, True)
    assert rules.shows_text({"host"}, hidden=True) is False and rules.shows_text({"coordinator"}, hidden=True)


def test_what_a_comment_may_hold():
    assert rules.comment_text("  as typed  \n\n with   spaces ") == "as typed  \n\n with   spaces"
    assert rules.comment_text("x" * 5000) == "x" * 5000
    for value, problem in (
        ("", "Enter a comment"),
        ("   \n ", "Enter a comment"),
        ("x" * 5001, "Comment must be 5,000 characters or fewer"),
        ("a\x00b", "Comment: remove the control character NUL at character 2"),
    ):
        with pytest.raises(ValueError) as raised:
            rules.comment_text(value)
        assert str(raised.value) == problem
    with pytest.raises(ValueError, match="^Enter why the comment is hidden$"):
        rules.hiding_reason(" ")
    with pytest.raises(ValueError, match="^The reason must be 1,000 characters or fewer$"):
        rules.hiding_reason("x" * 1001)
    with pytest.raises(ValueError, match="^Select who can read the comment$"):
        rules.visibility_of("everyone")


# --- on the web ------------------------------------------------------------------------------------------------


@pytest.fixture
def team(planned):
    """Review 1 with its host's lines proposed (not yet agreed) and everyone signed in."""
    with clock.frozen_at(MONDAY):
        browsers = {role: sign_in(email) for role, email in PEOPLE.items()}
        do_until("agree_lines")
        yield browsers


def _post(client, fields: dict, review: int = 1):
    token = csrf_of(client.get(f"/reviews/{review}").text)
    return client.post(f"/reviews/{review}/comments", data={"csrf_token": token, **fields})


def _comments() -> list[tuple[int, str, str | None]]:
    with db.session_scope() as session:
        rows = session.exec(select(Comment).order_by(Comment.id)).all()
        texts = {v.comment_id: v.text for v in session.exec(select(CommentVersion).order_by(CommentVersion.id))}
        return [(c.id, texts[c.id], c.hidden_reason) for c in rows]


def test_a_peer_posts_for_each_audience_and_the_host_reads_only_one(team):
    with clock.frozen_at(MONDAY):
        page = team["peer"].get("/reviews/1").text
        assert "Who can read your comment" in visible_text(page)
        # who reads each is said before it is posted, in the radios' hints
        assert "The review team (peers and moderator), the host trust and the coordinator" in page
        assert "The review team (peers and moderator) and the coordinator, never the host trust" in page
        sent = _post(team["peer"], {"visibility": "team_only", "text": TEAM_ONLY, "line": ""})
        assert sent.status_code == 303
        ((only_id, _, _),) = _comments()
        assert sent.headers["location"] == f"/reviews/1?commented={only_id}#comment-{only_id}"
        banner = team["peer"].get(sent.headers["location"]).text
        assert "Your comment is posted on the whole review. Who can read it: Review team only" in visible_text(banner)
        assert _post(team["peer"], {"visibility": "team_and_host", "text": FOR_ALL}).status_code == 303

        for role in ("peer", "other peer", "moderator", "coordinator"):
            text = visible_text(team[role].get("/reviews/1").text)
            assert TEAM_ONLY in text and FOR_ALL in text, role
        host = team["host"].get("/reviews/1").text
        assert FOR_ALL in visible_text(host)
        assert TEAM_ONLY not in host and "team only" not in visible_text(host).lower()
        # the history says nothing of a comment its reader may not read
        peers_history = visible_text(team["peer"].get("/reviews/1?kind=discussion").text)
        assert peers_history.count("Owen Fletcher commented on the whole review") == 2
        assert "for the review team only" in peers_history
        hosts_history = visible_text(team["host"].get("/reviews/1?kind=discussion").text)
        assert hosts_history.count("Owen Fletcher commented on the whole review") == 1
        assert "Showing 1 of" in hosts_history
        # the host may not reach it by its address either
        assert team["host"].get(f"/comments/{only_id}/edit").status_code == 403
        assert team["host"].get(f"/comments/{only_id}/hide").status_code == 403
        assert team["bystander"].get("/reviews/1").status_code == 403


def test_the_form_names_each_problem_and_writes_nothing(team):
    with clock.frozen_at(MONDAY):
        before = row_counts()
        answer = _post(team["peer"], {"text": "  ", "line": ""})
        assert answer.status_code == 400
        assert "Error: Comment on the whole review" in answer.text
        summary = [t for t in block_texts(answer.text) if t in ("Select who can read the comment", "Enter a comment")]
        assert summary[:2] == ["Select who can read the comment", "Enter a comment"]  # in the page's order
        assert 'href="#visibility"' in answer.text and 'href="#text"' in answer.text
        too_long = _post(team["moderator"], {"visibility": "team_only", "text": "y" * 5001})
        assert too_long.status_code == 400
        assert "Comment must be 5,000 characters or fewer" in too_long.text
        assert "y" * 5001 in too_long.text  # what was typed is kept
        assert 'value="team_only" checked' in too_long.text
        assert row_counts() == before


def test_refusals_are_403s_and_write_nothing(team, tmp_path):
    from helpers import load_second_partnership

    with clock.frozen_at(MONDAY):
        assert _post(team["peer"], {"visibility": "team_and_host", "text": FOR_ALL}).status_code == 303
        ((comment_id, _, _),) = _comments()
        token = {role: csrf_of(client.get("/").text) for role, client in team.items()}
        before = row_counts()
        refused = [
            ("host", "/reviews/1/comments", {"visibility": "team_only", "text": "For the team"}),
            ("bystander", "/reviews/1/comments", {"visibility": "team_and_host", "text": "Hello"}),
            ("peer", "/reviews/1/comments", {"visibility": "team_and_host", "text": "On line 1", "line": "1"}),
            ("host", f"/comments/{comment_id}/edit", {"text": "Not mine"}),
            ("moderator", f"/comments/{comment_id}/edit", {"text": "Not mine"}),
            ("coordinator", f"/comments/{comment_id}/edit", {"text": "Not mine either"}),
            ("moderator", f"/comments/{comment_id}/hide", {"reason": "I am not the coordinator"}),
            ("host", f"/comments/{comment_id}/hide", {"reason": "Nor am I"}),
            ("peer", f"/comments/{comment_id}/hide", {"reason": "My own"}),
        ]
        for role, path, fields in refused:
            answer = team[role].post(path, data={"csrf_token": token[role], **fields})
            assert answer.status_code == 403, (role, path)
            assert row_counts() == before, (role, path)
        assert "host trust cannot post a comment for the review team only" in team["host"].post(
            "/reviews/1/comments", data={"csrf_token": token["host"], "visibility": "team_only", "text": "x"}
        ).text.replace("\n", " ")
        load_second_partnership(tmp_path)
        outsider = sign_in("ruth.ashby@coordinator.other.example.org")
        mine = csrf_of(outsider.get("/").text)
        for path, fields in (
            ("/reviews/1/comments", {"visibility": "team_and_host", "text": "Hello"}),
            (f"/comments/{comment_id}/edit", {"text": "x"}),
            (f"/comments/{comment_id}/hide", {"reason": "x"}),
        ):
            before = row_counts()
            assert outsider.post(path, data={"csrf_token": mine, **fields}).status_code == 404, path
            assert (
                outsider.get(
                    path.replace("/comments", "/comments/new") if path.startswith("/reviews") else path
                ).status_code
                == 404
            )
            assert row_counts() == before
        assert team["peer"].get("/comments/999/edit").status_code == 404


def test_line_comments_follow_the_lines_agreement(team):
    with clock.frozen_at(MONDAY):
        assert team["host"].get("/reviews/1/comments/new?line=1").status_code == 200
        assert (
            _post(
                team["host"], {"visibility": "team_and_host", "text": "Line 1 is our priority.", "line": "1"}
            ).status_code
            == 303
        )
        assert _post(team["host"], {"visibility": "team_and_host", "text": "x", "line": "9"}).status_code == 404
        assert any(
            "Line 1 is our priority." in t for t in block_texts(team["moderator"].get("/reviews/1").text, "line-1")
        )
        assert "Line 1 is our priority." not in team["peer"].get("/reviews/1").text  # peers read the lines once agreed
        assert team["peer"].get("/reviews/1/comments/new?line=1").status_code == 404
        do_until("submit_evidence")  # the moderator asks for changes, the host proposes again, the lines are agreed
        page = team["peer"].get("/reviews/1").text
        assert 'href="/reviews/1/comments/new?line=1"' in page
        # a comment on the lines as first proposed is with the whole review's, saying so: line 1 is another now
        (earlier,) = [t for t in block_texts(page, "discussion") if "as it was proposed then" in t]
        assert earlier.startswith("Helen Marsh, host trust,") and "on line of enquiry 1" in earlier
        assert any("Line 1 is our priority." in t for t in block_texts(page, "discussion"))
        assert not any("Line 1 is our priority." in t for t in block_texts(page, "line-1"))
        sent = _post(
            team["peer"], {"visibility": "team_only", "text": "Test the tracker against the registers.", "line": "1"}
        )
        assert sent.status_code == 303
        assert any(
            "Test the tracker against the registers." in t
            for t in block_texts(team["moderator"].get("/reviews/1").text, "line-1")
        )
        assert "Test the tracker" not in team["host"].get("/reviews/1").text


def test_the_author_edits_and_every_version_is_kept(team):
    with clock.frozen_at(MONDAY):
        _post(team["peer"], {"visibility": "team_and_host", "text": FOR_ALL})
        ((comment_id, _, _),) = _comments()
        form = team["peer"].get(f"/comments/{comment_id}/edit")
        assert (
            form.status_code == 200 and FOR_ALL in form.text and "This stays as it was when you posted it" in form.text
        )
        token = csrf_of(form.text)
        same = team["peer"].post(f"/comments/{comment_id}/edit", data={"csrf_token": token, "text": FOR_ALL})
        assert same.status_code == 400 and "The comment is the same as before" in same.text
        empty = team["peer"].post(f"/comments/{comment_id}/edit", data={"csrf_token": token, "text": ""})
        assert empty.status_code == 400 and "Error: Edit your comment" in empty.text and 'href="#text"' in empty.text
    with clock.frozen_at(MONDAY + dt.timedelta(hours=2)):
        done = team["peer"].post(
            f"/comments/{comment_id}/edit", data={"csrf_token": token, "text": "On day two, please."}
        )
        assert done.status_code == 303
        for role in ("host", "moderator", "coordinator"):
            card = " ".join(block_texts(team[role].get("/reviews/1").text, f"comment-{comment_id}"))
            assert "6 November 2023 at 09:00, edited 6 November 2023 at 11:00" in card, role
            assert "On day two, please." in card and "Every version" in visible_text(team[role].get("/reviews/1").text)
            assert f"Posted 6 November 2023 at 09:00 {FOR_ALL} Edited 6 November 2023 at 11:00 On day two" in card
        with db.session_scope() as session:
            assert [v.text for v in session.exec(select(CommentVersion))] == [FOR_ALL, "On day two, please."]
        assert "Owen Fletcher edited their comment on the whole review" in visible_text(
            team["host"].get("/reviews/1?kind=discussion").text
        )


def test_the_coordinator_hides_a_comment_with_a_reason(team):
    with clock.frozen_at(MONDAY):
        _post(team["peer"], {"visibility": "team_and_host", "text": "Pupil J. Smith was excluded twice."})
        ((comment_id, _, _),) = _comments()
        form = team["coordinator"].get(f"/comments/{comment_id}/hide")
        assert form.status_code == 200 and "Pupil J. Smith was excluded twice." in form.text
        token = csrf_of(form.text)
        before = row_counts()
        no_reason = team["coordinator"].post(f"/comments/{comment_id}/hide", data={"csrf_token": token, "reason": " "})
        assert no_reason.status_code == 400 and "Enter why the comment is hidden" in no_reason.text
        assert 'href="#reason"' in no_reason.text and row_counts() == before
        done = team["coordinator"].post(
            f"/comments/{comment_id}/hide", data={"csrf_token": token, "reason": "It names a pupil."}
        )
        assert done.status_code == 303
        for role in ("host", "peer", "moderator"):
            page = team[role].get("/reviews/1").text
            assert "Pupil J. Smith" not in page, role
            assert "Hidden by the coordinator on 6 November 2023: It names a pupil." in visible_text(page), role
        own = team["coordinator"].get("/reviews/1").text
        assert "Pupil J. Smith was excluded twice." in own and "Hidden on 6 November 2023" in visible_text(own)
        assert f'href="/comments/{comment_id}/hide"' not in own  # hidden once, for good
        assert team["peer"].get(f"/comments/{comment_id}/edit").status_code == 403  # nor edited since
        assert team["coordinator"].get(f"/comments/{comment_id}/hide").status_code == 403
        assert (
            "Ruth Ashby (coordinator) hid Owen Fletcher's comment on the whole review: It names a pupil."
            in visible_text(team["host"].get("/reviews/1?kind=discussion").text)
        )


# --- emails --------------------------------------------------------------------------------------------------


def _messages(prefix: str) -> list[OutboxMessage]:
    with db.session_scope() as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m for m in rows if m.key.startswith(prefix)]


def _choose(client, how: str) -> None:
    form = client.get("/email-settings")
    assert form.status_code == 200
    done = client.post("/email-settings", data={"csrf_token": csrf_of(form.text), "how": how})
    assert done.status_code == 303 and done.headers["location"] == "/email-settings?saved=1"


def test_new_comments_are_emailed_at_once_or_in_the_daily_digest(team):
    with clock.frozen_at(MONDAY):
        assert 'value="digest" checked' in team["moderator"].get("/email-settings").text  # the default
        bad = team["moderator"].post(
            "/email-settings", data={"csrf_token": csrf_of(team["moderator"].get("/").text), "how": "hourly"}
        )
        assert bad.status_code == 400 and "Select how new comments should reach you" in bad.text
        _choose(team["moderator"], "at_once")
        _choose(team["host"], "at_once")
        assert 'value="at_once" checked' in team["moderator"].get("/email-settings").text
        _post(team["peer"], {"visibility": "team_only", "text": TEAM_ONLY})
        _post(team["peer"], {"visibility": "team_and_host", "text": FOR_ALL})
        _post(team["coordinator"], {"visibility": "team_and_host", "text": "To be hidden."})
        at_once = _messages("comment/")
        with db.session_scope() as session:
            names = {p.email: p.name for p in session.exec(select(Person))}
        assert sorted((m.recipient, m.event) for m in at_once) == sorted(
            [
                (PEOPLE["moderator"], "comment_posted"),  # both of the peer's, one each
                (PEOPLE["moderator"], "comment_posted"),
                (PEOPLE["moderator"], "comment_posted"),
                (PEOPLE["host"], "comment_posted"),  # not the team's own
                (PEOPLE["host"], "comment_posted"),
            ]
        )
        hosts = [m for m in at_once if m.recipient == PEOPLE["host"]]
        assert all(TEAM_ONLY not in m.text + m.html for m in hosts)
        assert FOR_ALL in hosts[0].text and "Who can read it: Review team and host" in hosts[0].text
        assert (
            hosts[0].subject
            == "New comment on the whole review: Steel Valley Academy Trust, " + hosts[0].subject.split(", ", 1)[1]
        )
        assert (
            f"{names[PEOPLE['peer']]} (peer reviewer) commented on the review of Steel Valley Academy Trust"
            in hosts[0].text
        )
        assert re.search(r"\(visit [^)]+\), on 6 November 2023 at 09:00\.\n", hosts[0].text)
        (hidden_id,) = [cid for cid, text, _ in _comments() if text == "To be hidden."]
        form = team["coordinator"].get(f"/comments/{hidden_id}/hide")
        team["coordinator"].post(
            f"/comments/{hidden_id}/hide", data={"csrf_token": csrf_of(form.text), "reason": "Off topic."}
        )
        assert not any("To be hidden." in m.text for m in _messages("comment/"))  # not sent once hidden
    with clock.frozen_at(TUESDAY):
        with db.session_scope() as session:
            reminders.sweep(session)
        digests = {m.recipient: m for m in _messages("comment_digest/")}
        # the moderator and the host had theirs at once; the peer posted all but the hidden one
        assert set(digests) == {PEOPLE["coordinator"], PEOPLE["other peer"]}
        assert TEAM_ONLY in digests[PEOPLE["other peer"]].text and FOR_ALL in digests[PEOPLE["other peer"]].text
        assert "New comments" in digests[PEOPLE["other peer"]].text
        assert "To be hidden." not in digests[PEOPLE["other peer"]].text  # hidden: not mailed
        assert (
            TEAM_ONLY in digests[PEOPLE["coordinator"]].text
            and "To be hidden." not in digests[PEOPLE["coordinator"]].text
        )
        with db.session_scope() as session:
            reminders.sweep(session)  # again the same day: nothing more
        assert len(_messages("comment_digest/")) == 2
    with clock.frozen_at(TUESDAY + dt.timedelta(days=1)):
        with db.session_scope() as session:
            reminders.sweep(session)  # the next day: nothing new to tell
        assert len(_messages("comment_digest/")) == 2


def test_a_closed_reviews_discussion_is_kept_to_read_and_the_coordinator_may_still_hide(team):
    from peer_review.store.tables import Review

    with clock.frozen_at(MONDAY):
        _post(team["peer"], {"visibility": "team_and_host", "text": FOR_ALL})
        ((comment_id, _, _),) = _comments()
        with db.session_scope() as session:
            review = session.get(Review, 1)
            review.stage = "closed"
            session.add(review)
        page = team["peer"].get("/reviews/1").text
        assert FOR_ALL in page and "This review is closed: its discussion is kept to read" in visible_text(page)
        assert 'action="/reviews/1/comments"' not in page and f'href="/comments/{comment_id}/edit"' not in page
        before = row_counts()
        token = csrf_of(team["peer"].get("/").text)
        posted = team["peer"].post(
            "/reviews/1/comments", data={"csrf_token": token, "visibility": "team_only", "text": "x"}
        )
        assert posted.status_code == 403
        assert (
            team["peer"].post(f"/comments/{comment_id}/edit", data={"csrf_token": token, "text": "y"}).status_code
            == 403
        )
        assert team["peer"].get("/reviews/1/comments/new").status_code == 403
        assert row_counts() == before
        form = team["coordinator"].get(f"/comments/{comment_id}/hide")
        hidden = team["coordinator"].post(
            f"/comments/{comment_id}/hide", data={"csrf_token": csrf_of(form.text), "reason": "Names a pupil."}
        )
        assert hidden.status_code == 303
        assert "Hidden by the coordinator on 6 November 2023: Names a pupil." in visible_text(
            team["host"].get("/reviews/1").text
        )


def test_a_change_of_mind_loses_no_comment_and_sends_none_twice(team):
    with clock.frozen_at(MONDAY):
        _post(team["peer"], {"visibility": "team_and_host", "text": "Before the change."})
        _choose(team["host"], "at_once")  # the comment above waits for the digest: it was posted before
        _post(team["peer"], {"visibility": "team_and_host", "text": "After the change."})
        assert [m.recipient for m in _messages("comment/")] == [PEOPLE["host"]]
        _choose(team["host"], "digest")
    with clock.frozen_at(TUESDAY):
        with db.session_scope() as session:
            reminders.sweep(session)
    (digest,) = [m for m in _messages("comment_digest/") if m.recipient == PEOPLE["host"]]
    assert "Before the change." in digest.text and "After the change." not in digest.text  # that one went at once


def test_a_line_given_in_digits_that_are_not_ascii_is_not_found(team):
    peer = sign_in(PEOPLE["peer"])
    for line in ("\u00b2", "1\u00b2", "-1", "x"):
        assert peer.get(f"/reviews/1/comments/new?line={line}").status_code == 404, line
