"""The registry of task kinds: one entry per kind, read by the CLI, the web, the flows, the emails and
the demo. Its workflow rules (title, who does it, due date, the stage it opens) are the domain's
`KIND_RULES`; this entry adds what people answer and what happens to it.

Adding a kind means adding a TaskKind, its rule, its entry here and its page `web/templates/forms/KIND.html`;
tests/test_kinds.py checks that every kind has all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from peer_review.demo import answers as sim
from peer_review.domain import inputs as inp
from peer_review.domain.model import KIND_RULES, KindRule, TaskKind
from peer_review.service import answer_forms as forms
from peer_review.service import handlers as h
from peer_review.service import task_templates as yaml_
from peer_review.service.answer_forms import AnswerForm


@dataclass(frozen=True)
class Kind:
    kind: TaskKind
    model: type[BaseModel]  # validates the answer (from YAML or from the web form alike)
    handle: Callable[..., str]  # records the answer and opens follow-up tasks; returns the outcome
    form: AnswerForm  # the web form: its starting answer and the parts that repeat
    template: Callable[[dict], list[str]]  # the YAML skeleton's body, with guidance
    simulate: Callable[[dict], dict]  # the demo's simulated participant's answer

    @property
    def rule(self) -> KindRule:
        return KIND_RULES[self.kind]

    @property
    def page(self) -> str:
        return f"forms/{self.kind.value}.html"


K = TaskKind
KINDS: dict[TaskKind, Kind] = {
    k.kind: k
    for k in (
        Kind(
            K.RESPOND_TO_ASSIGNMENT,
            inp.RespondToAssignment,
            h.respond,
            AnswerForm(forms.nothing, anchors={(): ("reason",)}),
            yaml_.respond,
            sim.respond,
        ),
        Kind(
            K.CHOOSE_REPLACEMENT,
            inp.ChooseReplacement,
            h.choose_replacement,
            AnswerForm(forms.choose_replacement, anchors={(): ("choice",)}, tidy=forms.only_the_option_chosen),
            yaml_.choose_replacement,
            sim.choose,
        ),
        Kind(
            K.PROPOSE_LINES,
            inp.ProposeLines,
            h.propose_lines,
            AnswerForm(forms.propose_lines, {("lines",): forms.BLANK_LINE}),
            yaml_.propose_lines,
            sim.propose,
        ),
        Kind(
            K.AGREE_LINES,
            inp.AgreeLines,
            h.agree_lines,
            AnswerForm(forms.nothing, anchors={(): ("comments",)}),
            yaml_.agree_lines,
            sim.agree,
        ),
        Kind(
            K.SUBMIT_EVIDENCE,
            inp.SubmitEvidence,
            h.submit_evidence,
            AnswerForm(forms.submit_evidence, {("items",): forms.BLANK_ITEM}, drafts=True),
            yaml_.submit_evidence,
            sim.evidence,
        ),
        Kind(
            K.RECORD_FINDINGS,
            inp.RecordFindings,
            h.record_findings,
            AnswerForm(
                forms.record_findings,
                {("lines",): {"line": ""}}
                | {("lines", "*", kind): forms.BLANK_FINDING for kind in forms.FINDING_LISTS},
                drafts=True,
                anchors={(): ("lines",)},
                about=("line",),
            ),
            yaml_.record_findings,
            sim.findings,
        ),
        Kind(
            K.MODERATE,
            inp.Moderate,
            h.moderate,
            AnswerForm(forms.moderate, drafts=True, anchors={("findings", "*"): ("reason",), (): ("findings",)}),
            yaml_.moderate,
            sim.moderate,
        ),
        Kind(
            K.REVISE_FINDINGS,
            inp.ReviseFindings,
            h.revise_findings,
            AnswerForm(forms.revise_findings, drafts=True, anchors={(): ("findings",)}),
            yaml_.revise_findings,
            sim.revise,
        ),
        Kind(
            K.CHECK_REPORT,
            inp.CheckReport,
            h.check_report,
            AnswerForm(forms.check_report, {("corrections",): ""}, anchors={(): ("corrections", 0)}),
            yaml_.check_report,
            sim.check,
        ),
        Kind(
            K.ISSUE_REPORT,
            inp.IssueReport,
            h.issue_report,
            AnswerForm(forms.issue_report, {("next_steps",): ""}, drafts=True),
            yaml_.issue_report,
            sim.issue,
        ),
        Kind(
            K.GIVE_FEEDBACK,
            inp.GiveFeedback,
            h.give_feedback,
            AnswerForm(forms.nothing),
            yaml_.give_feedback,
            sim.feedback,
        ),
        Kind(
            K.RECORD_PROGRESS,
            inp.RecordProgress,
            h.record_progress,
            AnswerForm(forms.record_progress, drafts=True, anchors={("actions", "*"): ("evidence",), (): ("actions",)}),
            yaml_.record_progress,
            sim.progress,
        ),
    )
}


def yaml_template(ctx: dict) -> str:
    """A task's YAML skeleton (`peer-review task template`), from the task's context (queries.task_context)."""
    return yaml_.render_template(ctx, KINDS[ctx["kind"]].template)
