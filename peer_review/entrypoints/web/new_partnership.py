"""Setting up a partnership on forms, for a coordinator with no partnership file to hand: its basics, then
its trusts and moderators one at a time, then a check of the whole before it is stored.

Nothing is kept on the server until the end: each page sends the draft back as the partnership file it would
be (hidden YAML), read again every time exactly as the file is read. Setting it up loads that file as a
file sent through the web is loaded, so the forms can do nothing a file could not.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from peer_review import clock
from peer_review.domain.scheduling import calendar_gap, cycle_end
from peer_review.entrypoints.web.pages import DB, MAX_RESENT_BYTES, Signed, date_from, page, posted, typed
from peer_review.errors import BadInput, UserError
from peer_review.files.frameworks import Framework, load_bundled_frameworks
from peer_review.files.partnership_edits import NotPossible, add_moderator, add_trust
from peer_review.files.partnerships import Deadlines, PartnershipSpec, Trust, load_uploaded_partnership
from peer_review.files.school_calendars import resolve_calendar
from peer_review.files.yaml_document import Document
from peer_review.service import access, loading
from peer_review.service.access import Viewer
from peer_review.service.partnership_file import as_yaml
from peer_review.store.people import partnership_named

router = APIRouter()
FORM = "/partnerships/new/form"
CALENDAR = "sheffield"  # the bundled school calendar; a trust's own is uploaded on its page afterwards


class _Draft(PartnershipSpec):
    """A partnership file still being written: it may have fewer than two trusts so far."""

    trusts: list[Trust] = Field(default_factory=list)


@cache
def _frameworks() -> dict[str, Framework]:
    """The bundled frameworks by id, for the radios and for a new trust's strand order."""
    return load_bundled_frameworks()


@router.get(FORM)
def basics_page(request: Request, viewer: Signed):
    access.may_set_up(viewer)
    return _basics(request, 200, {}, {})


@router.post(FORM)
async def basics(request: Request, viewer: Signed, s: DB):
    """The basics checked: the draft begins, with the viewer as its coordinator and no trusts yet."""
    fields = dict(await posted(request))
    access.may_set_up(viewer)
    errors: dict[str, str] = {}
    name = _text(fields, "name", "the partnership's name", errors)
    if name and partnership_named(s, name):
        errors["name"] = f"A partnership named {name} already exists: give this one another name"
    framework = fields.get("framework", "")
    if framework not in _frameworks():
        errors["framework"] = "Select a framework"
    start, problem = date_from(fields, "start", "the date the cycle starts")
    if problem:
        errors["start"] = problem
    months = _number(fields, "months", 24, "Enter a number of months from 1 to 24", errors)
    visit_days = _number(fields, "visit_days", 3, "Select how many days a visit lasts", errors)
    peers = _number(fields, "peers_per_trust", 3, "Select how many peer reviewers each other trust sends", errors)
    if start and months and (gap := _outside_calendar(start, months)):
        errors[gap[0]] = gap[1]
    if errors:
        return _basics(request, 400, fields, errors)
    me = access.acting_person(s, viewer, min(viewer.coordinates))
    data = {
        "name": name,
        "framework": framework,
        "cycle": {"start": start, "months": months},
        "term_dates": CALENDAR,
        "visit_days": visit_days,
        "peers_per_trust": peers,
        "coordinator": {"name": me.name, "email": me.email},
        "moderators": [],
        "trusts": [],
    }
    return _draft_page(request, 200, data)


@router.post(FORM + "/trust")
async def trust_added(request: Request, viewer: Signed):
    fields, data = await _sent(request, viewer)
    errors: dict[str, str] = {}
    name = _text(fields, "trust_name", "the trust's name", errors)
    ceo = _contact(fields, "ceo", "the CEO's", errors)
    reviewer = _contact(fields, "reviewer", "the reviewer's", errors)
    role = _text(fields, "reviewer_role", "the reviewer's job title", errors)
    if not errors:
        try:
            strands = _frameworks()[data["framework"]].strand_ids
            return _draft_page(request, 200, add_trust(data, name, ceo, reviewer | {"role": role}, strands))
        except NotPossible as exc:
            errors[exc.field] = exc.problem
    return _draft_page(request, 400, data, fields, errors)


@router.post(FORM + "/moderator")
async def moderator_added(request: Request, viewer: Signed):
    fields, data = await _sent(request, viewer)
    errors: dict[str, str] = {}
    contact = _contact(fields, "moderator", "the moderator's", errors)
    organisation = _text(fields, "organisation", "the moderator's organisation", errors)
    if not errors:
        try:
            return _draft_page(request, 200, add_moderator(data, contact | {"organisation": organisation}))
        except NotPossible as exc:
            errors["moderator_email" if exc.field == "email" else exc.field] = exc.problem
    return _draft_page(request, 400, data, fields, errors)


@router.post(FORM + "/remove")
async def removed(request: Request, viewer: Signed):
    """A trust or moderator taken out of the draft. Not `remove_trust` or `remove_person`: those keep a stored
    partnership whole (two trusts, a moderator), while a draft may be short of both until it is set up."""
    fields, data = await _sent(request, viewer)
    data["trusts"] = [t for t in data["trusts"] if t["id"] != fields.get("trust")]
    data["moderators"] = [m for m in data["moderators"] if m["email"] != fields.get("moderator")]
    return _draft_page(request, 200, data)


@router.post(FORM + "/draft")
async def draft_again(request: Request, viewer: Signed):
    """Back from checking the answers to change them."""
    _, data = await _sent(request, viewer)
    return _draft_page(request, 200, data)


@router.post(FORM + "/check")
async def check(request: Request, viewer: Signed):
    _, data = await _sent(request, viewer)
    if errors := _missing(data):
        return _draft_page(request, 400, data, errors=errors)
    return page(request, "partnership_check.html", data=data, text=as_yaml(data), **_titles(data), errors={})


@router.post(FORM + "/create")
async def create(request: Request, viewer: Signed, s: DB):
    """The draft stored as the same file sent through the web would be; nothing stored on a refusal."""
    _, data = await _sent(request, viewer)
    errors = _missing(data)
    if not errors:
        try:
            created = loading.set_up(s, load_uploaded_partnership("partnership.yaml", as_yaml(data)), viewer.email)
            return RedirectResponse(f"/partnerships/{created.partnership_id}?created=1", status_code=303)
        except UserError as exc:
            s.rollback()
            errors = {"trusts": exc.problem[:1].upper() + exc.problem[1:]}
    return _draft_page(request, 400, data, errors=errors)


async def _sent(request: Request, viewer: Viewer) -> tuple[dict[str, str], dict]:
    """A draft page's form: its fields, and the draft it sent back, read again as the file it would be."""
    fields = dict(await posted(request, MAX_RESENT_BYTES))
    access.may_set_up(viewer)
    try:
        document = Document(Path("partnership.yaml"), fields.get("draft", ""))
        document.validate(_Draft)
    except UserError:
        raise BadInput("The partnership you were setting up could not be read: start again.") from None
    data: dict = document.data or {}  # a mapping: Document refuses anything else
    mine = str(data["coordinator"]["email"]).lower() == viewer.email
    if not mine or data["framework"] not in _frameworks() or data.get("term_dates") != CALENDAR:
        raise BadInput("The partnership you were setting up has been changed: start again.")
    data.setdefault("moderators", [])
    return fields, data


def _outside_calendar(start: dt.date, months: int) -> tuple[str, str] | None:
    """(the field, the problem) when the cycle runs outside the school years the calendar knows: said now, in
    the form's words, rather than by the loader at the end in a file's."""
    calendar = resolve_calendar(CALENDAR)
    gap = calendar_gap(calendar, start, cycle_end(start, months), dt.timedelta(days=Deadlines().report))
    if gap is None:
        return None
    known = f"{clock.long_date(calendar.first_day)} to {clock.long_date(calendar.last_day)}"
    return gap[0], f"The cycle must fit the school years the Sheffield calendar knows, {known}"


def _missing(data: dict) -> dict[str, str]:
    """What the draft lacks before it can be set up, in words (the loader would say it by key and line)."""
    errors = {}
    if len(data["trusts"]) < 2:
        errors["trusts"] = "Add at least two trusts: the trusts in a partnership review each other"
    if not data["moderators"]:
        errors["moderators"] = "Add a moderator: every review has an external moderator"
    return errors


def _text(fields: dict[str, str], key: str, what: str, errors: dict[str, str]) -> str:
    """A one-line name typed in a box, or "" with the problem put in `errors`."""
    value, problem = typed(fields, key, what[0].upper() + what[1:], f"Enter {what}")
    if problem:
        errors[key] = problem
    return value


def _contact(fields: dict[str, str], prefix: str, whose: str, errors: dict[str, str]) -> dict:
    """A person's name and email from the boxes `prefix`_name and `prefix`_email."""
    name = _text(fields, f"{prefix}_name", f"{whose} name", errors)
    email = _text(fields, f"{prefix}_email", f"{whose} email address", errors)
    return {"name": name, "email": email}


def _number(fields: dict[str, str], key: str, most: int, problem: str, errors: dict[str, str]) -> int:
    value = fields.get(key, "").strip()
    if value.isascii() and value.isdigit() and 1 <= int(value) <= most:
        return int(value)
    errors[key] = problem
    return 0


def _basics(request: Request, status: int, values: dict, errors: dict):
    choices = [(key, framework.title, "") for key, framework in _frameworks().items()]
    return page(request, "partnership_form.html", status, frameworks=choices, values=values, errors=errors)


def _titles(data: dict) -> dict:
    framework = _frameworks()[data["framework"]]
    start = data["cycle"]["start"]
    return {"framework": framework.title, "start": start if isinstance(start, dt.date) else None}


def _draft_page(request: Request, status: int, data: dict, values: dict | None = None, errors: dict | None = None):
    return page(
        request,
        "partnership_draft.html",
        status,
        data=data,
        text=as_yaml(data),
        values={"organisation": "Learn Sheffield"} | (values or {}),
        errors=errors or {},
        **_titles(data),
    )
