"""The demo's simulated participants: simulated time passes, and whoever has a task due does it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.demo import answers as simulated
from peer_review.demo.visit_preparation import prepare_visit, team_talks
from peer_review.domain.model import TaskKind
from peer_review.domain.proposals import ChangeKind, ChangeRequest
from peer_review.domain.surveys import SurveyRound
from peer_review.files.context_files import read_external_review, read_headline_csv
from peer_review.files.partnerships import LoadedPartnership
from peer_review.resources import example
from peer_review.service import (
    context_data,
    loading,
    proposals,
    queries,
    surveys,
    workflow,
)
from peer_review.service.common import moderator_of
from peer_review.store import db, people, reviews, survey_answers
from peer_review.store.db import Session
from peer_review.store.people import get_partnership

if TYPE_CHECKING:
    from peer_review.service.planning import Plan

LEAD_DAYS = 2
EXAMPLE_PARTNERSHIP = "Sheffield pilot triad"  # the bundled example's name: the example headline figures and external review are about its trusts


def simulate_pilot(
    loaded: LoadedPartnership,
    advance: Callable[[str], object],
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    until: dt.date | None = None,
) -> tuple[str, int, int]:
    """A partnership's whole pilot on the configured database, as the demo runs it: `start_pilot`, then
    `run_pilot`. Returns (the partnership's name, advance calls, tasks and survey answers done)."""
    name, first_day = start_pilot(loaded)
    return name, *run_pilot(name, first_day, advance, progress, until)


def start_pilot(loaded: LoadedPartnership) -> tuple[str, dt.date]:
    """The partnership loaded and planned on the cycle's first day, where the coordinator also opens the
    baseline survey (the bundled triad also gets the example headline figures). Nothing here is a machine
    step. Returns (the partnership's name, the first day of its plan)."""
    clock.set_time(clock.at_london(loaded.spec.cycle.start, 9))
    with db.session_scope() as session:
        name = loading.store_partnership(session, loaded).name
        plan = agree_the_cycle(session, name)
        surveys.open_round(session, get_partnership(session, name), SurveyRound.BASELINE)
        if name == EXAMPLE_PARTNERSHIP:
            context_data.load_headline_figures(session, name, read_headline_csv(example("headline.csv")))
    return name, plan.start


def agree_the_cycle(session: Session, name: str) -> Plan:
    """The coordinator proposes the cycle; the second trust's CEO asks for another week for their first
    visit, the others confirm; the coordinator proposes again around it, the CEOs still to answer confirm,
    and the coordinator publishes. Returns the published plan."""
    first = proposals.propose(session, name)
    trusts = people.trusts_in(session, first.proposal.partnership_id, still_here=True)
    for index, trust in enumerate(trusts):
        ceo = people.ceo_of_trust(session, trust.partnership_id, trust.id)
        asked = []
        if index == 1:
            visit = min((v for v in first.plan.visits if v.trust == trust.key), key=lambda v: v.position)
            asked = [ChangeRequest(trust.key, ChangeKind.OTHER_WEEK, DEMO_REASON, week=visit.visit_start)]
        proposals.answer(session, trust, ceo, asked)
    second = proposals.propose(session, name)
    for trust in trusts:
        if trust.name not in second.carried:
            proposals.answer(session, trust, people.ceo_of_trust(session, trust.partnership_id, trust.id), [])
    return proposals.publish(session, name).plan


DEMO_REASON = "Our trust board meets that week"


def run_pilot(
    name: str,
    first_day: dt.date,
    advance: Callable[[str], object],
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    until: dt.date | None = None,
) -> tuple[int, int]:
    """Every review's cycle from `first_day` (see `simulate_cycle`), then the end-of-cycle survey (the bundled
    triad also gets the example external review of one trust). Returns (advance calls, tasks and survey
    answers done)."""
    advances, done, finished = simulate_cycle(name, first_day, advance, progress, until)
    if finished:  # the cycle is over, not stopped at `until`
        with db.session_scope() as session:
            surveys.open_round(session, get_partnership(session, name), SurveyRound.END)
            if name == EXAMPLE_PARTNERSHIP:
                context_data.load_external_review(session, name, read_external_review(example("external-review.yaml")))
        more_advances, more_done, _ = simulate_cycle(name, clock.today(), advance, progress, until)
        advances, done = advances + more_advances, done + more_done
        with (
            db.session_scope() as session
        ):  # the end round closes: its results are published from the day after its due date
            partnership_id = get_partnership(session, name).id
            last_due = max(r.due for r in survey_answers.survey_rounds(session, partnership_id))
        clock.set_time(clock.at_london(last_due + dt.timedelta(days=1), 9))
    return advances, done


def simulate_cycle(
    partnership: str,
    start: dt.date,
    advance: Callable[[str], object],
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    until: dt.date | None = None,
) -> tuple[int, int, bool]:
    """Move simulated time from `start`: on each day something is due, the participants whose tasks (and
    survey invitations) fall due do them (two days early, on a weekday), then `advance(partnership)` moves
    every review on. Stops when nothing is open, or after `until`. Returns (advance calls, tasks done, whether
    nothing is left open)."""
    today, advances, done = start, 0, 0
    talked: set[int] = set()  # the reviews whose team has talked (visit_preparation.team_talks)
    while True:
        clock.set_time(clock.at_london(today, 17))
        advance(partnership)
        advances += 1
        with db.session_scope() as session:
            partnership_id = get_partnership(session, partnership).id
            stages = reviews.stages(session, partnership_id)
            tasks = queries.open_tasks(session, partnership_name=partnership)
            invitations = [i for i in surveys.open_invitations(session) if i.partnership == partnership]
        closed = stages.count("closed")
        progress(
            f"{today:%d %b %Y}: {closed} of {len(stages)} reviews closed, {len(tasks)} open tasks", closed, len(stages)
        )
        if not tasks and not invitations:
            return advances, done, True
        today = max(
            today, min(_acting_day(due) for due in [*(t.due for t in tasks), *(i.invitation.due for i in invitations)])
        )
        if until is not None and today > until:
            return advances, done, False
        for task in tasks:
            if _acting_day(task.due) <= today:
                clock.set_time(clock.at_london(today, 16))
                with db.session_scope() as session:
                    given = answer(queries.task_context(session, task.id))
                    if task.kind == TaskKind.SUBMIT_EVIDENCE:  # its files, and the visit's timetable, first
                        prepare_visit(session, task.review_id, given["items"], task.assignee_email)
                    if task.kind == TaskKind.RECORD_FINDINGS and task.review_id not in talked:
                        talked.add(task.review_id)
                        moderator = moderator_of(session, reviews.get_review(session, task.review_id))
                        team_talks(session, task.review_id, task.assignee_email, moderator.email if moderator else None)
                    workflow.submit(session, task.id, given, task.assignee_email)
                done += 1
        for survey in invitations:
            if _acting_day(survey.invitation.due) <= today:
                clock.set_time(clock.at_london(today, 16))
                with db.session_scope() as session:
                    person = people.person(session, survey.invitation.person_id)
                    # rows read from the database: they have their ids, and the invitee exists
                    assert person is not None and person.id is not None and survey.invitation.id is not None
                    statements = list(survey.questionnaire.statements)
                    surveys.answer(
                        session,
                        survey.invitation.id,
                        simulated.survey(statements, list(SurveyRound).index(survey.round), person.id),
                        person.email,
                    )
                done += 1


def _acting_day(due: dt.date) -> dt.date:
    day = due - dt.timedelta(days=LEAD_DAYS)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def answer(ctx: dict) -> dict:
    """A simulated participant's answer to a task, from the demo's answer for its kind."""
    return simulated.SIMULATED[ctx["kind"]](ctx)
