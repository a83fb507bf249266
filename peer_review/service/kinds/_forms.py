"""A kind's web form: where a person's answer starts, which parts of it repeat ("add another"), and whether
it can be saved as a draft. The page itself is `web/templates/forms/KIND.html`; each kind's module builds
its own `AnswerForm`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AnswerForm:
    initial: Callable[[dict], dict]  # the answer before the person edits it, from the task's context
    #: lists people can add to and remove from: key path ("*" for any index) -> a blank entry
    repeats: dict[tuple, object] = field(default_factory=dict)
    drafts: bool = False  # long answers can be saved and finished later
    #: where to point a problem with a whole entry (key path, "*" for any index) -> the field to link to, under it
    anchors: dict[tuple, tuple] = field(default_factory=dict)
    #: keys that say what a repeated row is about (not what the person wrote): a row with nothing else is blank
    about: tuple[str, ...] = ()
    #: the answer as the person meant it, from every field the page sends (e.g. only the option chosen)
    tidy: Callable[[dict], dict] = lambda answer: answer

    def anchor(self, loc: tuple) -> tuple:
        """The key path of the field a problem at `loc` is about."""
        return next((loc + under for pattern, under in self.anchors.items() if matches(pattern, loc)), loc)

    def repeats_at(self, path: tuple) -> bool:
        return any(matches(pattern, path) for pattern in self.repeats)


def matches(pattern: tuple, path: tuple) -> bool:
    """Whether a key path fits a pattern in which "*" stands for any index."""
    return len(pattern) == len(path) and all(p == "*" or p == q for p, q in zip(pattern, path))


def nothing(_ctx: dict) -> dict:
    """The starting answer of a form whose every field starts empty."""
    return {}
