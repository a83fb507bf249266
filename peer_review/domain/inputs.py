"""What people submit for each kind of task, validated by pydantic.

Checks that need the review's own data (which lines exist, which evidence items, which findings
were sent back) read it from the validation context the service layer passes in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal, Self

from annotated_types import MaxLen, MinLen
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

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


class Problem(ValueError):
    """A rule of an answer broken, in the words people are shown: on the web beside the field at its key path,
    and by `peer-review submit`. `about` names the entry it is about when that entry is not in the answer
    (a line someone leads on, with no findings), so a form can put it beside that entry's fields."""

    def __init__(self, message: str, **about: Any) -> None:
        super().__init__(message)
        self.about = about


Found = tuple[tuple, Problem]  # a rule's problem, at the key path (inside the model) of what it is about


class _Input(BaseModel):
    # A command validates one kind's input: each model is built the first time it is used, not at import.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem_at_once(cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        """pydantic checks a model's own rules only once every field is right, and a list's length only once
        every entry is, so people would meet their problems one round at a time. Here the model's rules
        (`_rules`, read from the answer as sent) and its lists' lengths are reported with its fields' problems."""
        try:
            model = handler(data)
        except ValidationError as exc:
            more = _more(cls, data, info, exc.errors()) if isinstance(data, dict) else []
            if not more:
                raise
            failed: list[Any] = exc.errors()  # each as pydantic gives it, which it takes back as it is
            raise ValidationError.from_exception_data(cls.__name__, [*failed, *more]) from None
        more = _more(cls, data, info, []) if isinstance(data, dict) else []
        if more:
            raise ValidationError.from_exception_data(cls.__name__, more)
        return model

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        """The model's rules across its fields, checked on the answer as sent (its fields may be wrong)."""
        return iter(())


def _more(model: type[_Input], data: dict, info: ValidationInfo, failed: list) -> list[InitErrorDetails]:
    """What pydantic left out beside the problems it found: the model's rules, and (when entries have problems)
    its lists' lengths; one problem a place, a field's own first."""
    taken: set[tuple[tuple, tuple]] = {(tuple(e["loc"]), ()) for e in failed}
    more: list[InitErrorDetails] = []
    found: list[InitErrorDetails] = [
        {"type": "value_error", "loc": loc, "input": _at(data, loc), "ctx": {"error": problem}}
        for loc, problem in model._rules(data, info)
    ]
    for error in found + (_lengths(model, data) if failed else []):
        problem = (error.get("ctx") or {}).get("error")
        place = (error["loc"], tuple(sorted(problem.about.items())) if isinstance(problem, Problem) else ())
        if place not in taken:  # a rule about another entry (a line led on) is a place of its own
            taken.add(place)
            more.append(error)
    return more


def _lengths(model: type[BaseModel], data: dict) -> list[InitErrorDetails]:
    """The length of each list, which pydantic checks only once its entries have no problems."""
    found: list[InitErrorDetails] = []
    for name, info in model.model_fields.items():
        given = data.get(name)
        if not isinstance(given, list):
            continue
        fewest = next((m.min_length for m in info.metadata if isinstance(m, MinLen)), 0)
        most = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        if len(given) < fewest:
            ctx = {"field_type": "List", "min_length": fewest, "actual_length": len(given)}
            found.append({"type": "too_short", "loc": (name,), "input": given, "ctx": ctx})
        elif most is not None and len(given) > most:
            ctx = {"field_type": "List", "max_length": most, "actual_length": len(given)}
            found.append({"type": "too_long", "loc": (name,), "input": given, "ctx": ctx})
    return found


def _at(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return ""
    return data


_READERS: dict[Any, TypeAdapter] = {}


def _read(kind: Any, value: Any) -> Any:
    """A value sent, read as pydantic would read it for a field of this type; None when it would refuse it."""
    reader = _READERS.get(kind) or _READERS.setdefault(kind, TypeAdapter(kind))
    try:
        return reader.validate_python(value)
    except ValidationError:
        return None


def _blank(value: Any) -> bool:
    """Nothing written: absent, empty or only spaces (a value of another type is a problem of its own)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _entries(data: dict, key: str) -> list[dict]:
    """The entries of a list as sent, each a mapping (or {} where something else was sent)."""
    given = data.get(key)
    return [e if isinstance(e, dict) else {} for e in given] if isinstance(given, list) else []


def _context(info: ValidationInfo, key: str) -> Any:
    return (info.context or {}).get(key)


def _listed(items: list) -> str:
    """'1', '1 and 2', '1, 2 and 3'."""
    words = [str(i) for i in items]
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def _check_line(number: int, info: ValidationInfo) -> int:
    lines = _context(info, "lines")
    if lines is not None and number not in lines:
        raise Problem(
            f"There is no line of enquiry {number}: the agreed lines are {_listed(sorted(lines)) or 'none yet'}"
        )
    return number


def _check_evidence(refs: list[str], info: ValidationInfo) -> list[str]:
    known = _context(info, "evidence")
    if known is not None:
        unknown = [r for r in refs if r not in known]
        if unknown:
            raise Problem(
                f"Evidence {_listed(unknown)} {'does' if len(unknown) == 1 else 'do'} not exist in this review's "
                f"evidence index, which holds {_listed(sorted(known, key=_natural)) or 'nothing yet'}"
            )
    return refs


def _natural(ref: str) -> tuple[str, int]:
    head = ref.rstrip("0123456789")
    return head, int(ref[len(head) :] or 0)


# --- the review team ----------------------------------------------------------------------------


class RespondToAssignment(_Input):
    response: Literal["accept", "decline"]
    reason: OptionalText = ""

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        if data.get("response") == "decline" and _blank(data.get("reason")):
            yield ("reason",), Problem("Enter why you decline, so the coordinator can plan around it")


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

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        choice, person = data.get("choice", "existing"), data.get("person", "")
        if choice == "existing" and (person is None or (isinstance(person, str) and len(person.strip()) < 3)):
            yield ("person",), Problem("Select who should take the place, or choose another way to fill it")
        if choice == "new" and data.get("new_person") is None:
            yield ("new_person",), Problem("Enter the new person's name and email address")


# --- lines of enquiry ---------------------------------------------------------------------------


class LineProposal(_Input):
    title: Title = Field(description="the question the review will explore")
    self_evaluation: Text = Field(description="what the trust believes about this, and why")


class ProposeLines(_Input):
    lines: list[LineProposal] = Field(min_length=2, max_length=4)


class AgreeLines(_Input):
    decision: Literal["agreed", "changes_requested"]
    comments: OptionalText = ""

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        if data.get("decision") == "changes_requested" and _blank(data.get("comments")):
            yield ("comments",), Problem("Enter what the host should change")


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

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        if not any(data.get(kind) for kind in ("strengths", "areas_for_development", "good_practice")):
            yield (), Problem("Enter at least one strength, area for development or good practice")


class RecordFindings(_Input):
    lines: list[LineFindings]  # at least one: `_rules` says which, the lines the peer leads on first

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        """Each line once, and every line the peer leads on (told apart, so a form can say each beside its line)."""
        entries = _entries(data, "lines")
        numbers = [n for n in (_read(int, e.get("line")) for e in entries) if n is not None]
        yield from _once(numbers, "lines", "Line", "put each line's findings under one entry")
        missing = [n for n in _context(info, "lead_lines") or [] if n not in numbers]
        for number in missing:
            yield ("lines",), Problem(f"Enter at least one finding for line {number}, which you lead on", line=number)
        if not entries and not missing:
            yield ("lines",), Problem("Enter at least one finding")


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

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        """Exactly the findings sent back."""
        yield from _same_set(_refs(data, "findings", "finding"), _context(info, "findings"), "findings", "revise")


# --- moderation ----------------------------------------------------------------------------------


class FindingDecision(_Input):
    finding: Reference
    decision: Decision
    reason: OptionalText = ""

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        if _read(Decision, data.get("decision")) is Decision.NEEDS_REVISION and _blank(data.get("reason")):
            yield ("reason",), Problem("Enter why it needs revision")


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

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        """A decision on every finding asked about, and a judgement of every line asked about (a later round
        may judge lines again: each once)."""
        yield from _same_set(_refs(data, "findings", "finding"), _context(info, "findings"), "findings", "decide on")
        lines = [n for n in (_read(int, e.get("line")) for e in _entries(data, "self_evaluation")) if n is not None]
        verb = "judge the self-evaluation of"
        yield from _same_set(lines, _context(info, "alignment_required") or None, "self_evaluation", verb, "line")


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

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        if _read(bool, data.get("accurate")) is False and not data.get("corrections"):
            yield ("corrections",), Problem("Enter at least one correction, as the draft is not accurate")


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

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        status = _read(ProgressStatus, data.get("status"))
        if status not in (None, ProgressStatus.NOT_STARTED) and _blank(data.get("evidence")):
            yield ("evidence",), Problem(f"Enter what shows it is {status.label.lower()}")


class RecordProgress(_Input):
    """The host's account of each area for development from the trust's earlier reviews (or, at the end
    of the cycle, from all of them): exactly the actions the task asks about."""

    actions: list[ActionProgressInput] = Field(min_length=1, max_length=200)

    @classmethod
    def _rules(cls, data: dict, info: ValidationInfo) -> Iterator[Found]:
        yield from _same_set(
            _refs(data, "actions", "action"), _context(info, "actions"), "actions", "record progress on", "action"
        )


def _refs(data: dict, key: str, ref: str) -> list[str]:
    """The references the entries of a list were sent with (those that are references)."""
    return [r for r in (_read(Reference, e.get(ref)) for e in _entries(data, key)) if r is not None]


def _once(given: list, key: str, label: str, fix: str = "") -> Iterator[Found]:
    dupes = sorted({g for g in given if given.count(g) > 1})
    if dupes:
        what = f"{label} {_listed(dupes)} appears" if len(dupes) == 1 else f"{label}s {_listed(dupes)} appear"
        yield (key,), Problem(f"{what} more than once" + (f": {fix}" if fix else ""))


def _same_set(given: list, expected: list | None, key: str, verb: str, label: str = "finding") -> Iterator[Found]:
    """Each entry once, and (when the task says which) exactly those it asks about; at the list's key."""
    found = list(_once(given, key, label.capitalize()))
    yield from found
    if expected is None or found:
        return
    asked = f"you are asked to {verb} {label}{'s' if len(expected) > 1 else ''} {_listed(expected)}"
    unknown = [g for g in given if g not in expected]
    missing = [e for e in expected if e not in given]
    if unknown:
        what = f"{label} {unknown[0]} is not one" if len(unknown) == 1 else f"{label}s {_listed(unknown)} are not ones"
        yield (key,), Problem(f"{what[0].upper()}{what[1:]} you are asked to {verb}: {asked}")
    elif missing:
        what = f"{label} {missing[0]} is" if len(missing) == 1 else f"{label}s {_listed(missing)} are"
        yield (key,), Problem(f"{what[0].upper()}{what[1:]} missing: {asked}")
