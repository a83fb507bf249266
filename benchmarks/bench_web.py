"""The web app at national scale: one person's inbox and task form on a database that holds only the
Sheffield triad and on one that holds 10,008 reviews, and a submitted form against the coordinator's
partnership page.

    python benchmarks/bench_web.py                       # SQLite, in a temporary folder
    python benchmarks/bench_web.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # and PostgreSQL

The databases are national_db.py's (shared with bench_dashboard.py): the triad worked to 1 June 2024
and read as on 22 June 2024, alone, and with 833 renumbered copies whose people are people of their
own. Everyone signs in through the emailed link, as in tests/helpers.py, and every request goes
through the whole app in this process (FastAPI's TestClient, no network).

Timed on each database in turn (in a shuffled order each round), 40 rounds after 5 warm-up rounds
(medians):
- the inbox ("/") and a form page (/tasks/ID: the person's findings or moderation task, or else any
  open task of theirs) for PERSON, one of the triad's peer reviewers;
- the review page (/reviews/ID: its stages, lines, evidence, findings, report, team, tasks and history) of that
  task's review for PERSON, and of the triad's first review (closed, its report issued) for the coordinator;
- the partnership page (/partnerships/1) for the triad's coordinator;
- on the national database only, two form POSTs (/tasks/ID, action=submit, response=accept), each
  round in another copy of the triad, so every POST submits a fresh task and the triad the other
  pages show never changes: an invitee accepting a place while another's answer is awaited (the
  review waits), and the last invitee accepting, which moves the review on to its lines of enquiry
  (the host's task opened and emailed). The second of each review's three invitees accepts before
  the timing starts, through the service layer.
One more untimed pass counts each request's SQL statements. The machine's load average is printed
too: other work on it shows up in the figures, the POSTs' (which wait on the disk) most.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from national_db import (
    BASE,
    COORDINATOR,
    COPIES,
    LOOKING_ON,
    SESSION_COOKIE,
    build,
    copy_email,
    csrf_of,
    measure,
    run_on_each_database,
    sign_in,
    web_app,
)
from sqlalchemy import event, func, select

from peer_review import clock
from peer_review.domain.model import TaskKind
from peer_review.service import workflow
from peer_review.store import db
from peer_review.store.tables import Person, Review, Task

ROUNDS = 40
WARMUP = 5
PERSON = "sian.pryce@donriver.example.org"  # a peer reviewer of the triad with open tasks on 22 June 2024
FORM_KINDS = (
    TaskKind.MODERATE,
    TaskKind.RECORD_FINDINGS,
    TaskKind.REVISE_FINDINGS,
    TaskKind.SUBMIT_EVIDENCE,
    TaskKind.PROPOSE_LINES,
)
TARGET_PAGES = 1.2  # national / triad alone
TARGET_POST = 2.0  # form POST / partnership page


def client_for(app, cookie: str):
    from fastapi.testclient import TestClient

    return TestClient(
        app, base_url=BASE, follow_redirects=False, client=("127.0.0.1", 50000), cookies={SESSION_COOKIE: cookie}
    )


def get(client, path: str, expect: str) -> Callable[[], None]:
    def action() -> None:
        response = client.get(path)
        assert response.status_code == 200 and expect in response.text, (
            path,
            response.status_code,
            response.text[:500],
        )

    return action


def form_task() -> tuple[int, str]:
    """PERSON's task whose form page is timed: (id, kind), the same in both databases (copy 0 keeps its ids)."""
    with db.session_scope() as session:
        tasks = session.execute(
            select(Task.id, Task.kind)
            .join(Person, Person.id == Task.assignee_id)
            .where(Person.email == PERSON, Task.status == "open")
            .order_by(Task.id)
        ).all()
    assert tasks, f"{PERSON} has no open task"
    rank = {kind.value: i for i, kind in enumerate(FORM_KINDS)}
    return min(tasks, key=lambda t: (rank.get(t.kind, len(rank)), t.id))


def pages(app, task_id: int) -> dict[str, Callable[[], None]]:
    """The five pages on the configured database, each for someone signed in to it."""
    person = client_for(app, sign_in(app, PERSON))
    coordinator = client_for(app, sign_in(app, COORDINATOR, "127.0.0.2"))
    with db.session_scope() as session:
        review_id = session.get(Task, task_id).review_id
    return {
        "inbox": get(person, "/", f'href="/tasks/{task_id}"'),
        "form page": get(person, f"/tasks/{task_id}", 'name="action" value="submit"'),
        "review page": get(person, f"/reviews/{review_id}", 'id="lines"'),
        "closed review page": get(coordinator, "/reviews/1", 'href="/reviews/1/report"'),
        "partnership page": get(coordinator, "/partnerships/1", "overdue"),
    }


@dataclass(frozen=True)
class Invitation:
    task_id: int
    email: str


def invited_review() -> tuple[int, list[Invitation]]:
    """The triad's first review whose three places are all still open: (id, its invitations in task order)."""
    with db.session_scope() as session:
        rows = session.execute(
            select(Task.review_id, Task.id, Person.email)
            .join(Person, Person.id == Task.assignee_id)
            .join(Review, Review.id == Task.review_id)
            .where(Review.partnership_id == 1, Task.kind == TaskKind.RESPOND_TO_ASSIGNMENT.value, Task.status == "open")
            .order_by(Task.review_id, Task.id)
        ).all()
    by_review: dict[int, list[Invitation]] = {}
    for review_id, task_id, email in rows:
        by_review.setdefault(review_id, []).append(Invitation(task_id, email))
    review_id = next(r for r, invited in by_review.items() if len(invited) == 3)
    return review_id, by_review[review_id]


def posts(app, count: int, first_copy: int = 1) -> dict[str, Callable[[], None]]:
    """Two POST actions on the configured (national) database, each taking a fresh task on every call.

    Call i works in copy first_copy + i of the triad: an invitee accepts (another has not answered yet), then
    the last invitee accepts, which closes the review's assignment stage."""
    review_id, (first, other, last) = invited_review()
    with db.session_scope() as session:  # copy k's rows are the triad's ids plus k times the triad's largest id
        task_step = session.execute(
            select(func.max(Task.id)).join(Review, Review.id == Task.review_id).where(Review.partnership_id == 1)
        ).scalar_one()
    rounds = []
    for i in range(count):
        k = first_copy + i
        copy = {inv: Invitation(inv.task_id + k * task_step, copy_email(inv.email, k)) for inv in (first, other, last)}
        with db.session_scope() as session:
            for inv in copy.values():
                task = session.get(Task, inv.task_id)
                assignee = session.get(Person, task.assignee_id)
                assert (task.kind, task.status, assignee.email) == (
                    TaskKind.RESPOND_TO_ASSIGNMENT.value,
                    "open",
                    inv.email,
                ), (task, assignee.email)
            submitted = workflow.submit(session, copy[other].task_id, {"response": "accept"}, copy[other].email)
        workflow.advance_review(db.session_scope, submitted.review_id)
        posting = []
        for n, inv in enumerate((copy[first], copy[last])):
            client = client_for(app, sign_in(app, inv.email, f"10.{n}.{k // 250}.{k % 250 + 1}"))
            page = client.get(f"/tasks/{inv.task_id}")
            assert page.status_code == 200, page.text[:500]
            body = urlencode(
                [("csrf_token", csrf_of(page.text)), ("response", "accept"), ("reason", ""), ("action", "submit")]
            )
            posting.append((client, inv.task_id, body))
        rounds.append(posting)
    calls = {"accept": iter(r[0] for r in rounds), "accept, team complete": iter(r[1] for r in rounds)}

    def post(which: str) -> Callable[[], None]:
        def action() -> None:
            client, task_id, body = next(calls[which])
            response = client.post(
                f"/tasks/{task_id}", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            assert response.status_code == 303 and response.headers["location"] == f"/tasks/{task_id}", (
                response.status_code,
                response.text[:500],
            )

        return action

    return {"POST accept": post("accept"), "POST accept, team complete": post("accept, team complete")}


def count_statements(plan: list) -> dict[tuple[str, str], int]:
    """SQL statements each request runs, counted on one more (untimed) request."""
    counts = {}
    for label, url, actions in plan:
        db.configure(url)
        engine = db.get_engine()
        for view, action in actions.items():
            seen = []
            listener = lambda *args, seen=seen: seen.append(1)  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                action()
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            counts[(label, view)] = len(seen)
    return counts


def run(small_url: str, large_url: str) -> None:
    for url, copies in ((small_url, 0), (large_url, COPIES)):
        build(url, copies)
    with db.session_scope() as session:
        reviews = session.execute(select(func.count()).select_from(Review)).scalar_one()
    engine = db.get_engine().dialect.name
    clock.set_time(clock.at_london(LOOKING_ON, 10))
    app = web_app()
    plan = []
    chosen = set()
    for label, url in (("small", small_url), ("large", large_url)):
        db.configure(url)
        task_id, kind = form_task()
        chosen.add((task_id, kind))
        plan.append((label, url, pages(app, task_id)))
    assert len(chosen) == 1, f"the databases' triads differ: {chosen}"
    db.configure(large_url)
    plan.append(("large", large_url, posts(app, WARMUP + ROUNDS + 1)))  # a slot of its own in the shuffled order
    load = os.getloadavg()[0]
    medians = measure(plan, ROUNDS, WARMUP)
    load = max(load, os.getloadavg()[0])
    statements = count_statements(plan)

    print(
        f"\n{engine}: {PERSON}'s pages and the coordinator's, one triad (12 reviews) vs the same triad among {reviews:,} reviews"
    )
    print(
        f"(medians of {ROUNDS} rounds after {WARMUP} warm-up rounds; SQL statements per request in brackets; load average {load:.1f} on {os.cpu_count()} cores)"
    )
    print(f"{'page':<40}{'12 reviews':>16}{f'{reviews:,} reviews':>20}{'ratio':>8}  target")
    rows = (
        ("inbox (/)", "inbox"),
        (f"form page (/tasks/{task_id}, {kind})", "form page"),
        ("review page (the task's, the peer)", "review page"),
        ("review 1, closed (coordinator)", "closed review page"),
        ("partnership page (coordinator)", "partnership page"),
    )
    for name, view in rows:
        small, large = medians[("small", view)], medians[("large", view)]
        target = f"<= {TARGET_PAGES}x" if view != "partnership page" else ""
        print(
            f"{name:<40}{small * 1000:>8.1f}ms ({statements[('small', view)]:>3}){large * 1000:>12.1f}ms ({statements[('large', view)]:>3}){large / small:>7.2f}x  {target}"
        )
    page = medians[("large", "partnership page")]
    print(f"\non the {reviews:,}-review database: a form POST against the partnership page GET ({page * 1000:.1f}ms)")
    print(f"{'request':<40}{'time':>16}{'ratio':>20}  target")
    for view, name in (
        ("POST accept", "POST accept (a place)"),
        ("POST accept, team complete", "POST accept (the last place)"),
    ):
        post = medians[("large", view)]
        print(
            f"{name:<40}{post * 1000:>8.1f}ms ({statements[('large', view)]:>3}){post / page:>19.2f}x  <= {TARGET_POST}x"
        )
    db.configure(None)
    db.dispose_all()
    clock.set_time(None)


if __name__ == "__main__":
    run_on_each_database(run, __doc__.splitlines()[0], ("bench_web_small", "bench_web_national"))
