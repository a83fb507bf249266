"""The host trust checks the draft report for factual accuracy, and its CEO chooses whether its good practice is
shared."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event
from peer_review.domain.model import TaskKind
from peer_review.errors import UserError
from peer_review.service.common import audit, moderator_of
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._read_back import rows_of_list, yes_no
from peer_review.service.kinds._yaml import comment
from peer_review.service.steps import move, open_task
from peer_review.store.db import Session
from peer_review.store.people import host_ceo
from peer_review.store.records import findings_of

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """What the host's consent would share: the review's supported good practice."""
    return {
        "good_practice": [
            f for f in findings_of(session, review) if f.kind == "good_practice" and f.status == "supported"
        ]
    }


def handle(session: Session, review: Review, task: Task, data: inp.CheckReport, actor: Person) -> str:
    host = host_ceo(session, review)
    if (
        data.share_good_practice and actor.id != host.id
    ):  # the coordinator may check the facts on the host's behalf, not give its consent
        raise UserError(
            f"only the host trust's CEO ({host.email}) can agree to share its good practice; answer false, or ask them to answer",
            loc=("share_good_practice",),
        )
    review.factual_corrections = list(data.corrections)
    review.good_practice_consent = data.share_good_practice
    session.add(review)
    audit(
        session, review.partnership_id, "good_practice_consent", actor.email, review.id, share=data.share_good_practice
    )
    open_task(session, review, TaskKind.ISSUE_REPORT, moderator_of(session, review))
    move(session, review, Event.REPORT_CHECKED, actor.email)
    return "accurate" if data.accurate else "corrections"


def initial(_ctx: dict) -> dict:
    return {"corrections": [""], "share_good_practice": None}  # the host must choose: never assumed either way


def template(ctx: dict) -> list[str]:
    shared = [f"#   {f.ref}: {comment(f.text)}" for f in ctx.get("good_practice", [])] or [
        "#   (none: the review has no supported good practice)"
    ]
    return [
        "# Read the draft report (peer-review report REVIEW_ID --out DIR --draft) and check it for factual accuracy.",
        "# Factual accuracy only: the findings themselves are the review team's.",
        "accurate: true",
        "corrections: []",
        "# share_good_practice: true lets the good practice below be shared, with your trust's name, with every trust",
        "# taking part in moderated peer review through this service (in other partnerships too); false keeps it in",
        "# this review's report. Nothing else from the review is shared. You must choose: true or false.",
        "# The good practice that would be shared:",
        *shared,
        "share_good_practice: null",
    ]


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = [AnswerRow("Is the draft factually accurate?", yes_no(answer["accurate"]), ("accurate",))]
    rows += rows_of_list("Correction", answer.get("corrections", []), ("corrections",))
    rows.append(
        AnswerRow(
            "Share the review's good practice with other trusts?",
            yes_no(answer["share_good_practice"]),
            ("share_good_practice",),
        )
    )
    return rows


KIND = Kind(
    TaskKind.CHECK_REPORT,
    inp.CheckReport,
    handle,
    AnswerForm(initial, {("corrections",): ""}, anchors={(): ("corrections", 0)}),
    template,
    context=context,
    shows_draft_report=True,
    summary=summary,
    next_step=(
        "The moderator applies your corrections to the report's wording and issues the report; everyone on the review is emailed when it is issued."
    ),
)
