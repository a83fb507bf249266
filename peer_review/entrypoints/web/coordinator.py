"""The coordinator's pages: their partnerships, each one's progress and its exports (which a script
may also fetch with the export token), and giving a task more time (which a review's moderator may too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from peer_review import clock
from peer_review.adapters.timeline import progress_svg
from peer_review.domain.model import TaskKind
from peer_review.entrypoints.web.pages import (
    DB,
    MAX_RESENT_BYTES,
    STAGE_TAGS,
    Id,
    Signed,
    date_from,
    dated_change,
    page,
    posted,
    posted_file,
    script_or_person,
)
from peer_review.errors import Conflict, NotFound, UserError
from peer_review.service import (
    access,
    dashboard,
    evaluation,
    loading,
    planning,
    proposals,
    reminders,
    roster,
    term_dates,
)
from peer_review.service.access import Viewer
from peer_review.service.queries import (
    overview,
    overview_csv,
    overview_json,
    partnerships_page,
)
from peer_review.store import reviews
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id, trusts_in
from peer_review.store.reviews import get_task

router = APIRouter()
ScriptOrPerson = Depends(script_or_person)


#: Partnerships a page of the coordinator's list shows (a national programme has hundreds).
PARTNERSHIPS_A_PAGE = 50


@router.get("/partnerships")
def partnerships(
    request: Request, viewer: Signed, s: DB, number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1
):
    rows, at = partnerships_page(s, number, PARTNERSHIPS_A_PAGE, among=viewer.coordinates)
    return page(request, "partnerships.html", rows=rows, at=at, today=clock.today())


@router.get("/partnerships/new")
def new_partnership(request: Request, viewer: Signed, s: DB):
    access.may_set_up(viewer)
    return page(request, "partnership_new.html", frameworks=_frameworks(), values={}, errors={})


@router.post("/partnerships/new")
async def create_partnership(request: Request, viewer: Signed, s: DB):
    fields, upload = await posted_file(request)
    access.may_set_up(viewer)
    framework = fields.get("framework", "")
    errors: dict[str, str] = {}
    if framework and framework not in _frameworks():
        errors["framework"] = "Select a framework from the list"
    loaded, problem = _read_partnership(upload, framework or None)
    if problem:
        errors["file"] = problem
    if not errors and loaded is not None:
        try:
            created = loading.set_up(s, loaded, viewer.email)
        except UserError as exc:
            errors["file"] = _said(exc)
    if errors:
        s.rollback()
        return page(request, "partnership_new.html", 400, frameworks=_frameworks(), values=fields, errors=errors)
    return RedirectResponse(f"/partnerships/{created.partnership_id}?created=1", status_code=303)


@router.get("/partnerships/{partnership_id}")
def partnership_page(request: Request, partnership_id: Id, viewer: Signed, s: DB, published: int = 0, created: int = 0):
    partnership = _partnership(s, viewer, partnership_id)
    view = overview(s, partnership.name)
    dates = dashboard.review_dates(s, partnership)
    return page(
        request,
        "partnership.html",
        partnership=partnership,
        view=view,
        dates=dates,
        timeline=_timeline(s, partnership, dates),
        loads=dashboard.workload(s, partnership),
        stages=list(STAGE_TAGS),
        proposal=proposals.standing(s, partnership),
        planned=reviews.latest_cycle(s, partnership.id) is not None,
        trust_ids={t.key: t.id for t in trusts_in(s, partnership.id)},
        published=bool(published),
        created=bool(created),
    )


@router.get("/partnerships/{partnership_id}/proposal")
def proposal_page(request: Request, partnership_id: Id, viewer: Signed, s: DB, done: str = ""):
    """The standing proposal: each trust's answer, every visit with its team and why each person was chosen."""
    partnership = _partnership(s, viewer, partnership_id)
    return _proposal_page(request, s, partnership, done=done if done in ("proposed",) else "")


def _proposal_page(request: Request, s: Session, partnership, status: int = 200, errors=None, done: str = ""):
    return page(
        request,
        "partnership_proposal.html",
        status,
        partnership=partnership,
        view=proposals.standing(s, partnership),
        published=reviews.latest_cycle(s, partnership.id) is not None,
        errors=errors or {},
        done=done,
    )


@router.post("/partnerships/{partnership_id}/proposal")
async def propose(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """Propose the cycle (again): the CEOs are asked to answer; nobody else hears anything yet."""
    await posted(request)
    partnership = _partnership(s, viewer, partnership_id)
    me = access.acting_person(s, viewer, partnership.id)
    try:
        proposals.propose(s, partnership.name, by=me.email)
    except UserError as exc:
        s.rollback()
        problem = planning.in_words(s, partnership, exc.problem)
        return _proposal_page(request, s, partnership, exc.http_status, {"propose": problem[0].upper() + problem[1:]})
    return RedirectResponse(f"/partnerships/{partnership.id}/proposal?done=proposed", status_code=303)


@router.post("/partnerships/{partnership_id}/proposal/publish")
async def publish(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """Publish the standing proposal: its reviews are booked and their people invited."""
    fields = dict(await posted(request))
    partnership = _partnership(s, viewer, partnership_id)
    standing = proposals.standing(s, partnership)
    if standing is None or str(standing.proposal.id) != fields.get("proposal", ""):
        raise Conflict("The proposal has changed since you opened the page: look at the newest one first.")
    me = access.acting_person(s, viewer, partnership.id)
    try:
        proposals.publish(s, partnership.name, by=me.email)
    except UserError as exc:
        s.rollback()
        return _proposal_page(request, s, partnership, exc.http_status, {"publish": exc.problem})
    return RedirectResponse(f"/partnerships/{partnership.id}?published=1", status_code=303)


@router.get("/partnerships/{partnership_id}/timeline.svg")
def partnership_timeline(partnership_id: Id, s: DB, viewer: Viewer = ScriptOrPerson):
    partnership = _partnership(s, viewer, partnership_id)
    return Response(_timeline(s, partnership, dashboard.review_dates(s, partnership)), media_type="image/svg+xml")


@router.get("/partnerships/{partnership_id}/status.json")
def partnership_json(partnership_id: Id, s: DB, viewer: Viewer = ScriptOrPerson):
    return overview_json(overview(s, _partnership(s, viewer, partnership_id).name))


@router.get("/partnerships/{partnership_id}/status.csv")
def partnership_csv(partnership_id: Id, s: DB, viewer: Viewer = ScriptOrPerson):
    partnership = _partnership(s, viewer, partnership_id)
    filename = f"status-{partnership.id}-{clock.today()}.csv"
    return Response(
        overview_csv(overview(s, partnership.name)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/partnerships/{partnership_id}/evaluation")
def evaluation_page(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """The pilot's evaluation: the same sections as evaluation.docx, charts beside the data as tables."""
    partnership = _partnership(s, viewer, partnership_id)
    result = evaluation.evaluate(s, partnership)
    alternatives = {name: spec.alt for name, spec in evaluation.charts(result).items()}
    return page(
        request,
        "evaluation.html",
        partnership=partnership,
        result=result,
        sections=evaluation.sections(result),
        charts=alternatives,
        csv_files=list(evaluation.csv_files(result)),
    )


@router.get("/partnerships/{partnership_id}/evaluation/{name}.svg")
def evaluation_chart(partnership_id: Id, name: str, s: DB, viewer: Signed):
    from peer_review.adapters.charts import figure, svg

    spec = evaluation.charts(evaluation.evaluate(s, _partnership(s, viewer, partnership_id))).get(name)
    if spec is None:
        raise NotFound(f"no chart named '{name}'")
    # matplotlib styles its SVG with style attributes: allowed here, in an image that can run nothing
    return Response(
        svg(figure(spec), spec.alt),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"},
    )


@router.get("/partnerships/{partnership_id}/evaluation/{name}.csv")
def evaluation_csv(partnership_id: Id, name: str, s: DB, viewer: Signed):
    files = evaluation.csv_files(evaluation.evaluate(s, _partnership(s, viewer, partnership_id)))
    if f"{name}.csv" not in files:
        raise NotFound(f"no evaluation file named '{name}.csv'")
    return Response(
        files[f"{name}.csv"],
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{partnership_id}.csv"'},
    )


@router.get("/partnerships/{partnership_id}/evaluation.docx")
def evaluation_docx(partnership_id: Id, s: DB, viewer: Signed):
    partnership = _partnership(s, viewer, partnership_id)
    content = evaluation.word_report(evaluation.evaluate(s, partnership))
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="evaluation-{partnership.id}-{clock.today()}.docx"'},
    )


@router.get("/tasks/{task_id}/extend")
def extend_form(request: Request, task_id: Id, viewer: Signed, s: DB):
    task, review = _extender(s, viewer, task_id)
    return page(
        request, "extend_task.html", task=task, review=review, title=TaskKind(task.kind).title, values={}, errors={}
    )


@router.post("/tasks/{task_id}/extend")
async def extend_task(request: Request, task_id: Id, viewer: Signed, s: DB):
    """More time for a task (the coordinator, or the review's moderator); reminders follow the new date."""
    fields = dict(await posted(request))
    task, review = _extender(s, viewer, task_id)
    me = access.acting_person(s, viewer, review.partnership_id)
    errors = dated_change(
        fields,
        "due",
        "the new due date",
        "Say why the task needs more time",
        lambda day, reason: reminders.extend(s, task.id, day, reason, me.email),
    )
    if errors:
        s.rollback()
        return page(
            request,
            "extend_task.html",
            400,
            task=task,
            review=review,
            title=TaskKind(task.kind).title,
            values=fields,
            errors=errors,
        )
    return RedirectResponse(f"/reviews/{review.id}", status_code=303)


def _extender(s: Session, viewer: Viewer, task_id: int):
    task = get_task(s, task_id)
    review, roles = access.review_for(s, viewer, task.review_id)
    if not roles & {"coordinator", "moderator"}:
        raise access.Refused("Only the coordinator and the review's moderator can give a task more time.")
    return task, review


def _partnership(s: Session, viewer: Viewer, partnership_id: int):
    access.partnership_for(viewer, partnership_id)
    return get_partnership_by_id(s, partnership_id)


def _timeline(session: Session, partnership, dates: list[dashboard.ReviewDates]) -> str:
    cycle = reviews.latest_cycle(session, partnership.id)
    if cycle is None or not dates:
        return ""
    return progress_svg(
        f"{partnership.name}: planned and actual dates",
        dates,
        dashboard.host_calendars(session, partnership),
        cycle.start,
        cycle.end,
        clock.today(),
    )


# --- setting a partnership up, and changing its roster, from its file ---------------------------------------


def _frameworks() -> dict[str, str]:
    """The bundled frameworks, id -> title, for the set-up form."""
    from peer_review.files.frameworks import bundled_frameworks, load_framework_file

    return {key: load_framework_file(path).title for key, path in sorted(bundled_frameworks().items())}


def _read_partnership(upload: tuple[str, bytes] | None, framework: str | None):
    """(the partnership a file sent through the web holds, None) or (None, the problem in words)."""
    from peer_review.files.partnerships import load_uploaded_partnership

    filename, text, problem = _yaml_sent(upload, "Select the partnership file")
    if problem:
        return None, problem
    try:
        return load_uploaded_partnership(filename, text, framework), None
    except UserError as exc:
        return None, _said(exc)


def _yaml_sent(upload: tuple[str, bytes] | None, missing: str) -> tuple[str, str, str | None]:
    """(file name, text, None) of a YAML file sent with a form, or ("", "", the problem in GOV.UK's words);
    `missing` says which file to select when none was."""
    if upload is None:
        return "", "", missing
    filename, content = upload
    if not filename.lower().endswith((".yaml", ".yml")):
        return "", "", "The selected file must be a YAML file (.yaml or .yml)"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "", "", "The selected file must be text saved as UTF-8"
    if not text.strip():
        return "", "", "The selected file is empty"
    return filename, text, None


def _said(exc: UserError) -> str:
    """A loader's refusal as a sentence: where in the file, then what is wrong."""
    where = ", ".join(part for part in (exc.source, exc.place) if part)
    problem = exc.problem[0].upper() + exc.problem[1:] if exc.problem else exc.problem
    return f"{where}: {problem}" if where else problem


@router.get("/partnerships/{partnership_id}/roster")
def roster_page(request: Request, partnership_id: Id, viewer: Signed, s: DB, updated: int = 0):
    partnership = _partnership(s, viewer, partnership_id)
    return page(
        request, "roster.html", partnership=partnership, preview=None, text="", errors={}, updated=bool(updated)
    )


@router.post("/partnerships/{partnership_id}/roster")
async def roster_preview(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """A changed partnership file, checked and compared with what is stored: the changes it would make, and
    what they would do, shown before anything is written."""
    fields, upload = await posted_file(request)
    partnership = _partnership(s, viewer, partnership_id)
    loaded, problem = _read_partnership(upload, None)
    preview, text = None, ""
    if loaded is not None and loaded.spec.name != partnership.name:
        problem = f"The file is for the partnership '{loaded.spec.name}', not '{partnership.name}'"
    if loaded is not None and not problem:
        try:
            preview = roster.update_partnership(s, loaded, dry_run=True)
        except UserError as exc:
            problem = _said(exc)
        text = upload[1].decode("utf-8") if upload else ""
    s.rollback()
    errors = {"file": problem} if problem else {}
    return page(
        request,
        "roster.html",
        400 if errors else 200,
        partnership=partnership,
        preview=preview,
        text=text,
        filename=upload[0] if upload else "",
        errors=errors,
        updated=False,
    )


@router.post("/partnerships/{partnership_id}/roster/apply")
async def roster_apply(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """Apply the changes previewed: the same file, sent back with the page, checked again as it is applied."""
    fields = dict(await posted(request, MAX_RESENT_BYTES))
    partnership = _partnership(s, viewer, partnership_id)
    from peer_review.files.partnerships import load_uploaded_partnership

    try:
        loaded = load_uploaded_partnership(fields.get("filename", "partnership.yaml"), fields.get("text", ""))
        if loaded.spec.name != partnership.name:
            raise Conflict("The file is for another partnership.")
        roster.update_partnership(s, loaded)
    except UserError as exc:
        s.rollback()
        return page(
            request,
            "roster.html",
            exc.http_status,
            partnership=partnership,
            preview=None,
            text="",
            errors={"file": _said(exc)},
            updated=False,
        )
    return RedirectResponse(f"/partnerships/{partnership.id}/roster?updated=1", status_code=303)


# --- school calendars ---------------------------------------------------------------------------------------


@router.get("/partnerships/{partnership_id}/calendars")
def calendars_page(request: Request, partnership_id: Id, viewer: Signed, s: DB, changed: int = 0):
    partnership = _partnership(s, viewer, partnership_id)
    return _calendars(request, s, partnership, changed=bool(changed))


def _calendars(request: Request, s: Session, partnership, status: int = 200, **context):
    from peer_review.domain.calendar import SchoolCalendar

    trusts = trusts_in(s, partnership.id, still_here=True)
    in_use = [
        (
            SchoolCalendar.from_dict(cid, data),
            [t.name for t in trusts if t.calendar_id == cid],
        )
        for cid, data in sorted(partnership.calendars.items())
    ]
    context = {"preview": None, "text": "", "filename": "", "errors": {}, "values": {}, "changed": False} | context
    return page(
        request,
        "calendars.html",
        status,
        partnership=partnership,
        in_use=[(c, names) for c, names in in_use if names],
        trusts=trusts,
        **context,
    )


@router.post("/partnerships/{partnership_id}/calendars")
async def calendar_preview(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    fields, upload = await posted_file(request)
    partnership = _partnership(s, viewer, partnership_id)
    calendar, trust, problem = _calendar_sent(s, partnership, upload, fields.get("for", ""))
    preview = None
    if calendar is not None and not problem:
        try:
            preview = term_dates.change_calendar(s, partnership, calendar, trust, viewer.email, dry_run=True)
        except UserError as exc:
            problem = _said(exc)
    s.rollback()
    return _calendars(
        request,
        s,
        get_partnership_by_id(s, partnership.id),
        400 if problem else 200,
        preview=preview,
        text=upload[1].decode("utf-8", errors="replace") if upload and preview else "",
        filename=upload[0] if upload else "",
        errors={"file": problem} if problem else {},
        values=fields,
    )


@router.post("/partnerships/{partnership_id}/calendars/apply")
async def calendar_apply(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request, MAX_RESENT_BYTES))
    partnership = _partnership(s, viewer, partnership_id)
    upload = (fields.get("filename", "calendar.yaml"), fields.get("text", "").encode())
    calendar, trust, problem = _calendar_sent(s, partnership, upload, fields.get("for", ""))
    if calendar is not None and not problem:
        try:
            term_dates.change_calendar(s, partnership, calendar, trust, viewer.email)
        except UserError as exc:
            problem = _said(exc)
    if problem:
        s.rollback()
        return _calendars(request, s, get_partnership_by_id(s, partnership.id), 400, errors={"file": problem})
    return RedirectResponse(f"/partnerships/{partnership.id}/calendars?changed=1", status_code=303)


def _calendar_sent(s: Session, partnership, upload, for_trust: str):
    """(the calendar a file sent holds, the trust it is for or None, None) or (None, None, the problem)."""
    from peer_review.files.school_calendars import load_uploaded_calendar

    trust = None
    if for_trust:
        trust = next((t for t in trusts_in(s, partnership.id, still_here=True) if t.key == for_trust), None)
        if trust is None:
            return None, None, "Select a trust of this partnership"
    filename, text, problem = _yaml_sent(upload, "Select the calendar file")
    if problem:
        return None, None, problem
    try:
        return load_uploaded_calendar(filename, text), trust, None
    except UserError as exc:
        return None, None, _said(exc)


# --- surveys and context: opening a survey round, headline figures, an external review --------------------


@router.get("/partnerships/{partnership_id}/context")
def context_page(request: Request, partnership_id: Id, viewer: Signed, s: DB, done: str = ""):
    partnership = _partnership(s, viewer, partnership_id)
    return _context(request, partnership, done=CONTEXT_DONE.get(done, ""))


CONTEXT_DONE = {
    "survey": "The survey round is open: everyone in the partnership has been asked",
    "headline": "The headline figures have been loaded",
    "external": "The external review has been loaded",
}


def _context(request: Request, partnership, status: int = 200, **context):
    from peer_review.domain.surveys import SurveyRound

    rounds = [(r.value, r.label, "") for r in SurveyRound]
    return page(
        request,
        "context.html",
        status,
        partnership=partnership,
        rounds=rounds,
        **({"errors": {}, "values": {}, "done": ""} | context),
    )


@router.post("/partnerships/{partnership_id}/context/survey")
async def open_survey(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    from peer_review.domain.surveys import SurveyRound
    from peer_review.service import surveys

    fields = dict(await posted(request))
    partnership = _partnership(s, viewer, partnership_id)
    errors: dict[str, str] = {}
    chosen = fields.get("round", "")
    if chosen not in {r.value for r in SurveyRound}:
        errors["round"] = "Select the survey round to open"
    due = None
    if any(fields.get(f"due-{part}", "").strip() for part in ("day", "month", "year")):
        due, problem = date_from(fields, "due", "the date answers are due")
        if problem:
            errors["due"] = problem
    if not errors:
        try:
            surveys.open_round(s, partnership, SurveyRound(chosen), due, None, viewer.email)
        except UserError as exc:
            errors["round"] = _said(exc)
    if errors:
        s.rollback()
        return _context(request, partnership, 400, errors=errors, values=fields)
    return RedirectResponse(f"/partnerships/{partnership.id}/context?done=survey", status_code=303)


@router.post("/partnerships/{partnership_id}/context/{what}")
async def load_context(request: Request, partnership_id: Id, what: str, viewer: Signed, s: DB):
    """Headline figures (a CSV) or an external review (YAML or CSV), checked as the command line checks them."""
    from peer_review.files.context_files import read_external_review, read_headline_csv
    from peer_review.service import context_data

    if what not in ("headline", "external"):
        raise NotFound("no such page")
    fields, upload = await posted_file(request)
    partnership = _partnership(s, viewer, partnership_id)
    field = f"{what}-file"
    allowed = (".csv",) if what == "headline" else (".csv", ".yaml", ".yml")
    problem = None
    if upload is None:
        problem = "Select the headline figures file" if what == "headline" else "Select the external review file"
    elif not upload[0].lower().endswith(allowed):
        problem = f"The selected file must be {' or '.join(allowed)}"
    else:
        try:
            text = upload[1].decode("utf-8")
            name = upload[0].rsplit("/", 1)[-1]
            if what == "headline":
                context_data.load_headline_figures(s, partnership.name, read_headline_csv(name, text))
            else:
                context_data.load_external_review(s, partnership.name, read_external_review(name, text))
        except UnicodeDecodeError:
            problem = "The selected file must be text saved as UTF-8"
        except UserError as exc:
            problem = _said(exc)
    if problem:
        s.rollback()
        return _context(request, partnership, 400, errors={field: problem}, values=fields)
    return RedirectResponse(f"/partnerships/{partnership.id}/context?done={what}", status_code=303)
