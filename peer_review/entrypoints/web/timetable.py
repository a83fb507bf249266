"""The visit timetable's pages: the timetable day by day (it prints well), each reader's calendar file of it,
and for the host trust and the coordinator the forms that add, change and remove a session and the button that
tells the team (service/timetable.py says who may do what, and why the team is told only then)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from peer_review import clock
from peer_review.domain import timetable as tt
from peer_review.entrypoints.web.pages import DB, Id, Signed, page, posted
from peer_review.errors import BadInput
from peer_review.service import timetable
from peer_review.service.calendars import review_calendar_for
from peer_review.store.db import Session
from peer_review.store.people import MAX_ID

router = APIRouter()

#: What the page's banner says after each change, by the `done` its address carries.
DONE = {
    "added": "The session has been added.",
    "changed": "The session has been changed.",
    "removed": "The session has been removed.",
    "told": "The review team and the host trust have been told, each with their calendar entries.",
}
ACTIVITIES = [(a.value, a.label, "Say what it is below" if a is tt.Activity.OTHER else "") for a in tt.Activity]


@router.get("/reviews/{review_id}/timetable")
def timetable_page(request: Request, review_id: Id, viewer: Signed, s: DB, done: str = ""):
    view = timetable.timetable(s, viewer, review_id)
    return _page(request, view, done=DONE.get(done, ""))


def _page(request: Request, view: timetable.Timetable, status_code: int = 200, **context):
    context.setdefault("done", "")
    context.setdefault("errors", {})
    return page(
        request,
        "timetable.html",
        status_code,
        view=view,
        day_words=tt.day_words,
        told_at=clock.long_moment(view.told_at) if view.told_at else "",
        **context,
    )


@router.get("/reviews/{review_id}/timetable/calendar.ics")
def timetable_calendar(review_id: Id, viewer: Signed, s: DB):
    content = review_calendar_for(s, viewer, review_id)
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="visit-{review_id}.ics"'},
    )


@router.post("/reviews/{review_id}/timetable/tell")
async def tell_team(request: Request, review_id: Id, viewer: Signed, s: DB):
    await posted(request)
    try:
        timetable.tell_team(s, viewer, review_id)
    except BadInput as exc:
        s.rollback()
        view = timetable.timetable(s, viewer, review_id)
        return _page(request, view, 400, errors={"tell": exc.problem})
    return RedirectResponse(f"/reviews/{review_id}/timetable?done=told", status_code=303)


# --- a session's form ---------------------------------------------------------------------------------


def _form(
    request: Request, s: Session, view: timetable.Timetable, values: dict, errors: dict, status_code=200, row=None
):
    return page(
        request,
        "timetable_session.html",
        status_code,
        view=view,
        row=row,
        values=values,
        errors=errors,
        days=[(day.isoformat(), tt.day_words(day), "") for day in view.visit.days],
        activities=ACTIVITIES,
        reviewers=[(str(m.id), m.label + ("" if m.accepted else " (not yet accepted)")) for m in view.team],
    )


def _sent(fields: list[tuple[str, str]]) -> timetable.SessionForm:
    one = dict(fields)
    return timetable.SessionForm(
        **{name: one.get(name, "") for name in timetable.FIELDS if name != "reviewers"},
        reviewers=tuple(v for k, v in fields if k == "reviewers"),
    )


def _editor_view(s: Session, viewer, review_id: int) -> timetable.Timetable:
    timetable.editable(s, viewer, review_id)  # refused before any form is drawn
    return timetable.timetable(s, viewer, review_id)


@router.get("/reviews/{review_id}/timetable/add")
def add_form(
    request: Request,
    review_id: Id,
    viewer: Signed,
    s: DB,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,  # "save and add another": starts where that one ended
):
    view = _editor_view(s, viewer, review_id)
    values: dict = {"day": view.visit.first_day.isoformat()} if len(view.visit.days) == 1 else {}
    before = next((x for x in view.sessions if x.id == after), None) if after else None
    if before is not None:
        values = {"day": before.day.isoformat(), "start": tt.time_words(before.end), "school": before.school}
    return _form(request, s, view, values, {})


@router.post("/reviews/{review_id}/timetable/add")
async def add_session(request: Request, review_id: Id, viewer: Signed, s: DB):
    fields = await posted(request)
    form = _sent(fields)
    try:
        row, _warnings = timetable.add_session(s, viewer, review_id, form)
    except timetable.InvalidSession as exc:
        s.rollback()
        return _form(request, s, _editor_view(s, viewer, review_id), form.values(), exc.errors, 400)
    if dict(fields).get("action") == "another":
        return RedirectResponse(f"/reviews/{review_id}/timetable/add?after={row.id}", status_code=303)
    return RedirectResponse(f"/reviews/{review_id}/timetable?done=added#session-{row.id}", status_code=303)


@router.get("/reviews/{review_id}/timetable/{session_id}")
def change_form(request: Request, review_id: Id, session_id: Id, viewer: Signed, s: DB):
    view = _editor_view(s, viewer, review_id)
    row = timetable.value(timetable.stored_session(s, view.review, session_id))
    return _form(request, s, view, timetable.SessionForm.of(row).values() | {"as_of": row.sequence}, {}, row=row)


@router.post("/reviews/{review_id}/timetable/{session_id}")
async def change_session(request: Request, review_id: Id, session_id: Id, viewer: Signed, s: DB):
    fields = await posted(request)
    form = _sent(fields)
    as_of = dict(fields).get("as_of", "")
    try:
        timetable.change_session(
            s, viewer, review_id, session_id, form, int(as_of) if as_of.isascii() and as_of.isdigit() else -1
        )
    except timetable.InvalidSession as exc:
        s.rollback()
        view = _editor_view(s, viewer, review_id)
        row = timetable.value(timetable.stored_session(s, view.review, session_id))
        return _form(request, s, view, form.values() | {"as_of": as_of}, exc.errors, 400, row=row)
    return RedirectResponse(f"/reviews/{review_id}/timetable?done=changed#session-{session_id}", status_code=303)


@router.get("/reviews/{review_id}/timetable/{session_id}/remove")
def remove_form(request: Request, review_id: Id, session_id: Id, viewer: Signed, s: DB):
    view = _editor_view(s, viewer, review_id)
    row = timetable.value(timetable.stored_session(s, view.review, session_id))
    return page(request, "timetable_remove.html", view=view, row=row, day_words=tt.day_words)


@router.post("/reviews/{review_id}/timetable/{session_id}/remove")
async def remove_session(request: Request, review_id: Id, session_id: Id, viewer: Signed, s: DB):
    await posted(request)
    timetable.remove_session(s, viewer, review_id, session_id)
    return RedirectResponse(f"/reviews/{review_id}/timetable?done=removed", status_code=303)
