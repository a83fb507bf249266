"""Pages for everyone who signs in: their tasks, a form for each, and the reviews they take part in."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from peer_review import clock
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import Alignment, TaskKind, TaskStatus
from peer_review.domain.reading import may_download
from peer_review.entrypoints.web import forms
from peer_review.entrypoints.web.pages import (
    DB,
    Id,
    Signed,
    dated_change,
    log,
    loggable,
    page,
    posted,
)
from peer_review.errors import Conflict, UserError
from peer_review.service import (
    access,
    access_log,
    attention,
    calendar_feeds,
    dashboard,
    discussion,
    evidence_files,
    follow_up,
    queries,
    read_back,
    rescheduling,
    review_contents,
    surveys,
    term_dates,
    workflow,
)
from peer_review.service.kinds import KINDS
from peer_review.store import task_drafts
from peer_review.store.db import Session
from peer_review.store.people import trust_of

router = APIRouter()


@router.get("/")
def inbox(request: Request, viewer: Signed, s: DB):
    """Your tasks: open ones grouped by review (overdue marked), then the ones you have done."""
    rows = queries.tasks_of_person(s, viewer.person_ids)
    groups: dict[int, list] = {}
    for row in rows.open:
        groups.setdefault(row.review_id, []).append(row)
    return page(
        request,
        "inbox.html",
        groups=list(groups.values()),
        done=rows.done,
        today=clock.today(),
        coordinates=queries.partnership_names(s, viewer.coordinates),
        trusts=queries.trust_names(s, viewer.ceo_of),
        reviews=queries.reviews_of_person(s, viewer),
        surveys=surveys.open_invitations(s, [viewer.email]),
        attention=attention.needs_attention(s, viewer),
    )


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: Id, viewer: Signed, s: DB, saved: int = 0):
    task, review = access.task_for(s, viewer, task_id)
    ctx = _task_context(s, viewer, task, review)
    if task.status != TaskStatus.OPEN:
        return _done(request, s, viewer, ctx, task)
    not_theirs = access.not_theirs_to_answer(s, task, viewer.person_ids)
    if not_theirs:  # someone else's own answer (their feedback): the task, without a form they could not send
        return page(
            request,
            "task.html",
            ctx=ctx,
            kind=KINDS[ctx["kind"]],
            not_theirs=not_theirs,
            drafts={"own": False, "others": []},
            saved=False,
            errors={},
        )
    me = access.acting_person(s, viewer, review.partnership_id)
    assert task.id is not None and me.id is not None  # rows read from the database have their ids
    draft = task_drafts.draft_of(s, task.id, me.id)  # each person's draft is their own until the task is sent
    values = draft.data if draft else KINDS[ctx["kind"]].form.initial(ctx)
    return _form(request, ctx, values, {}, saved=bool(saved), drafts=_drafts(s, task.id, me.id))


@router.post("/tasks/{task_id}")
async def task_answer(request: Request, task_id: Id, viewer: Signed, s: DB):
    fields = await posted(request)
    task, review = access.task_for(s, viewer, task_id)
    not_theirs = access.not_theirs_to_answer(s, task, viewer.person_ids)
    if not_theirs:  # nothing is written, whatever the button
        log.warning("refused %s %s to %s: %s", request.method, loggable(request.url.path), viewer.email, not_theirs)
        return page(request, "message.html", 403, title="You cannot answer this task", message=not_theirs)
    ctx = _task_context(s, viewer, task, review)
    if task.status != TaskStatus.OPEN:
        return _done(request, s, viewer, ctx, task, 409)
    kind = KINDS[ctx["kind"]]
    me = access.acting_person(s, viewer, review.partnership_id)
    assert task.id is not None and me.id is not None  # rows read from the database have their ids

    def again(values: dict, errors: dict[str, str] | None = None, status_code: int = 200):
        """The form drawn again, with what was sent, and what the task's drafts are now."""
        assert task.id is not None and me.id is not None  # as above: mypy does not carry that into a closure
        return _form(request, ctx, values, errors or {}, status_code=status_code, drafts=_drafts(s, task.id, me.id))

    answer = forms.nest(fields, kind.model)
    verb, target = forms.parse_action(dict(fields).get("action", "submit"))
    if verb == "add":
        return again(forms.add_row(answer, kind.form, target))
    if verb == "remove":
        if ctx["kind"] == TaskKind.SUBMIT_EVIDENCE and target[:1] == ("items",) and isinstance(target[-1], int):
            try:  # an item's files are numbered with it: they move up with the items after it
                moved = evidence_files.item_removed(s, review, target[-1] + 1)
            except evidence_files.FileProblem as exc:
                s.rollback()
                return again(answer, {exc.field: exc.problem}, 400)
            answer = forms.remove_row(answer, kind.form, target)
            if moved:
                _save_draft(s, task.id, me.id, answer)  # the draft and the files' numbers stay in step
            return again(answer)
        return again(forms.remove_row(answer, kind.form, target))
    if verb == "files" and ctx["kind"] == TaskKind.SUBMIT_EVIDENCE and target[:1] == ("items",):
        _save_draft(s, task.id, me.id, answer)  # what was typed is kept while they attach files
        number = target[-1] + 1 if isinstance(target[-1], int) else 1
        return RedirectResponse(f"/reviews/{review.id}/evidence/{number}/files", status_code=303)
    if verb == "save" and kind.form.drafts:
        _save_draft(s, task.id, me.id, answer)
        return RedirectResponse(f"/tasks/{task.id}?saved=1", status_code=303)
    if verb == "confirm" and kind.checks_answers:  # sent from "check your answers": the draft checked there
        draft = task_drafts.draft_of(s, task.id, me.id)
        if draft is None or read_back.fingerprint(draft.data) != dict(fields).get("as_of"):
            return RedirectResponse(f"/tasks/{task.id}/check?changed=1", status_code=303)
        answer = draft.data
    elif verb != "submit":  # no button of the page sends anything else: draw it again, writing nothing
        return again(answer)
    pruned = forms.prune(answer, kind.form)
    try:
        if verb == "submit" and kind.checks_answers:  # "Continue": checked, kept as their draft, read back
            workflow.check(s, task.id, pruned.answer, me.email)
            _save_draft(s, task.id, me.id, pruned.answer)
            s.commit()
            return RedirectResponse(f"/tasks/{task.id}/check", status_code=303)
        done = workflow.submit(
            s, task.id, pruned.answer, me.email
        )  # deletes every draft of the task: none is of use any more
    except workflow.InvalidAnswer as exc:
        s.rollback()
        return again(answer, forms.errors_by_field(exc.raw, pruned, kind.form, kind.model), 400)
    except Conflict:  # someone else's answer got there first
        s.rollback()
        s.refresh(task)
        return _done(request, s, viewer, ctx, task, 409)
    except UserError as exc:
        s.rollback()
        return again(answer, forms.problem_by_field(exc.loc, exc.problem, pruned, kind.form, kind.model), 400)
    s.commit()
    _move_on(done)
    return RedirectResponse(f"/tasks/{task.id}", status_code=303)


@router.get("/tasks/{task_id}/check")
def check_answers(request: Request, task_id: Id, viewer: Signed, s: DB, changed: int = 0):
    """Check your answers: the person's answer, as kept in their draft when they pressed Continue, read back
    with a link to change each part, and the button that sends it."""
    task, review = access.task_for(s, viewer, task_id)
    ctx = _task_context(s, viewer, task, review)
    if task.status != TaskStatus.OPEN:
        return _done(request, s, viewer, ctx, task)
    kind = KINDS[ctx["kind"]]
    me = access.acting_person(s, viewer, review.partnership_id)
    assert task.id is not None and me.id is not None  # rows read from the database have their ids
    draft = task_drafts.draft_of(s, task.id, me.id)
    if not kind.checks_answers or draft is None or access.not_theirs_to_answer(s, task, viewer.person_ids):
        return RedirectResponse(f"/tasks/{task.id}", status_code=303)
    try:
        checked = workflow.check(s, task.id, draft.data, me.email)
    except (workflow.InvalidAnswer, UserError):  # the review changed since (or the draft was saved part-way)
        return RedirectResponse(f"/tasks/{task.id}", status_code=303)
    assert kind.summary is not None  # every kind has one (tests/test_kinds.py)
    return page(
        request,
        "check_answers.html",
        ctx=ctx,
        kind=kind,
        task=task,
        rows=kind.summary(ctx, checked.model_dump(mode="json")),
        as_of=read_back.fingerprint(draft.data),
        changed=bool(changed),
    )


def _done(request: Request, s: Session, viewer: access.Viewer, ctx: dict, task, status_code: int = 200):
    """A task that is no longer open: what was sent, by whom (for whom), when, and what happens next (who acts
    next only to those who may see the review: not to someone who declined their place)."""
    sees_review = bool(access.roles_on(s, viewer, ctx["review"]) - {"invited"})
    return page(
        request,
        "task_done.html",
        status_code,
        ctx=ctx,
        task=task,
        done=read_back.done_task(s, task, ctx, sees_review, viewer.person_ids),
        sees_review=sees_review,
    )


def _move_on(done: workflow.Submitted) -> None:
    """The review moved on (workflow.move_on). The answer is already saved: if this fails, the advance-cycle
    deployment (or `advance`) moves the review on later, and the person still sees their task done."""
    from peer_review.store.db import session_scope

    try:
        moved = workflow.move_on(session_scope, done)
    except Exception:
        log.exception("review %s was not moved on after task %s; the next advance will", done.review_id, done.task_id)
        return
    if moved.problem:
        log.warning(
            "review %s was not moved on after task %s (%s); the next advance will",
            done.review_id,
            done.task_id,
            moved.problem,
        )


def _task_context(s: Session, viewer: access.Viewer, task, review) -> dict:
    """What the task's page shows. Evidence flagged as personal data is named only to the review's team
    and host: the coordinator, answering for someone, sees that it exists and can cite it by its id."""
    ctx = queries.task_context(s, task.id)
    roles = access.roles_on(s, viewer, review)
    if not access.sees_personal_data(roles):
        ctx["evidence"] = [access.withheld(e) if e.personal_data else e for e in ctx["evidence"]]
    files: dict[int, list] = {}  # each item's files, as this person may have them (linked from the index)
    for f in evidence_files.file_views(s, review, roles - {"invited"}, viewer.person_ids):
        files.setdefault(f.item, []).append(f)
    ctx["files"] = files
    return ctx


def _save_draft(s: Session, task_id: int, person_id: int, answer: dict) -> None:
    """Keep a person's draft, replacing only their own (two tabs saving a first draft at once included)."""
    try:
        task_drafts.save_draft(s, task_id, person_id, answer, clock.now())
    except task_drafts.DraftClash:
        raise UserError(
            "Your draft could not be saved because it was being saved somewhere else at the same time. Try again."
        ) from None


def _drafts(s: Session, task_id: int, person_id: int) -> dict:
    """What the page says of the task's drafts: whether the viewer has one (the form shows it), and who else
    holds one and when they saved it (never shown to the viewer)."""
    holders = task_drafts.draft_holders(s, task_id)
    return {
        "own": any(holder.person_id == person_id for holder in holders),
        "others": [
            {"name": holder.name, "saved": clock.long_moment(holder.saved_at)}
            for holder in holders
            if holder.person_id != person_id
        ],
    }


def _form(
    request: Request,
    ctx: dict,
    values: dict,
    errors: dict[str, str],
    status_code: int = 200,
    saved: bool = False,
    *,
    drafts: dict,
):
    kind = KINDS[ctx["kind"]]
    review = ctx["review"]
    return page(
        request,
        "task.html",
        status_code,
        ctx=ctx,
        kind=kind,
        values=values,
        errors=errors,
        saved=saved,
        not_theirs=None,
        drafts=drafts,
        line_options=[(line.number, f"{line.number}. {line.title}") for line in ctx["lines"]],
        lines_by_number={line.number: line for line in ctx["lines"]},
        lead_lines=[line.number for line in ctx["lines"] if line.lead_id == ctx["worker"].id],
        evidence_options=[(e.ref, f"{e.ref}: {e.title}") for e in ctx["evidence"]],
        evidence_by_ref={e.ref: e for e in ctx["evidence"]},
        findings_by_ref={f.ref: f for f in ctx.get("findings", [])},
        alignment_options=[(a.value, a.label, "") for a in Alignment],
        candidates_options=[
            (p.email, f"{p.name} ({p.job_title or p.organisation or 'moderator'})", p.email)
            for p in ctx.get("candidates", [])
        ],
        leaving_trust=ctx.get("leaving_trust", ""),
        draft_url=f"/reviews/{review.id}/documents/review-report-draft"
        if KINDS[ctx["kind"]].shows_draft_report
        else None,
    )


@router.get("/reviews/{review_id}")
def review_page(
    request: Request,
    review_id: Id,
    viewer: Signed,
    s: DB,
    moved: int = 0,
    commented: int = 0,  # the comment just posted, edited or hidden: a banner says so
    edited: int = 0,
    hidden: int = 0,
    kind: Annotated[list[str] | None, Query()] = None,  # the history's filter: kinds of event, checked there
):
    review, roles = access.review_for(s, viewer, review_id)
    talk = discussion.discussion_for(s, review, roles, viewer.person_ids)
    detail = dashboard.review_detail(
        s,
        review.id,
        kind or (),
        reasons_for_declining="coordinator" in roles,
        unread_comments=talk.unread,
        unnamed_files=evidence_files.unnamed_files(s, review, roles, viewer.person_ids),
    )
    earlier = follow_up.action_views(
        s, follow_up.earlier_actions(s, review)
    )  # the host trust's follow-up of its earlier reviews
    contents = review_contents.review_contents(s, review, roles, viewer.person_ids)
    files: dict[int, list] = {}
    for f in evidence_files.file_views(s, review, roles, viewer.person_ids):
        files.setdefault(f.item, []).append(f)
    return page(
        request,
        "review.html",
        files=files,
        can_attach=bool(roles & {"coordinator", "host"}) and Stage(review.stage) in evidence_files.ATTACHING,
        detail=detail,
        today=clock.today(),
        roles=roles,
        contents=contents,
        documents=[d for d in detail.documents if may_download(contents.reading, d.kind)],
        earlier=earlier,
        coordinator="coordinator" in roles,
        can_move=bool(roles & {"coordinator", "ceo"}) and rescheduling.can_still_move(review),
        can_extend=bool(roles & {"coordinator", "moderator"}),
        moved=bool(moved),
        provisional=term_dates.on_provisional_dates(s, review),
        discussion=talk,
        comment_emails=discussion.comment_emails_of(s, viewer),
        done_to_comment=_done_to_comment(talk, commented, edited, hidden),
        values={},  # the comment form's, empty on the review's page (its errors are shown on the form's own page)
        errors={},
    )


def _done_to_comment(talk: discussion.Discussion, commented: int, edited: int, hidden: int) -> dict | None:
    """What the banner says of the comment the reader has just posted, edited or hidden (one of theirs, shown)."""
    comments = [*talk.on_review, *(c for line in talk.by_line.values() for c in line)]
    for number, verb in ((commented, "posted"), (edited, "changed"), (hidden, "hidden")):
        found = next((c for c in comments if c.id == number), None) if number else None
        if found is not None:
            return {"verb": verb, "comment": found}
    return None


@router.get("/calendar")
def calendar_page(request: Request, viewer: Signed, s: DB):
    """The person's calendar address: made, shown once, stopped."""
    return page(request, "calendar_feed.html", feed=calendar_feeds.feed_of(s, viewer), address=None)


@router.post("/calendar")
async def calendar_change(request: Request, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    if fields.get("action") == "make":
        token = calendar_feeds.make_feed(s, viewer)
        s.commit()
        address = f"{request.app.state.web_url or str(request.base_url).rstrip('/')}{calendar_feeds.PATH}{token}.ics"
        return page(request, "calendar_feed.html", feed=calendar_feeds.feed_of(s, viewer), address=address)
    if fields.get("action") == "stop":
        calendar_feeds.stop_feed(s, viewer)
        s.commit()
        return RedirectResponse("/calendar?stopped=1", status_code=303)
    return RedirectResponse("/calendar", status_code=303)


@router.get(calendar_feeds.PATH + "{token}.ics")
def calendar_feed(token: str, s: DB):
    """A calendar address, answered without signing in: the token is the key (only its hash is kept)."""
    return Response(
        calendar_feeds.calendar_for(s, token),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=900", "X-Robots-Tag": "noindex"},
    )


@router.get("/reviews/{review_id}/access-log")
def access_log_page(request: Request, review_id: Id, viewer: Signed, s: DB):
    """Who opened which of the review's documents and evidence files, and when: for the coordinator."""
    review, lines = access_log.access_log(s, viewer, review_id)
    return page(
        request, "access_log.html", review=review, host=trust_of(s, review).name, lines=lines, shown=access_log.SHOWN
    )


@router.get("/reviews/{review_id}/move")
def move_form(request: Request, review_id: Id, viewer: Signed, s: DB):
    review, roles = _mover(s, viewer, review_id)
    return page(
        request, "move_visit.html", review=review, host=trust_of(s, review).name, roles=roles, values={}, errors={}
    )


@router.post("/reviews/{review_id}/move")
async def move_visit(request: Request, review_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    review, roles = _mover(s, viewer, review_id)
    me = access.acting_person(s, viewer, review.partnership_id)
    errors = dated_change(
        fields,
        "visit",
        "the first day of the visit",
        "Enter why the visit should move",
        lambda day, reason: rescheduling.reschedule(s, review.id, day, reason, me.email),
    )
    if errors:
        s.rollback()
        return page(
            request,
            "move_visit.html",
            400,
            review=review,
            host=trust_of(s, review).name,
            roles=roles,
            values=fields,
            errors=errors,
        )
    return RedirectResponse(f"/reviews/{review.id}?moved=1", status_code=303)


def _mover(s: Session, viewer: access.Viewer, review_id: int):
    review, roles = access.review_for(s, viewer, review_id)
    if not roles & {"coordinator", "ceo"}:
        raise access.Refused("Only the host trust's CEO and the coordinator can move a visit.")
    return review, roles


@router.get("/reviews/{review_id}/documents/{kind}")
def review_document(review_id: Id, kind: str, viewer: Signed, s: DB):
    review, roles = access.review_for(s, viewer, review_id)
    if not may_download(review_contents.reading_of(s, review, roles, viewer.person_ids), kind):
        raise access.Refused(
            "The moderation record gives the moderator's decisions on every finding: it is for the moderator, the "
            "coordinator and, once the draft report is written, the host trust."
        )
    document = dashboard.document_of(s, review.id, kind)
    access_log.opened(s, viewer, review.id, review.partnership_id, "document", document.kind)
    return Response(
        document.content,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}"},
    )
