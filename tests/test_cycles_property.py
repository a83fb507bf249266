"""Whole cycles for partnerships Hypothesis makes up: 2 to 6 trusts with 1 to 3 reviewers each, people
declining at random (a trust's only reviewer included), and the roster changing mid-cycle (a reviewer
leaves or joins, a CEO changes). Every cycle must end with each review closed (or cancelled with its
trust), or wait on a task the coordinator can see; never with a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from peer_review import clock
from peer_review.domain.model import TaskKind
from peer_review.errors import UserError
from peer_review.store import db

from helpers import plan_and_publish

START = dt.date(2023, 11, 1)
FRAMEWORK = {
    "id": "two-strands",
    "title": "Two strands",
    "version": "1",
    "source": "made up for the property test",
    "strands": [
        {
            "id": sid,
            "title": f"Strand {sid}",
            "areas": ["school-improvement"],
            "description": "d",
            "prompts": ["How well?", "How do you know?"],
        }
        for sid in ("alpha", "beta")
    ],
}


@st.composite
def partnerships(draw):
    trusts = draw(st.integers(2, 6))
    reviewers = [draw(st.integers(1, 3)) for _ in range(trusts)]
    strands = [sid["id"] for sid in FRAMEWORK["strands"]]
    return {
        "name": "Property partnership",
        "framework": "framework.yaml",
        "cycle": {"start": START.isoformat(), "months": 24},
        "coordinator": {"name": "Coordinator", "email": "coordinator@lead.example.org"},
        "moderators": [
            {"name": f"Moderator {m}", "email": f"moderator{m}@lead.example.org", "max_reviews_per_term": 3}
            for m in range(trusts)
        ],
        "trusts": [
            {
                "id": f"trust-{t}",
                "name": f"Trust {t}",
                "ceo": {"name": f"CEO {t}", "email": f"ceo@trust{t}.example.org"},
                "strand_order": draw(st.permutations(strands)),
                "reviewers": [
                    {"name": f"Reviewer {t}.{r}", "email": f"reviewer{r}@trust{t}.example.org", "role": "Director"}
                    for r in range(count)
                ],
            }
            for t, count in enumerate(reviewers)
        ],
    }


@st.composite
def roster_changes(draw, spec):
    """Edits of the partnership file, each applied on a day of the cycle."""
    changes = []
    for _ in range(draw(st.integers(1, 3))):
        t = draw(st.integers(0, len(spec["trusts"]) - 1))
        what = draw(st.sampled_from(["reviewer leaves", "reviewer joins", "ceo changes"]))
        changes.append((draw(st.integers(0, 500)), what, t, draw(st.integers(0, 1000))))
    return sorted(changes)


def _edit(spec: dict, what: str, t: int, n: int) -> None:
    trust = spec["trusts"][t]
    if what == "reviewer leaves" and trust["reviewers"]:
        trust["reviewers"].pop(n % len(trust["reviewers"]))
    elif what == "reviewer joins":
        trust["reviewers"].append(
            {"name": f"New reviewer {n}", "email": f"new{n}@trust{t}.example.org", "role": "Director"}
        )
    elif what == "ceo changes":
        trust["ceo"] = {"name": f"New CEO {n}", "email": f"ceo{n}@trust{t}.example.org"}


class Participants:
    """The simulated participants, but declining invitations at random."""

    def __init__(self, rng: random.Random, decline_rate: float):
        self.rng, self.decline_rate = rng, decline_rate

    def answer(self, ctx: dict) -> dict:
        from peer_review.demo.simulation import answer

        if ctx["kind"] == TaskKind.RESPOND_TO_ASSIGNMENT and self.rng.random() < self.decline_rate:
            return {"response": "decline", "reason": "Cannot come that week."}
        given = answer(ctx)
        if ctx["kind"] == TaskKind.CHOOSE_REPLACEMENT:
            event(f"coordinator's choice for a {ctx['task'].subject['role']}: {given['choice']}")
        return given


#: A fixed set of examples in CI, so a run is reproducible; set PEER_REVIEW_CYCLE_EXAMPLES=200 to explore further.
EXAMPLES = os.environ.get("PEER_REVIEW_CYCLE_EXAMPLES")


@settings(
    max_examples=int(EXAMPLES or 10),
    derandomize=EXAMPLES is None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_partnerships_finish_their_cycle(tmp_path_factory, data):
    spec = data.draw(partnerships(), label="partnership")
    changes = data.draw(roster_changes(spec), label="roster changes")
    decline_rate = data.draw(st.sampled_from([0.0, 0.2, 0.5]), label="decline rate")
    folder = tmp_path_factory.mktemp("cycle")
    (folder / "framework.yaml").write_text(yaml.safe_dump(FRAMEWORK))
    db.dispose_all()
    db.configure(f"sqlite:///{folder / 'cycle.db'}")
    try:
        outcome = _run_cycle(
            folder, spec, changes, Participants(random.Random(data.draw(st.integers(0, 2**32))), decline_rate)
        )
    finally:
        clock.set_time(None)
        db.configure(None)
        db.dispose_all()
    stages, waiting = outcome
    assert all(stage in ("closed", "cancelled") for stage in stages.values()) or waiting, (stages, waiting)


def _write(folder: Path, spec: dict) -> Path:
    path = folder / "partnership.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _run_cycle(folder: Path, spec: dict, changes: list, people: Participants) -> tuple[dict[int, str], list[str]]:
    """Drive the cycle day by day, applying roster changes on their days; returns each review's stage, and
    what the coordinator is left to do if the cycle cannot finish by itself."""
    from peer_review.demo.simulation import _acting_day
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, queries, roster, sweep, workflow

    clock.set_time(clock.at_london(START, 9))
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(_write(folder, spec)))
        plan_and_publish(session, None)
    today, pending = START, list(changes)
    for _ in range(2000):
        clock.set_time(clock.at_london(today, 17))
        with db.session_scope() as session:
            review_ids = [r.id for r in queries.status(session, None)]
        for review_id in review_ids:
            sweep.advance_review(db.session_scope, review_id)
        while pending and START + dt.timedelta(days=pending[0][0]) <= today:
            _day, what, t, n = pending.pop(0)
            edited = copy.deepcopy(spec)
            _edit(edited, what, t, n)
            try:
                with db.session_scope() as session:
                    roster.update_partnership(session, load_partnership_file(_write(folder, edited)))
            except UserError as refused:  # a change that would break history is refused, and says where
                assert "partnership.yaml" in str(refused), str(refused)
                event(f"refused: {what}")
                continue
            event(f"applied: {what}")
            spec = edited
        with db.session_scope() as session:
            tasks = queries.open_tasks(session)
        if not tasks:
            break
        today = max(today, min(_acting_day(t.due) for t in tasks))
        for task in tasks:
            if _acting_day(task.due) > today:
                continue
            clock.set_time(clock.at_london(today, 16))
            with db.session_scope() as session:
                workflow.submit(
                    session, task.id, people.answer(queries.task_context(session, task.id)), task.assignee_email
                )
        today += dt.timedelta(days=1)
    with db.session_scope() as session:
        stages = {r.id: r.stage for r in queries.status(session, None)}
        waiting = [
            f"{t.title} ({t.assignee_email})"
            for t in queries.open_tasks(session)
            if t.assignee_email == spec["coordinator"]["email"]
        ]
    return stages, waiting
