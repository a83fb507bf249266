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

    return Pruned(form.tidy(visit(copy.deepcopy(answer), ())), kept)


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


# --- problems, in words: GOV.UK's "Enter ..." and "Select ..." -----------------------------------

NOUNS = {
    "response": "whether you accept your place",
    "reason": "a reason",
    "person": "who should take the place",
    "title": "a title",
    "self_evaluation": "your self-evaluation",
    "decision": "a decision",
    "comments": "comments",
    "type": "the type of evidence",
    "location": "where it is kept",
    "lines": "the lines of enquiry",
    "personal_data": "whether it identifies pupils or staff",
    "text": "the finding",
    "evidence": "the evidence it rests on",
    "alignment": "how well the self-evaluation matched the evidence",
    "comment": "a comment",
    "status": "how far it has got",
    "accurate": "whether the draft is accurate",
    "corrections": "a correction",
    "statement": "your statement",
    "next_steps": "a next step",
    "helped_us_improve": "an answer",
    "fair_and_accurate": "an answer",
    "would_take_part_again": "yes or no",
    "choice": "how to fill the place",
    "name": "their full name",
    "email": "their email address",
    "job_title": "their job title",
    "organisation": "their organisation",
    "share_good_practice": "whether we may share this good practice",
}
CHOICES = {
    "choice",
    "status",
    "response",
    "person",
    "decision",
    "lines",
    "personal_data",
    "evidence",
    "alignment",
    "accurate",
    "helped_us_improve",
    "fair_and_accurate",
    "would_take_part_again",
    "share_good_practice",
}
ROWS = {
    "lines": "Line",
    "items": "Evidence item",
    "findings": "Finding",
    "self_evaluation": "Line",
    "strengths": "Strength",
    "areas_for_development": "Area for development",
    "good_practice": "Good practice",
    "next_steps": "Next step",
    "corrections": "Correction",
    "actions": "Action",
}


def errors_by_field(raw: list[dict], pruned: Pruned, form: AnswerForm) -> dict[str, str]:
    """Each problem once, keyed by the id of the field it is about (the page's heading for the whole answer)."""
    errors: dict[str, str] = {}
    for error in raw:
        loc = pruned.original(tuple(error["loc"]))
        errors.setdefault(field_id(form.anchor(loc)) or "answer", message(error, loc))
    return errors


def message(error: dict, loc: tuple) -> str:
    """A pydantic error in words a person would use, naming the row it is in."""
    key = next((part for part in reversed(loc) if isinstance(part, str)), "")
    noun = NOUNS.get(key, key.replace("_", " "))
    kind, ctx = error["type"], error.get("ctx") or {}
    choice = key in CHOICES and not (loc == (key,) and key in ROWS)  # `lines` of a proposal are written, not chosen
    if kind in ("missing", "string_too_short") or (kind == "too_short" and choice):
        text = f"Select {noun}" if choice else f"Enter {noun}"
    elif kind == "string_too_long":
        text = f"{noun[0].upper()}{noun[1:]} must be {ctx.get('max_length', 4000):,} characters or fewer"
    elif kind == "too_short":
        text = f"Give at least {ctx.get('min_length')} {ROWS.get(key, noun).lower()}{'' if ctx.get('min_length') == 1 else 's'}"
    elif kind in ("int_parsing", "bool_parsing", "literal_error", "enum"):
        text = f"Select {noun}"
    elif kind == "string_pattern_mismatch" and key == "email":
        text = "Enter an email address in the correct format, like name@example.org"
    else:
        text = error["msg"].removeprefix("Value error, ")
    checkbox_value = lambda i: i == len(loc) - 1 and i > 1 and loc[i - 1] in ("lines", "evidence")  # noqa: E731
    rows = [
        f"{ROWS.get(loc[i - 1], 'Item')} {part + 1}"
        for i, part in enumerate(loc)
        if isinstance(part, int) and i and not checkbox_value(i)
    ]
    return (", ".join(dict.fromkeys(rows)) + ": " if rows else "") + text
