"""Writing CSV for spreadsheets: one place for the guard against formulas."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable


def csv_text(columns: list[str], rows: Iterable[dict]) -> str:
    """CSV with a header row. A cell a spreadsheet would read as a formula (=, +, -, @, tab, carriage return
    first, unless it is a plain number) gets a leading apostrophe, as OWASP advises: a trust named
    `=HYPERLINK(...)` stays text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _as_text(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def _as_text(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?|-+")  # a published figure such as -0.12 (or a dash for none) is not a formula
