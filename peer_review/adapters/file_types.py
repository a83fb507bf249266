"""What a file's bytes are, read with `filetype` (signatures, offline), whatever its name says."""

from __future__ import annotations

import filetype


def sniffed(content: bytes) -> str | None:
    """The MIME type the bytes carry the signature of, or None (text, or nothing known)."""
    guess = filetype.guess(content)  # it reads the first 8 KB
    if guess is None and content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE2 file filetype cannot place
        return "application/x-ole-storage"
    return guess.mime if guess else None
