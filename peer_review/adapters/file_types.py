"""What a file's bytes are, read with `filetype` (signatures, offline), whatever its name says."""

from __future__ import annotations

import io
import re
import zipfile

import filetype
import olefile

#: An Office Open XML file's main part, as its `[Content_Types].xml` must name it, by the type `filetype` reads.
#: `filetype` looks only at the zip's first few entries' names (any zip whose first entry is `word/...` reads as
#: Word), so the package's own declaration is read too; a macro-enabled file (.docm, .xlsm, .pptm) declares a
#: different main part, and so is not taken under a name that says it has no macros.
_MAIN_PART = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
    ),
}
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: An Office 97-2003 file by the stream its application keeps its content in (read with olefile).
_OLE_MAIN_STREAM = {
    "worddocument": "application/msword",
    "workbook": "application/vnd.ms-excel",
    "book": "application/vnd.ms-excel",  # Excel 5 and 95
    "powerpoint document": "application/vnd.ms-powerpoint",
}
_OLE_MACROS = {"macros", "_vba_project_cur", "_vba_project", "vba"}
CONTENT_TYPES_LIMIT = 1_000_000  # bytes of `[Content_Types].xml` read: a real one is a few KB


def sniffed(content: bytes) -> str | None:
    """The MIME type the bytes carry the signature of, or None (text, or nothing known). An Office Open XML file
    that does not declare its main part as its type says reads as a plain zip."""
    if content[:8] == OLE_SIGNATURE:  # Office 97-2003, or any other compound file (an installer, an email)
        return _ole_kind(content)
    guess = filetype.guess(content)  # it reads the first 8 KB
    if guess is not None and guess.mime in _MAIN_PART and not _declares(content, _MAIN_PART[guess.mime]):
        return "application/zip"
    return guess.mime if guess else None


def _declares(content: bytes, main_part: str) -> bool:
    """Whether the zip is an Office package whose `[Content_Types].xml` names this main part and no macros."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_LIMIT:
                return False
            declared = package.read(info).decode("utf-8", "replace")
            names = package.namelist()
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, ValueError, EOFError, OSError):
        return False
    macros = "macroenabled" in declared.lower() or any(n.lower().endswith("vbaproject.bin") for n in names)
    declares = re.search(r"ContentType\s*=\s*[\"']" + re.escape(main_part) + r"[\"']", declared) is not None
    return declares and not macros


def _ole_kind(content: bytes) -> str:
    """An OLE2 compound file's Office type by its main stream; one with macros, or with no Office stream (an
    .msi installer, an Outlook .msg), reads as a plain compound file, which no name on the allow-list takes."""
    try:
        with olefile.OleFileIO(io.BytesIO(content)) as compound:
            names = {part.lower() for entry in compound.listdir(streams=True, storages=True) for part in entry}
    except Exception:  # olefile raises its own, OSError and others on a damaged file: not an Office file
        return "application/x-ole-storage"
    if names & _OLE_MACROS:
        return "application/x-ole-storage"
    found = {_OLE_MAIN_STREAM[name] for name in names if name in _OLE_MAIN_STREAM}
    return found.pop() if len(found) == 1 else "application/x-ole-storage"
