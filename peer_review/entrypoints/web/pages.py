"""What every router shares: the page renderer, the database session, and who is signed in."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import mimetypes
import re
import secrets
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated
from urllib.parse import parse_qsl, unquote_to_bytes

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter, ValidationError
from starlette.exceptions import HTTPException

from peer_review import clock
from peer_review.domain.model import KIND_RULES, TaskKind
from peer_review.domain.reading import web_address
from peer_review.domain.text import Email, Name
from peer_review.entrypoints.web.forms import value_at
from peer_review.errors import UserError
from peer_review.service import signin
from peer_review.service.access import Viewer, viewer_for
from peer_review.store import people
from peer_review.store.db import Session
from peer_review.store.people import MAX_ID

HERE = FilePath(__file__).resolve().parent
SESSION_COOKIE = "peer_review_session"
CSRF_COOKIE = "peer_review_csrf"  # before signing in: the double-submit token of the sign-in forms
log = logging.getLogger("peer_review.entrypoints.web")

#: Ids in paths: anything outside a database integer is simply not found.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

#: GOV.UK Frontend tag colours for the stages, in order; the stage name is always written too.
STAGE_TAGS = {
    "scheduled": "govuk-tag--grey",
    "assignment": "govuk-tag--light-blue",
    "lines of enquiry": "govuk-tag--blue",
    "evidence": "govuk-tag--turquoise",
    "findings": "govuk-tag--purple",
    "moderation": "govuk-tag--pink",
    "report": "govuk-tag--yellow",
    "feedback": "govuk-tag--orange",
    "closed": "govuk-tag--green",
}


@dataclass(frozen=True)
class StaticFile:
    """A static file as read at start-up, and served from memory: its address always names this content."""

    name: str  # as in the folder: govuk-frontend.min.css
    address: str  # what pages link to: govuk-frontend.min.0123456789.css
    content: bytes
    media_type: str
    etag: str


def fingerprinted(folder: FilePath) -> dict[str, StaticFile]:
    """The folder's files by name, each given the address NAME.HASH.EXT (the first 10 hex digits of its SHA-256),
    so browsers may keep them for a year: a changed file has a new address."""
    files = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()[:10]
        stem, dot, ext = path.name.rpartition(".")
        address = f"{stem}.{digest}.{ext}" if dot else f"{path.name}.{digest}"
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files[path.name] = StaticFile(path.name, address, content, media_type, f'"{digest}"')
    return files


STATIC = fingerprinted(HERE / "static")

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(
    stage_tag=lambda stage: STAGE_TAGS.get(stage, "govuk-tag--grey"),
    long_date=clock.long_date,
    value_at=value_at,
    only_theirs=lambda kind: bool(KIND_RULES[TaskKind(kind)].own_answer),
)  # a task nobody does on its assignee's behalf
templates.env.filters["long_date"] = lambda value: clock.long_date(value) if value else ""
templates.env.filters["long_moment"] = lambda value: clock.long_moment(value) if value else ""
templates.env.globals["web_address"] = web_address  # an evidence item's location as a link, when it is one
templates.env.globals["static_url"] = lambda name: f"/static/{STATIC[name].address}"


class NotSignedIn(Exception):
    pass


class BadCsrf(Exception):
    pass


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    viewer = getattr(request.state, "viewer", None)
    context.setdefault("viewer", viewer)
    context.setdefault("signed_in", viewer is not None and viewer.email != "")
    context.setdefault("csrf_token", MaskedToken(csrf_token(request)))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def csrf_token(request: Request) -> str:
    """The token this request's forms carry: the signed-in session's, or before signing in the visitor's cookie."""
    return getattr(request.state, "session_csrf", "") or getattr(request.state, "anonymous_csrf", "")


class MaskedToken:
    """The CSRF token as pages write it: masked afresh each time it is written (see `masked`), so that no two
    answers, compressed, carry the same secret for an attacker who reflects text into them to guess at (BREACH)."""

    def __init__(self, token: str):
        self.token = token

    def __str__(self) -> str:
        return masked(self.token)


_MASKED = re.compile(r"[A-Za-z0-9_-]*")


def masked(token: str) -> str:
    """As Django does: a random mask, then the token XOR the mask, in URL-safe base64 without padding."""
    secret = token.encode()
    mask = secrets.token_bytes(len(secret))
    return base64.urlsafe_b64encode(mask + bytes(a ^ b for a, b in zip(secret, mask))).rstrip(b"=").decode()


def unmasked(sent: str) -> bytes | None:
    """The token a masked one hides, or None when `sent` cannot be one."""
    if not _MASKED.fullmatch(sent):
        return None
    try:
        raw = base64.urlsafe_b64decode(sent + "=" * (-len(sent) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) % 2:
        return None
    half = len(raw) // 2
    return bytes(a ^ b for a, b in zip(raw[:half], raw[half:]))


def db():
    from peer_review.store.db import session_scope

    with session_scope() as s:
        yield s


#: The session commits when the page's function returns, before the answer is sent: a browser that
#: follows a redirect at once (after signing in, saving a draft) must find what the POST wrote.
DB = Annotated[Session, Depends(db, scope="function")]


def signed_in(request: Request, s: DB) -> Viewer:
    """The person this browser is signed in as (or a script's export token); otherwise NotSignedIn."""
    web = signin.current_session(s, request.cookies.get(SESSION_COOKIE))
    if web is None:
        raise NotSignedIn()
    request.state.session_csrf = web.csrf_token  # a plain string: pages are still drawn after a rollback
    request.state.viewer = viewer_for(s, web.email)
    return request.state.viewer


Signed = Annotated[Viewer, Depends(signed_in)]


def script_or_person(request: Request, s: DB) -> Viewer:
    """Exports answer a script's `Authorization: Bearer TOKEN` (PEER_REVIEW_WEB_TOKEN) as well as a person."""
    token = request.app.state.export_token
    header = request.headers.get("authorization", "")
    if token and header.lower().startswith("bearer "):
        if hmac.compare_digest(header[7:].strip().encode(), token.encode()):
            every = people.every_partnership_id(s)
            return Viewer("", frozenset(), every, every, frozenset(), "export token")
        raise NotSignedIn()
    return signed_in(request, s)


MAX_FORM_BYTES = 1_000_000  # the longest answer is a few dozen 4,000-character boxes
MAX_FORM_FIELDS = 5000


class FormTooLarge(Exception):
    pass


async def posted(request: Request, max_bytes: int = MAX_FORM_BYTES) -> list[tuple[str, str]]:
    """A POSTed form's fields, once its CSRF token has been checked (BadCsrf otherwise)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise FormTooLarge()
    try:
        fields = parse_qsl(
            body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:  # more fields than any form has
        raise FormTooLarge() from None
    fields = [(name, _printable(value)) for name, value in fields]
    _check_csrf(request, next((v for k, v in fields if k == "csrf_token"), ""))
    return fields


def _check_csrf(request: Request, sent: str) -> None:
    """The form's token, unmasked, must be this request's (BadCsrf otherwise)."""
    expected = csrf_token(request)
    token = unmasked(sent) if sent else None
    if not expected or not token or not hmac.compare_digest(token, expected.encode()):
        raise BadCsrf()


MAX_UPLOAD_BYTES = 2_000_000  # a partnership, calendar or figures file: limited to 1,000,000 characters when read
#: A checked file sent back with the page that applies it (a roster or calendar change), percent-encoded: up to
#: three bytes a byte, and each line break sent as two.
MAX_RESENT_BYTES = 3 * MAX_UPLOAD_BYTES + 200_000


class FormUnreadable(Exception):
    """A multipart form that cannot be parsed: nothing of it was kept."""


class FileTooLarge(Exception):
    """An upload larger than its limit: what was sent was read to its end (so the browser shows the answer)
    and not kept."""


async def posted_file(
    request: Request, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """A POSTed form with one file (multipart), once its CSRF token has been checked: its text fields and
    (file name, content), or None when no file was chosen. The body is kept up to `max_bytes` and no
    further, as it streams, before it is parsed: past that, FormTooLarge for the answers' own small
    files; for a larger limit (evidence files) FileTooLarge, once the rest is read and thrown away (up to
    four times the limit, then the connection is dropped), so that the person sees the error page rather
    than a broken connection."""
    body = bytearray()
    too_large, drained = False, 0
    async for chunk in request.stream():
        if too_large or len(body) + len(chunk) > max_bytes:
            if max_bytes == MAX_UPLOAD_BYTES:
                raise FormTooLarge()
            too_large, drained = True, drained + len(body) + len(chunk)
            body.clear()
            if drained > 4 * max_bytes:
                raise FormTooLarge()
            continue
        body += chunk
    if too_large:
        raise FileTooLarge()
    request._body = bytes(body)  # what starlette parses the form from: the bounded body, read once
    try:
        form = await request.form(max_files=1, max_fields=20, max_part_size=MAX_UPLOAD_BYTES)
    except HTTPException:  # not multipart, or malformed (starlette's 400): as a form with nothing in it
        form = None
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise FormUnreadable() from None  # a multipart form it cannot read (a file name of a megabyte)
    fields = {k: _printable(v) for k, v in (form.multi_items() if form else []) if isinstance(v, str)}
    _check_csrf(request, fields.get("csrf_token", ""))
    upload = next((v for _, v in (form.multi_items() if form else []) if not isinstance(v, str)), None)
    if upload is None or not upload.filename:
        return fields, None
    return fields, (upload.filename, await upload.read())


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    """Typed text without control characters (NUL and the like), which no one means to type and which
    PostgreSQL, YAML and Word cannot all keep; tabs and line breaks stay."""
    return _CONTROL.sub("", value)


MAX_PATH_BYTES = 2000  # as sent, percent-encoded: the longest real path is a few dozen characters
MAX_QUERY_BYTES = 8000  # as sent: the sign-in page's `next` holds a whole address, encoded again
MAX_QUERY_VALUE = 4000  # characters in any one name or value, like the longest typed answer
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")  # nobody types a path: tabs and line breaks too


def address_problem(raw_path: bytes | None, path: str, query_string: bytes) -> str | None:
    """Why a request's address is refused, in words, or None. A query string is typed text, so it may not
    hold what posted form fields lose (control characters; tabs and line breaks stay); a path may hold no
    control character at all. Both must be UTF-8 once percent-decoded (%ff is not), and not too long."""
    if len(raw_path if raw_path is not None else path) > MAX_PATH_BYTES or len(query_string) > MAX_QUERY_BYTES:
        return "The web address is too long."
    decoded = (
        _utf8(unquote_to_bytes(raw_path)) if raw_path is not None else path
    )  # some servers give only the decoded path
    if decoded is None or _CONTROL_IN_PATH.search(decoded):
        return "The web address has characters in it that cannot be used."
    for part in query_string.split(b"&"):
        for raw in part.split(b"=", 1):
            text = _utf8(unquote_to_bytes(raw.replace(b"+", b" ")))
            if text is None or _CONTROL.search(text):
                return "The web address has characters in it that cannot be used."
            if len(text) > MAX_QUERY_VALUE:
                return "The web address is too long."
    return None


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")  # strict: no stray bytes, no surrogates (PostgreSQL cannot keep them)
    except UnicodeDecodeError:
        return None


def loggable(path: str) -> str:
    """A path fit for the log: never a sign-in link's token, which works until it is used, nor a calendar
    address's, which works until it is stopped."""
    return re.sub(
        r"^/calendar-feed/[^/]+", "/calendar-feed/[address]", re.sub(r"^/sign-in/[^/]+", "/sign-in/[link]", path)
    )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str) -> str:
    """Only ever send people back to a page of this site."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) <= 500
    return target if ok else "/"


def date_from(fields: dict[str, str], name: str, what: str) -> tuple[dt.date | None, str | None]:
    """A GOV.UK date input's value: (date, None), or (None, the problem in its words: "Enter ...", "... must
    include a month", "... must be a real date")."""
    parts = [fields.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None, f"Enter {what}"
    missing = [part for part, given in zip(("day", "month", "year"), parts) if not given]
    if missing:
        return None, f"{what[0].upper()}{what[1:]} must include a {' and a '.join(missing)}"
    if not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None, f"{what[0].upper()}{what[1:]} must be a real date, like 27 3 2024"
    day, month, year = map(int, parts)
    try:
        return dt.date(year, month, day), None
    except (ValueError, OverflowError):
        return None, f"{what[0].upper()}{what[1:]} must be a real date, like 27 3 2024"


def dated_change(fields: dict[str, str], date_field: str, what: str, why_missing: str, apply) -> dict[str, str]:
    """A change asked for with a date and a reason (moving a visit, giving more time): the problems, keyed
    by field id, or {} once `apply(date, reason)` has made it. A refusal from the service names the rule
    that blocks it, against the date field."""
    errors = {}
    day, problem = date_from(fields, date_field, what)
    if problem:
        errors[date_field] = problem
    reason = fields.get("reason", "").strip()
    if not reason:
        errors["reason"] = why_missing
    elif len(reason) > 4000:
        errors["reason"] = "The reason must be 4,000 characters or fewer"
    if not errors:
        try:
            apply(day, reason)
        except UserError as exc:
            errors[date_field] = sentence(exc.problem)
    return errors


def sentence(problem: str) -> str:
    """A refusal in words as an error message: a capital first (unless it begins with an email address,
    written as it is), and no full stop at the end, as GOV.UK's messages have it."""
    if problem and "@" not in problem.split(" ", 1)[0]:
        problem = problem[0].upper() + problem[1:]
    return problem.removesuffix(".")


_NAME: TypeAdapter[str] = TypeAdapter(Name)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


def typed(fields: dict[str, str], key: str, label: str, missing: str) -> tuple[str, str | None]:
    """A name, or an email address for a key ending in `email`, typed in a box and checked as the partnership
    file checks it: (the value, None), or ("", the problem in GOV.UK's words, `missing` when the box is empty)."""
    value = fields.get(key, "").strip()
    if not value:
        return "", missing
    try:
        return (_EMAIL if key.endswith("email") else _NAME).validate_python(value), None
    except ValidationError as exc:
        error = exc.errors()[0]
    if error["type"] == "string_pattern_mismatch":
        return "", "Enter an email address in the correct format, like name@example.org"
    if error["type"] == "string_too_long":
        return "", f"{label} must be {error['ctx']['max_length']} characters or fewer"
    return "", f"{label} {error['msg'].removeprefix('Value error, ')}"
