"""A national programme (issue 12): `status` lists the partnerships when several are loaded, task lists come
a page at a time (or every row, streamed), and planning one partnership reads only the bookings of the
people it shares with others, giving the same plan as reading every partnership's."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from peer_review import clock
from peer_review.domain.scheduling import (
    Bookings,
    cycle_end,
    plan_partnership,
    visit_days,
)
from peer_review.files.partnerships import load_partnership_file
from peer_review.service import loading, planning, queries, roster, workflow
from peer_review.store import db
from peer_review.store.people import get_partnership
from peer_review.store.tables import Assignment, Person, Review

from helpers import EXAMPLE, plan_and_publish, run_cli, sign_in
from helpers import PEAK_EDGE_COPY as LOXLEY  # a trust joining mid-cycle, as the roster tests load it

pytestmark = pytest.mark.db

SHARED = "daniel.okafor@coordinator.example.org"  # a moderator of the bundled triad
HOSTILE = "Other [bold]triad[/] :smile:"  # a partnership's name as typed: no markup, no emoji codes


def _variant(tmp_path: Path, name: str, domain: str, keep: tuple[str, ...] = ()) -> Path:
    """The bundled triad under another name, every person at an address of their own except `keep`."""
    text = (
        EXAMPLE.read_text()
        .replace("name: Sheffield pilot triad", f"name: {json.dumps(name)}")
        .replace(".example.org", f".{domain}.example.org")
    )
    for email in keep:
        text = text.replace(email.replace(".example.org", f".{domain}.example.org"), email)
    path = tmp_path / f"{domain}.yaml"
    path.write_text(text)
    return path


def _load(path: Path = EXAMPLE, plan: bool = True) -> str:
    with db.session_scope() as session:
        name = loading.store_partnership(session, load_partnership_file(path)).name
        if plan:
            plan_and_publish(session, name)
    return name


def _cli(database_url: str, *args: str):
    result = run_cli(*args, env={"PEER_REVIEW_DATABASE_URL": database_url, "COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    return result


# --- status: the list of partnerships ---------------------------------------------------------------


@pytest.fixture
def three_partnerships(database_url, tmp_path):
    """The bundled triad (review 1 opened: three tasks), a second with a hostile name, and a third not yet planned."""
    _load()
    workflow.advance_review(db.session_scope, 1)
    _load(_variant(tmp_path, HOSTILE, "other"))
    _load(_variant(tmp_path, "Third triad", "third"), plan=False)
    return database_url


def test_status_lists_the_partnerships_when_several_are_loaded(three_partnerships):
    shown = _cli(three_partnerships, "status").stdout
    lines = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in shown.splitlines()
        if line.startswith("│")
    }
    assert set(lines) == {"Sheffield pilot triad", HOSTILE, "Third triad"}  # the name as typed, markup and all
    # trusts, reviews, open, closed, next visit, open tasks, overdue tasks
    assert lines["Sheffield pilot triad"][:4] == ["3", "12", "12", "0"] and lines["Sheffield pilot triad"][5] == "3"
    assert lines["Third triad"][:4] == ["3", "0", "0", "0"] and lines["Third triad"][4] == "-"
    assert "page 1 of 1 (3 partnerships)" in shown and "peer-review status -p NAME" in shown

    listed = json.loads(_cli(three_partnerships, "status", "--json").stdout)
    assert [p["name"] for p in listed] == sorted(["Sheffield pilot triad", HOSTILE, "Third triad"])
    triad = next(p for p in listed if p["name"] == "Sheffield pilot triad")
    assert (
        triad["reviews"],
        triad["open"],
        triad["closed"],
        triad["cancelled"],
        triad["open_tasks"],
        triad["trusts"],
    ) == (12, 12, 0, 0, 3, 3)

    # a page at a time, in the order of their names
    second = _cli(three_partnerships, "status", "--json", "--limit", "1", "--page", "2")
    assert [p["name"] for p in json.loads(second.stdout)] == [sorted(p["name"] for p in listed)[1]]
    assert "page 2 of 3 (3 partnerships); --page 3 for more" in second.stderr
    everything = _cli(three_partnerships, "status", "--csv", "--limit", "1", "--all").stdout.splitlines()
    assert everything[0].startswith("name,") and len(everything) == 4  # one header, every partnership

    # one partnership chosen: its own view, as before
    one = json.loads(_cli(three_partnerships, "status", "--json", "-p", HOSTILE).stdout)
    assert one["partnership"] == HOSTILE and sum(len(t["grid"]) for t in one["trusts"]) == 12


def test_the_partnership_list_counts_each_page_by_stage(three_partnerships):
    clock.set_time(clock.at_london(dt.date(2023, 11, 2), 9))
    try:
        with db.session_scope() as session:
            session.get(Review, 2).stage = "closed"
            session.get(Review, 3).stage = "cancelled"
            first_visit = min(
                r.visit_start for r in session.exec(select(Review).where(Review.partnership_id == 1, Review.id > 3))
            )
        with db.session_scope() as session:
            rows, at = queries.partnerships_page(session, 2, 2)
            everyone, _ = queries.partnerships_page(session, 1, 10)
    finally:
        clock.set_time(None)
    assert (at.number, at.pages, at.total) == (2, 2, 3) and [r.name for r in rows] == [everyone[2].name]
    assert [r.name for r in everyone] == sorted(r.name for r in everyone)
    triad = next(r for r in everyone if r.name == "Sheffield pilot triad")
    assert (triad.reviews, triad.open, triad.closed, triad.cancelled, triad.open_tasks, triad.overdue_tasks) == (
        12,
        10,
        1,
        1,
        3,
        0,
    )
    assert triad.next_visit is not None and triad.next_visit <= first_visit


def test_a_coordinators_partnerships_page_in_the_browser_shows_only_theirs_a_page_at_a_time(
    database_url, tmp_path, monkeypatch
):
    """The web list is `status`'s list, restricted to the partnerships the signed-in person coordinates."""
    from peer_review.entrypoints.web import coordinator

    coordinating = "ruth.ashby@coordinator.example.org"  # the bundled triad's coordinator, also of two more
    _load()
    for name, domain in (("Another triad", "another"), (HOSTILE, "other")):
        _load(_variant(tmp_path, name, domain, keep=(coordinating,)))
    _load(_variant(tmp_path, "Not hers", "elsewhere"))
    monkeypatch.setattr(coordinator, "PARTNERSHIPS_A_PAGE", 2)
    browser = sign_in(coordinating)
    first, second = browser.get("/partnerships"), browser.get("/partnerships?page=2")
    assert first.status_code == second.status_code == 200
    names = re.compile(r'href="/partnerships/\d+">([^<]*)</a>')
    assert names.findall(first.text) == ["Another triad", html.escape(HOSTILE)]  # by name, the name escaped
    assert names.findall(second.text) == ["Sheffield pilot triad"]
    assert "page 1 of 2 (3 partnerships)" in first.text and 'href="/partnerships?page=2" rel="next"' in first.text
    assert 'href="/partnerships?page=1" rel="prev"' in second.text and 'rel="next"' not in second.text
    assert "Not hers" not in first.text + second.text
    beyond = browser.get("/partnerships?page=7")
    assert (
        beyond.status_code == 200
        and "There is no page 7" in beyond.text
        and 'href="/partnerships?page=2"' in beyond.text
    )
    for bad in ("0", "-1", "two", "99999999999999999999"):
        assert browser.get(f"/partnerships?page={bad}").status_code == 404, bad
    assert (
        names.findall(sign_in("helen.marsh@steelvalley.example.org").get("/partnerships").text) == []
    )  # a CEO coordinates none


# --- task lists: a page at a time -------------------------------------------------------------------


@pytest.fixture
def six_tasks(database_url, tmp_path):
    """Two triads with review 1 opened in each: six open tasks, due the same day (so the id breaks the tie)."""
    _load()
    _load(_variant(tmp_path, "Other triad", "other"))
    with db.session_scope() as session:
        reviews = [
            session.exec(select(Review.id).where(Review.partnership_id == p).order_by(Review.id)).first()
            for p in (1, 2)
        ]
    for review_id in reviews:
        workflow.advance_review(db.session_scope, review_id)
    return database_url


def test_tasks_come_a_page_at_a_time_in_a_stable_order(six_tasks):
    with db.session_scope() as session:
        every = queries.open_tasks(session)
        pages = [queries.open_tasks_page(session, page=k, size=4) for k in (1, 2, 3)]
        streamed = list(queries.iter_open_tasks(session, chunk=2))
    assert len(every) == 6 and [(t.due, t.id) for t in every] == sorted((t.due, t.id) for t in every)
    assert [t.id for rows, _ in pages for t in rows] == [t.id for t in every] == [t.id for t in streamed]
    assert [(at.number, at.pages, at.total, len(rows)) for rows, at in pages] == [
        (1, 2, 6, 4),
        (2, 2, 6, 2),
        (3, 2, 6, 0),
    ]

    first = _cli(six_tasks, "tasks", "--limit", "4").stdout
    assert "page 1 of 2 (6 open tasks); --page 2 for more, or --all for every one" in first
    second = _cli(six_tasks, "tasks", "--limit", "4", "--page", "2").stdout

    def shown(text):
        return [
            int(line.split("│")[1]) for line in text.splitlines() if line.startswith("│") and line.split("│")[1].strip()
        ]

    assert shown(first) == [t.id for t in every[:4]] and shown(second) == [t.id for t in every[4:]]
    assert "page 2 of 2 (6 open tasks)" in second and "--page 3" not in second
    beyond = _cli(six_tasks, "tasks", "--limit", "4", "--page", "9").stdout
    assert "nothing on this page; the last is --page 2" in beyond

    streamed_out = _cli(six_tasks, "tasks", "--all", "--limit", "4").stdout
    assert (
        shown(streamed_out) == [t.id for t in every] and "6 open task(s)" in streamed_out and "page" not in streamed_out
    )
    assert json.loads(_cli(six_tasks, "tasks", "--all", "--json", "--limit", "4").stdout) == json.loads(
        _cli(six_tasks, "tasks", "--json").stdout
    )
    paged = _cli(six_tasks, "tasks", "--json", "--limit", "4", "--page", "2")
    assert [t["id"] for t in json.loads(paged.stdout)] == [t.id for t in every[4:]] and "page 2 of 2" in paged.stderr

    # filters page too; a bad one is refused before anything is printed
    owen = "owen.fletcher@donriver.other.example.org"
    mine = json.loads(_cli(six_tasks, "tasks", "--person", owen, "--json", "--all").stdout)
    assert [t["assignee_email"] for t in mine] == [owen]
    other = json.loads(_cli(six_tasks, "tasks", "-p", "Other triad", "--json", "--limit", "2", "--page", "2").stdout)
    assert [t["id"] for t in other] == [t.id for t in every if t.review_id != 1][2:]
    refused = run_cli("tasks", "--all", "--person", "nobody@example.org", env={"PEER_REVIEW_DATABASE_URL": six_tasks})
    assert refused.returncode == 2 and "no person with email" in refused.stderr and refused.stdout == ""
    both = run_cli("tasks", "--all", "--page", "2", env={"PEER_REVIEW_DATABASE_URL": six_tasks})
    assert both.returncode == 2 and "--all" in both.stderr


# --- planning reads only the bookings of shared people ------------------------------------------------


def _all_bookings(session, partnership_id: int) -> Bookings:
    """Every other partnership's bookings: what planning read before (the reference)."""
    bookings = Bookings()
    rows = session.exec(
        select(Review, Person.email, Assignment.role)
        .join(Assignment, Assignment.review_id == Review.id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Review.partnership_id != partnership_id, Review.stage != "cancelled", Assignment.status != "declined")
    )
    for review, email, role in rows:
        bookings.busy[email].update(visit_days(review.visit_start, review.visit_end))
        bookings.load[email] += 1
        if role == "moderator":
            bookings.per_term[(email, review.term)] += 1
    return bookings


def _restricted(bookings: Bookings, emails: set[str]) -> tuple:
    busy = {e: d for e, d in bookings.busy.items() if e in emails and d}
    return (
        busy,
        Counter({e: n for e, n in bookings.load.items() if e in emails}),
        Counter({k: n for k, n in bookings.per_term.items() if k[0] in emails}),
    )


def _plan_with(session, name: str, bookings: Bookings):
    partnership = get_partnership(session, name)
    inputs = planning.scheduling_inputs(session, partnership)
    settings = planning.plan_settings(
        partnership, partnership.cycle_start, cycle_end(partnership.cycle_start, partnership.cycle_months)
    )
    return plan_partnership(inputs.trusts, inputs.people, inputs.moderators, settings, inputs.blackouts, bookings)


def test_planning_reads_only_shared_peoples_bookings_and_plans_as_before(database_url, tmp_path, monkeypatch):
    first = _load()  # the bundled triad, planned
    shared = _load(_variant(tmp_path, "Shared moderator triad", "shared", keep=(SHARED,)), plan=False)
    alone = _load(_variant(tmp_path, "Separate triad", "separate"), plan=False)
    read = []
    original = planning.existing_bookings
    monkeypatch.setattr(
        planning,
        "existing_bookings",
        lambda session, pid, emails: read.append((pid, set(emails))) or original(session, pid, emails),
    )

    with db.session_scope() as session:
        for name in (shared, alone):
            partnership = get_partnership(session, name)
            choosable = planning.choosable(planning.scheduling_inputs(session, partnership))
            mine = {p.email for p in session.exec(select(Person).where(Person.partnership_id == partnership.id))}
            got = original(session, partnership.id, choosable)
            assert set(got.busy) <= choosable and set(got.load) <= choosable  # nobody else's bookings are read
            assert _restricted(got, choosable) == _restricted(_all_bookings(session, partnership.id), choosable)
            read.clear()
            plan = planning.plan_cycle(session, name)
            assert read == [(partnership.id, choosable)] and choosable <= mine
            assert plan.visits == _plan_with(
                session, name, _all_bookings(session, partnership.id)
            )  # the same plan as before

        # the shared moderator's bookings in the first triad count: the plan differs from one made as if alone ...
        with_first = planning.plan_cycle(session, shared).visits
        assert with_first != _plan_with(session, shared, Bookings())
        assert set(original(session, get_partnership(session, shared).id, [SHARED]).busy) == {SHARED}
        # ... and never puts them on two visits at once
        booked = {
            d
            for v in planning.current_plan(session, get_partnership(session, first))
            if SHARED in (v.moderator, *v.peers)
            for d in visit_days(v.visit_start, v.visit_end)
        }
        assert booked and all(
            booked.isdisjoint(visit_days(v.visit_start, v.visit_end)) for v in with_first if v.moderator == SHARED
        )
        # a partnership sharing nobody gets the plan it would get alone
        assert planning.plan_cycle(session, alone).visits == _plan_with(session, alone, Bookings())


def test_a_cancelled_review_or_a_declined_place_elsewhere_keeps_nobody_busy(database_url, tmp_path):
    first = _load()  # the bundled triad, planned: the shared moderator has visits there
    shared = _load(_variant(tmp_path, "Shared moderator triad", "shared", keep=(SHARED,)), plan=False)
    with db.session_scope() as session:
        me = get_partnership(session, shared).id
        before = planning.existing_bookings(session, me, [SHARED])
        places = session.exec(
            select(Review, Assignment)
            .join(Assignment, Assignment.review_id == Review.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Person.email == SHARED, Review.partnership_id == get_partnership(session, first).id)
            .order_by(Review.visit_start)
        ).all()
        assert len(places) >= 3 and before.load[SHARED] == len(places)
        (cancelled, _), (declined_review, declined), (kept, _) = places[:3]
        cancelled.stage = "cancelled"  # as when its trust leaves
        declined.status = "declined"
        session.flush()
        after = planning.existing_bookings(session, me, [SHARED])
        assert after.load[SHARED] == len(places) - 2
        freed = {
            *visit_days(cancelled.visit_start, cancelled.visit_end),
            *visit_days(declined_review.visit_start, declined_review.visit_end),
        }
        assert (
            after.busy[SHARED] == before.busy[SHARED] - freed
            and set(visit_days(kept.visit_start, kept.visit_end)) <= after.busy[SHARED]
        )
        session.rollback()


def test_a_trust_joining_is_planned_around_shared_peoples_bookings_only(database_url, tmp_path, monkeypatch):
    first = _load()
    _load(
        _variant(tmp_path, "Shared moderator triad", "shared", keep=(SHARED,))
    )  # planned: the shared moderator is booked there
    joined = tmp_path / "joined.yaml"
    joined.write_text(EXAMPLE.read_text() + LOXLEY)
    original = planning.existing_bookings

    def loxley_joins(bookings) -> tuple[list, list[set[str]]]:
        """Loxley joins the bundled triad, planned with these bookings from elsewhere; its visits (rolled back)."""
        read = []
        monkeypatch.setattr(
            planning,
            "existing_bookings",
            lambda session, pid, emails: read.append(set(emails)) or bookings(session, pid, emails),
        )
        clock.set_time(clock.at_london(dt.date(2023, 11, 6), 9))
        try:
            with Session(db.get_engine()) as session:
                roster.update_partnership(session, load_partnership_file(joined))
                visits = [
                    v for v in planning.current_plan(session, get_partnership(session, first)) if v.trust == "loxley"
                ]
                session.rollback()
        finally:
            clock.set_time(None)
        return visits, read

    visits, read = loxley_joins(original)
    assert len(visits) == 4 and len(read) == 1 and SHARED in read[0] and "ian.cole@loxley.example.org" in read[0]
    assert all(
        e.endswith(
            (
                "@coordinator.example.org",
                "@steelvalley.example.org",
                "@donriver.example.org",
                "@peakedge.example.org",
                "@loxley.example.org",
            )
        )
        for e in read[0]
    )
    assert visits == loxley_joins(lambda session, pid, emails: _all_bookings(session, pid))[0]  # as planned before
    with db.session_scope() as session:
        booked = {
            d
            for v in planning.current_plan(session, get_partnership(session, "Shared moderator triad"))
            if SHARED in (v.moderator, *v.peers)
            for d in visit_days(v.visit_start, v.visit_end)
        }
    assert all(
        booked.isdisjoint(visit_days(v.visit_start, v.visit_end)) for v in visits if SHARED in (v.moderator, *v.peers)
    )
