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

_EXPLANATION = f"""This folder was written by `peer-review demo`.

A later `peer-review demo --out` into this folder first removes the files a demo writes here: its
Word documents (NNN-TRUST-STRAND-KIND.docx), its emails ({EMAILS}/NNNNN-....eml) and its database
({DATABASE}); the evaluation/ files are overwritten. Every other file is left alone. Without this file,
the demo refuses to write into a folder that is not empty. Delete it to keep the demo out of this folder.
"""

# The names the demo writes (service.documents.filename, channels.FolderChannel): nothing else is removed.
_DOCUMENT = re.compile(r"\d{3,}-.+-(" + "|".join(re.escape(kind.value) for kind in DocumentKind) + r")\.docx")
_EMAIL = re.compile(r"\d{5,}-.+\.eml")
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
                        raise UserError(f"the demo cannot make the folder {out}: {parent} is a file, not a folder; {_WHAT_WORKS}")
                    break
            return
        if not out.is_dir():
            raise UserError(f"the demo's folder {out} is a file, not a folder: {_WHAT_WORKS}")
        if (out / MARKER).is_file():
            return
        entries = sorted(entry.name for entry in out.iterdir())
    except OSError as exc:  # a folder we may not read
        raise UserError(f"the demo cannot use the folder {out}: {exc.strerror or exc}; {_WHAT_WORKS}") from None
    if entries:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise UserError(f"the demo's folder {out} is not empty and no earlier demo wrote it ({shown}): nothing was changed; {_WHAT_WORKS}")


def prepare(out: Path, own_database: bool = True) -> None:
    """Make or reuse the folder (after `check`): mark it as the demo's, and remove what an earlier demo
    wrote there, so this run's documents and emails are not mixed with its; with `own_database`, also the
    SQLite file the demo is about to create afresh."""
    check(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text(_EXPLANATION)
        earlier = [p for p in out.iterdir() if _DOCUMENT.fullmatch(p.name) or (own_database and p.name in _DATABASE_FILES)]
        if (out / EMAILS).is_dir():
            earlier += [p for p in (out / EMAILS).iterdir() if _EMAIL.fullmatch(p.name)]
        for path in earlier:
            if path.is_file() or path.is_symlink():  # a folder of the user's with such a name stays
                path.unlink()
    except OSError as exc:
        raise UserError(f"the demo cannot write into the folder {out}: {exc.strerror or exc}; {_WHAT_WORKS}") from None
