"""A trust CEO's pages: their trust's cycle, and their answer to a proposed cycle (confirm it, or ask for
another week, another strand order, or not to host a reviewer). The partnership's coordinator sees them too
and may answer on the CEO's behalf (recorded as such)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from peer_review import clock
from peer_review.domain.proposals import ChangeKind, ChangeRequest
from peer_review.entrypoints.web.pages import DB, Id, Signed, date_from, page, posted, typed
from peer_review.errors import BadInput, Conflict, NotFound, UserError
from peer_review.files.partnership_edits import NotPossible
from peer_review.service import access, colleagues, context_data, proposals, queries, term_dates, trust_settings
from peer_review.service.calendars import reviews_calendar
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id, people_in
from peer_review.store.reviews import latest_cycle

router = APIRouter()

#: What a CEO may ask of a proposal, as the change page's first question offers it.
CHANGES = {
    ChangeKind.OTHER_WEEK: ("Another week for a visit", "For example, a trust board, inspection or exams that week."),
    ChangeKind.STRAND_ORDER: ("Another order of strands", "Which strand your trust is reviewed on first, second..."),
    ChangeKind.NOT_THIS_REVIEWER: ("Not to host a reviewer", "Someone proposed to review your trust."),
}
MAX_REASON = proposals.MAX_REASON


@router.get("/trusts/{trust_id}")
def trust_page(request: Request, trust_id: Id, viewer: Signed, s: DB):
    """A host CEO's cycle: their trust's visits in strand order, who is coming, and where each review is."""
    trust = access.trust_for(s, viewer, trust_id)
    partnership = get_partnership_by_id(s, trust.partnership_id)
    cycle = queries.trust_cycle(s, trust)
    return page(
        request,
        "trust.html",
        trust=trust,
        cycle=cycle,
        provisional={row.review.id for row in cycle if term_dates.on_provisional_dates(s, row.review)},
        today=clock.today(),
        figures=context_data.trust_trend(s, trust),
        proposal=proposals.standing(s, partnership),
    )


@router.get("/trusts/{trust_id}/visits.ics")
def trust_calendar(trust_id: Id, viewer: Signed, s: DB):
    trust = access.trust_for(s, viewer, trust_id)
    reviews = [row.review for row in queries.trust_cycle(s, trust)]
    # the trust hosts these: every session of their timetables too
    content = reviews_calendar(s, reviews, f"Peer review visits: {trust.name}", {r.id: None for r in reviews})
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="visits-{trust.key}.ics"'},
    )


@router.get("/trusts/{trust_id}/proposal")
def proposal_page(request: Request, trust_id: Id, viewer: Signed, s: DB, done: str = ""):
    trust, view = _proposal(s, viewer, trust_id)
    if view is None:
        return page(request, "trust_proposal.html", trust=trust, view=None, done="")
    reviewers = {p.email for p in people_in(s, trust.partnership_id, still_here=True) if p.trust_id == trust.id}
    return page(
        request,
        "trust_proposal.html",
        trust=trust,
        view=view,
        hosted=view.hosted_by(trust.id),
        away=[v for v in view.places_of(reviewers) if v.trust_id != trust.id],
        reviewers=reviewers,
        answer=view.answer_of(trust.id),
        done=done if done in ("confirmed", "asked") else "",
    )


@router.post("/trusts/{trust_id}/proposal/confirm")
async def confirm(request: Request, trust_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    trust, view = _proposal(s, viewer, trust_id)
    if view is None or str(view.proposal.id) != fields.get("proposal", ""):
        raise Conflict("The proposal has changed since you opened the page: look at the newest one and answer it.")
    proposals.answer(s, trust, access.acting_person(s, viewer, trust.partnership_id), [], view.proposal.id)
    return RedirectResponse(f"/trusts/{trust.id}/proposal?done=confirmed", status_code=303)


@router.get("/trusts/{trust_id}/proposal/change")
def change_choice(request: Request, trust_id: Id, viewer: Signed, s: DB, kind: str = "", chosen: int = 0):
    """The first question: what to change. A GET form, so it needs no script to go on to the next page."""
    trust, view = _proposal(s, viewer, trust_id, needed=True)
    if kind in {k.value for k in CHANGES}:
        return RedirectResponse(f"/trusts/{trust.id}/proposal/change/{kind}", status_code=303)
    errors = {"kind": "Select what you would like to change"} if chosen else {}
    options = [(k.value, label, hint) for k, (label, hint) in CHANGES.items()]
    return page(
        request,
        "proposal_change_kind.html",
        400 if errors else 200,
        trust=trust,
        view=view,
        options=options,
        values={"kind": kind},
        errors=errors,
    )


@router.get("/trusts/{trust_id}/proposal/change/{kind}")
def change_form(request: Request, trust_id: Id, kind: ChangeKind, viewer: Signed, s: DB):
    trust, view = _proposal(s, viewer, trust_id, needed=True)
    assert view is not None
    hosted = view.hosted_by(trust.id)
    values = {f"order-{i}": v.strand_id for i, v in enumerate(hosted)} if kind is ChangeKind.STRAND_ORDER else {}
    return _change_page(request, s, trust, view, kind, values, {})


@router.post("/trusts/{trust_id}/proposal/change/{kind}")
async def change_asked(request: Request, trust_id: Id, kind: ChangeKind, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    trust, view = _proposal(s, viewer, trust_id, needed=True)
    assert view is not None
    if str(view.proposal.id) != fields.get("proposal", ""):
        raise Conflict("The proposal has changed since you opened the page: look at the newest one and answer it.")
    request_, errors = _request_from(s, trust, view, kind, fields)
    if request_ is not None:
        try:
            proposals.ask(s, trust, access.acting_person(s, viewer, trust.partnership_id), request_, view.proposal.id)
        except BadInput as exc:
            errors = {_FIRST_FIELD[kind]: exc.problem}
    if errors:
        s.rollback()
        return _change_page(request, s, trust, view, kind, fields, errors, 400)
    return RedirectResponse(f"/trusts/{trust.id}/proposal?done=asked", status_code=303)


_FIRST_FIELD = {
    ChangeKind.OTHER_WEEK: "week",
    ChangeKind.STRAND_ORDER: "order-0",
    ChangeKind.NOT_THIS_REVIEWER: "reviewer",
}


def _request_from(
    s: Session, trust, view: proposals.ProposalView, kind: ChangeKind, fields: dict[str, str]
) -> tuple[ChangeRequest | None, dict[str, str]]:
    """The change a posted form asks for, or the problems with it, keyed by field id (all at once)."""
    errors: dict[str, str] = {}
    reason = fields.get("reason", "").strip()
    if not reason:
        errors["reason"] = "Enter why you are asking for this change"
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Why you are asking must be {MAX_REASON:,} characters or fewer"
    hosted = view.hosted_by(trust.id)
    week: dt.date | None = None
    order: tuple[str, ...] = ()
    reviewer = ""
    if kind is ChangeKind.OTHER_WEEK:
        weeks = {v.start.isoformat(): v.start for v in hosted}
        week = weeks.get(fields.get("week", ""))
        if week is None:
            errors["week"] = "Select the visit that should move to another week"
    elif kind is ChangeKind.STRAND_ORDER:
        strands = _strands(s, trust)
        order = tuple(fields.get(f"order-{i}", "") for i in range(len(strands)))
        errors |= _order_problems(list(order), strands)
        if not errors.get("reason") and not any(k.startswith("order-") for k in errors):
            if list(order) == [v.strand_id for v in hosted]:
                errors["order-0"] = "Change the order: this is the order already proposed"
    else:
        team = {email for v in hosted for email, *_ in v.team}
        reviewer = fields.get("reviewer", "")
        if reviewer not in team:
            errors["reviewer"] = "Select the person you would rather not host"
    if errors:
        return None, errors
    return ChangeRequest(trust.key, kind, reason, week=week, strand_order=order, reviewer=reviewer), {}


def _strands(s: Session, trust) -> dict[str, str]:
    """The framework's strands, id -> title, in the framework's order."""
    partnership = get_partnership_by_id(s, trust.partnership_id)
    return {strand["id"]: strand["title"] for strand in partnership.framework["strands"]}


def _order_problems(order: list[str], strands: dict[str, str]) -> dict[str, str]:
    """What is wrong with a strand order chosen place by place, keyed by each place's field: a place left
    empty, or a strand chosen twice (the proposal's change page and the scheduling page ask alike)."""
    errors = {}
    for i, strand in enumerate(order):
        if strand not in strands:
            errors[f"order-{i}"] = f"Select the strand to be reviewed {_ordinal(i + 1)}"
        elif strand in order[:i]:
            errors[f"order-{i}"] = (
                f"Select another strand to be reviewed {_ordinal(i + 1)}: {strands[strand]} is already in the order"
            )
    return errors


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}.get(n, f"number {n}")


def _change_page(request, s: Session, trust, view, kind: ChangeKind, values: dict, errors: dict, status: int = 200):
    hosted = view.hosted_by(trust.id)
    strands = _strands(s, trust)
    return page(
        request,
        f"proposal_change_{kind.value}.html",
        status,
        trust=trust,
        view=view,
        hosted=hosted,
        strands=strands,
        positions=[(i, _ordinal(i + 1)) for i in range(len(strands))],
        team=[(v, member) for v in hosted for member in v.team],
        heading=CHANGES[kind][0],
        values=_values(values, kind, len(strands)),
        errors=errors,
    )


def _values(values: dict, kind: ChangeKind, strands: int) -> dict:
    """The form's values as the field macros read them (`order-0` is values['order'][0])."""
    if kind is not ChangeKind.STRAND_ORDER:
        return dict(values)
    return {**values, "order": [values.get(f"order-{i}", "") for i in range(strands)]}


def _proposal(s: Session, viewer, trust_id: int, needed: bool = False):
    trust = access.trust_for(s, viewer, trust_id)
    view = proposals.standing(s, get_partnership_by_id(s, trust.partnership_id))
    if needed and view is None:
        raise NotFound("no proposed cycle: it has been published, or not yet proposed")
    return trust, view


# --- the CEO's scheduling page: what feeds the next proposed cycle --------------------------------------


@router.get("/trusts/{trust_id}/scheduling")
def scheduling_page(request: Request, trust_id: Id, viewer: Signed, s: DB, saved: str = ""):
    trust = access.trust_for(s, viewer, trust_id)
    return _scheduling(request, s, trust, {}, {}, saved=saved if saved in SAVED else "")


SAVED = {
    "order": "The order of strands has been saved",
    "unavailable": "The dates have been added",
    "removed": "The dates have been removed",
    "terms": "The preferred terms have been saved",
    "reviewers": "Your reviewers' strands have been saved",
}


def _scheduling(request, s: Session, trust, values: dict, errors: dict, status: int = 200, saved: str = ""):
    partnership = get_partnership_by_id(s, trust.partnership_id)
    strands = _strands(s, trust)
    reviewers = trust_settings.reviewers_of(s, trust)
    shown = {
        "order": list(trust.strand_order),
        "terms": list(trust.preferred_terms),
        "reviewer": [{"strands": list(r.strands)} for r in reviewers],
    } | values
    return page(
        request,
        "trust_scheduling.html",
        status,
        trust=trust,
        partnership=partnership,
        published=latest_cycle(s, partnership.id) is not None,
        proposal=proposals.standing(s, partnership),
        strands=strands,
        positions=[(i, _ordinal(i + 1)) for i in range(len(strands))],
        unavailable=[
            (u, dt.date.fromisoformat(u["start"]), dt.date.fromisoformat(u["end"])) for u in trust.unavailable
        ],
        seasons=[(season, season.capitalize()) for season in trust_settings.SEASONS],
        reviewers=list(enumerate(reviewers)),
        provisional_from=_provisional_from(partnership.calendars.get(trust.calendar_id, {})),
        values=shown,
        errors=errors,
        saved=SAVED.get(saved, ""),
    )


def _provisional_from(calendar: dict) -> dt.date | None:
    """The first day of the trust's calendar that is provisional (not yet published), if any."""
    day = calendar.get("provisional_from")
    return dt.date.fromisoformat(day) if day else None


def _actor(s: Session, viewer, trust):
    return access.acting_person(s, viewer, trust.partnership_id)


@router.post("/trusts/{trust_id}/scheduling/order")
async def save_order(request: Request, trust_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    trust = access.trust_for(s, viewer, trust_id)
    strands = _strands(s, trust)
    order = [fields.get(f"order-{i}", "") for i in range(len(strands))]
    errors = _order_problems(order, strands)
    if not errors:
        try:
            trust_settings.set_strand_order(s, trust, _actor(s, viewer, trust), order)
        except BadInput as exc:
            errors["order-0"] = exc.problem
    if errors:
        s.rollback()
        return _scheduling(request, s, trust, {"order": order}, errors, 400)
    return RedirectResponse(f"/trusts/{trust.id}/scheduling?saved=order", status_code=303)


@router.post("/trusts/{trust_id}/scheduling/unavailable")
async def add_unavailable(request: Request, trust_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    trust = access.trust_for(s, viewer, trust_id)
    errors = {}
    start, problem = date_from(fields, "start", "the first day")
    if problem:
        errors["start"] = problem
    end, problem = date_from(fields, "end", "the last day")
    if problem:
        errors["end"] = problem
    reason = fields.get("reason", "").strip()
    if not reason:
        errors["reason"] = "Enter why your trust is unavailable"
    elif len(reason) > 300:
        errors["reason"] = "Why your trust is unavailable must be 300 characters or fewer"
    if not errors and start and end:
        try:
            trust_settings.add_unavailable(s, trust, _actor(s, viewer, trust), start, end, reason)
        except BadInput as exc:
            errors["end" if exc.loc == ("end",) else "start"] = exc.problem
        except UserError as exc:  # the reason, held to the file's rules for text
            errors["reason"] = exc.problem[0].upper() + exc.problem[1:]
    if errors:
        s.rollback()
        return _scheduling(request, s, trust, fields, errors, 400)
    return RedirectResponse(f"/trusts/{trust.id}/scheduling?saved=unavailable#unavailable", status_code=303)


@router.post("/trusts/{trust_id}/scheduling/unavailable/remove")
async def remove_unavailable(request: Request, trust_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    trust = access.trust_for(s, viewer, trust_id)
    trust_settings.remove_unavailable(
        s, trust, _actor(s, viewer, trust), fields.get("start", ""), fields.get("end", "")
    )
    return RedirectResponse(f"/trusts/{trust.id}/scheduling?saved=removed#unavailable", status_code=303)


@router.post("/trusts/{trust_id}/scheduling/terms")
async def save_terms(request: Request, trust_id: Id, viewer: Signed, s: DB):
    fields = await posted(request)
    trust = access.trust_for(s, viewer, trust_id)
    chosen = [value for name, value in fields if name == "terms"]
    try:
        trust_settings.set_preferred_terms(s, trust, _actor(s, viewer, trust), chosen)
    except BadInput as exc:
        s.rollback()
        return _scheduling(request, s, trust, {"terms": []}, {"terms": exc.problem}, 400)
    return RedirectResponse(f"/trusts/{trust.id}/scheduling?saved=terms#terms", status_code=303)


@router.post("/trusts/{trust_id}/scheduling/reviewers")
async def save_reviewers(request: Request, trust_id: Id, viewer: Signed, s: DB):
    fields = await posted(request)
    trust = access.trust_for(s, viewer, trust_id)
    reviewers = trust_settings.reviewers_of(s, trust)
    sent = {name: value for name, value in fields if name.endswith("-email")}
    if [sent.get(f"reviewer-{i}-email") for i in range(len(reviewers))] != [r.email for r in reviewers]:
        raise Conflict("Your trust's reviewers have changed since you opened the page: reload it and try again.")
    chosen = {
        r.email: [value for name, value in fields if name == f"reviewer-{i}-strands"] for i, r in enumerate(reviewers)
    }
    try:
        trust_settings.set_reviewer_strands(s, trust, _actor(s, viewer, trust), chosen)
    except BadInput as exc:
        s.rollback()
        values = {"reviewer": [{"strands": chosen[r.email]} for r in reviewers]}
        return _scheduling(request, s, trust, values, {"reviewer-0-strands": exc.problem}, 400)
    return RedirectResponse(f"/trusts/{trust.id}/scheduling?saved=reviewers#reviewers", status_code=303)


# --- the colleagues who act for the trust on one of its reviews -------------------------------------

_COLLEAGUE_FIELDS = (
    ("name", "Full name", "Enter their full name"),
    ("email", "Email address", "Enter their email address"),
    ("job_title", "Job title", "Enter their job title"),
)


def _colleagues(request: Request, s: Session, viewer, review_id: int, values=None, errors=None, status: int = 200):
    view = colleagues.colleagues_page(s, viewer, review_id)
    return page(request, "colleagues.html", status, view=view, values=values or {}, errors=errors or {})


@router.get("/reviews/{review_id}/colleagues")
def colleagues_form(request: Request, review_id: Id, viewer: Signed, s: DB):
    """The host CEO's colleagues who act for the trust on this review, and the form to name another."""
    return _colleagues(request, s, viewer, review_id)


@router.post("/reviews/{review_id}/colleagues")
async def name_colleague(request: Request, review_id: Id, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    action = fields.get("action", "")
    colleagues.colleagues_page(s, viewer, review_id)  # who may name colleagues: everyone else is refused here
    try:
        if action.startswith("name:") and action[5:].isascii() and action[5:].isdigit():
            colleagues.name_colleague(s, viewer, review_id, int(action[5:]))
        elif action.startswith("withdraw:") and action[9:].isascii() and action[9:].isdigit():
            colleagues.withdraw_colleague(s, viewer, review_id, int(action[9:]))
        elif action == "add":
            checked = {key: typed(fields, key, label, missing) for key, label, missing in _COLLEAGUE_FIELDS}
            errors = {key: problem for key, (_, problem) in checked.items() if problem}
            if errors:
                return _colleagues(request, s, viewer, review_id, fields, errors, 400)
            values = {key: " ".join(value.split()) for key, (value, _) in checked.items()}
            colleagues.add_and_name_colleague(
                s, viewer, review_id, values["name"], values["email"], values["job_title"]
            )
        else:
            raise NotFound("no such change")
    except NotPossible as exc:
        s.rollback()
        return _colleagues(request, s, viewer, review_id, fields, {exc.field: exc.problem}, 400)
    except NotFound:
        raise
    except UserError as exc:  # the partnership file's own rules, and the roster's, said on the form
        s.rollback()
        key = (exc.place or "").rsplit(".", 1)[-1]
        field = {"role": "job_title"}.get(key, key if key in ("name", "email") else "name")
        return _colleagues(
            request, s, viewer, review_id, fields, {field: exc.problem[:1].upper() + exc.problem[1:]}, 400
        )
    s.commit()
    return RedirectResponse(f"/reviews/{review_id}/colleagues?changed=1", status_code=303)
