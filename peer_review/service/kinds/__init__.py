"""The registry of task kinds: one `Kind` per kind, read by the CLI, the web, the flows and the emails. Its
workflow rules (title, who does it, due date, the stage it opens) are the domain's `KIND_RULES`; the entry adds
what people answer and what happens to it. Everything of a kind's own lives in its module here, `KIND.py`.

Adding a kind takes, and tests/test_kinds.py checks each:
1. a TaskKind and its rule in `KIND_RULES` (domain/model.py);
2. its input model (domain/inputs.py);
3. its module `service/kinds/KIND.py` ending in `KIND = Kind(...)` (its handler, web form, YAML body, and
   what it adds to the task's context and to what its answer may refer to), added to `MODULES` below;
4. its page `entrypoints/web/templates/forms/KIND.html`;
5. its simulated answer in the demo's `SIMULATED` (demo/answers.py).

Modules whose names start with `_` are not kinds: they hold what several kinds share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer_review.domain.model import TaskKind
from peer_review.service.kinds import (
    agree_lines,
    check_report,
    choose_replacement,
    give_feedback,
    issue_report,
    moderate,
    propose_lines,
    record_findings,
    record_progress,
    respond_to_assignment,
    revise_findings,
    submit_evidence,
)
from peer_review.service.kinds._forms import AnswerForm, matches
from peer_review.service.kinds._kind import AnswerRow, Kind
from peer_review.service.kinds._yaml import render_template
from peer_review.store.db import Session
from peer_review.store.records import agreed_lines, evidence_refs

if TYPE_CHECKING:
    from peer_review.store.tables import Review, Task

__all__ = ["KINDS", "MODULES", "AnswerForm", "AnswerRow", "Kind", "matches", "validation_context", "yaml_template"]

MODULES = (
    respond_to_assignment,
    choose_replacement,
    propose_lines,
    agree_lines,
    submit_evidence,
    record_findings,
    moderate,
    revise_findings,
    check_report,
    issue_report,
    give_feedback,
    record_progress,
)
KINDS: dict[TaskKind, Kind] = {module.KIND.kind: module.KIND for module in MODULES}


def yaml_template(ctx: dict) -> str:
    """A task's YAML skeleton (`peer-review task template`), from the task's context (queries.task_context)."""
    return render_template(ctx, KINDS[ctx["kind"]].template)


def validation_context(session: Session, review: Review, task: Task) -> dict:
    """What a task's input may refer to, for the pydantic validators in domain.inputs: the review's agreed lines
    and evidence, and what its kind adds. Here rather than with the records it reads (store/records.py), which
    every kind's module imports."""
    lines = [line.number for line in agreed_lines(session, review)]
    context: dict = {"lines": lines, "evidence": evidence_refs(session, review)}
    return context | KINDS[TaskKind(task.kind)].references(session, review, task, context)
