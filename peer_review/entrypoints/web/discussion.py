"""A review's discussion on the web: posting a comment (on the whole review, or on a line of enquiry), its author
editing it, the coordinator hiding it with a reason, and each person's choice of how new comments reach them.
The comments themselves are read on the review's page (participant.review_page); the rules are
domain/discussion.py's, applied by service/discussion.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from peer_review.entrypoints.web.pages import DB, Id, Signed, page, posted
from peer_review.errors import NotFound
from peer_review.service import access, discussion
from peer_review.store.db import Session
from peer_review.store.people import trust_of
from peer_review.store.records import latest_lines

router = APIRouter()


def _new_form(
    request: Request,
    s: Session,
    viewer: access.Viewer,
    review_id: int,
    line: str,
    values: dict,
    errors: dict,
    status_code: int = 200,
):
    review, roles = access.review_for(s, viewer, review_id)
    found = discussion.discussion_for(s, review, roles, viewer.person_ids)
    line_title = ""
    if line:
        number = int(line) if line.isascii() and line.isdigit() else -1
        titled = next((one for one in latest_lines(s, review) if one.number == number), None)
        if titled is None or not found.on_lines:
            raise NotFound(f"review {review.id} has no line of enquiry {line} to comment on")
        line_title = titled.title
    if not found.visibilities:
        raise access.Refused(found.closed)
    return page(
        request,
        "comment_new.html",
        status_code,
        review=review,
        host=trust_of(s, review).name,
        line=line,
        line_title=line_title,
        visibilities=found.visibilities,
        values=values,
        errors=errors,
    )


@router.get("/reviews/{review_id}/comments/new")
def new_comment(request: Request, review_id: Id, viewer: Signed, s: DB, line: str = ""):
    """The form for a comment on the whole review, or on one line of enquiry (`?line=N`)."""
    return _new_form(request, s, viewer, review_id, line, {}, {})


@router.post("/reviews/{review_id}/comments")
async def post_comment(request: Request, review_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    values = {k: fields.get(k, "") for k in ("line", "visibility", "text")}
    try:
        comment = discussion.post(s, viewer, review_id, values["line"], values["visibility"], values["text"])
    except discussion.InvalidComment as exc:
        s.rollback()
        return _new_form(request, s, viewer, review_id, values["line"], values, exc.errors, 400)
    s.commit()
    return RedirectResponse(f"/reviews/{review_id}?commented={comment.id}#comment-{comment.id}", status_code=303)


def _comment_page(
    request: Request,
    s: Session,
    found: tuple[discussion.CommentView, Any],
    template: str,
    values: dict,
    errors: dict,
    status_code: int = 200,
):
    view, review = found
    return page(
        request,
        template,
        status_code,
        review=review,
        host=trust_of(s, review).name,
        comment=view,
        values=values,
        errors=errors,
    )


@router.get("/comments/{comment_id}/edit")
def edit_form(request: Request, comment_id: Id, viewer: Signed, s: DB):
    """The author's form to change their comment's words (its audience stays as posted)."""
    found = discussion.editable(s, viewer, comment_id)
    return _comment_page(request, s, found, "comment_edit.html", {"text": found[0].text}, {})


@router.post("/comments/{comment_id}/edit")
async def edit_comment(request: Request, comment_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    found = discussion.editable(s, viewer, comment_id)
    values = {"text": fields.get("text", "")}
    try:
        discussion.edit(s, viewer, comment_id, values["text"])
    except discussion.InvalidComment as exc:
        s.rollback()
        return _comment_page(request, s, found, "comment_edit.html", values, exc.errors, 400)
    s.commit()
    view, review = found
    return RedirectResponse(f"/reviews/{review.id}?edited={view.id}#comment-{view.id}", status_code=303)


@router.get("/comments/{comment_id}/hide")
def hide_form(request: Request, comment_id: Id, viewer: Signed, s: DB):
    """The coordinator's form to hide a comment, with the reason its readers see in its place."""
    found = discussion.hideable(s, viewer, comment_id)
    return _comment_page(request, s, found, "comment_hide.html", {"reason": ""}, {})


@router.post("/comments/{comment_id}/hide")
async def hide_comment(request: Request, comment_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    found = discussion.hideable(s, viewer, comment_id)
    values = {"reason": fields.get("reason", "")}
    try:
        discussion.hide(s, viewer, comment_id, values["reason"])
    except discussion.InvalidComment as exc:
        s.rollback()
        return _comment_page(request, s, found, "comment_hide.html", values, exc.errors, 400)
    s.commit()
    view, review = found
    return RedirectResponse(f"/reviews/{review.id}?hidden={view.id}#comment-{view.id}", status_code=303)


@router.get("/email-settings")
def email_settings(request: Request, viewer: Signed, s: DB, saved: int = 0):
    """How new comments reach the signed-in person: in the daily digest, or at once."""
    return page(
        request,
        "email_settings.html",
        values={"how": discussion.comment_emails_of(s, viewer)},
        errors={},
        saved=bool(saved),
        options=discussion.HOW_OPTIONS,
    )


@router.post("/email-settings")
async def set_email_settings(request: Request, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    how = fields.get("how", "")
    try:
        discussion.set_comment_emails(s, viewer, how)
    except discussion.InvalidComment as exc:
        s.rollback()
        return page(
            request,
            "email_settings.html",
            400,
            values={"how": how},
            errors=exc.errors,
            saved=False,
            options=discussion.HOW_OPTIONS,
        )
    s.commit()
    return RedirectResponse("/email-settings?saved=1", status_code=303)
