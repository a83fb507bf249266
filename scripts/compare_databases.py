"""Compare two peer-review SQLite databases table by table, ignoring ids and times.

    python scripts/compare_databases.py BEFORE.db AFTER.db

Used to show a change that should not alter behaviour (a refactor) leaves the demo's records as they were:
every table's rows are compared as multisets, leaving out the columns that differ from run to run (ids and
foreign keys, timestamps, random tokens and their hashes). Within values, what differs between two runs of
the same thing is set aside too: the folder a file was read from (the example files' paths), a Word
document's zip timestamps (its text, word/document.xml, is compared) and the sha256 of such a document in
the audit log. Prints a line per table and exits 1 on any difference.
"""

from __future__ import annotations

import io
import re
import sqlite3
import sys
import zipfile
from collections import Counter

#: Columns whose values differ between two runs of the same thing.
VARIES = ("id", "_id", "_at", "_hash", "sha256", "token", "key", "nonce", "message_id", "uid")


def varies(column: str, declared: str) -> bool:
    return column.endswith(VARIES) or column == "id" or declared.upper() in {"DATETIME", "TIMESTAMP"}


def normal(value):
    """A value with what differs between two runs of the same thing set aside."""
    if isinstance(value, bytes) and value.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(value)) as document:
            return document.read("word/document.xml")
    if isinstance(value, str):
        value = re.sub(r"/[^\"\s']*/examples/", "examples/", value)
        return re.sub(r'"sha256": "[0-9a-f]{64}"', '"sha256": "..."', value)
    return value


def rows(db: sqlite3.Connection, table: str) -> Counter:
    columns = [(c[1], c[2]) for c in db.execute(f'PRAGMA table_info("{table}")')]
    kept = [name for name, declared in columns if not varies(name, declared)]
    if not kept:
        return Counter({(): db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]})
    listed = ", ".join(f'"{c}"' for c in kept)
    return Counter(tuple(map(normal, row)) for row in db.execute(f'SELECT {listed} FROM "{table}"'))


def main(before: str, after: str) -> int:
    a, b = sqlite3.connect(before), sqlite3.connect(after)
    tables = lambda db: {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}  # noqa: E731
    differ = 0
    for table in sorted(tables(a) | tables(b)):
        if table not in tables(a) or table not in tables(b):
            print(f"{table}: only in {'after' if table in tables(b) else 'before'}")
            differ += 1
            continue
        ra, rb = rows(a, table), rows(b, table)
        same = ra == rb
        differ += not same
        print(f"{table}: {sum(ra.values())} rows before, {sum(rb.values())} after, {'same' if same else 'DIFFERENT'}")
        if not same:
            for row, n in list((ra - rb).items())[:3]:
                print(f"  only before ({n}): {str(row)[:300]}")
            for row, n in list((rb - ra).items())[:3]:
                print(f"  only after ({n}): {str(row)[:300]}")
    print("the same records" if not differ else f"{differ} tables differ")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
