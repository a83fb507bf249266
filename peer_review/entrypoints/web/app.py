"""The web service: everyone signs in as themselves (an emailed link) and sees what the records say
they may: their tasks and forms, their reviews, and for a coordinator their partnerships.

Routers by audience: `auth` (signing in and out), `public` (the footer's pages, for anyone), `participant`
(tasks, forms, reviews, documents), `coordinator` (partnerships, their progress and exports) and `new_partnership`
(setting one up on forms).
Every request is checked here for its Host header (DNS rebinding) and its address (no control characters,
only UTF-8, not too long: a 400 before any page or the database sees it), every POST for its CSRF token;
every answer, errors included, carries the security headers (HSTS too when served over https). A script may fetch
exports with `Authorization: Bearer PEER_REVIEW_WEB_TOKEN`. Answers are gzipped for clients that ask; static files
are served at fingerprinted addresses that browsers keep for a year.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peer_review import settings
from peer_review.entrypoints.web import (
    auth,
    coordinator,
    discussion,
    evidence,
    library,
    new_partnership,
    participant,
    public,
    reports,
    surveys,
    timetable,
    trusts,
)
from peer_review.entrypoints.web.pages import (
    CSRF_COOKIE,
    STATIC,
    BadCsrf,
    FormTooLarge,
    FormUnreadable,
    NotSignedIn,
    address_problem,
    loggable,
    page,
)
from peer_review.errors import NotFound, Refused, UserError
from peer_review.service.signin import web_url as configured_web_url

LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1"]
HSTS = "max-age=31536000; includeSubDomains"
IMMUTABLE = "public, max-age=31536000, immutable"  # a fingerprinted static file: its address changes with it
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"  # a zip already
DOWNLOADS = ("application/octet-stream", "application/zip")  # evidence files (mostly compressed already) and zips
log = logging.getLogger("peer_review.entrypoints.web")


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def create_app(
    export_token: str | None = None, web_url: str | None = None, allowed_hosts: list[str] | None = None
) -> FastAPI:
    """The web app. `web_url` (default PEER_REVIEW_WEB_URL) is where people reach it: its host is the
    only Host header answered besides this computer's names, and links in emails start with it."""
    web_url = (web_url if web_url is not None else configured_web_url()).rstrip("/")
    export_token = export_token if export_token is not None else settings.web_token()
    app = FastAPI(title="peer-review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web_url = web_url
    app.state.export_token = export_token
    app.state.secure_cookies = web_url.startswith("https://")
    app.add_api_route("/static/{address}", static_file, methods=["GET"], include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
    routers = (
        auth,
        public,
        participant,
        evidence,
        timetable,
        discussion,
        reports,
        trusts,
        new_partnership,
        coordinator,
        library,
        surveys,
    )
    for module in routers:
        app.include_router(module.router)

    hosts = allowed_hosts or ([host] if (host := urlsplit(web_url).hostname) else []) + LOCAL_HOSTS
    app.add_middleware(CleanAddress)
    # inside HeadAsGet, so that HEAD's headers are GET's; level 6 (zlib's default) as 9 costs more for little less
    app.add_middleware(
        GZipMiddleware, compresslevel=6, exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, WORD, *DOWNLOADS)
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        """Pages name people and their work: never framed, cached or sent on as a referrer; no scripts at all.
        Also gives a visitor who is not signed in the token their sign-in forms must send back."""
        request.state.anonymous_csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        try:
            response = await call_next(request)
        except Exception:
            log.exception("error answering %s %s", request.method, loggable(request.url.path))
            response = page(
                request,
                "message.html",
                500,
                title="Sorry, there is a problem with the service",
                message="Try again later. Nothing you sent was saved.",
            )
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if served_over_https(request):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not request.url.path.startswith("/static/"):  # static files say how long they keep (static_file)
            response.headers.setdefault("Cache-Control", "no-store")
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE,
                request.state.anonymous_csrf,
                httponly=True,
                samesite="strict",
                secure=app.state.secure_cookies or request.url.scheme == "https",
            )
        return response

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn):
        if _wants_html(request) and request.method in ("GET", "HEAD"):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/sign-in?next={quote(here, safe='')}", status_code=303)
        response = JSONResponse(
            {"detail": "sign in first (or, for exports, send Authorization: Bearer TOKEN)"}, status_code=401
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        viewer = getattr(request.state, "viewer", None)
        log.warning(
            "refused %s %s to %s: %s",
            request.method,
            loggable(request.url.path),
            viewer.email if viewer else "?",
            exc.problem,
        )
        if _wants_html(request):
            return page(request, "message.html", exc.http_status, title=exc.title, message=exc.problem)
        return JSONResponse({"detail": exc.problem}, status_code=exc.http_status)

    @app.exception_handler(BadCsrf)
    async def _bad_csrf(request: Request, _exc: BadCsrf):
        log.warning("refused %s %s: missing or wrong CSRF token", request.method, loggable(request.url.path))
        return page(
            request,
            "message.html",
            403,
            title="Your form has expired",
            message="Go back, reload the page and try again. Nothing was saved.",
        )

    @app.exception_handler(FormTooLarge)
    async def _too_large(request: Request, _exc: FormTooLarge):
        return page(
            request,
            "message.html",
            413,
            title="Your answer is too long to send",
            message="Shorten it and try again. Nothing was saved.",
        )

    @app.exception_handler(FormUnreadable)
    async def _unreadable(request: Request, _exc: FormUnreadable):
        return page(
            request,
            "message.html",
            400,
            title="Your form could not be read",
            message="Go back and try again, choosing the file again. Nothing was saved.",
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return _page_not_found(request, exc.problem.split(";")[0])

    @app.exception_handler(RequestValidationError)
    async def _bad_address(request: Request, _exc: RequestValidationError):
        return _page_not_found(request, "no such page")

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        return page(request, "message.html", exc.http_status, title=exc.title, message=exc.problem)

    return app


def served_over_https(request: Request) -> bool:
    """Whether browsers reach this answer over https: the request came over it (uvicorn believes the proxy's
    X-Forwarded-Proto from this computer), or PEER_REVIEW_WEB_URL is an https address (a proxy ends https).
    Never for localhost, even over https: browsers would then insist on https for every port of it for a year."""
    secure = request.app.state.secure_cookies or request.url.scheme == "https"
    return secure and not is_loopback(request.url.hostname)


_BY_ADDRESS = {file.address: file for file in STATIC.values()}
_DIGEST = re.compile(r"[0-9a-f]{10}")


async def static_file(request: Request, address: str) -> Response:
    """A static file, from memory. At its current address browsers keep it for a year. By its plain name or an
    older fingerprint (a page drawn by the process a restart replaced) it is the current file, which browsers must
    check again before each use (no-cache): the page still gets its styles, and no address keeps another content."""
    file, cache = _BY_ADDRESS.get(address), IMMUTABLE
    if file is None:
        stem, _, ext = address.rpartition(".")
        older, _, digest = stem.rpartition(".")
        file, cache = STATIC.get(f"{older}.{ext}" if _DIGEST.fullmatch(digest) else address), "no-cache"
    if file is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": cache, "ETag": file.etag}
    if file.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(file.content, media_type=file.media_type, headers=headers)


async def favicon() -> Response:
    """Browsers ask for /favicon.ico where a page names no icon (an export opened in a tab): the SVG one."""
    return RedirectResponse(
        f"/static/{STATIC['favicon.svg'].address}", status_code=302, headers={"Cache-Control": "public, max-age=86400"}
    )


def _page_not_found(request: Request, problem: str):
    if _wants_html(request):
        return page(
            request, "message.html", 404, title="Page not found", message=problem[:1].upper() + problem[1:] + "."
        )
    return JSONResponse({"detail": problem}, status_code=404)


def _wants_html(request: Request) -> bool:
    """Pages answer problems with a page; exports and downloads with JSON."""
    path = request.url.path
    return not (path.endswith((".json", ".csv", ".svg")) or "/documents/" in path)


class CleanAddress:
    """Refuses with a 400 a request whose path or query string no one could mean (see `address_problem`),
    before routing: no page's parameters, and so never the database, see a NUL or a stray byte."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = (
            address_problem(scope.get("raw_path"), scope["path"], scope.get("query_string", b""))
            if scope["type"] == "http"
            else None
        )
        if problem is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        log.warning("refused %s %r: %s", scope["method"], loggable(scope["path"])[:200], problem)
        response: Response
        if _wants_html(request):
            response = page(
                request, "message.html", 400, title="There is a problem", message=f"{problem} Check it and try again."
            )
        else:
            response = JSONResponse({"detail": problem}, status_code=400)
        await response(scope, receive, send)


class HeadAsGet:
    """HEAD is answered as GET would be, without the body (FastAPI routes answer GET only)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
