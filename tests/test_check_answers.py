"""Your answers, and what happens next: a long answer is read back on "check your answers" before it is sent
(only the person's draft is written until then), a done task shows what was sent, by whom, for whom and
when, and the confirmation says what happens next and who acts next."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.demo.simulation import answer
from peer_review.service import queries
from peer_review.store import db
from peer_review.store.tables import EvidenceItem, Task, TaskDraft

from helpers import (
    csrf_of,
    do_until,
    flatten,
    open_tasks,
    post_form,
    row_counts,
    send_answer,
    sign_in,
    visible_text,
)

pytestmark = pytest.mark.db

HOST = "helen.marsh@steelvalley.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"
PEER = "owen.fletcher@donriver.example.org"
MONDAY = clock.at_london(dt.date(2023, 11, 6), 9)


def _fields(task_id: int) -> list[tuple[str, str]]:
    with db.session_scope() as session:
        return flatten(answer(queries.task_context(session, task_id)))


def _changes(counts_before: dict, counts_after: dict) -> dict:
    return {t: counts_after[t] - counts_before[t] for t in counts_after if counts_after[t] != counts_before[t]}


def test_continue_keeps_only_a_draft_and_check_your_answers_reads_it_back_with_change_links(planned):
    with clock.frozen_at(MONDAY):
        [task] = do_until("submit_evidence")
        host = sign_in(HOST)
        form = host.get(f"/tasks/{task.id}").text
        assert ">Continue</button>" in form and ">Submit</button>" not in form
        fields = _fields(task.id)
        before = row_counts()
        sent = post_form(host, f"/tasks/{task.id}", [*fields, ("action", "submit")])
        assert sent.status_code == 303 and sent.headers["location"] == f"/tasks/{task.id}/check"
        assert _changes(before, row_counts()) == {"taskdraft": 1}  # nothing but the host's own draft

        check = host.get(f"/tasks/{task.id}/check")
        text = visible_text(check.text)
        assert check.status_code == 200 and "Check your answers before sending them" in text
        titles = [value for key, value in fields if key.endswith("-title")]
        assert titles and all(title in text for title in titles)
        changes = re.findall(rf'href="/tasks/{task.id}#([^"]+)"', check.text)
        assert len(changes) == len(titles)
        for anchor in changes:  # each "Change" lands on its field in the form, which holds the draft
            assert f'id="{anchor}"' in form or f'id="{anchor}"' in host.get(f"/tasks/{task.id}").text, anchor
        assert titles[0] in host.get(f"/tasks/{task.id}").text  # the form starts from what was checked
        assert "the peers record their findings" in text  # what happens next, before sending

        as_of = re.search(r'name="as_of" value="([0-9a-f]+)"', check.text).group(1)
        done = host.post(
            f"/tasks/{task.id}", data={"csrf_token": csrf_of(check.text), "as_of": as_of, "action": "confirm"}
        )
        assert done.status_code == 303
        with db.session_scope() as session:
            assert session.get(Task, task.id).status == "done"
            stored = session.exec(select(EvidenceItem.title).where(EvidenceItem.review_id == 1)).all()
            assert sorted(stored) == sorted(titles)
            assert session.exec(select(TaskDraft)).first() is None


def test_an_answer_changed_in_another_window_is_checked_again_before_it_is_sent(planned):
    with clock.frozen_at(MONDAY):
        [task] = do_until("submit_evidence")
        host = sign_in(HOST)
        fields = _fields(task.id)
        post_form(host, f"/tasks/{task.id}", [*fields, ("action", "submit")])
        check = host.get(f"/tasks/{task.id}/check").text
        as_of = re.search(r'name="as_of" value="([0-9a-f]+)"', check).group(1)
        changed = [(k, "Board minutes, changed" if k == "items-0-title" else v) for k, v in fields]
        post_form(host, f"/tasks/{task.id}", [*changed, ("action", "submit")])  # a second window's Continue
        before = row_counts()
        stale = host.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(check), "as_of": as_of, "action": "confirm"})
        assert stale.status_code == 303 and stale.headers["location"] == f"/tasks/{task.id}/check?changed=1"
        assert row_counts() == before  # nothing sent
        again = host.get(stale.headers["location"]).text
        assert "changed in another window" in again and "Board minutes, changed" in again


def test_check_your_answers_is_refused_to_others_and_sends_nothing_for_them(planned):
    with clock.frozen_at(MONDAY):
        [task] = do_until("submit_evidence")
        host = sign_in(HOST)
        post_form(host, f"/tasks/{task.id}", [*_fields(task.id), ("action", "submit")])
        check = host.get(f"/tasks/{task.id}/check").text
        as_of = re.search(r'name="as_of" value="([0-9a-f]+)"', check).group(1)
        peer, coordinator = sign_in(PEER), sign_in(COORDINATOR)
        assert peer.get(f"/tasks/{task.id}/check").status_code == 403
        before = row_counts()
        token = csrf_of(peer.get("/").text)
        refused = peer.post(f"/tasks/{task.id}", data={"csrf_token": token, "as_of": as_of, "action": "confirm"})
        assert refused.status_code == 403 and row_counts() == before
        # the coordinator has no draft of their own: back to the form, and nothing is sent
        assert coordinator.get(f"/tasks/{task.id}/check").headers.get("location") == f"/tasks/{task.id}"
        sent = coordinator.post(
            f"/tasks/{task.id}",
            data={"csrf_token": csrf_of(coordinator.get("/").text), "as_of": as_of, "action": "confirm"},
        )
        assert sent.headers["location"] == f"/tasks/{task.id}/check?changed=1" and row_counts() == before


def test_a_done_task_reads_back_what_was_sent_by_whom_for_whom_and_what_happens_next(planned):
    with clock.frozen_at(MONDAY):
        [task] = do_until("submit_evidence")
        coordinator = sign_in(COORDINATOR)
        fields = _fields(task.id)
        assert send_answer(coordinator, task.id, fields).status_code == 303  # on the host's behalf
        for person in (coordinator, sign_in(HOST)):
            page = person.get(f"/tasks/{task.id}")
            text = visible_text(page.text)
            assert "Task done" in text and "What was sent" in text
            assert "Sent by Ruth Ashby for Helen Marsh, on their behalf, on 6 November 2023 at 09:00" in text
            assert all(value in text for key, value in fields if key.endswith("-title"))
            assert "What happens next" in text and "Who acts next on this review" in text
        with db.session_scope() as session:
            waiting = [t for t in queries.open_tasks(session) if t.review_id == 1]
        assert waiting and all(t.assignee in text for t in waiting)


def test_a_declined_place_reads_back_without_the_reviews_people(planned):
    with clock.frozen_at(MONDAY):
        [invite] = [t for t in open_tasks(1) if t.assignee_email == "joe.hartley@peakedge.example.org"]
        joe = sign_in(invite.assignee_email)
        sent = send_answer(joe, invite.id, [("response", "decline"), ("reason", "Ofsted are due")])
        assert sent.status_code == 303
        text = visible_text(joe.get(f"/tasks/{invite.id}").text)
        assert "Decline the place" in text and "Ofsted are due" in text
        assert "Who acts next" not in text and "Owen Fletcher" not in text
        assert 'href="/reviews/1"' not in joe.get(f"/tasks/{invite.id}").text


def test_feedback_is_read_back_only_to_the_person_who_gave_it(planned):
    with clock.frozen_at(MONDAY):
        tasks = do_until("give_feedback", skip={"record_progress"})
        [mine] = [t for t in tasks if t.assignee_email == HOST]
        host = sign_in(HOST)
        fields = [
            ("helped_us_improve", "4"),
            ("fair_and_accurate", "2"),
            ("would_take_part_again", "false"),
            ("comments", "The moderator rushed the visit."),
        ]
        assert send_answer(host, mine.id, fields).status_code == 303
        assert "The moderator rushed the visit." in visible_text(host.get(f"/tasks/{mine.id}").text)
        theirs = visible_text(sign_in(COORDINATOR).get(f"/tasks/{mine.id}").text)
        assert "Task done" in theirs and "rushed" not in theirs and "2 out of 5" not in theirs
