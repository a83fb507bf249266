"""The coordinator's web view: server-rendered pages over the same service layer as the CLI.

Access: with an access token configured (PEER_REVIEW_WEB_TOKEN), every request must carry it, as
`Authorization: Bearer TOKEN` or the cookie set by the sign-in form: none gives 401, a wrong one 403.
With no token configured, only requests from this machine (loopback) are served; `peer-review serve`
refuses to listen beyond localhost without a token.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, select

from peer_review import clock
from peer_review.errors import NotFound, UserError
from peer_review.service import dashboard
from peer_review.service.common import get_partnership_by_id
from peer_review.service.queries import overview, overview_csv, overview_json
from peer_review.tables import Cycle, Partnership
from peer_review.timeline import progress_svg

TOKEN_ENV = "PEER_REVIEW_WEB_TOKEN"
COOKIE = "peer_review_token"
HERE = Path(__file__).resolve().parent

#: GOV.UK Frontend tag colours for the stages, in order; the stage name is always written too.
STAGE_TAGS = {
    "scheduled": "govuk-tag--grey", "assignment": "govuk-tag--light-blue", "lines of enquiry": "govuk-tag--blue",
    "evidence": "govuk-tag--turquoise", "findings": "govuk-tag--purple", "moderation": "govuk-tag--pink",
    "report": "govuk-tag--yellow", "feedback": "govuk-tag--orange", "closed": "govuk-tag--green",
}


class NotSignedIn(Exception):
    pass


class WrongToken(Exception):
    pass


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def create_app(token: str | None = None) -> FastAPI:
    """The web app; `token` defaults to the PEER_REVIEW_WEB_TOKEN environment variable."""
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None
    app = FastAPI(title="peer-review: coordinator's view", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(stage_tag=lambda stage: STAGE_TAGS.get(stage, "govuk-tag--grey"), long_date=clock.long_date)
    templates.env.filters["long_date"] = lambda value: clock.long_date(value) if value else ""

    def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        context.setdefault("signed_in", token is not None)
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def coordinator(request: Request) -> None:
        presented = request.cookies.get(COOKIE)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            presented = header[7:].strip()
        if token is None:
            if not is_loopback(request.client.host if request.client else None):
                raise WrongToken("This server has no access token configured, so it only answers this computer. Set PEER_REVIEW_WEB_TOKEN to open it to others.")
            return
        if not presented:
            raise NotSignedIn()
        if not _is_token(presented):
            raise WrongToken("That access token is not the one this server was given.")

    def _is_token(presented: str) -> bool:
        return token is not None and bool(presented) and hmac.compare_digest(presented.encode(), token.encode())

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        """Pages name people and their work: never framed, cached or sent on as a referrer; no scripts at all."""
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; script-src 'none'; frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    def session():
        from peer_review.db import session_scope

        with session_scope() as s:
            yield s

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn):
        if _wants_html(request):
            response = page(request, "sign_in.html", 401, next=_here(request), error=None)
        else:
            response = JSONResponse({"detail": "an access token is needed: Authorization: Bearer TOKEN"}, status_code=401)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(WrongToken)
    async def _wrong_token(request: Request, exc: WrongToken):
        if _wants_html(request):
            return page(request, "message.html", 403, title="Access refused", message=str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        problem = exc.problem.split(";")[0]  # without the command-line hint
        if _wants_html(request):
            return page(request, "message.html", 404, title="Page not found", message=problem.capitalize() + ".")
        return JSONResponse({"detail": problem}, status_code=404)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        return page(request, "message.html", 409, title="Not available yet", message=exc.problem)

    @app.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, next: str = "/"):
        return page(request, "sign_in.html", next=_safe_next(next), error=None)

    @app.post("/sign-in", response_class=HTMLResponse)
    async def sign_in(request: Request):
        form = parse_qs((await request.body()).decode())
        presented = form.get("token", [""])[0].strip()
        next_url = _safe_next(form.get("next", ["/"])[0])
        if not _is_token(presented):
            problem = "Enter the access token" if not presented else "The access token is not right"
            return page(request, "sign_in.html", 401 if not presented else 403, next=next_url, error=problem)
        response = RedirectResponse(next_url, status_code=303)
        response.set_cookie(COOKIE, presented, httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    @app.post("/sign-out")
    def sign_out():
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    guarded = [Depends(coordinator)]

    @app.get("/", response_class=HTMLResponse, dependencies=guarded)
    def partnerships(request: Request, s=Depends(session)):
        return page(request, "partnerships.html", summaries=dashboard.partnership_summaries(s), today=clock.today())

    @app.get("/partnerships/{partnership_id}", response_class=HTMLResponse, dependencies=guarded)
    def partnership_page(request: Request, partnership_id: int, s=Depends(session)):
        partnership = get_partnership_by_id(s, partnership_id)
        view = overview(s, partnership.name)
        dates = dashboard.review_dates(s, partnership)
        return page(
            request, "partnership.html", partnership=partnership, view=view, dates=dates,
            timeline=_timeline(s, partnership, dates), loads=dashboard.workload(s, partnership), stages=list(STAGE_TAGS),
        )

    @app.get("/partnerships/{partnership_id}/timeline.svg", dependencies=guarded)
    def partnership_timeline(partnership_id: int, s=Depends(session)):
        partnership = get_partnership_by_id(s, partnership_id)
        return Response(_timeline(s, partnership, dashboard.review_dates(s, partnership)), media_type="image/svg+xml")

    @app.get("/partnerships/{partnership_id}/status.json", dependencies=guarded)
    def partnership_json(partnership_id: int, s=Depends(session)):
        partnership = get_partnership_by_id(s, partnership_id)
        return overview_json(overview(s, partnership.name))

    @app.get("/partnerships/{partnership_id}/status.csv", dependencies=guarded)
    def partnership_csv(partnership_id: int, s=Depends(session)):
        partnership = get_partnership_by_id(s, partnership_id)
        filename = f"status-{partnership.id}-{clock.today()}.csv"
        return Response(overview_csv(overview(s, partnership.name)), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @app.get("/reviews/{review_id}", response_class=HTMLResponse, dependencies=guarded)
    def review_page(request: Request, review_id: int, s=Depends(session)):
        return page(request, "review.html", detail=dashboard.review_detail(s, review_id), today=clock.today())

    @app.get("/reviews/{review_id}/documents/{kind}", dependencies=guarded)
    def review_document(review_id: int, kind: str, s=Depends(session)):
        document = dashboard.document_of(s, review_id, kind)
        return Response(
            document.content,
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}"},
        )

    return app


def _timeline(session: Session, partnership: Partnership, dates: list[dashboard.ReviewDates]) -> str:
    cycle = session.exec(select(Cycle).where(Cycle.partnership_id == partnership.id).order_by(Cycle.id.desc())).first()
    if cycle is None or not dates:
        return ""
    return progress_svg(
        f"{partnership.name}: planned and actual dates", dates, dashboard.host_calendars(session, partnership), cycle.start, cycle.end, clock.today()
    )


def _wants_html(request: Request) -> bool:
    """Pages answer problems with a page; exports and downloads with JSON."""
    path = request.url.path
    return not (path.endswith((".json", ".csv", ".svg")) or "/documents/" in path)


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _safe_next(target: str) -> str:
    """Only ever send people back to a page of this site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
