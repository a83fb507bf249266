"""Every row of every table that is by or about one person, for a subject access request (UK GDPR article 15).

A row is theirs when a column that refers to a person holds one of their ids (or, a JSON list of ids named
`..._ids`, includes one), or when any text (or JSON) in it
holds their email address or their full name: the audit log's details, emails sent to them, answers that name
them. Every table is read, whole, in this process: a pilot partnership's records are thousands of rows, not
millions (a national service would search with the database's own text search instead)."""

from __future__ import annotations

import datetime as dt
import json
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


def rows_naming(session: Session, person_ids: set[int], email: str, name: str) -> dict[str, list[dict[str, Any]]]:
    """By table, the rows that refer to these people (by id) or hold this email or full name in any text."""
    wanted_email, wanted_name = email.lower(), name.casefold()
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
            hit = any(row[c] in person_ids for c in by_person) or any(
                isinstance(row[c], list) and bool(person_ids.intersection(row[c])) for c in id_lists
            )
            if not hit:
                for value in row.values():
                    text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else value
                    if isinstance(text, str) and (
                        wanted_email in text.lower() or (wanted_name and wanted_name in text.casefold())
                    ):
                        hit = True
                        break
            if hit:
                found.setdefault(table.name, []).append({k: _plain(v) for k, v in row.items()})
    return found
