"""Read YAML files users write, and turn pydantic errors into messages naming file, line and key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from peer_review.domain.text import paragraph
from peer_review.errors import UserError

M = TypeVar("M", bound=BaseModel)


#: Far above any framework, partnership, calendar or answer written by hand (the bundled framework is
#: 20 KB), and small enough that reading one takes well under a second.
MAX_BYTES = 1_000_000
#: Nesting deeper than any of our formats uses (a partnership file goes 4 levels deep).
MAX_DEPTH = 20
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where PyYAML was built with it


class Document:
    """A parsed YAML file: its data and its node tree, so any key path can be mapped to a line.

    This is the one way YAML comes in, for files and answers alike. Besides YAML's own rules it refuses
    what a hand-written file never needs and a hostile one uses: aliases (a 17 KB file can expand to
    gigabytes), deep nesting, repeated keys (the last would silently win), control characters (NUL
    cannot be stored in PostgreSQL) and files over MAX_BYTES.
    """

    def __init__(self, path: Path, text: str):
        self.path = path
        if len(text) > MAX_BYTES:
            raise UserError(
                f"the file holds {len(text):,} characters; files are limited to {MAX_BYTES:,}", source=str(path)
            )
        self._paths: dict[int, tuple] = {}
        try:
            _check_structure(text)
            self.root = yaml.compose(text, Loader=_Loader)
            self._walk(self.root, ())
            self.data = _Constructor().construct_document(self.root) if self.root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            raise UserError(f"not valid YAML: {exc.problem or exc.context}", source=str(path), place=place) from None
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
            line = text.count("\n", 0, exc.position) + 1
            code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
            raise UserError(
                f"not valid YAML: the character U+{code:04X} (a control character) is not allowed; remove it",
                source=str(path),
                place=f"line {line}",
            ) from None
        except _NodeProblem as exc:
            loc = self._paths.get(id(exc.node), ())
            where = f"line {exc.node.start_mark.line + 1}"
            raise UserError(exc.problem, source=str(path), place=f"{where} ({dotted(loc)})" if loc else where) from None
        if not isinstance(self.data, dict):
            raise UserError("expected a mapping of keys at the top level", source=str(path), place="line 1")

    def _walk(self, node: yaml.Node, loc: tuple) -> None:
        """Record each node's key path, refusing repeated keys and control characters on the way."""
        self._paths[id(node)] = loc
        if isinstance(node, yaml.ScalarNode):
            self._check_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*loc, i))
        elif isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                self._paths[id(key)] = (*loc, name) if name is not None else loc
                if key.tag == "tag:yaml.org,2002:merge":
                    raise _NodeProblem("merge keys (<<) are not allowed here; write the keys out in full", key)
                same = _key_identity(key)  # `yes` and `true`, `~` and `null` are one key to YAML
                if same is not None and same in seen:
                    raise _NodeProblem(f"the key '{name}' is given twice (first on line {seen[same]}); keep one", key)
                if same is not None:
                    seen[same] = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode):
                    self._check_scalar(key)
                self._walk(value, (*loc, name) if name is not None else loc)

    @staticmethod
    def _check_scalar(node: yaml.ScalarNode) -> None:
        try:
            paragraph(node.value)
        except ValueError as exc:
            raise _NodeProblem(str(exc), node) from None

    @classmethod
    def read(cls, path: str | Path) -> Document:
        path = Path(path)
        try:
            if path.stat().st_size > 4 * MAX_BYTES:  # not worth reading to count its characters
                raise UserError(
                    f"the file is {path.stat().st_size:,} bytes; files are limited to {MAX_BYTES:,} characters",
                    source=str(path),
                )
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


class _NodeProblem(Exception):
    def __init__(self, problem: str, node: yaml.Node):
        self.problem, self.node = problem, node


def _check_structure(text: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before any tree is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem=f"aliases (*{event.anchor}) are not allowed here; write the value out in full",
                problem_mark=event.start_mark,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"lists and mappings are nested more than {MAX_DEPTH} deep", problem_mark=event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _Constructor(yaml.constructor.SafeConstructor):
    """YAML's safe types, with a value Python cannot make (a 30 February, a 5,000-digit number) reported
    at its node instead of as a traceback."""

    def construct_object(self, node, deep=False):
        if node.tag.endswith(("int", "float")) and len(node.value) > MAX_DIGITS:
            raise _NodeProblem(
                f"'{_excerpt(node)}' cannot be read: the number is too long ({len(node.value):,} characters)", node
            )
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise _NodeProblem(f"'{_excerpt(node)}' cannot be read: {exc}", node) from None


#: Longer than any number in our formats, and short enough that Python can print any number written so.
MAX_DIGITS = 100


def _key_identity(key: yaml.Node) -> Any:
    """What a scalar key means (so `yes:` repeats `true:`); None for other keys, which are refused elsewhere."""
    if not isinstance(key, yaml.ScalarNode):
        return None
    try:
        value = _Constructor().construct_object(key)
    except _NodeProblem:
        return key.value
    return (type(value).__name__, value) if isinstance(value, (bool, int, float, type(None))) else key.value


def _excerpt(node: yaml.Node) -> str:
    value = node.value if isinstance(node.value, str) else ""
    return value if len(value) <= 40 else value[:30] + "..."


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


def describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"missing required key '{error['loc'][-1]}'"
    if kind == "extra_forbidden":
        return f"unknown key '{error['loc'][-1]}'"
    message = error["msg"].removeprefix("Value error, ").rstrip(".")
    given = error.get("input")
    shown = (
        repr(given) if not isinstance(given, (dict, list)) else type(given).__name__
    )  # numbers are at most MAX_DIGITS long
    if len(shown) > 80:  # a 5 MB value is not repeated back
        shown = f"{shown[:60]}... ({len(str(given)):,} characters)"
    if kind == "value_error" and (not error["loc"] or isinstance(given, (dict, list))):
        return message  # a check on a whole answer, entry or list: its message names what is wrong
    return f"{message} (got {shown})"
