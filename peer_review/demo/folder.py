"""The demo's output folder. `peer-review demo --out DIR` replaces what an earlier demo wrote there, so
that a second run does not mix its documents and emails with the first's; it must never delete anything
else. It writes only into a new folder, an empty one, or one holding the marker an earlier demo left
(MARKER), and there it removes only the names it writes itself. The check comes before anything starts
(Prefect, the report helper), so a refusal writes and deletes nothing."""

from __future__ import annotations

import re
from pathlib import Path

from peer_review.domain.model import DocumentKind
from peer_review.errors import UserError

MARKER = ".peer-review-demo"
DATABASE = "peer-review.db"
EMAILS = "emails"
EVALUATION = "evaluation"
FILES = "evidence-files"  # the evidence files beside the database (service.evidence_files.files)

_EXPLANATION = f"""This folder was written by `peer-review demo`.

A later `peer-review demo --out` into this folder first removes the files a demo writes here: its
Word documents (NNN-TRUST-STRAND-KIND.docx), its emails ({EMAILS}/NNNNN-....eml), its database
({DATABASE}) and the evidence files beside it ({FILES}/reviews/N/...); the evaluation/ files are overwritten. Every other file is left alone. Without this file,
the demo refuses to write into a folder that is not empty. Delete it to keep the demo out of this folder.
"""

# The names the demo writes (service.documents.filename, channels.FolderChannel): nothing else is removed.
_DOCUMENT = re.compile(r"\d{3,}-.+-(" + "|".join(re.escape(kind.value) for kind in DocumentKind) + r")\.docx")
_EMAIL = re.compile(r"\d{5,}-.+\.eml")
_FILE_KEY = re.compile(r"\d{1,12}/[0-9a-f]{32}")  # reviews/N/KEY under FILES (adapters.file_store)
_DATABASE_FILES = {DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", f"{DATABASE}-journal"}

_WHAT_WORKS = f"choose a new or empty folder with --out, or one an earlier demo wrote (it holds a {MARKER} file)"


def check(out: Path) -> None:
    """Refuse, in one line, a folder the demo may not write into: a file, or a folder holding files an
    earlier demo did not mark as its own. Reads only."""
    try:
        if out.is_symlink() and not out.exists():
            raise UserError(f"the demo's folder {out} is a link to nothing: {_WHAT_WORKS}")
        if not out.exists():
            for parent in out.parents:  # a new folder: every existing folder above it must be a folder
                if parent.exists() or parent.is_symlink():
                    if not parent.is_dir():
                        raise UserError(
                            f"the demo cannot make the folder {out}: {parent} is a file, not a folder; {_WHAT_WORKS}"
                        )
                    break
            return
        if not out.is_dir():
            raise UserError(f"the demo's folder {out} is a file, not a folder: {_WHAT_WORKS}")
        if (out / MARKER).is_file() and not (out / MARKER).is_symlink():
            _no_links(out)
            return
        entries = sorted(entry.name for entry in out.iterdir())
    except OSError as exc:  # a folder we may not read
        raise UserError(f"the demo cannot use the folder {out}: {exc.strerror or exc}; {_WHAT_WORKS}") from None
    if entries:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise UserError(
            f"the demo's folder {out} is not empty and no earlier demo wrote it ({shown}): nothing was changed; {_WHAT_WORKS}"
        )


def _no_links(out: Path) -> None:
    """The demo writes through no link (to the marker, emails/, evaluation/ or the files in them, or its
    database): a link there would send its writing, or its removing, somewhere else."""
    places = [out / MARKER, out / EMAILS, out / EVALUATION, out / FILES, *(out / name for name in _DATABASE_FILES)]
    reviews = out / FILES / "reviews"
    if reviews.is_dir() and not reviews.is_symlink():
        places.append(reviews)
        for folder in reviews.iterdir():
            places.append(folder)
            if folder.is_dir() and not folder.is_symlink():
                places += list(folder.iterdir())
    for folder in (out / EMAILS, out / EVALUATION):
        if folder.is_dir() and not folder.is_symlink():
            places += list(folder.iterdir())
    for place in places:
        if place.is_symlink():
            raise UserError(
                f"the demo's folder {out} holds a link, {place}, which the demo would write through: nothing was changed; "
                f"remove the link, or {_WHAT_WORKS}"
            )


def _others_in(database: Path, keep: str) -> list[str]:
    """The partnerships in an earlier demo's database other than `keep` (the one the demo makes): someone
    loaded them there, and replacing the file would lose them. A file that is no database holds none."""
    import sqlite3

    if not database.is_file():
        return []
    try:
        with sqlite3.connect(f"file:{database.resolve()}?mode=ro", uri=True) as connection:
            names = [row[0] for row in connection.execute("SELECT name FROM partnership ORDER BY id")]
    except sqlite3.Error:  # not a database, or one without partnerships
        return []
    return [name for name in names if name != keep]


def prepare(out: Path, own_database: bool = True, partnership: str | None = None) -> None:
    """Make or reuse the folder (after `check`): mark it as the demo's, and remove what an earlier demo
    wrote there, so this run's documents and emails are not mixed with its; with `own_database`, also the
    SQLite file the demo is about to create afresh, unless it holds partnerships besides `partnership`."""
    check(out)
    others = _others_in(out / DATABASE, partnership) if own_database and partnership else []
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise UserError(
            f"the demo would replace {out / DATABASE}, which holds partnerships no demo made ({shown}): nothing was changed; "
            "choose a new or empty folder with --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text(_EXPLANATION)
        earlier = [
            p for p in out.iterdir() if _DOCUMENT.fullmatch(p.name) or (own_database and p.name in _DATABASE_FILES)
        ]
        if (out / EMAILS).is_dir():
            earlier += [p for p in (out / EMAILS).iterdir() if _EMAIL.fullmatch(p.name)]
        reviews = out / FILES / "reviews"
        if own_database and reviews.is_dir():  # the earlier database's evidence files go with it
            earlier += [p for p in reviews.glob("*/*") if _FILE_KEY.fullmatch(f"{p.parent.name}/{p.name}")]
        for path in earlier:
            if path.is_file() or path.is_symlink():  # a folder of the user's with such a name stays
                path.unlink()
    except OSError as exc:
        raise UserError(f"the demo cannot write into the folder {out}: {exc.strerror or exc}; {_WHAT_WORKS}") from None
