"""Read YAML files users write, and turn pydantic errors into messages naming file, line and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from peer_review.errors import UserError

M = TypeVar("M", bound=BaseModel)


class Document:
    """A parsed YAML file: its data and its node tree, so any key path can be mapped to a line."""

    def __init__(self, path: Path, text: str):
        self.path = path
        try:
            self.data = yaml.safe_load(text)
            self.root = yaml.compose(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            raise UserError(f"not valid YAML: {exc.problem or exc.context}", source=str(path), place=place) from None
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
            line = text.count("\n", 0, exc.position) + 1
            code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
            raise UserError(f"not valid YAML: the character U+{code:04X} (a control character) is not allowed; remove it",
                            source=str(path), place=f"line {line}") from None
        if not isinstance(self.data, dict):
            raise UserError("expected a mapping of keys at the top level", source=str(path), place="line 1")

    @classmethod
    def read(cls, path: str | Path) -> "Document":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError("file not found", source=str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the file ({exc})", source=str(path)) from None
        return cls(path, text)

    def place(self, loc: tuple[Any, ...]) -> str:
        """'line N (a.b[2].c)' for a key path; the line of the deepest node that exists."""
        node, line = self.root, 1
        for key in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, key)
            if node is not None:
                line = node.start_mark.line + 1
        return f"line {line} ({dotted(loc)})" if loc else f"line {line}"

    def error(self, problem: str, loc: tuple[Any, ...] = ()) -> UserError:
        return UserError(problem, source=str(self.path), place=self.place(loc))

    def validate(self, model: type[M]) -> M:
        """Validate the whole document; the first problem becomes one clear UserError."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise self.error(describe(first), tuple(first["loc"])) from None


def _child(node: yaml.Node, key: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(key):
                return k if v is None else v
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"missing required key '{error['loc'][-1]}'"
    if kind == "extra_forbidden":
        return f"unknown key '{error['loc'][-1]}'"
    given = error.get("input")
    shown = repr(given) if not isinstance(given, (dict, list)) else type(given).__name__
    if len(shown) > 80:  # a 5 MB value is not repeated back
        shown = f"{shown[:60]}... ({len(str(given)):,} characters)"
    return f"{error['msg'].rstrip('.')} (got {shown})"
