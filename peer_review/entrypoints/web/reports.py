"""A review's report on the web: read as a page (draft or issued), and its wording corrected by the moderator
between the host trust's check and the issue (service/report_wording.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from peer_review.domain.model import DocumentKind
from peer_review.entrypoints.web.pages import DB, Id, Signed, page, posted
from peer_review.errors import NotFound, Refused, UserError
from peer_review.service import access, access_log, report_wording, review_contents
from peer_review.store.db import Session
from peer_review.store.people import trust_of

router = APIRouter()


@router.get("/reviews/{review_id}/report")
def report_page(request: Request, review_id: Id, viewer: Signed, s: DB):
    """The report as a page, in the words of its Word document: the issued one, or before issue the draft."""
    review, roles = access.review_for(s, viewer, review_id)
    for kind in (DocumentKind.REPORT, DocumentKind.REPORT_DRAFT):
        report = review_contents.report_page(s, review, kind)
        if report is not None:
            access_log.opened(s, viewer, review.id, review.partnership_id, "report page", kind.value)
            return page(
                request,
                "review_report.html",
                review=review,
                host=trust_of(s, review).name,
                report=report,
                final=kind == DocumentKind.REPORT,
                can_correct=_corrects(roles) and report_wording.open_for_correction(s, review),
            )
    raise NotFound(f"review {review.id} has no report yet: the draft is written once its findings are moderated")


def _corrects(roles: set[str]) -> bool:
    return bool(roles & {"moderator", "coordinator"})


def _corrector(s: Session, viewer: access.Viewer, review_id: int):
    """The review, if the viewer may correct its report's wording now (its moderator or the coordinator)."""
    review, roles = access.review_for(s, viewer, review_id)
    if not _corrects(roles):
        raise Refused("Only the review's moderator and the coordinator can correct the report's wording.")
    if not report_wording.open_for_correction(s, review):
        raise Refused(
            "The report's wording can be corrected only after the host trust has checked the draft and before "
            "the report is issued."
        )
    return review


@router.get("/reviews/{review_id}/report/wording")
def wording_list(request: Request, review_id: Id, viewer: Signed, s: DB, changed: str = ""):
    review = _corrector(s, viewer, review_id)
    return page(
        request,
        "report_wording.html",
        review=review,
        host=trust_of(s, review).name,
        wordings=report_wording.wordings(s, review),
        asked=list(review.factual_corrections),
        changed=changed,
    )


def _one(s: Session, review, part: str, ref: str) -> report_wording.Wording:
    found = next((w for w in report_wording.wordings(s, review) if (w.part, w.ref) == (part, ref)), None)
    if found is None:
        raise NotFound(f"the report has no part {part} {ref} whose wording can be corrected")
    return found


@router.get("/reviews/{review_id}/report/wording/{part}/{ref}")
def wording_form(request: Request, review_id: Id, part: str, ref: str, viewer: Signed, s: DB):
    review = _corrector(s, viewer, review_id)
    wording = _one(s, review, part, ref)
    return _form(request, s, review, wording, {"text": wording.text, "reason": ""}, {})


def _form(request: Request, s: Session, review, wording, values: dict, errors: dict, status_code: int = 200):
    return page(
        request,
        "report_wording_change.html",
        status_code,
        review=review,
        host=trust_of(s, review).name,
        wording=wording,
        asked=list(review.factual_corrections),
        values=values,
        errors=errors,
    )


@router.post("/reviews/{review_id}/report/wording/{part}/{ref}")
async def wording_change(request: Request, review_id: Id, part: str, ref: str, viewer: Signed, s: DB):
    fields = dict(await posted(request))
    review = _corrector(s, viewer, review_id)
    wording = _one(s, review, part, ref)
    values = {"text": fields.get("text", ""), "reason": fields.get("reason", "")}
    try:
        report_wording.correct(s, review.id, part, ref, values["text"], values["reason"], viewer.email)
    except (Refused, NotFound):
        s.rollback()
        raise
    except UserError as exc:  # what the person can put right on the form
        s.rollback()
        errors = {}
        if not values["text"].strip():
            errors["text"] = "Enter the corrected wording"
        if not values["reason"].strip():
            errors["reason"] = "Enter why the wording changes"
        if not errors:
            errors[exc.loc[0] if exc.loc else "text"] = exc.problem
        return _form(request, s, review, wording, values, errors, 400)
    s.commit()
    return RedirectResponse(f"/reviews/{review.id}/report/wording?changed={part}-{ref}", status_code=303)
