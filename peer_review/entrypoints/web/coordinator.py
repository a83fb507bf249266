"""The coordinator's pages: their partnerships, each one's progress and its exports (which a script
may also fetch with the export token), and giving a task more time (which a review's moderator may too)."""

from __future__ import annotations

from dataclasses import dataclass
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
    sentence,
    typed,
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
        return _proposal_page(request, s, partnership, exc.http_status, {"propose": sentence(problem)})
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
        shown = "publish" if proposals.standing(s, partnership) else "published"  # published meanwhile
        return _proposal_page(request, s, partnership, exc.http_status, {shown: sentence(exc.problem)})
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
        "Enter why the task needs more time",
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
    from peer_review.files.frameworks import load_bundled_frameworks

    return {key: framework.title for key, framework in load_bundled_frameworks().items()}


def _read_partnership(upload: tuple[str, bytes] | None, framework: str | None, stored=None):
    """(the partnership a file sent through the web holds, None) or (None, the problem in words); `stored`, for
    a change to a stored partnership, is what it holds (files/partnerships.Stored)."""
    from peer_review.files.partnerships import load_uploaded_partnership

    filename, text, problem = _yaml_sent(upload, "Select the partnership file")
    if problem:
        return None, problem
    try:
        return load_uploaded_partnership(filename, text, framework, stored), None
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
    problem = _capitalised(exc.problem)
    return f"{where}: {problem}" if where else problem


def _capitalised(problem: str) -> str:
    """A sentence's first letter in capitals, unless it begins with an email address (written as it is)."""
    if not problem or "@" in problem.split(" ", 1)[0]:
        return problem
    return problem[0].upper() + problem[1:]


@router.get("/partnerships/{partnership_id}/roster")
def roster_page(request: Request, partnership_id: Id, viewer: Signed, s: DB, updated: int = 0):
    partnership = _partnership(s, viewer, partnership_id)
    return _roster(request, s, partnership, updated=bool(updated))


def _roster(request: Request, s: Session, partnership, status: int = 200, **context):
    """The roster as it stands (its trusts, their CEOs and reviewers, the moderators), with a preview of a
    change when there is one, and what it was made against."""
    from peer_review.service.partnership_file import fingerprint, partnership_file

    context = {"preview": None, "text": "", "filename": "", "errors": {}, "updated": False} | context
    data = partnership_file(s, partnership)
    as_of = fingerprint(partnership, data) if context["preview"] else ""
    return page(request, "roster.html", status, partnership=partnership, roster=data, as_of=as_of, **context)


@router.get("/partnerships/{partnership_id}/roster.yaml")
def roster_file(partnership_id: Id, viewer: Signed, s: DB):
    """The partnership's file as it stands, to edit and send back."""
    from peer_review.service.common import audit
    from peer_review.service.partnership_file import as_yaml, partnership_file

    partnership = _partnership(s, viewer, partnership_id)
    audit(s, partnership.id, "roster_exported", viewer.email)  # every person's email and roles: who took a copy
    return Response(
        as_yaml(partnership_file(s, partnership)),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="partnership-{partnership.id}-{clock.today()}.yaml"'},
    )


@router.post("/partnerships/{partnership_id}/roster")
async def roster_preview(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """A changed partnership file, checked and compared with what is stored: the changes it would make, and
    what they would do, shown before anything is written."""
    from peer_review.service.partnership_file import stored_parts

    fields, upload = await posted_file(request)
    partnership = _partnership(s, viewer, partnership_id)
    loaded, problem = _read_partnership(upload, None, stored_parts(s, partnership))
    text = upload[1].decode("utf-8") if loaded is not None and upload else ""
    return _previewed(request, s, partnership, loaded, problem, text, upload[0] if upload else "")


def _previewed(request: Request, s: Session, partnership, loaded, problem: str | None, text: str, filename: str):
    """The roster page with what a changed file would change (nothing is written), or with its problem."""
    preview = None
    if loaded is not None and loaded.spec.name != partnership.name:
        problem = f"The file is for the partnership '{loaded.spec.name}', not '{partnership.name}'"
    if loaded is not None and not problem:
        try:
            preview = roster.update_partnership(s, loaded, dry_run=True)
        except UserError as exc:
            problem = _said(exc)
    s.rollback()
    errors = {"file": problem} if problem else {}
    return _roster(
        request,
        s,
        partnership,
        400 if errors else 200,
        preview=preview,
        text=text if preview else "",
        filename=filename,
        errors=errors,
    )


@dataclass(frozen=True)
class RosterForm:
    """A change to the roster made on a form: its page's title and fields, (name, label, message when empty)."""

    title: str
    fields: tuple[tuple[str, str, str], ...]


_PERSON = (("name", "Full name", "Enter their full name"), ("email", "Email address", "Enter their email address"))
ROSTER_FORMS = {
    "add_trust": RosterForm(
        "Add a trust",
        (
            ("trust_name", "Trust name", "Enter the trust's name"),
            ("ceo_name", "CEO's full name", "Enter the CEO's full name"),
            ("ceo_email", "CEO's email address", "Enter the CEO's email address"),
            ("reviewer_name", "A reviewer's full name", "Enter the full name of someone from the trust who reviews"),
            ("reviewer_email", "The reviewer's email address", "Enter the reviewer's email address"),
            ("reviewer_role", "The reviewer's job title", "Enter the reviewer's job title"),
        ),
    ),
    "add_reviewer": RosterForm("Add a reviewer", (*_PERSON, ("role", "Job title", "Enter their job title"))),
    "add_moderator": RosterForm(
        "Add a moderator", (*_PERSON, ("organisation", "Organisation", "Enter the organisation they moderate for"))
    ),
    "replace_ceo": RosterForm(
        "Change the CEO",
        (
            ("name", "New CEO's full name", "Enter the new CEO's full name"),
            ("email", "New CEO's email address", "Enter the new CEO's email address"),
        ),
    ),
}
#: Changes made with a button, previewed at once.
ROSTER_BUTTONS = ("remove_person", "remove_trust")


@router.get("/partnerships/{partnership_id}/roster/change")
def roster_change_form(request: Request, partnership_id: Id, viewer: Signed, s: DB, action: str = "", trust: str = ""):
    partnership = _partnership(s, viewer, partnership_id)
    if action not in ROSTER_FORMS:
        raise NotFound("no such change")
    values = {"trust": trust, "organisation": "Learn Sheffield" if action == "add_moderator" else ""}
    return _change_form(request, s, partnership, action, values, {})


def _change_form(request: Request, s: Session, partnership, action: str, values: dict, errors: dict, status: int = 200):
    from peer_review.service.partnership_file import partnership_file

    data = partnership_file(s, partnership)
    trust = next((t for t in data["trusts"] if t["id"] == values.get("trust")), None)
    if action in ("add_reviewer", "replace_ceo") and trust is None:
        raise NotFound("no such trust in this partnership")
    return page(
        request,
        "roster_change.html",
        status,
        partnership=partnership,
        action=action,
        form=ROSTER_FORMS[action],
        trust=trust,
        values=values,
        errors=errors,
    )


@router.post("/partnerships/{partnership_id}/roster/change")
async def roster_change(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """A change made on a form or with a button: made to the partnership's file as it stands, then checked and
    compared with what is stored exactly as a changed file is, and previewed before it is applied."""
    from peer_review.files import partnership_edits as edits
    from peer_review.files.partnerships import load_uploaded_partnership
    from peer_review.service.partnership_file import as_yaml, partnership_file, stored_parts

    fields = dict(await posted(request))
    partnership = _partnership(s, viewer, partnership_id)
    action = fields.get("action", "")
    if action not in ROSTER_FORMS and action not in ROSTER_BUTTONS:
        raise NotFound("no such change")
    errors = _roster_field_errors(ROSTER_FORMS[action].fields if action in ROSTER_FORMS else (), fields)
    data = partnership_file(s, partnership)
    if not errors:
        v = {k: " ".join(value.split()) for k, value in fields.items()}
        person = {"name": v.get("name", ""), "email": v.get("email", "").lower()}
        try:
            if action == "add_trust":
                strands = [strand["id"] for strand in partnership.framework["strands"]]
                ceo = {"name": v["ceo_name"], "email": v["ceo_email"].lower()}
                reviewer = {
                    "name": v["reviewer_name"],
                    "email": v["reviewer_email"].lower(),
                    "role": v["reviewer_role"],
                }
                data = edits.add_trust(data, v["trust_name"], ceo, reviewer, strands)
            elif action == "add_reviewer":
                data = edits.add_reviewer(data, v.get("trust", ""), person | {"role": v["role"]})
            elif action == "add_moderator":
                data = edits.add_moderator(data, person | {"organisation": v["organisation"]})
            elif action == "replace_ceo":
                data = edits.replace_ceo(data, v.get("trust", ""), person)
            elif action == "remove_person":
                data = edits.remove_person(data, v.get("email", ""), v.get("role", ""))
            else:
                data = edits.remove_trust(data, v.get("trust", ""))
        except edits.NotPossible as exc:
            errors = {exc.field: exc.problem}
    if errors and action in ROSTER_FORMS:
        fields_shown = {name for name, *_ in ROSTER_FORMS[action].fields}
        errors = {(k if k in fields_shown else ROSTER_FORMS[action].fields[0][0]): m for k, m in errors.items()}
        return _change_form(request, s, partnership, action, fields, errors, 400)
    if errors:
        return _roster(request, s, partnership, 400, errors={"roster": next(iter(errors.values()))})
    text = as_yaml(data)
    try:
        loaded = load_uploaded_partnership(ROSTER_FORM_SOURCE, text, stored=stored_parts(s, partnership))
        preview = roster.update_partnership(s, loaded, dry_run=True)
    except UserError as exc:  # the file's rules, or history's, in names: said on the form, not as a file's line
        s.rollback()
        problem = _capitalised(exc.problem)
        if action not in ROSTER_FORMS:
            return _roster(request, s, partnership, exc.http_status, errors={"roster": problem})
        names = [name for name, *_ in ROSTER_FORMS[action].fields]
        place = exc.place or ""
        key = place.rsplit(".", 1)[-1]
        whose = "ceo_" if ".ceo." in place else "reviewer_" if ".reviewers[" in place else ""
        field = next((n for n in names if n in (key, whose + key)), names[0])
        return _change_form(request, s, partnership, action, fields, {field: problem}, exc.http_status)
    s.rollback()
    return _roster(request, s, partnership, preview=preview, text=text, filename=ROSTER_FORM_SOURCE)


#: The name a change made on the roster page's forms is recorded under, where a file's name would be.
ROSTER_FORM_SOURCE = "roster-page.yaml"


def _roster_field_errors(spec: tuple[tuple[str, str, str], ...], fields: dict[str, str]) -> dict[str, str]:
    """Each field of a roster form checked as the partnership file checks it, in GOV.UK's words."""
    collapsed = {name: " ".join(fields.get(name, "").split()) for name, *_ in spec}
    problems = {name: typed(collapsed, name, label, missing)[1] for name, label, missing in spec}
    return {name: problem for name, problem in problems.items() if problem}


@router.post("/partnerships/{partnership_id}/roster/apply")
async def roster_apply(request: Request, partnership_id: Id, viewer: Signed, s: DB):
    """Apply the changes previewed: the same file, sent back with the page, checked again as it is applied."""
    from peer_review.files.partnerships import load_uploaded_partnership
    from peer_review.service.partnership_file import fingerprint, partnership_file, stored_parts
    from peer_review.store.proposals import lock_partnership

    fields = dict(await posted(request, MAX_RESENT_BYTES))
    partnership = _partnership(s, viewer, partnership_id)
    try:
        lock_partnership(s, partnership.id)  # one change at a time, each against the roster it was checked on
        if fields.get("as_of") != fingerprint(partnership, partnership_file(s, partnership)):
            raise Conflict(
                "The roster has changed since these changes were checked (another change was applied, or a CEO "
                "changed their trust's details): check your change again against the roster as it is now"
            )
        loaded = load_uploaded_partnership(
            fields.get("filename", "partnership.yaml"), fields.get("text", ""), stored=stored_parts(s, partnership)
        )
        if loaded.spec.name != partnership.name:
            raise Conflict("The file is for another partnership.")
        roster.update_partnership(s, loaded, by=viewer.email)
    except UserError as exc:
        s.rollback()
        if fields.get("filename") == ROSTER_FORM_SOURCE:  # a form's change: no file, no line, to speak of
            errors = {"roster": _capitalised(exc.problem)}
        else:
            errors = {"file": _said(exc)}
        return _roster(request, s, partnership, exc.http_status, errors=errors)
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
