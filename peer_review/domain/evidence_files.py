"""Files attached to evidence items: which kinds are taken, how a name is shown, how sizes read, and who
may have a file.

The allow-list is what a review team reads: PDF, Word, Excel, PowerPoint, CSV and images. A file must be
what its name says: its bytes are read (adapters.file_types) and must match the name's type, so a program
renamed `minutes.pdf` is refused. CSV has no signature to read: it must be text (no NUL or other control
bytes).

Who may have a file follows the evidence (docs/web.md, "Evidence files"): before the index is submitted,
the host trust and the coordinator; once it is, everyone on the review; a file holding personal data, or
attached to an item holding it, only the review team and the host trust (the coordinator sees that it
exists). It is always sent as a download, never shown in the browser."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from peer_review.domain.reading import Reading


@dataclass(frozen=True)
class FileKind:
    extension: str
    label: str
    types: frozenset[str]  # what its bytes may read as (empty: text, which has no signature)


_KINDS = [
    FileKind("pdf", "PDF", frozenset({"application/pdf"})),
    FileKind(
        "docx", "Word document", frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
    ),
    FileKind("doc", "Word document", frozenset({"application/msword"})),
    FileKind(
        "xlsx", "Excel spreadsheet", frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    ),
    FileKind("xls", "Excel spreadsheet", frozenset({"application/vnd.ms-excel"})),
    FileKind(
        "pptx",
        "PowerPoint presentation",
        frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation"}),
    ),
    FileKind("ppt", "PowerPoint presentation", frozenset({"application/vnd.ms-powerpoint"})),
    FileKind("csv", "CSV", frozenset()),
    FileKind("png", "PNG image", frozenset({"image/png"})),
    FileKind("jpg", "JPEG image", frozenset({"image/jpeg"})),
    FileKind("jpeg", "JPEG image", frozenset({"image/jpeg"})),
    FileKind("gif", "GIF image", frozenset({"image/gif"})),
    FileKind("webp", "WebP image", frozenset({"image/webp"})),
]
KINDS = {kind.extension: kind for kind in _KINDS}
ALLOWED_WORDS = "PDF, Word, Excel, PowerPoint, CSV, PNG, JPEG, GIF or WebP"
NAME_LIMIT = 150


class FileRefused(ValueError):
    """Why a file is not taken, in GOV.UK's words for a file upload ("The selected file ...")."""


def shown_name(given: str) -> str:
    """The name a file is kept and shown under: the last part of what the browser sent (never a folder),
    in NFC, without control characters, at most NAME_LIMIT characters (the extension kept)."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    name = name.lstrip(".")
    if len(name) > NAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        name = (
            (stem[: NAME_LIMIT - len(extension) - 1] + dot + extension)
            if dot and len(extension) <= 5
            else name[:NAME_LIMIT]
        )
    return name


def kind_of(name: str) -> FileKind:
    """The allow-list's kind for a name, by its extension; refused if it has none on the list."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in KINDS:
        raise FileRefused(f"The selected file must be a {ALLOWED_WORDS}")
    return KINDS[extension]


def check_content(kind: FileKind, sniffed: str | None, head: bytes) -> None:
    """Refuse a file whose bytes are not what its name says (`sniffed` is the type its bytes read as)."""
    if kind.types:
        if sniffed not in kind.types:
            raise FileRefused(f"The selected file must be a {kind.label}: its content is not a {kind.label}")
        return
    if sniffed is not None or any(b < 32 and b not in (9, 10, 13) for b in head) or b"\x7f" in head:
        raise FileRefused(f"The selected file must be a {kind.label}: its content is not text")


def size_in_words(size: int) -> str:
    """1,234 bytes, 12 KB, 3.4 MB: as a person reads a file's size."""
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def may_have(roles: set[str] | frozenset[str], reading: Reading, *, index_submitted: bool, personal: bool) -> bool:
    """Whether someone with these roles and reading may download a file (see the module's rules)."""
    if not index_submitted and not roles & {"host", "coordinator"}:
        return False
    return reading.personal_data if personal else bool(roles & {"host", "coordinator", "peer", "moderator"})
