"""What a file's bytes are, read with `filetype` (signatures, offline), whatever its name says."""

from __future__ import annotations

import io
import re
import zipfile

import filetype

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
CONTENT_TYPES_LIMIT = 1_000_000  # bytes of `[Content_Types].xml` read: a real one is a few KB


def sniffed(content: bytes) -> str | None:
    """The MIME type the bytes carry the signature of, or None (text, or nothing known). An Office Open XML file
    that does not declare its main part as its type says reads as a plain zip."""
    guess = filetype.guess(content)  # it reads the first 8 KB
    if guess is None and content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE2 file filetype cannot place
        return "application/x-ole-storage"
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
