"""Formative follow-up: each supported area for development in an issued report becomes an action its host
trust owns, and the host records progress on those actions at the trust's next review and at the end of
its cycle, where the next review team and the report see it.

An action's reference is `A` and its id (A7): it never changes, whichever review, form, YAML file or
report shows it, and it cannot clash between trusts. "Earlier" means an earlier visit: a trust's reviews
follow its CEO's strand order, but a visit can be moved past another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import PROGRESS_OCCASION, FindingKind, ProgressStatus
from peer_review.service.common import ENGINE, audit
from peer_review.store.db import Session
from peer_review.store.development_actions import (
    actions_by_id,
    actions_of_trust,
    add_development_action,
    finding_ids_with_actions,
    last_visit_of,
    progress_of,
    reviews_by_id,
)
from peer_review.store.records import action_ref, findings_of

if TYPE_CHECKING:
    from peer_review.store.tables import DevelopmentAction, Review, Task


def create_actions(session: Session, review: Review) -> list[DevelopmentAction]:
    """Each supported area for development of a review whose report is being issued becomes an action the
    host trust owns (once: a finding has at most one action)."""
    have = finding_ids_with_actions(session, review.id)
    created = [
        add_development_action(
            session,
            partnership_id=review.partnership_id,
            trust_id=review.host_trust_id,
            review_id=review.id,
            finding_id=f.id,
            text=f.text,
            created_at=clock.now(),
        )
        for f in findings_of(session, review)
        if f.kind == FindingKind.AREA_FOR_DEVELOPMENT and f.status == "supported" and f.id not in have
    ]
    session.flush()
    if created:
        audit(
            session,
            review.partnership_id,
            "development_actions_created",
            ENGINE,
            review.id,
            actions=[action_ref(a.id) for a in created],
        )
    return created


def _actions(session: Session, review: Review, earlier_only: bool) -> list[DevelopmentAction]:
    """The host trust's actions in visit order: all of them, or those from reviews visited before this one."""
    return actions_of_trust(session, review.host_trust_id, review.visit_start if earlier_only else None)


def earlier_actions(session: Session, review: Review) -> list[DevelopmentAction]:
    return _actions(session, review, earlier_only=True)


def is_last_review(session: Session, review: Review) -> bool:
    """Whether this is the host trust's last review of the cycle (the latest visit among those going ahead)."""
    return last_visit_of(session, review.host_trust_id) == review.id


def actions_to_ask(session: Session, review: Review, round_: int) -> list[DevelopmentAction]:
    """The actions a record of progress asks about: at the next review, the earlier reviews'; at the end of
    the cycle, every action of the trust, the last review's own included."""
    return _actions(session, review, earlier_only=PROGRESS_OCCASION[round_] == "next_review")


def progress_due(session: Session, review: Review) -> bool:
    """Whether the host owes a record of progress at the review's current stage (ReviewView.progress_due):
    as its lines of enquiry are proposed, when earlier reviews left actions; after the report of the
    trust's last review, when the trust has any."""
    stage = Stage(review.stage)
    if stage == Stage.LINES_OF_ENQUIRY:
        return bool(earlier_actions(session, review))
    if stage == Stage.FEEDBACK:
        return is_last_review(session, review) and bool(_actions(session, review, earlier_only=False))
    return False


def task_note(round_: int, count: int) -> str:
    if PROGRESS_OCCASION[round_] == "next_review":
        return f"{count} area(s) for development from the trust's earlier reviews: say how far each has got."
    return f"The end of the trust's cycle: say how far each of its {count} area(s) for development has got."


# --- what people see ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressView:
    status: ProgressStatus
    evidence: str
    occasion: str
    review_id: int
    strand: str
    recorded_at: dt.datetime
    task_id: int

    @property
    def occasion_label(self) -> str:
        return "at the end of the cycle" if self.occasion == "end_of_cycle" else "at the next review"


@dataclass(frozen=True)
class ActionView:
    id: int
    ref: str
    text: str
    review_id: int  # the review that found it
    strand: str
    issued_on: dt.date | None
    progress: list[ProgressView] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> ProgressView | None:
        return self.progress[-1] if self.progress else None

    def recorded_by(self, task_id: int) -> ProgressView | None:
        return next((p for p in self.progress if p.task_id == task_id), None)


def action_views(session: Session, actions: list[DevelopmentAction]) -> list[ActionView]:
    """Actions with the review each came from and every progress recorded on them (two queries)."""
    if not actions:
        return []
    rows = progress_of(session, [a.id for a in actions])
    progress: dict[int, list[ProgressView]] = {}
    for p, strand in rows:
        progress.setdefault(p.action_id, []).append(
            ProgressView(
                ProgressStatus(p.status), p.evidence, p.occasion, p.review_id, strand, p.recorded_at, p.task_id
            )
        )
    reviews = reviews_by_id(session, {a.review_id for a in actions})
    return [
        ActionView(
            a.id,
            action_ref(a.id),
            a.text,
            a.review_id,
            reviews[a.review_id].strand_title,
            reviews[a.review_id].issued_on,
            progress.get(a.id, []),
        )
        for a in actions
    ]


def asked_in(session: Session, task: Task) -> list[ActionView]:
    """The actions a record-of-progress task asks about, as they were when it opened."""
    ids = task.subject.get("actions", [])
    found = actions_by_id(session, ids)
    return action_views(session, [found[i] for i in ids if i in found])
