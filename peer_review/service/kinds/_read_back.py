"""What several kinds' answers share when read back (Kind.summary): yes or no, and evidence named by title."""

from __future__ import annotations

from peer_review.service.kinds._kind import AnswerRow


def yes_no(value: object) -> str:
    return "Yes" if value else "No"


def evidence_named(refs: list[str], ctx: dict) -> str:
    """Evidence items as the reader may see them (a personal-data title withheld stays withheld): "E1 (Minutes)"."""
    titles = {e.ref: e.title for e in ctx.get("evidence", [])}
    return ", ".join(f"{ref} ({titles[ref]})" if titles.get(ref) else ref for ref in refs)


def line_named(number: int, ctx: dict) -> str:
    title = next((line.title for line in ctx.get("lines", []) if line.number == number), "")
    return f"Line {number}: {title}" if title else f"Line {number}"


def rows_of_list(key: str, items: list[str], path: tuple, none: str = "None") -> list[AnswerRow]:
    """A list of texts, one row each ("Next step 1"), or one row saying there are none."""
    if not items:
        return [AnswerRow(key, none, (*path, 0))]
    return [AnswerRow(f"{key} {i + 1}", text, (*path, i)) for i, text in enumerate(items)]
