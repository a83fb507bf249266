"""The moderator issues the report with their statement and the agreed next steps; its areas for development
become actions the host owns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain import inputs as inp
from peer_review.domain.model import TaskKind
from peer_review.service import follow_up
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._read_back import rows_of_list
from peer_review.service.outbox import notify, review_context
from peer_review.store.db import Session
from peer_review.store.people import host_ceo
from peer_review.store.records import team

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def handle(session: Session, review: Review, task: Task, data: inp.IssueReport, actor: Person) -> str:

    review.moderator_statement = data.statement
    review.next_steps = list(data.next_steps)
    review.issued_on = clock.today()
    session.add(review)
    follow_up.create_actions(session, review)  # its areas for development become actions the host trust owns
    peers, moderator = team(session, review)
    context = review_context(session, review)
    told = [host_ceo(session, review), *peers] + ([moderator] if moderator else [])  # none while the place is empty
    for person in told:
        notify(
            session,
            key=f"report_issued/{review.id}/{person.id}",
            event="report_issued",
            person=person,
            subject=f"Report issued: peer review of {context['host']} ({context['strand']})",
            context=context,
            review=review,
        )
    return "issued"


def initial(_ctx: dict) -> dict:
    return {"statement": "", "next_steps": [""]}


def template(ctx: dict) -> list[str]:
    return [
        "# Your statement as moderator, and the agreed next steps for the host trust. No grades or ratings.",
        'statement: ""',
        "next_steps:",
        '  - ""',
    ]


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    return [
        AnswerRow("Your statement", answer["statement"], ("statement",)),
        *rows_of_list("Next step", answer["next_steps"], ("next_steps",)),
    ]


KIND = Kind(
    TaskKind.ISSUE_REPORT,
    inp.IssueReport,
    handle,
    AnswerForm(initial, {("next_steps",): ""}, drafts=True),
    template,
    shows_draft_report=True,
    summary=summary,
    next_step=(
        "The report is issued: the host trust, the review team and the coordinator are emailed, its areas for development become the host trust's actions, and everyone on the review is asked for feedback."
    ),
    checks_answers=True,
)
