"""The host trust records how far each action from its earlier reviews has got, before a review and at the end of
its cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain import inputs as inp
from peer_review.domain.model import PROGRESS_OCCASION, ProgressStatus, TaskKind
from peer_review.service import follow_up
from peer_review.service.common import audit
from peer_review.service.kinds._forms import AnswerForm
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._yaml import comment, quoted
from peer_review.store.db import Session
from peer_review.store.development_actions import add_action_progress
from peer_review.store.records import action_ref

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, Task


def context(session: Session, review: Review, task: Task, known: dict) -> dict:
    """Each action asked about, with the review it came from and the progress recorded so far."""
    return {"actions": follow_up.asked_in(session, task), "occasion": task.subject.get("occasion", "next_review")}


def references(session: Session, review: Review, task: Task, known: dict) -> dict:
    """The actions the task asked about when it opened: the answer covers exactly those."""
    return {"actions": [action_ref(i) for i in task.subject.get("actions", [])]}


def handle(session: Session, review: Review, task: Task, data: inp.RecordProgress, actor: Person) -> str:
    """The host's account of each action the task asks about (the validation context holds them to exactly those)."""
    occasion = task.subject.get("occasion") or PROGRESS_OCCASION[task.round]
    for entry in data.actions:
        add_action_progress(
            session,
            action_id=int(entry.action.removeprefix("A")),
            review_id=review.id,
            task_id=task.id,
            occasion=occasion,
            status=entry.status.value,
            evidence=entry.evidence,
            recorded_at=clock.now(),
        )
    audit(
        session,
        review.partnership_id,
        "progress_recorded",
        actor.email,
        review.id,
        occasion=occasion,
        actions={entry.action: entry.status.value for entry in data.actions},
    )
    return "recorded"


def initial(ctx: dict) -> dict:
    """One entry per action asked about, starting from the progress last recorded on it (if any)."""
    entries = []
    for action in ctx["actions"]:
        last = action.latest
        entries.append(
            {"action": action.ref, "evidence": last.evidence if last else ""}
            | ({"status": last.status.value} if last else {})
        )
    return {"actions": entries}


def template(ctx: dict) -> list[str]:
    when = "the end of the trust's cycle" if ctx["occasion"] == "end_of_cycle" else "the trust's next review"
    out = [
        f"# At {when}: how far has each area for development from the trust's reviews got?",
        "# status: not_started, under_way or done. evidence: what shows it (needed when under_way or done), for the",
        "# next review team and the report. Answer for every action listed, keeping its id. No grades or ratings.",
        "actions:",
    ]
    for a in ctx["actions"]:
        issued = f", report issued {a.issued_on}" if a.issued_on else ""
        out += [f"  # {a.ref}, from review {a.review_id} ({comment(a.strand)}{issued}): {comment(a.text)}"]
        out += [
            f"  #   {p.recorded_at:%Y-%m-%d} {p.occasion_label}: {p.status.label.lower()}. {comment(p.evidence)}".rstrip()
            for p in a.progress
        ]
        last = a.latest
        out += [
            f"  - action: {a.ref}",
            f"    status: {last.status.value if last else 'not_started'}",
            f"    evidence: {quoted(last.evidence if last else '')}",
        ]
    return out


def summary(ctx: dict, answer: dict) -> list[AnswerRow]:
    rows = []
    for i, a in enumerate(answer["actions"]):
        said = ProgressStatus(a["status"]).label + (f": {a['evidence']}" if a.get("evidence") else "")
        rows.append(AnswerRow(f"Action {a['action']}", said, ("actions", i, "status")))
    return rows


KIND = Kind(
    TaskKind.RECORD_PROGRESS,
    inp.RecordProgress,
    handle,
    AnswerForm(initial, drafts=True, anchors={("actions", "*"): ("evidence",), (): ("actions",)}),
    template,
    context=context,
    references=references,
    summary=summary,
    next_step=("The review team sees the progress you recorded on the review's page, and the report shows it."),
)
