"""Errors a user can act on: they name the file, the place and the problem."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action; the CLI prints it without a traceback and exits non-zero."""

    def __init__(self, problem: str, *, source: str | None = None, place: str | None = None, loc: tuple = ()):
        self.problem = problem
        self.source = source
        self.place = place
        self.loc = loc  # key path inside the input, so a caller holding the file can name the line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.source, self.place) if part)
        return f"{where}: {self.problem}" if where else self.problem


class NotFound(UserError):
    """An id that names nothing stored (a web page answers 404)."""
