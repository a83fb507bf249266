"""What people submit for each kind of task, validated by pydantic.

Checks that need the review's own data (which lines exist, which evidence items, which findings
were sent back) read it from the validation context the service layer passes in.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from peer_review.domain.model import Alignment, Decision, ProgressStatus
from peer_review.domain.text import (
    Email,
    Name,
    OptionalName,
    OptionalReference,
    OptionalText,
    Reference,
    Text,
    Title,
)

Rating = Annotated[int, Field(ge=1, le=5)]


class _Input(BaseModel):
    # A command validates one kind's input: each model is built the first time it is used, not at import.
    model_config = ConfigDict(extra="forbid", defer_build=True)


def _context(info: ValidationInfo, key: str) -> Any:
    return (info.context or {}).get(key)


def _check_line(number: int, info: ValidationInfo) -> int:
    lines = _context(info, "lines")
    if lines is not None and number not in lines:
        raise ValueError(f"there is no line of enquiry {number}; agreed lines are {', '.join(map(str, sorted(lines)))}")
    return number


def _check_evidence(refs: list[str], info: ValidationInfo) -> list[str]:
    known = _context(info, "evidence")
    if known is not None:
        unknown = [r for r in refs if r not in known]
        if unknown:
            raise ValueError(
                f"evidence {', '.join(unknown)} does not exist in this review's evidence index; "
                f"known items: {', '.join(sorted(known, key=_natural)) or 'none'}"
            )
    return refs


def _natural(ref: str) -> tuple[str, int]:
    head = ref.rstrip("0123456789")
    return head, int(ref[len(head) :] or 0)


# --- the review team ----------------------------------------------------------------------------


class RespondToAssignment(_Input):
    response: Literal["accept", "decline"]
    reason: OptionalText = ""

    @model_validator(mode="after")
    def _reason_when_declining(self) -> RespondToAssignment:
        if self.response == "decline" and not self.reason.strip():
            raise ValueError("say why you decline (reason), so the coordinator can plan around it")
        return self


class NewPerson(_Input):
    """Someone not yet in the partnership: a new reviewer for the leaver's trust, or an associate moderator."""

    name: Name
    email: Email
    job_title: OptionalName = ""
    organisation: OptionalName = ""


class ChooseReplacement(_Input):
    """The coordinator's answer when nobody suitable was free: someone in the partnership, someone new,
    or (for a peer) going ahead with a smaller team; the reason is kept either way."""

    choice: Literal["existing", "new", "without"] = "existing"
    person: Annotated[OptionalReference, AfterValidator(str.lower)] = Field(
        "", description="the email of the person to add"
    )
    new_person: NewPerson | None = None
    reason: Text

    @model_validator(mode="after")
    def _one_way(self) -> ChooseReplacement:
        if self.choice == "existing" and len(self.person) < 3:
            raise ValueError("choose the person to add (person), or choose a new person or a smaller team")
        if self.choice == "new" and self.new_person is None:
            raise ValueError("give the new person's name and email (new_person)")
        return self


# --- lines of enquiry ---------------------------------------------------------------------------


class LineProposal(_Input):
    title: Title = Field(description="the question the review will explore")
    self_evaluation: Text = Field(description="what the trust believes about this, and why")


class ProposeLines(_Input):
    lines: list[LineProposal] = Field(min_length=2, max_length=4)


class AgreeLines(_Input):
    decision: Literal["agreed", "changes_requested"]
    comments: OptionalText = ""

    @model_validator(mode="after")
    def _comments_when_changes(self) -> AgreeLines:
        if self.decision == "changes_requested" and not self.comments.strip():
            raise ValueError("comments are required when asking for changes: say what should change")
        return self


# --- evidence ------------------------------------------------------------------------------------


class EvidenceItemInput(_Input):
    title: Title
    type: Name = Field(description="e.g. minutes, data analysis, survey results")
    location: Title = Field(description="where the item lives (a folder, a system, a link)")
    lines: list[int] = Field(min_length=1, description="line numbers the item is evidence for")
    personal_data: bool = False

    @field_validator("lines")
    @classmethod
    def _lines_exist(cls, value: list[int], info: ValidationInfo) -> list[int]:
        for number in value:
            _check_line(number, info)
        return value


class SubmitEvidence(_Input):
    items: list[EvidenceItemInput] = Field(min_length=1, max_length=100)


# --- findings ------------------------------------------------------------------------------------


class FindingInput(_Input):
    text: Text
    evidence: list[Reference] = Field(min_length=1, description="evidence item ids, e.g. [E1, E3]")

    @field_validator("evidence")
    @classmethod
    def _evidence_exists(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_evidence(value, info)


class LineFindings(_Input):
    line: int
    strengths: list[FindingInput] = Field(default_factory=list, max_length=20)
    areas_for_development: list[FindingInput] = Field(default_factory=list, max_length=20)
    good_practice: list[FindingInput] = Field(default_factory=list, max_length=20)

    @field_validator("line")
    @classmethod
    def _line_exists(cls, value: int, info: ValidationInfo) -> int:
        return _check_line(value, info)


class RecordFindings(_Input):
    lines: list[LineFindings] = Field(min_length=1)

    @model_validator(mode="after")
    def _covers_own_lines(self, info: ValidationInfo) -> RecordFindings:
        numbers = [entry.line for entry in self.lines]
        if len(set(numbers)) != len(numbers):
            raise ValueError("each line may appear only once; put all its findings under one entry")
        for entry in self.lines:
            if not (entry.strengths or entry.areas_for_development or entry.good_practice):
                raise ValueError(
                    f"line {entry.line} has no findings; give at least one strength or area for development"
                )
        required = _context(info, "lead_lines") or []
        missing = [n for n in required if n not in numbers]
        if missing:
            raise ValueError(
                f"you lead on line(s) {', '.join(map(str, missing))}: record at least one finding for each"
            )
        return self


class FindingRevision(_Input):
    finding: Reference = Field(description="the finding id, e.g. F3")
    text: Text
    evidence: list[Reference] = Field(min_length=1)

    @field_validator("evidence")
    @classmethod
    def _evidence_exists(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_evidence(value, info)


class ReviseFindings(_Input):
    findings: list[FindingRevision] = Field(min_length=1)

    @model_validator(mode="after")
    def _exactly_the_returned_ones(self, info: ValidationInfo) -> ReviseFindings:
        expected = _context(info, "findings")
        if expected is not None:
            _same_set([f.finding for f in self.findings], expected, "revise")
        return self


# --- moderation ----------------------------------------------------------------------------------


class FindingDecision(_Input):
    finding: Reference
    decision: Decision
    reason: OptionalText = ""

    @model_validator(mode="after")
    def _reason_when_revision(self) -> FindingDecision:
        if self.decision == Decision.NEEDS_REVISION and not self.reason.strip():
            raise ValueError(f"finding {self.finding}: a reason is required when it needs revision")
        return self


class LineAlignment(_Input):
    line: int
    alignment: Alignment
    comment: Text

    @field_validator("line")
    @classmethod
    def _line_exists(cls, value: int, info: ValidationInfo) -> int:
        return _check_line(value, info)


class Moderate(_Input):
    findings: list[FindingDecision] = Field(min_length=1)
    self_evaluation: list[LineAlignment] = Field(
        default_factory=list, description="per line: how well the host's self-evaluation matched the evidence"
    )

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo) -> Moderate:
        expected = _context(info, "findings")
        if expected is not None:
            _same_set([d.finding for d in self.findings], expected, "decide on")
        lines = _context(info, "alignment_required")
        given = [a.line for a in self.self_evaluation]
        if lines:
            _same_set(given, lines, "judge the self-evaluation of", label="line")
        elif len(set(given)) != len(given):  # a later round may judge lines again, each once
            _same_set(given, sorted(set(given)), "judge the self-evaluation of", label="line")
        return self


# --- report and feedback -------------------------------------------------------------------------


class CheckReport(_Input):
    accurate: bool
    corrections: list[Text] = Field(default_factory=list, max_length=30)
    share_good_practice: bool = Field(
        description=(
            "whether the review's good practice that the moderator supported may be shared, with the trust's name, "
            "with every trust taking part in moderated peer review through this service (the host must answer)"
        )
    )

    @model_validator(mode="after")
    def _corrections_when_inaccurate(self) -> CheckReport:
        if not self.accurate and not self.corrections:
            raise ValueError("list the factual corrections when the draft is not accurate")
        return self


class IssueReport(_Input):
    statement: Text = Field(description="the moderator's statement on the review and the evidence")
    next_steps: list[Text] = Field(min_length=1, max_length=30)


class GiveFeedback(_Input):
    helped_us_improve: Rating = Field(description="1-5: the review will help us improve (formative)")
    fair_and_accurate: Rating = Field(description="1-5: the review gave a fair, accurate account (summative)")
    would_take_part_again: bool
    comments: OptionalText = ""


# --- follow-up of earlier areas for development ----------------------------------------------------


class ActionProgressInput(_Input):
    action: Reference = Field(description="the action's id, e.g. A3")
    status: ProgressStatus
    evidence: OptionalText = Field("", description="what shows the progress: needed when under way or done")

    @model_validator(mode="after")
    def _evidence_when_started(self) -> ActionProgressInput:
        if self.status != ProgressStatus.NOT_STARTED and not self.evidence.strip():
            raise ValueError(f"action {self.action}: say what shows it is {self.status.label.lower()} (evidence)")
        return self


class RecordProgress(_Input):
    """The host's account of each area for development from the trust's earlier reviews (or, at the end
    of the cycle, from all of them): exactly the actions the task asks about."""

    actions: list[ActionProgressInput] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _exactly_the_actions_asked(self, info: ValidationInfo) -> RecordProgress:
        expected = _context(info, "actions")
        if expected is not None:
            _same_set([a.action for a in self.actions], expected, "record progress on", label="action")
        return self


def _same_set(given: list, expected: list, verb: str, label: str = "finding") -> None:
    dupes = sorted({str(g) for g in given if given.count(g) > 1})
    if dupes:
        raise ValueError(f"{label} {', '.join(dupes)} appears more than once")
    unknown = [str(g) for g in given if g not in expected]
    if unknown:
        raise ValueError(
            f"{label} {', '.join(unknown)} is not one you are asked to {verb}; expected: {', '.join(map(str, expected))}"
        )
    missing = [str(e) for e in expected if e not in given]
    if missing:
        raise ValueError(
            f"{label} {', '.join(missing)} missing; you are asked to {verb}: {', '.join(map(str, expected))}"
        )
