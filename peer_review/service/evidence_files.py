"""Files attached to evidence items: attaching one (checked, scanned, stored with its checksum), removing
one, and giving one to someone the rules let have it (domain/evidence_files.py; docs/web.md, "Evidence files").

A refusal keeps nothing: the checks come before the bytes are stored, and bytes stored for a record that
then fails are deleted again."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import secrets
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock, settings
from peer_review.adapters.file_store import Damaged, FileStore, file_store, read_checked
from peer_review.adapters.file_types import sniffed
from peer_review.adapters.virus_scan import ScanUnavailable, scanner
from peer_review.domain.evidence_files import FileRefused, check_content, kind_of, may_have, shown_name, size_in_words
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import TaskKind
from peer_review.domain.reading import may_download
from peer_review.errors import BadInput, NotFound, Refused
from peer_review.service import access, access_log
from peer_review.service.common import audit, stored_person
from peer_review.service.review_contents import reading_of
from peer_review.store import evidence_files as stored
from peer_review.store.db import Session, sqlite_path
from peer_review.store.overviews import history_of
from peer_review.store.people import host_ceo, trust_of
from peer_review.store.records import evidence
from peer_review.store.rendered_documents import stored_documents
from peer_review.store.review_locks import lock_review
from peer_review.store.task_drafts import draft_of
from peer_review.store.tasks import tasks_of

if TYPE_CHECKING:
    from peer_review.domain.evidence_files import FileKind
    from peer_review.store.tables import EvidenceFile, Review

log = logging.getLogger("peer_review.files")

#: While files may be attached: the evidence is being gathered, or the peers are recording their findings.
ATTACHING = (Stage.EVIDENCE, Stage.FINDINGS)
MOST_ITEMS = 100  # as inputs.SubmitEvidence


class FileProblem(BadInput):
    """A file refused, in GOV.UK's words, for the form's `field`."""

    def __init__(self, message: str, field: str = "file", status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.http_status = status
        self.also: dict[str, str] = {}  # the form's other problems, said with it (GOV.UK: all at once)

    @property
    def errors(self) -> dict[str, str]:
        """Every problem, by field, in the form's order (the file, then the personal data answer)."""
        return {self.field: self.problem, **self.also}


@dataclass(frozen=True)
class FileView:
    id: int
    item: int
    filename: str
    kind: str  # the allow-list's label
    size: str  # in words
    sha256: str
    personal_data: bool
    scanned: bool
    uploaded_at: str
    by: str  # who attached it (for the CEO, when someone acted for them)
    may_have: bool  # this reader may download it


def files() -> FileStore:
    """Where evidence files are kept: as the settings say, by default a folder beside the SQLite database in
    use (the demo's, a test's), so that a database and its files stay together."""
    database = sqlite_path()
    return file_store(database.resolve().parent / "evidence-files" if database else None)


def limits_in_words() -> str:
    return (
        f"Each file must be smaller than {settings.file_limit_bytes() // settings.MB} MB, and a review's files "
        f"{settings.review_files_limit_bytes() // settings.MB} MB or less in all."
    )


def _review_for_attaching(session: Session, viewer: access.Viewer, review_id: int) -> tuple[Review, set[str]]:
    review, roles = access.review_for(session, viewer, review_id)
    if not roles & {"host", "coordinator"}:
        raise Refused(
            "Only the host trust (its CEO and the colleagues they named) and the coordinator attach evidence files."
        )
    return review, roles


NO_ANSWER = "Select yes if the file holds personal data"


def _over_review_limit(total: int, limit: int) -> str:
    return (
        f"The selected file would take this review's files to {size_in_words(total)}: a review's files must be "
        f"{limit // settings.MB} MB or less in all. Remove a file you no longer need first"
    )


def _checked(
    session: Session, viewer: access.Viewer, review: Review, filename: str, content: bytes
) -> tuple[str, FileKind, bool]:
    """A file's shown name, its kind and whether clamd scanned it, once it passes every check of the file
    itself (a FileProblem otherwise)."""
    name = shown_name(filename)
    if not name:
        raise FileProblem("Select a file")
    if not content:
        raise FileProblem("The selected file is empty")
    limit = settings.file_limit_bytes()
    if len(content) > limit:
        raise FileProblem(f"The selected file must be smaller than {limit // settings.MB} MB", status=413)
    held, review_limit = stored.bytes_held(session, review.id), settings.review_files_limit_bytes()
    if held + len(content) > review_limit:
        raise FileProblem(_over_review_limit(held + len(content), review_limit), status=413)
    try:
        kind = kind_of(name)
        check_content(kind, sniffed(content), content[:65536])
    except FileRefused as exc:
        log.warning("refused an evidence file for review %s from %s: %s (%s)", review.id, viewer.email, exc, name[:60])
        raise FileProblem(str(exc)) from None
    clamd = scanner()
    if clamd is not None:
        try:
            verdict = clamd.scan(content)
        except ScanUnavailable as exc:  # never taken as clean: the person is asked to try again
            log.error("could not scan an evidence file for review %s: %s", review.id, exc.problem)
            raise FileProblem(
                "The selected file could not be checked for viruses – try again later", status=503
            ) from None
        if not verdict.clean:
            log.warning(
                "refused an evidence file for review %s from %s: clamd found %s (%s)",
                review.id,
                viewer.email,
                verdict.signature,
                name[:60],
            )
            raise FileProblem("The selected file contains a virus")
    return name, kind, clamd is not None


def attach(
    session: Session,
    viewer: access.Viewer,
    review_id: int,
    item: int,
    filename: str,
    content: bytes,
    personal_data: bool | None,
    store: FileStore | None = None,
) -> EvidenceFile:
    """Check a file and keep it against an evidence item; a refusal is a FileProblem and keeps nothing."""
    review, _ = _review_for_attaching(session, viewer, review_id)
    if Stage(review.stage) not in ATTACHING:
        raise FileProblem(
            f"Files can be attached while the evidence is gathered and the peers record their findings; this review is at "
            f"“{Stage(review.stage).label}”",
            status=409,
        )
    items = evidence(session, review)
    most = len(items) or MOST_ITEMS
    if not 1 <= item <= most:
        raise FileProblem(f"Choose an evidence item from E1 to E{most}", field="item")
    on_item = items[item - 1] if items else None
    if on_item is not None and on_item.personal_data:
        personal_data = True  # an item holding personal data holds it in every file
    try:
        name, kind, scanned = _checked(session, viewer, review, filename, content)
    except FileProblem as exc:
        if personal_data is None:  # asked for with what is wrong with the file, not after it is put right
            exc.also["personal_data"] = NO_ANSWER
        raise
    if personal_data is None:
        raise FileProblem(NO_ANSWER, field="personal_data")
    # uploads to one review take turns from here (after the scan, which may take a while), so that two at
    # once cannot both fit under the review's limit that only one of them fits under
    lock_review(session, review.id)
    held, review_limit = stored.bytes_held(session, review.id), settings.review_files_limit_bytes()
    if held + len(content) > review_limit:
        raise FileProblem(_over_review_limit(held + len(content), review_limit), status=413)
    actor = access.acting_person(session, viewer, review.partnership_id)
    ceo = host_ceo(session, review)
    key = f"reviews/{review.id}/{secrets.token_hex(16)}"
    sha256 = hashlib.sha256(content).hexdigest()
    store = store or files()
    store.put(key, content)
    try:
        row = stored.add_evidence_file(
            session,
            review_id=review.id,
            item=item,
            filename=name,
            file_type=kind.extension,
            size=len(content),
            sha256=sha256,
            key=key,
            personal_data=personal_data,
            scanned="clean" if scanned else "not scanned",
            uploaded_by_id=actor.id,
            for_id=ceo.id if actor.id != ceo.id else None,
            uploaded_at=clock.now(),
        )
        audit(
            session,
            review.partnership_id,
            "evidence_file_attached",
            actor.email,
            review.id,
            item=f"E{item}",
            filename=name,
            size=len(content),
            sha256=sha256,
            personal=personal_data,
            on_behalf_of=ceo.email if actor.id != ceo.id else None,
        )
    except BaseException:
        store.delete(key)
        raise
    return row


def _file(session: Session, viewer: access.Viewer, file_id: int) -> tuple[EvidenceFile, Review, set[str]]:
    row = stored.file_or_none(session, file_id)
    if row is None:
        raise NotFound(f"no file with id {file_id}")
    review, roles = access.review_for(session, viewer, row.review_id)
    return row, review, roles


def remove(session: Session, viewer: access.Viewer, file_id: int) -> EvidenceFile:
    """Take a file off its item (a wrong file, or personal data that should not be there): the host trust
    while files may be attached (after that the moderation record lists it), the coordinator at any time.
    The caller deletes its bytes once this is committed (`files().delete(row.key)`); the audit log keeps its
    name and checksum."""
    row, review, roles = _file(session, viewer, file_id)
    if not roles & {"host", "coordinator"}:
        raise Refused("Only the host trust and the coordinator can remove an evidence file.")
    if "coordinator" not in roles and Stage(review.stage) not in ATTACHING:
        raise Refused(
            "The review team has moderated against this file, and the moderation record lists it: ask the "
            "partnership's coordinator to remove it (for example if it holds personal data it should not)."
        )
    actor = access.acting_person(session, viewer, review.partnership_id)
    personal = _personal(row, evidence(session, review))
    stored.remove_file(session, row)
    audit(
        session,
        review.partnership_id,
        "evidence_file_removed",
        actor.email,
        review.id,
        item=f"E{row.item}",
        filename=row.filename,
        sha256=row.sha256,
        personal=personal,
    )
    return row


def _personal(row: EvidenceFile, items) -> bool:
    on_item = items[row.item - 1] if 0 < row.item <= len(items) else None
    return row.personal_data or bool(on_item and on_item.personal_data)


def fetch(
    session: Session, viewer: access.Viewer, file_id: int, store: FileStore | None = None
) -> tuple[EvidenceFile, bytes]:
    """A file's record and bytes, for someone the rules let have it, checked against its checksum."""
    row, review, roles = _file(session, viewer, file_id)
    items = evidence(session, review)
    reading = reading_of(session, review, roles, viewer.person_ids)
    personal = _personal(row, items)
    if not may_have(roles, reading, index_submitted=bool(items), personal=personal):
        if not items:
            raise Refused("The evidence files are the host trust's until it submits the evidence index.")
        raise Refused("This file holds personal data: only the review team and the host trust can have it.")
    content = read_checked(store or files(), row.key, row.sha256, row.size)
    # the access log names a personal-data file by its item only: the coordinator reads the log
    named = f"a file holding personal data on E{row.item}" if personal else f"{row.filename} (E{row.item})"
    access_log.opened(session, viewer, review.id, review.partnership_id, "file", named, row.id)
    return row, content


def file_views(
    session: Session, review: Review, roles: set[str], person_ids: frozenset[int] | set[int]
) -> list[FileView]:
    """Every file this reader may know of, in item order; `may_have` says whether they may download it.
    Before the index is submitted, files are listed to the host and the coordinator only."""
    items = evidence(session, review)
    reading = reading_of(session, review, roles, person_ids)
    if not items and not roles & {"host", "coordinator"}:
        return []
    rows = stored.files_of(session, review.id)
    people = {
        p: stored_person(session, p).name
        for p in {r.uploaded_by_id for r in rows} | {r.for_id for r in rows if r.for_id}
    }
    views = []
    for row in rows:
        personal = _personal(row, items)
        allowed = may_have(roles, reading, index_submitted=bool(items), personal=personal)
        by = people[row.uploaded_by_id] + (f" for {people[row.for_id]}" if row.for_id else "")
        views.append(
            FileView(
                row.id,
                row.item,
                row.filename if allowed else "A file holding personal data",
                kind_of(row.filename).label,
                size_in_words(row.size),
                row.sha256,
                personal,
                row.scanned == "clean",
                clock.long_moment(row.uploaded_at),
                by,
                allowed,
            )
        )
    return views


def unnamed_files(
    session: Session, review: Review, roles: set[str], person_ids: frozenset[int] | set[int]
) -> frozenset[str]:
    """The checksums of the files, attached or removed since, whose names the review's history may not give this
    reader, by the rules of `may_have` as they stand now: an entry written when a file was attached says whether
    it held personal data then, but its item may have been marked as holding it since (the index submitted
    later), and before the index is submitted the files are the host trust's and the coordinator's."""
    items = evidence(session, review)
    reading = reading_of(session, review, roles, person_ids)
    entries = [
        e for e in history_of(session, review.id) if e.action.startswith("evidence_file_") and e.detail.get("sha256")
    ]
    personal = {row.sha256 for row in stored.files_of(session, review.id) if _personal(row, items)}
    personal |= {e.detail["sha256"] for e in entries if e.detail.get("personal")}
    return frozenset(
        e.detail["sha256"]
        for e in entries
        if not may_have(roles, reading, index_submitted=bool(items), personal=e.detail["sha256"] in personal)
    )


def files_beyond_index(session: Session, review: Review, items: int) -> list[str]:
    """The files attached to item numbers an index of `items` items does not have (the evidence form refuses
    them: a file is never dropped without a word)."""
    return [f"{row.filename} (E{row.item})" for row in stored.files_of(session, review.id) if row.item > items]


@dataclass(frozen=True)
class AttachPage:
    review: Review
    host: str
    item: int
    title: str  # the item's title, from the index or the person's draft of the evidence form
    personal_item: bool  # the item holds personal data, so every file on it does
    files: list[FileView]
    task_id: int | None  # the open evidence form, to go back to
    open: bool  # files may be attached now
    limits: str
    may_remove: bool  # the host while files may be attached, the coordinator at any time


def attach_page(session: Session, viewer: access.Viewer, review_id: int, item: int) -> AttachPage:
    """What the page for attaching files to one evidence item shows, for the host or the coordinator."""
    review, roles = _review_for_attaching(session, viewer, review_id)
    items = evidence(session, review)
    most = len(items) or MOST_ITEMS
    if not 1 <= item <= most:
        raise NotFound(f"no evidence item E{item}")
    task = next(
        (t for t in tasks_of(session, review.id) if t.kind == TaskKind.SUBMIT_EVIDENCE and t.status == "open"), None
    )
    title, personal = "", False
    if items:
        title, personal = items[item - 1].title, items[item - 1].personal_data
    elif task is not None:
        me = access.acting_person(session, viewer, review.partnership_id)
        draft = draft_of(session, task.id, me.id)
        drafted = (draft.data.get("items") or []) if draft else []
        if item <= len(drafted) and isinstance(drafted[item - 1], dict):
            title = str(drafted[item - 1].get("title") or "")
            personal = drafted[item - 1].get("personal_data") in (True, "true")
    files = [f for f in file_views(session, review, roles, viewer.person_ids) if f.item == item]
    return AttachPage(
        review,
        trust_of(session, review).name,
        item,
        title,
        personal,
        files,
        task.id if task else None,
        Stage(review.stage) in ATTACHING,
        limits_in_words(),
        Stage(review.stage) in ATTACHING or "coordinator" in roles,
    )


def item_removed(session: Session, review: Review, number: int) -> bool:
    """The evidence form's item `number` is removed from the draft: refused while it has files (they would
    lose their item), and the later items' files move up with their items. Whether any file moved (then
    the draft must be kept too, so that the two stay in step)."""
    on_it = stored.files_on_item(session, review.id, number)
    if on_it:
        raise FileProblem(
            f"E{number} has {len(on_it)} file{'s' if len(on_it) > 1 else ''} attached: remove "
            f"{'them' if len(on_it) > 1 else 'it'} before removing the item",
            field=f"items-{number - 1}",
        )
    return stored.shift_items_after(session, review.id, number)


def review_bundle(
    session: Session, viewer: access.Viewer, review_id: int, store: FileStore | None = None
) -> tuple[str, bytes]:
    """Every document and evidence file of a review that this person may have, as one zip (its name, its
    bytes), with a note of what it holds and of what it leaves out and why. Files are checked against their
    checksums as they go in."""
    review, roles = access.review_for(session, viewer, review_id)
    reading = reading_of(session, review, roles, viewer.person_ids)
    store = store or files()
    out = io.BytesIO()
    held: list[str] = []
    left_out: list[str] = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bundle:  # Word, PDF and images are compressed already
        taken: set[str] = set()

        def add(folder: str, name: str, content: bytes, at: dt.datetime) -> str:
            stem, dot, extension = name.rpartition(".")
            path, n = f"{folder}/{name}", 2
            while path.lower() in taken:
                path, n = f"{folder}/{stem or name} ({n}){dot}{extension if stem else ''}", n + 1
            taken.add(path.lower())
            moment = clock.in_england(at)
            bundle.writestr(zipfile.ZipInfo(path, moment.timetuple()[:6]), content)
            return path

        for document in stored_documents(session, review.id):
            if may_download(reading, document.kind):
                held.append(add("documents", document.filename, document.content, document.created_at))
            else:
                left_out.append(f"{document.filename}: {DOCUMENT_WITHHELD}")
        for view in file_views(session, review, roles, viewer.person_ids):
            if not view.may_have:
                left_out.append(
                    f"a file on E{view.item} holding personal data: only the review team and the host trust have it"
                )
                continue
            row = stored.file_or_none(session, view.id)
            assert row is not None
            content = read_checked(store, row.key, row.sha256, row.size)
            path = add(f"evidence/E{row.item}", row.filename, content, row.uploaded_at)
            held.append(f"{path} ({size_in_words(row.size)}, SHA-256 {row.sha256})")
        note = [
            f"{trust_of(session, review).name}: {review.strand_title}",
            f"Everything of this review that {viewer.name or viewer.email} may have, on {clock.long_moment(clock.now())}.",
            "",
            "What it holds:",
            *([f"- {line}" for line in held] or ["- nothing yet"]),
        ]
        if left_out:
            note += ["", "What it leaves out:", *[f"- {line}" for line in left_out]]
        bundle.writestr("what-this-holds.txt", "\r\n".join(note) + "\r\n", zipfile.ZIP_DEFLATED)
    name = f"{trust_of(session, review).key}-{review.strand_id}-review-{review.id}.zip"
    access_log.opened(session, viewer, review.id, review.partnership_id, "zip", name)
    return name, out.getvalue()


DOCUMENT_WITHHELD = (
    "it gives the moderator's decisions on every finding, for the moderator, the coordinator and the host trust"
)


@dataclass(frozen=True)
class StoreCheck:
    """The file store against the database: what `peer-review files check` reports."""

    checked: int  # files the database names, each read back against its checksum
    missing: list[str]  # named, but not in the store
    damaged: list[str]  # in the store, but not the bytes checked in
    orphans: list[str]  # in the store, named by no file (an upload whose record failed)
    removed: int  # orphans deleted


def check_store(session: Session, remove_orphans: bool = False, store: FileStore | None = None) -> StoreCheck:
    """Every file the database names read back and checked; bytes no file names listed (and with
    `remove_orphans`, deleted once an hour old: an upload in progress writes its bytes just before its record)."""
    store = store or files()
    held = store.keys()
    missing, damaged = [], []
    rows = stored.every_file(session)
    for row in rows:
        where = f"review {row.review_id}, E{row.item}: {row.filename} ({row.key})"
        if row.key not in held:
            missing.append(where)
            continue
        try:
            read_checked(store, row.key, row.sha256, row.size)
        except Damaged:
            damaged.append(where)
    named = {row.key for row in rows}
    orphans = sorted(key for key in held if key not in named)
    removed = 0
    if remove_orphans:
        old = clock.now() - dt.timedelta(hours=1)
        for key in orphans:
            if held[key] < old:
                store.delete(key)
                removed += 1
    return StoreCheck(len(rows), missing, damaged, orphans, removed)
