"""What every kind's YAML skeleton shares: the task's header, the guidance listing the review's lines and
evidence, and the only two ways people's text may appear in it: in comments through `comment` (one line, so
it cannot end the comment and become live YAML) or as a quoted scalar through `quoted`."""

from __future__ import annotations

import json
from collections.abc import Callable


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def comment(text: object) -> str:
    """Text for inside a `#` comment: line breaks (of any kind) become spaces, control characters
    (which YAML refuses even in comments) go."""
    return " ".join("".join(ch for ch in str(text) if ch.isprintable() or ch.isspace()).split())


def _header(ctx: dict) -> list[str]:
    task, review = ctx["task"], ctx["review"]
    lines = [
        f"# Task {task.id}: {ctx['kind'].title}",
        f"# Review {review.id}: {comment(ctx['host'])}, strand '{comment(ctx['strand']['title'])}'; visit {review.visit_start} to {review.visit_end}",
        f"# Assigned to {comment(ctx['assignee'].name)} <{comment(ctx['assignee'].email)}>, due {task.due}",
    ]
    if task.note:
        lines.append(f"# Note: {comment(task.note)}")
    lines.append(f"# Fill this in, then: peer-review submit {task.id} FILE --as {comment(ctx['assignee'].email)}")
    return lines


def lines_comment(ctx: dict) -> list[str]:
    return ["# Agreed lines of enquiry:"] + [f"#   {line.number}. {comment(line.title)}" for line in ctx["lines"]]


def evidence_comment(ctx: dict) -> list[str]:
    items = ctx["evidence"]
    if not items:
        return ["# No evidence has been submitted yet."]
    return ["# Evidence index (cite these ids):"] + [
        f"#   {e.ref}: {comment(e.title)} ({comment(e.type)}; lines {', '.join(map(str, e.lines))})" for e in items
    ]


def render_template(ctx: dict, body: Callable[[dict], list[str]]) -> str:
    """The whole skeleton: the task's header, then its kind's `body(ctx)`."""
    return "\n".join(_header(ctx) + [""] + body(ctx)) + "\n"
