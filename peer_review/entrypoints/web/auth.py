"""Signing in and out: an email address, an emailed single-use link, and a "Continue" button."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from peer_review.entrypoints.web.pages import (
    DB,
    SESSION_COOKIE,
    client_of,
    page,
    posted,
    safe_next,
)
from peer_review.service import signin

router = APIRouter()


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "/"):
    return page(request, "sign_in.html", next=safe_next(next), error=None, email="")


@router.post("/sign-in")
async def ask_for_link(request: Request, s: DB):
    fields = dict(await posted(request))
    email = fields.get("email", "").strip()
    next_path = safe_next(fields.get("next", "/"))
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        problem = (
            "Enter your email address"
            if not email
            else "Enter an email address in the correct format, like name@example.org"
        )
        return page(request, "sign_in.html", 400, next=next_path, error=problem, email=email[:320])
    try:
        signin.request_link(
            s, email, client_of(request), next_path, base_url=request.app.state.web_url or str(request.base_url)
        )
    except signin.TooManyRequests as exc:
        s.rollback()
        return page(request, "message.html", 429, title="Too many sign-in links", message=exc.problem)
    return page(request, "check_email.html", email=email)


@router.get("/sign-in/{token}")
def link_opened(request: Request, token: str, s: DB):
    """Opening the link only shows a button: a mail scanner that follows links does not spend it."""
    if signin.usable_link(s, token) is None:
        return page(request, "link_used.html", 410)
    return page(request, "continue.html", token=token)


@router.post("/sign-in/{token}")
async def use_link(request: Request, token: str, s: DB):
    await posted(request)
    started = signin.use_link(s, token)
    if started is None:
        return page(request, "link_used.html", 410)
    response = RedirectResponse(safe_next(started.next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies or request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request, s: DB):
    web = signin.current_session(s, request.cookies.get(SESSION_COOKIE))
    request.state.session_csrf = web.csrf_token if web else None  # whose CSRF token to expect
    await posted(request)
    signin.end_session(s, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
