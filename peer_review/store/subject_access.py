"""Every row of every table that is by or about one person, for a subject access request (UK GDPR article 15).

A row is theirs when a column that refers to a person holds one of their ids (or, a JSON list of ids named
`..._ids`, includes one), or when any text (or JSON) in it
holds their email address or their full name: the audit log's details, emails sent to them, answers that name
them. Every table is read, whole, in this process: a pilot partnership's records are thousands of rows, not
millions (a national service would search with the database's own text search instead)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlmodel import Session, select

from peer_review.store.tables import Person, every_table


def person_rows(session: Session, email: str) -> list[Person]:
    """The person's records, in every partnership they are or were in (one email is one person)."""
    return list(session.exec(select(Person).where(Person.email == email.strip().lower())))


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"({len(value):,} bytes: a file, given beside this table where it is a document naming them)"
    return value


def _partnership_of_rows(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Each review's partnership, and each task's, for placing a row that names only its review or task."""
    connection = session.connection()
    reviews: dict[int, int] = {
        review: partnership
        for review, partnership in connection.exec_driver_sql("SELECT id, partnership_id FROM review")
    }
    tasks: dict[int, int] = {
        task: reviews[review] for task, review in connection.exec_driver_sql("SELECT id, review_id FROM task")
    }
    return reviews, tasks


def _partnership(row, reviews: dict[int, int], tasks: dict[int, int]) -> int | None:
    """The partnership a row belongs to, where it says (by its partnership, review or task), else None."""
    if row.get("partnership_id") is not None:
        return row["partnership_id"]
    if row.get("review_id") is not None:
        return reviews.get(row["review_id"])
    if row.get("task_id") is not None:
        return tasks.get(row["task_id"])
    return None


def rows_naming(
    session: Session, person_ids: set[int], email: str, name: str, partnerships: set[int]
) -> dict[str, list[dict[str, Any]]]:
    """By table, the rows of these partnerships that refer to these people (by id), or hold this email address
    (as a whole address) or full name in any text. A row that belongs to another partnership is left out, so a
    coordinator is given nothing of a partnership they do not coordinate (a namesake's records included); a row
    that belongs to no partnership (a sign-in, a calendar address) is theirs by its email or ids alone."""
    address = re.compile(r"(?<![\w.+-])" + re.escape(email.lower()) + r"(?![\w-])")
    wanted_name = name.casefold()
    reviews, tasks = _partnership_of_rows(session)
    found: dict[str, list[dict[str, Any]]] = {}
    for table in every_table().sorted_tables:
        by_person = [
            c.name
            for c in table.columns
            if any(fk.column.table.name == "person" for fk in c.foreign_keys)
            or (table.name == "person" and c.name == "id")
        ]
        # a JSON list of person ids, with no foreign key (visitsession.reviewer_ids)
        id_lists = [c.name for c in table.columns if c.name.endswith("_ids")]
        for row in session.connection().execute(table.select()).mappings():
            placed = _partnership(row, reviews, tasks)
            if placed is not None and placed not in partnerships:
                continue
            hit = any(row[c] in person_ids for c in by_person) or any(
                isinstance(row[c], list) and bool(person_ids.intersection(row[c])) for c in id_lists
            )
            if not hit:
                for value in row.values():
                    text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else value
                    if not isinstance(text, str):
                        continue
                    by_name = placed is not None and wanted_name and wanted_name in text.casefold()
                    if address.search(text.lower()) or by_name:
                        hit = True
                        break
            if hit:
                found.setdefault(table.name, []).append({k: _plain(v) for k, v in row.items()})
    return found
