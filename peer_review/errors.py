"""Errors a user can act on: they name the file, the place and the problem.

Each kind of error answers in one way, set here: the command line prints it without a traceback and exits
with `exit_code`; the web answers with `http_status` (a form drawn again with the message, a page saying why).
"""

from __future__ import annotations


class UserError(Exception):
    """Something the person can put right; the CLI prints it without a traceback and exits non-zero."""

    exit_code = 2
    http_status = 409  # on the web, something not possible (yet) in the records as they stand
    title = "Not available yet"

    def __init__(self, problem: str, *, source: str | None = None, place: str | None = None, loc: tuple = ()):
        self.problem = problem
        self.source = source
        self.place = place
        self.loc = loc  # key path inside the input, so a caller holding the file can name the line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.source, self.place) if part)
        return f"{where}: {self.problem}" if where else self.problem


class BadInput(UserError):
    """What was given is wrong: a file, an answer, an option or a setting (nothing is written)."""

    http_status = 400
    title = "There is a problem"


class NotFound(UserError):
    """An id that names nothing stored (a web page answers 404)."""

    http_status = 404
    title = "Page not found"


class Refused(UserError):
    """The person may not do this (a 403; nothing is written)."""

    http_status = 403
    title = "You cannot see this page"


class Conflict(UserError):
    """The records moved on meanwhile: the task was done, handed over or cancelled, or a review changed stage
    (a 409; the person is shown where things stand now)."""

    http_status = 409
