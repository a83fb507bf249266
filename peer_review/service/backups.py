"""Backing up the service (the database and the evidence files) and restoring it elsewhere, checked.

A backup is a folder: the database's copy (store/backup.py), the evidence files under their keys
(`evidence-files/reviews/N/KEY`), and `manifest.json`, which says what it holds: the schema version, when it
was made, every table's row count and every file's size and SHA-256. It is written into a new folder beside
the one asked for and renamed into place at the end, so a failed backup leaves nothing that looks like one.

A restore puts the copy into a new, empty database and the files into a file store, then checks both against
the manifest: the database copy's checksum, every table's row count, and every file's bytes against its
checksum. Any difference is an error: a new SQLite file and the files put are removed again; a PostgreSQL
database is the operator's to drop, and is not to be used.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from peer_review import clock
from peer_review.adapters.file_store import FileStore, FolderStore, read_checked, store_at
from peer_review.errors import UserError
from peer_review.service.evidence_files import files
from peer_review.store import backup
from peer_review.store.db import SCHEMA_VERSION, database_url, database_url_for_display, session_scope, sqlite_path

MANIFEST = "manifest.json"
FILES = "evidence-files"


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    files: int
    database: str  # as shown, without a password
    files_at: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as read:
        for chunk in iter(lambda: read.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def back_up(out: Path) -> dict:
    """The database in use and its evidence files, into the new folder `out`; the manifest."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} exists and is not an empty folder: back up into a new folder")
    url = database_url()
    with session_scope():  # the database upgraded to this version first, as every command does
        pass
    out.parent.mkdir(parents=True, exist_ok=True)
    working = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        copy = backup.back_up_database(url, working)
        source, target = files(), FolderStore(working / FILES)
        for key, size, sha256 in copy.files:  # the files the copy names (its bytes are never changed in place)
            target.put(key, read_checked(source, key, sha256, size))
        manifest = {
            "schema": SCHEMA_VERSION,
            "made_at": clock.now().isoformat(),
            "database": copy.path.name,
            "database_sha256": _sha256(copy.path),
            "rows": copy.rows,
            "files": [{"key": key, "size": size, "sha256": sha256} for key, size, sha256 in copy.files],
        }
        (working / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if out.exists():
            out.rmdir()
        working.rename(out)
    except BaseException:
        shutil.rmtree(working, ignore_errors=True)
        raise
    return manifest


def restore(folder: Path, to_url: str, files_place: str | None = None) -> Restored:
    """A backup folder into the new database `to_url` and the file store `files_place` (default: the folder
    `evidence-files` beside an SQLite database), checked against its manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{folder} is not a peer-review backup: its {MANIFEST} cannot be read ({exc})") from None
    if manifest.get("schema") != SCHEMA_VERSION:
        raise UserError(
            f"the backup is of schema {manifest.get('schema')} and this peer-review is at {SCHEMA_VERSION}: restore it "
            "with the version that made it, then upgrade (peer-review db upgrade)"
        )
    target_db = sqlite_path(to_url)
    place = files_place or (str(target_db.resolve().parent / FILES) if target_db else None)
    if place is None:
        raise UserError("say where the restored evidence files go: --files FOLDER or --files s3://BUCKET/PREFIX")
    store: FileStore = store_at(place)
    taken = set(store.keys())
    if taken:
        raise UserError(f"{store.where} holds files already: restore the evidence files into a new, empty place")
    copy = folder / Path(str(manifest.get("database", ""))).name  # never a path out of the backup's folder
    if not copy.is_file() or _sha256(copy) != manifest.get("database_sha256"):
        raise UserError(f"{copy} does not match the checksum in {MANIFEST}: the backup is damaged or was altered")
    put: list[str] = []
    made = target_db is not None and not target_db.exists()  # only a file this restore makes is removed
    try:
        backup.restore_database(copy, to_url)
        counts = backup.row_counts(to_url)
        if counts != manifest["rows"]:
            differ = sorted(t for t in set(counts) | set(manifest["rows"]) if counts.get(t) != manifest["rows"].get(t))
            raise UserError(f"the restored database's rows differ from the backup's in: {', '.join(differ[:10])}")
        kept = FolderStore(folder / FILES)
        for entry in manifest["files"]:
            store.put(entry["key"], read_checked(kept, entry["key"], entry["sha256"], entry["size"]))
            put.append(entry["key"])
        for entry in manifest["files"]:  # read back from where they now are
            read_checked(store, entry["key"], entry["sha256"], entry["size"])
    except BaseException:
        # nothing half-restored is left to be used: the new SQLite file and the files put go (both were new);
        # a PostgreSQL database the operator made is theirs to drop (the error says it is not to be used)
        for key in put:
            store.delete(key)
        if made and target_db is not None:
            target_db.unlink(missing_ok=True)
        raise
    return Restored(
        len(counts), sum(counts.values()), len(manifest["files"]), database_url_for_display(to_url), store.where
    )
