"""The registry's entry for one kind of task (`Kind`). It is apart from the registry (`__init__.py`) because
each kind's module builds its own entry, and the registry imports every kind's module: the two would
otherwise import each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from pydantic import BaseModel

from peer_review.domain.model import KIND_RULES, KindRule, TaskKind
from peer_review.service.kinds._forms import AnswerForm
from peer_review.store.db import Session

if TYPE_CHECKING:
    from peer_review.store.tables import Review, Task


@dataclass(frozen=True)
class AnswerRow:
    """One row of an answer read back (a GOV.UK summary list): what it is, what was said, and the key path
    of the form's field to change it at."""

    key: str
    value: str
    change: tuple = ()


#: an answer read back, from the task's context and the answer as stored (the model's JSON)
Summary: TypeAlias = "Callable[[dict, dict], list[AnswerRow]]"

#: what a kind adds to a task's context, from the task and what is known of it already
Additions: TypeAlias = "Callable[[Session, Review, Task, dict], dict]"


def nothing_more(session: Session, review: Review, task: Task, known: dict) -> dict:
    """For a kind that needs nothing beyond what every task has."""
    return {}


@dataclass(frozen=True)
class Kind:
    kind: TaskKind
    model: type[BaseModel]  # validates the answer (from YAML or from the web form alike)
    handle: Callable[..., str]  # records the answer and opens follow-up tasks; returns the outcome
    form: AnswerForm  # the web form: its starting answer and the parts that repeat
    template: Callable[[dict], list[str]]  # the YAML skeleton's body, with guidance
    #: what the task's page, YAML skeleton and form start from, beyond every task's (queries.task_context)
    context: Additions = nothing_more
    #: what the answer may refer to, beyond the review's lines and evidence (the registry's validation_context)
    references: Additions = nothing_more
    #: the task's page links to the review's draft report (the host checks it, the moderator issues it)
    shows_draft_report: bool = False
    #: the answer read back, row by row: on the done task's page and on "check your answers"
    summary: Summary | None = None
    #: what happens once it is sent, and who acts next, in a sentence for the confirmation page
    next_step: str = ""
    #: a long answer: the person checks it on a page of its own before sending it
    checks_answers: bool = False

    @property
    def rule(self) -> KindRule:
        return KIND_RULES[self.kind]

    @property
    def page(self) -> str:
        return f"forms/{self.kind.value}.html"
