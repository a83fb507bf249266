"""Sweeps over many units (partnerships, reviews): a unit that fails is rolled back, logged and reported,
and the others get their work done.

`Failures` runs each unit's work: what a unit raises (an `Exception`: Ctrl-C and exits still end the
sweep) is noted with the unit's name and a one-line reason, and logged on `peer_review.sweeps`, with its
traceback unless it is a `UserError` (a problem a person must fix, said in full by its message). A sweep's
result carries its `failures`; a flow raises `SweepFailed` at the end, so its run is marked failed; a
command prints one line per failure and exits 1, with the tracebacks in a log file (`failure_log`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from peer_review.errors import UserError
from peer_review.store.db import Session

log = logging.getLogger("peer_review.sweeps")
T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    unit: str  # "partnership 'Sheffield pilot triad'", "review 7"
    reason: str  # one line
    error: BaseException | None = field(default=None, compare=False, repr=False)
    key: Any = field(default=None, compare=False, repr=False)  # what failed, for the program: a review's id

    def __str__(self) -> str:
        return f"{self.unit}: {self.reason}"


def reason(error: BaseException) -> str:
    """One line for a person: a UserError's message; anything else (a bug, or data no check refused) with its type."""
    message = " ".join(str(error).split())
    if not isinstance(error, UserError):
        message = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return message if len(message) <= 300 else message[:299] + "…"


class Failures(list[Failure]):
    """The units of a sweep that failed, in the order they were tried (empty when every one succeeded)."""

    def run(self, unit: str, work: Callable[..., T], *args: Any, key: Any = None) -> T | None:
        """`work(*args)`, or None (and the failure noted) if it raises; `work` must not return None itself."""
        try:
            return work(*args)
        except Exception as error:
            self.add(unit, error, key)
            return None

    def add(self, unit: str, error: BaseException, key: Any = None) -> Failure:
        failure = Failure(unit, reason(error), error, key)
        if isinstance(error, UserError):
            log.warning("%s failed: %s", unit, failure.reason)
        else:
            log.error("%s failed: %s", unit, failure.reason, exc_info=error)
        self.append(failure)
        return failure

    @property
    def keys(self) -> set:
        return {f.key for f in self}

    def summary(self, log_file: Path | None = None) -> list[str]:
        """What a command prints: one line per failure, then how many (and where the tracebacks are)."""
        where = f"; the tracebacks are in {log_file}" if log_file is not None else ""
        return [f"failed: {f}" for f in self] + [
            f"{len(self)} failed, the rest done (the next run tries the failed ones again){where}"
        ]


class SweepFailed(RuntimeError):
    """Raised at the end of a sweep that carried on past failures: what it did, and what failed."""

    def __init__(self, failures: Failures, done: Any = None):
        self.failures, self.done = failures, done
        super().__init__(f"{len(failures)} failed (the next run tries again): " + "; ".join(map(str, failures)))

    @classmethod
    def check(cls, failures: Failures, done: T) -> T:
        """`done`, or SweepFailed carrying it when anything failed."""
        if failures:
            raise cls(failures, done)
        return done


def units_of(sessions: Session | Callable[[], ContextManager[Session]]) -> Callable[[], ContextManager[Session]]:
    """Each unit's session: a factory's (db.session_scope: its own transaction, committed on its own), or,
    given a caller's session, a savepoint of it (rolled back alone on failure; the caller commits the rest)."""
    if not isinstance(sessions, Session):
        return sessions

    @contextmanager
    def savepoint() -> Iterator[Session]:
        with sessions.begin_nested():
            yield sessions

    return savepoint


# --- for commands a person runs ------------------------------------------------------------------------


class _LogFile(logging.Handler):
    """Records (with their tracebacks) into a file made on the first one: peer-review-COMMAND-*.log in the
    temporary folder, readable by its owner only."""

    def __init__(self, command: str):
        super().__init__(logging.WARNING)
        self.command = command
        self.path: Path | None = None
        self._stream: TextIO | None = None
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._stream is None:
                import tempfile

                descriptor, name = tempfile.mkstemp(prefix=f"peer-review-{self.command}-", suffix=".log")
                self.path, self._stream = Path(name), os.fdopen(descriptor, "w", encoding="utf-8")
            self._stream.write(self.format(record) + "\n")
            self._stream.flush()
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        super().close()


def _not_on_the_terminal(record: logging.LogRecord) -> bool:
    """Tracebacks go to the log file only, and the sweep's failures, which the command prints in one line each."""
    return not (record.exc_info or record.name == log.name)


@contextmanager
def failure_log(command: str) -> Iterator[Callable[[], Path | None]]:
    """While a command runs: what is logged (a failed unit's traceback, Prefect's record of a failed task run)
    goes to a log file, and the terminal shows no traceback; the handlers already set up (Prefect's console)
    keep everything else. Gives a function answering the file's path (None while nothing was logged)."""
    root = logging.getLogger()
    to_file = _LogFile(command)
    added: list[logging.Handler] = (
        [] if root.handlers else [logging.StreamHandler(sys.stderr)]
    )  # for Python's own last resort, which prints tracebacks too
    for handler in added:
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)
    handlers = list(root.handlers)
    for handler in handlers:
        handler.addFilter(_not_on_the_terminal)
    root.addHandler(to_file)
    try:
        yield lambda: to_file.path
    finally:
        root.removeHandler(to_file)
        to_file.close()
        for handler in handlers:
            handler.removeFilter(_not_on_the_terminal)
        for handler in added:
            root.removeHandler(handler)
