"""Task answers as HTML forms, without JavaScript.

Field names spell the answer's key path, joined by "-": `lines-0-title`, `items-1-lines` (one checkbox
per value), `findings-2-decision`. `answer_from_form` turns the posted fields back into the nested answer
the kind's pydantic model validates, exactly as a YAML answer would be; "add another" rows left blank
are dropped first, and `field_id` maps an error's key path back to the field it came from, through
the rows that were dropped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from peer_review.domain.inputs import Problem
from peer_review.service.kinds import AnswerForm, matches

Path = tuple  # a key path: str keys and int indexes


def field_id(path: Path) -> str:
    return "-".join(map(str, path))


def _parse_name(name: str) -> Path:
    return tuple(
        int(part) if part.isascii() and part.isdigit() else part for part in name.split("-")
    )  # not "²": int() refuses it


def _annotation_at(model: type[BaseModel], path: Path) -> Any:
    """The type the model expects at a key path (None where the path leaves the model)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            args = get_args(current)
            if get_origin(current) is not list or not args:
                return None
            current = args[0]
            while (
                get_origin(current) is not None and get_origin(current) is not list and get_args(current)
            ):  # Annotated[...]
                current = get_args(current)[0]
        else:
            if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
                return None
            current = _without_none(current.model_fields[part].annotation)
    return current


def _without_none(annotation: Any) -> Any:
    """`X | None` is X, for what a form may send."""
    if get_origin(annotation) in (Union, UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation


def _is_list_of_values(annotation: Any) -> bool:
    if get_origin(annotation) is not list:
        return False
    (item,) = get_args(annotation) or (None,)
    return not (isinstance(item, type) and issubclass(item, BaseModel))


MAX_DEPTH = 8  # deeper than any answer's key paths


def nest(fields: list[tuple[str, str]], model: type[BaseModel]) -> dict:
    """Posted (name, value) pairs as the nested answer; lists of values (checkboxes) gather every value.

    A name that does not spell a value of the model (a crafted one) is left out, so what comes back
    always has the model's shape and the page can be drawn again with it."""
    answer: dict = {}
    for name, value in fields:
        path = _parse_name(name)
        annotation = _value_type(model, path)
        if annotation is None:
            continue
        node: Any = answer
        for part in path[:-1]:
            node = node.setdefault(part, {})  # entries, and lists of them by index until _lists
        if _is_list_of_values(annotation):
            bucket = node.setdefault(path[-1], {})
            if value != "":
                bucket[len(bucket)] = value
        else:
            node[path[-1]] = value
    return _lists(answer, model, ())


def _value_type(model: type[BaseModel], path: Path) -> Any:
    """The type of the value a key path ends at, or None when it does not end at a value the model
    takes (a whole entry, a list of entries, a name the model does not have, a crafted index)."""
    if (
        not path
        or len(path) > MAX_DEPTH
        or isinstance(path[0], int)
        or any(isinstance(p, int) and p > 10_000 for p in path)
    ):
        return None
    annotation = _annotation_at(model, path)
    if annotation is None or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return None
    return annotation if get_origin(annotation) is not list or _is_list_of_values(annotation) else None


def _lists(node: Any, model: type[BaseModel], path: Path) -> Any:
    """Dicts keyed by index become lists, in index order."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_lists(node[k], model, path + (i,)) for i, k in enumerate(sorted(node))]
    if not node and _is_list_of_values(_annotation_at(model, path)):
        return []
    return {k: _lists(v, model, path + (k,)) for k, v in node.items()}


def _blank(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Pruned:
    answer: dict
    #: the answer as posted, blank rows and all: the rows on the page
    posted: dict = field(default_factory=dict)
    #: for a list whose blank rows were dropped: its path in the pruned answer -> the original index of each row kept
    kept: dict[Path, list[int]] = field(default_factory=dict)

    def original(self, loc: Path) -> Path:
        """An error's key path in the pruned answer, as the path of the field the person filled in."""
        pruned: list = []
        out: list = []
        for part in loc:
            original = part
            if isinstance(part, int) and tuple(pruned) in self.kept:
                rows = self.kept[tuple(pruned)]
                original = rows[part] if part < len(rows) else part
            pruned.append(part)
            out.append(original)
        return tuple(out)


def prune(answer: dict, form: AnswerForm) -> Pruned:
    """Drop the blank rows of every repeating list (innermost first), remembering where the rest came from.

    A row counts as blank when everything in it is empty but the keys that say what it is about
    (`form.about`, such as a findings entry's `line`).
    """
    kept: dict[Path, list[int]] = {}

    def visit(node: Any, path: Path) -> Any:
        if isinstance(node, dict):
            return {k: visit(v, path + (k,)) for k, v in node.items()}
        if not isinstance(node, list):
            return node
        node = [visit(v, path + (i,)) for i, v in enumerate(node)]
        if not form.repeats_at(path):
            return node
        rows = [i for i, row in enumerate(node) if not _blank(_without(row, form.about))]
        _renumber_below(kept, path, rows)
        kept[path] = rows
        return [node[i] for i in rows]

    return Pruned(form.tidy(visit(copy.deepcopy(answer), ())), answer, kept)


def _without(row: Any, keys: tuple[str, ...]) -> Any:
    return {k: v for k, v in row.items() if k not in keys} if isinstance(row, dict) else row


def _renumber_below(kept: dict[Path, list[int]], path: Path, rows: list[int]) -> None:
    """Rows of `path` were dropped: the lists inside them go, those inside the rows kept take the rows' new places."""
    depth = len(path)
    for inner in [p for p in kept if len(p) > depth and p[:depth] == path]:
        rows_kept = kept.pop(inner)
        if inner[depth] in rows:
            kept[path + (rows.index(inner[depth]),) + inner[depth + 1 :]] = rows_kept


def add_row(answer: dict, form: AnswerForm, target: Path) -> dict:
    """The answer with a blank row added to the repeating list at `target` (an "add another" button)."""
    blank = next((b for pattern, b in form.repeats.items() if matches(pattern, target)), None)
    if blank is None:
        return answer
    node = _node(answer, target[:-1])
    if isinstance(node, dict):
        node.setdefault(target[-1], [])
        if isinstance(node[target[-1]], list):
            node[target[-1]].append(copy.deepcopy(blank))
    return answer


def remove_row(answer: dict, form: AnswerForm, target: Path) -> dict:
    """The answer without row `target` (e.g. lines-2) of a repeating list."""
    if not target or not isinstance(target[-1], int) or not form.repeats_at(target[:-1]):
        return answer
    rows = _node(answer, target[:-1])
    if isinstance(rows, list) and 0 <= target[-1] < len(rows):
        del rows[target[-1]]
    return answer


def _node(answer: Any, path: Path) -> Any:
    for part in path:
        try:
            answer = answer[part]
        except (KeyError, IndexError, TypeError):
            return None
    return answer


def parse_action(value: str) -> tuple[str, Path]:
    """'submit', 'save', 'add:lines', 'remove:lines-2' -> (verb, key path)."""
    verb, _, target = value.partition(":")
    return verb, _parse_name(target) if target else ()


def value_at(answer: Any, path: str) -> Any:
    """For the templates: the answer's value at a field id like 'lines-0-title' ('' when absent)."""
    node = _node(answer, _parse_name(path))
    return "" if node is None else node


# --- problems, in words: GOV.UK's, each beside its field ----------------------------------------


@dataclass(frozen=True)
class Words:
    """A field's problems in the words of its label: what it asks for when empty or not chosen ("Enter your
    statement", "Select ..."), and what it is called in any other problem ("Your statement must be ...")."""

    empty: str
    name: str = ""


#: Each field of every answer, by its model and key ("Model.key"), worded as its label or legend on the page.
FIELDS = {
    "RespondToAssignment.response": Words("Select whether you accept your place"),
    "RespondToAssignment.reason": Words("Enter why you decline", "Your reason"),
    "ChooseReplacement.choice": Words("Select how you want to fill the place"),
    "ChooseReplacement.person": Words("Select who should take the place"),
    "ChooseReplacement.reason": Words("Enter why you made this choice", "Your reason"),
    "NewPerson.name": Words("Enter their full name", "Their full name"),
    "NewPerson.email": Words("Enter their email address", "Their email address"),
    "NewPerson.job_title": Words("Enter their job title", "Their job title"),
    "NewPerson.organisation": Words("Enter their organisation", "Their organisation"),
    "LineProposal.title": Words("Enter the question the review will explore", "The question"),
    "LineProposal.self_evaluation": Words("Enter your self-evaluation", "Your self-evaluation"),
    "AgreeLines.decision": Words("Select whether you agree these lines of enquiry"),
    "AgreeLines.comments": Words("Enter your comments for the host", "Your comments"),
    "EvidenceItemInput.title": Words("Enter a title", "The title"),
    "EvidenceItemInput.type": Words("Enter the type of evidence", "The type"),
    "EvidenceItemInput.location": Words("Enter where it is kept", "Where it is kept"),
    "EvidenceItemInput.lines": Words("Select the lines of enquiry it is evidence for"),
    "EvidenceItemInput.personal_data": Words("Select whether it identifies pupils or staff"),
    "FindingInput.text": Words("Enter the finding", "The finding"),
    "FindingInput.evidence": Words("Select the evidence it rests on"),
    "FindingDecision.decision": Words("Select whether it is supported by the evidence"),
    "FindingDecision.reason": Words("Enter why it needs revision", "The reason for revision"),
    "LineAlignment.alignment": Words("Select how well it matched the evidence"),
    "LineAlignment.comment": Words("Enter your comment", "Your comment"),
    "FindingRevision.text": Words("Enter the finding", "The finding"),
    "FindingRevision.evidence": Words("Select the evidence it rests on"),
    "CheckReport.accurate": Words("Select whether the draft is factually accurate"),
    "CheckReport.share_good_practice": Words("Select whether we may share this good practice"),
    "IssueReport.statement": Words("Enter your statement", "Your statement"),
    "GiveFeedback.helped_us_improve": Words("Select how far you agree that the review will help you improve"),
    "GiveFeedback.fair_and_accurate": Words(
        "Select how far you agree that the review gave a fair and accurate account"
    ),
    "GiveFeedback.would_take_part_again": Words("Select yes if you would take part in a review like this again"),
    "GiveFeedback.comments": Words("Enter your comments", "Your comments"),
    "ActionProgressInput.status": Words("Select how far it has got"),
    "ActionProgressInput.evidence": Words("Enter what shows it", "What shows it"),
}


@dataclass(frozen=True)
class Rows:
    """A list of entries: what the page calls each ({n} its number; {line}, {finding}, {action} the key that
    says which it is), and what too few or too many of them say."""

    row: str
    fewest: str = ""
    most: str = ""


#: The lists whose entries the page shows one by one (the values of a checkbox group are not among them).
LISTS = {
    "ProposeLines.lines": Rows(
        "Line of enquiry {n}", "Enter at least {min} lines of enquiry", "Enter {max} lines of enquiry or fewer"
    ),
    "SubmitEvidence.items": Rows(
        "Evidence item E{n}", "Enter at least one evidence item", "Enter {max} evidence items or fewer"
    ),
    "RecordFindings.lines": Rows("Line {line}", "Enter at least one finding"),
    "LineFindings.strengths": Rows("strength {n}", most="Enter {max} strengths or fewer"),
    "LineFindings.areas_for_development": Rows(
        "area for development {n}", most="Enter {max} areas for development or fewer"
    ),
    "LineFindings.good_practice": Rows("good practice {n}", most="Enter {max} pieces of good practice or fewer"),
    "Moderate.findings": Rows("Finding {finding}", "Decide on every finding"),
    "Moderate.self_evaluation": Rows("Line {line}"),
    "ReviseFindings.findings": Rows("Finding {finding}", "Revise every finding sent back"),
    "CheckReport.corrections": Rows("Correction {n}", most="Enter {max} corrections or fewer"),
    "IssueReport.next_steps": Rows("Next step {n}", "Enter at least one next step", "Enter {max} next steps or fewer"),
    "RecordProgress.actions": Rows(
        "Action {action}", "Record progress on every action", "Record progress on {max} actions or fewer"
    ),
}
#: The keys that say which entry a row is: hidden on the page, so a problem is shown by the row's first field.
NAMING = ("line", "finding", "action")
#: For a form changed by hand, whose problem no field of the page can show.
UNEXPECTED = "The answer sent does not match this form: reload the page and answer again"


def errors_by_field(raw: list[dict], pruned: Pruned, form: AnswerForm, model: type[BaseModel]) -> dict[str, str]:
    """Each problem once, in words, keyed by the id of the field on the page it is shown beside, in the
    order of the page (a field with two problems shows the first)."""
    placed = []
    for number, error in enumerate(raw):
        loc = tuple(error["loc"])
        place = field_of(loc, _problem(error), pruned, form, model)
        placed.append((_page_order(model, place), number, field_id(place), message(error, loc, pruned, model)))
    errors: dict[str, str] = {}
    for _order, _number, fid, text in sorted(placed):
        errors.setdefault(fid or "answer", text)
    return errors


def problem_by_field(loc: tuple, problem: str, pruned: Pruned, form: AnswerForm, model: type[BaseModel]) -> dict:
    """A refusal from the task's own checks (the service's, after the answer's), beside the field it names."""
    place = field_of(tuple(loc), None, pruned, form, model) if loc else form.anchor(())
    return {field_id(place) or "answer": _capital(problem)}


def field_of(loc: Path, problem: Any, pruned: Pruned, form: AnswerForm, model: type[BaseModel]) -> Path:
    """The key path, as on the page, of the field a problem at `loc` (in the pruned answer) is shown beside:
    a rule about a whole list beside the first field of its first row left blank (or its first row), and
    one about an entry that is not in the answer beside that entry's row (a line someone leads on)."""
    path = pruned.original(loc)
    about = getattr(problem, "about", None) or {}
    rows = _node(pruned.posted, path)
    if about and isinstance(rows, list):
        ((key, value),) = list(about.items())[:1]
        found = [i for i, row in enumerate(rows) if isinstance(row, dict) and str(row.get(key)) == str(value)]
        path = path + tuple(found[:1])
    path, started = form.anchor(path), True
    for _ in range(MAX_DEPTH * 2):
        annotation = _annotation_at(model, path)
        if path and isinstance(path[-1], int) and _is_list_of_values(_annotation_at(model, path[:-1])):
            return path if _rows_of(model, path[:-1]) else path[:-1]  # one box each (corrections), or a checkbox
        if get_origin(annotation) is list and (not _is_list_of_values(annotation) or _rows_of(model, path)):
            rows = _node(pruned.posted, path)
            if not isinstance(rows, list) or not rows:
                if not path or not started:
                    return path
                path, started = (), False  # no rows on the page (a form changed by hand): its first field
                continue
            blank = [i for i, row in enumerate(rows) if _blank(_without(row, form.about))]
            path = path + ((blank or [0])[0],)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            path = path + (next((k for k in annotation.model_fields if k not in NAMING), ""),)
        elif path and path[-1] in NAMING and len(path) > 1 and isinstance(path[-2], int):
            owner = _annotation_at(model, path[:-1])
            path = path[:-1] + (next((k for k in owner.model_fields if k not in NAMING), path[-1]),)
            if path[-1] in NAMING:
                return path
        else:
            return path
    return path


def message(error: dict, loc: Path, pruned: Pruned, model: type[BaseModel]) -> str:
    """A pydantic error in the words of the page: which entry it is in, as the page names it ("Line 2,
    strength 1", "Finding F3", "Evidence item E2"), then what to do, as its field's label says it."""
    original = pruned.original(loc)
    prefix: list[str] = []
    name = ""
    for i, part in enumerate(loc):
        if not isinstance(part, int) or not i:
            continue
        rows = _rows_of(model, loc[:i])
        if rows is None:
            continue  # a value of a checkbox group: the group is the field
        row = _node(pruned.answer, loc[: i + 1])
        named = _row_name(rows.row, original[i] + 1 if isinstance(original[i], int) else part + 1, row)
        if i == len(loc) - 1 and not isinstance(row, dict):
            name = named  # an entry that is a box of its own: "Correction 2 must be ..."
        else:
            prefix.append(named)
    text = _text(error, loc, model, name)
    if not prefix:
        return _capital(text)
    return f"{_capital(', '.join(prefix))}: {_lower(text)}"


def _text(error: dict, loc: Path, model: type[BaseModel], name: str) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    problem = _problem(error)
    if isinstance(problem, Problem):
        return str(problem)
    keys = [part for part in loc if isinstance(part, str)]
    key = keys[-1] if keys else ""
    owner = _owner(model, loc)
    words = FIELDS.get(f"{owner}.{key}")
    rows = _rows_of(model, loc) if get_origin(_annotation_at(model, loc)) is list else None
    if rows and kind == "too_short" and rows.fewest:
        return rows.fewest.format(min=ctx.get("min_length"))
    if rows and kind == "too_long" and rows.most:
        return rows.most.format(max=ctx.get("max_length"))
    name = name or (words.name if words else "")
    if kind == "string_too_long" and name:
        return f"{name} must be {ctx.get('max_length', 4000):,} characters or fewer"
    if kind == "string_pattern_mismatch" and key == "email" and str(error.get("input", "")).strip():
        return "Enter an email address in the correct format, like name@example.org"
    if problem is not None and name:  # a kind of text's own check (domain/text.py): one line, no control characters
        said = str(problem)
        return f"{name} {said}" if said.startswith("must") else f"{_capital(said)} from {_lower(name)}"
    if words:
        return words.empty
    return UNEXPECTED


def _problem(error: dict) -> Any:
    """The exception a validator raised, for a value_error (a rule's Problem, or a kind of text's check)."""
    return (error.get("ctx") or {}).get("error") if error.get("type") == "value_error" else None


def _owner(model: type[BaseModel], loc: Path) -> str:
    """The name of the model whose field the last key of `loc` is."""
    keys = [i for i, part in enumerate(loc) if isinstance(part, str)]
    if not keys:
        return ""
    owner = _annotation_at(model, loc[: keys[-1]])
    return owner.__name__ if isinstance(owner, type) else ""


def _rows_of(model: type[BaseModel], path: Path) -> Rows | None:
    """How the page names the entries of the list at `path`, if it shows them one by one."""
    return LISTS.get(f"{_owner(model, path)}.{path[-1]}") if path and isinstance(path[-1], str) else None


def _row_name(template: str, number: int, row: Any) -> str:
    said = {key: row.get(key) for key in NAMING} if isinstance(row, dict) else {}
    for key in NAMING:
        if f"{{{key}}}" in template and (said.get(key) in (None, "") or not str(said[key]).strip()):
            return template.split(" {")[0] + f" {number}"  # a row sent without what says which it is
    return template.format(n=number, **{k: str(v).strip() for k, v in said.items()})


def _page_order(model: type[BaseModel], path: Path) -> tuple:
    """A field's place on the page: its answer's fields come in the model's order, entries in theirs."""
    order = []
    for i, part in enumerate(path):
        if isinstance(part, int):
            order.append(part)
            continue
        owner = _annotation_at(model, path[:i])
        names = list(owner.model_fields) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
        order.append(names.index(part) if part in names else len(names))
    return tuple(order)


def _capital(text: str) -> str:
    """A message's first letter in capitals, unless it begins with an email address (written as it is)."""
    return text if "@" in text.split(" ", 1)[0] else text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    """The first letter small, after a row's name ("Line 2: enter ..."), unless the word is an id ("E7")."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or text[1:2] == " " else text
