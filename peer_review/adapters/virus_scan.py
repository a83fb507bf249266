"""Scanning a file with ClamAV's daemon, clamd, before it is kept (docs/operations.md, "Virus scanning").

clamd's INSTREAM command takes the bytes in chunks, each prefixed with its length, and answers
`stream: OK` or `stream: NAME FOUND`. The protocol is a few lines, so it is spoken here directly rather
than through a client library (the Python ones are unmaintained). A daemon that cannot be reached, or
answers anything else, is an error: a file is never taken as clean because the scan did not happen."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

from peer_review import settings
from peer_review.errors import UserError

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 60


class ScanUnavailable(UserError):
    """clamd is configured but did not give an answer."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # what clamd found


class Clamd:
    def __init__(self, address: str) -> None:
        self.address = address

    def _connect(self) -> socket.socket:
        if self.address.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: str | tuple[str, int] = self.address.removeprefix("unix:")
        else:
            parts = urlsplit(self.address)
            if parts.scheme != "tcp" or not parts.hostname or not parts.port:
                raise ScanUnavailable(
                    f"{settings.CLAMD.name} must be unix:/PATH/TO/SOCKET or tcp://HOST:PORT; got '{self.address[:80]}'"
                )
            sock = socket.socket(socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET, socket.SOCK_STREAM)
            target = (parts.hostname, parts.port)
        sock.settimeout(TIMEOUT_SECONDS)
        sock.connect(target)
        return sock

    def scan(self, content: bytes) -> Verdict:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for start in range(0, len(content), CHUNK):
                    chunk = content[start : start + CHUNK]
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                answer = b""
                while not answer.endswith(b"\0"):
                    part = sock.recv(4096)
                    if not part:
                        break
                    answer += part
        except OSError as exc:
            raise ScanUnavailable(f"the virus scanner at {self.address} did not answer: {exc}") from None
        text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
        if text == "stream: OK":
            return Verdict(clean=True)
        if text.startswith("stream: ") and text.endswith(" FOUND"):
            return Verdict(clean=False, signature=text.removeprefix("stream: ").removesuffix(" FOUND"))
        raise ScanUnavailable(f"the virus scanner at {self.address} gave no verdict: {text[:120]}")

    def ping(self) -> bool:
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return sock.recv(16).rstrip(b"\0") == b"PONG"
        except OSError:
            return False


def scanner() -> Clamd | None:
    """The scanner the settings name, or None when no scanner is configured (files are kept as not scanned)."""
    address = settings.clamd_address()
    return Clamd(address) if address else None
