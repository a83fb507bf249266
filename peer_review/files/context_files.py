"""Context the evaluation team imports: published headline figures (CSV) and commissioned external reviews
of a trust (YAML or CSV).

These readers check everything a file can say about itself; whether its trust and strand ids exist is
checked against the stored partnership when it is loaded (peer_review/service/context_data.py), with an
error naming the same file, line and key or column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from peer_review.domain.text import (
    Name,
    OptionalName,
    OptionalText,
    Reference,
    Text,
    Title,
)
from peer_review.errors import UserError
from peer_review.files.yaml_document import MAX_BYTES, Document, describe


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


M = TypeVar("M", bound=BaseModel)


def _has_year(value: str) -> str:
    if not re.search(r"\d{4}", value):
        raise ValueError("give the year as published, with its four digits, e.g. 2023 or 2022-23")
    return value


Year = Annotated[Name, AfterValidator(_has_year)]


def year_order(year: str) -> tuple[str, str]:
    """Years sort by their first four-digit year, then as written ('2022-23' before '2023')."""
    found = re.search(r"\d{4}", year)
    return (found.group() if found else "", year)


#: A value written as a number: digits with an optional sign, thousands commas, decimals and a trailing %.
_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?%?$")


def number_of(value: str) -> float | None:
    """The published value as a number when it is written as one; markers of suppressed or missing figures
    (DfE's c, x, z, low, SUPP...) and anything else stay text only."""
    text = value.strip()
    if not _NUMBER.match(text) or not re.search(r"\d", text):
        return None
    return float(text.replace(",", "").rstrip("%"))


# --- headline figures -----------------------------------------------------------------------------


class HeadlineRow(_Strict):
    trust: Reference  # the trust's id in the partnership file
    year: Year
    measure: Title
    value: Name  # as published
    source: OptionalName = ""


HEADLINE_COLUMNS = ("trust", "year", "measure", "value")


@dataclass(frozen=True)
class HeadlineFigures:
    source: Path
    rows: list[HeadlineRow]
    lines: list[int]  # the line of each row

    def error(self, problem: str, index: int, column: str) -> UserError:
        return UserError(problem, source=str(self.source), place=f"line {self.lines[index]}, column '{column}'")


def read_headline_csv(path: str | Path, text: str | None = None) -> HeadlineFigures:
    """A CSV of published figures: trust,year,measure,value and optionally source; one row per figure.
    With `text` (a file sent through the web), that is the file's content and `path` only its name."""
    path = Path(path)
    rows: list[HeadlineRow] = []
    lines: list[int] = []
    first: dict[tuple[str, str, str], int] = {}  # (trust, measure, year) -> its line
    for line, cells in _csv_rows(path, HEADLINE_COLUMNS, ("source",), text):
        row = _row(path, line, HeadlineRow, cells)
        key = (row.trust, row.measure, row.year)
        if key in first:
            raise UserError(
                f"a second figure for trust '{row.trust}', measure '{_short(row.measure)}', year '{row.year}' "
                f"(first on line {first[key]}); keep one row per trust, measure and year",
                source=str(path),
                place=f"line {line}",
            )
        first[key] = line
        rows.append(row)
        lines.append(line)
    return HeadlineFigures(path, rows, lines)


# --- external reviews -----------------------------------------------------------------------------


class StrandView(_Strict):
    strand: Reference
    view: OptionalText = Field(default="", description="the external reviewer's view of the area, in their own words")
    strengths: list[Text] = Field(default_factory=list)
    areas_for_development: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _says_something(self) -> StrandView:
        if not (self.view or self.strengths or self.areas_for_development):
            raise ValueError(
                f"strand '{self.strand}' has no view, strengths or areas_for_development; give at least one, or leave the strand out"
            )
        return self


class ExternalReviewSpec(_Strict):
    trust: Reference  # the trust's id in the partnership file
    reviewer: Name
    organisation: OptionalName = ""
    reviewed_on: dt.date
    strands: list[StrandView] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedExternalReview:
    spec: ExternalReviewSpec
    source: Path
    place: Callable[[tuple], str]  # a key path in the spec -> where the file says it

    def error(self, problem: str, loc: tuple) -> UserError:
        return UserError(problem, source=str(self.source), place=self.place(loc))


def read_external_review(path: str | Path, text: str | None = None) -> LoadedExternalReview:
    """An external review from a .yaml/.yml or a .csv file (with `text`, as read_headline_csv)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _external_yaml(path, text)
    if suffix == ".csv":
        return _external_csv(path, text)
    raise UserError("an external review is a .yaml, .yml or .csv file", source=str(path))


def _external_yaml(path: Path, text: str | None = None) -> LoadedExternalReview:
    doc = Document.read(path) if text is None else Document(path, text)
    spec = doc.validate(ExternalReviewSpec)
    seen: dict[str, int] = {}
    for i, view in enumerate(spec.strands):
        if view.strand in seen:
            raise doc.error(
                f"strand '{view.strand}' is given twice (first as strands[{seen[view.strand]}]); give each strand once",
                ("strands", i, "strand"),
            )
        seen[view.strand] = i
    return LoadedExternalReview(spec, path, doc.place)


EXTERNAL_COLUMNS = ("trust", "reviewer", "organisation", "reviewed_on", "strand", "kind", "text")
_ABOUT_THE_REVIEW = ("trust", "reviewer", "organisation", "reviewed_on")  # the same on every row


class ExternalRow(_Strict):
    trust: Reference
    reviewer: Name
    organisation: OptionalName = ""
    reviewed_on: dt.date
    strand: Reference
    kind: Literal["view", "strength", "area_for_development"]
    text: Text


def _external_csv(path: Path, text: str | None = None) -> LoadedExternalReview:
    """One row per item: trust,reviewer,organisation,reviewed_on,strand,kind,text, with kind one of
    view, strength or area_for_development; the first four columns are the same on every row."""
    first: ExternalRow | None = None
    first_line = 0
    strands: dict[str, dict] = {}
    places: dict[tuple, str] = {}
    view_lines: dict[str, int] = {}
    for line, cells in _csv_rows(path, EXTERNAL_COLUMNS, (), text):
        row = _row(path, line, ExternalRow, cells)
        if first is None:
            first, first_line = row, line
            places[("trust",)] = f"line {line}, column 'trust'"
        for column in _ABOUT_THE_REVIEW:
            if getattr(row, column) != getattr(first, column):
                raise UserError(
                    f"'{_short(str(getattr(row, column)))}' differs from line {first_line}'s '{_short(str(getattr(first, column)))}'; "
                    f"a file holds one external review, so {column} is the same on every row",
                    source=str(path),
                    place=f"line {line}, column '{column}'",
                )
        if row.strand not in strands:
            places[("strands", len(strands), "strand")] = f"line {line}, column 'strand'"
            strands[row.strand] = {"strand": row.strand, "view": "", "strengths": [], "areas_for_development": []}
        entry = strands[row.strand]
        if row.kind == "view":
            if row.strand in view_lines:
                raise UserError(
                    f"a second view of strand '{row.strand}' (the first is on line {view_lines[row.strand]}); give one view per strand",
                    source=str(path),
                    place=f"line {line}, column 'kind'",
                )
            view_lines[row.strand] = line
            entry["view"] = row.text
        else:
            entry["strengths" if row.kind == "strength" else "areas_for_development"].append(row.text)
    assert first is not None  # _csv_rows refuses a file without rows
    spec = ExternalReviewSpec(**first.model_dump(include=set(_ABOUT_THE_REVIEW)), strands=list(strands.values()))
    return LoadedExternalReview(spec, path, lambda loc: places.get(tuple(loc), places[("trust",)]))


# --- reading CSV ----------------------------------------------------------------------------------


def _csv_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = (), sent: str | None = None
) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file as {column: cell}, each with its line; the first line names the columns.

    Column names are matched without case or surrounding spaces; blank lines are skipped. The same size
    limit as YAML files; text limits and control characters are checked per cell by the row's model."""
    text = _read_text(path) if sent is None else _checked_length(path, sent.removeprefix("\ufeff"))
    allowed = required + optional
    listed = ", ".join(required) + "".join(f", {c} (optional)" for c in optional)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise UserError(
                f"the file is empty; its first line names the columns: {listed}", source=str(path), place="line 1"
            )
        names = [cell.strip().lower() for cell in header]
        for i, name in enumerate(names):
            if name not in allowed:
                raise UserError(
                    f"unknown column '{_short(header[i])}'; the columns are {listed}", source=str(path), place="line 1"
                )
            if name in names[:i]:
                raise UserError(f"the column '{name}' is given twice", source=str(path), place="line 1")
        missing = [c for c in required if c not in names]
        if missing:
            raise UserError(
                f"missing column {', '.join(repr(c) for c in missing)}; the columns are {listed}",
                source=str(path),
                place="line 1",
            )
        end = reader.line_num
        for cells in reader:
            line, end = end + 1, reader.line_num  # a quoted cell may span lines: a row is where it starts
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                raise UserError(
                    f"the row has {len(cells)} cells but the first line names {len(names)} columns ({', '.join(names)}); "
                    "put a value that holds a comma in double quotes",
                    source=str(path),
                    place=f"line {line}",
                )
            rows.append((line, dict(zip(names, cells))))
    except csv.Error as exc:
        raise UserError(f"not valid CSV: {exc}", source=str(path), place=f"line {reader.line_num}") from None
    if not rows:
        raise UserError("no rows after the first line (which names the columns)", source=str(path))
    return rows


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > 4 * MAX_BYTES:  # not worth reading to count its characters
            raise UserError(
                f"the file is {path.stat().st_size:,} bytes; files are limited to {MAX_BYTES:,} characters",
                source=str(path),
            )
        text = path.read_bytes().decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a byte order mark
    except FileNotFoundError:
        raise UserError("file not found", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(
            f"cannot read the file: it is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8",
            source=str(path),
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read the file ({exc})", source=str(path)) from None
    return _checked_length(path, text)


def _checked_length(path: Path, text: str) -> str:
    if len(text) > MAX_BYTES:
        raise UserError(
            f"the file holds {len(text):,} characters; files are limited to {MAX_BYTES:,}", source=str(path)
        )
    return text


def _row(path: Path, line: int, model: type[M], cells: dict[str, str]) -> M:
    try:
        return model.model_validate(cells)
    except ValidationError as exc:
        first = exc.errors()[0]
        column = first["loc"][0] if first["loc"] else None
        if first["type"] == "string_too_short" and not str(first.get("input", "")).strip():
            problem = f"the {column} cell is empty; every row needs one"
        elif first["type"].startswith("date"):
            problem = f"{describe(first)}; write dates as YYYY-MM-DD, e.g. 2024-06-12"
        else:
            problem = describe(first)
        raise UserError(
            problem, source=str(path), place=f"line {line}" + (f", column '{column}'" if column else "")
        ) from None


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."
