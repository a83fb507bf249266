"""Evidence files on the web: the page for attaching files to an item, removing one, and downloading one
(always as an attachment, never shown in the browser). Who may do each is decided in service/evidence_files.py."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from peer_review import settings
from peer_review.entrypoints.web.pages import DB, FileTooLarge, FormUnreadable, Id, Signed, page, posted, posted_file
from peer_review.service import evidence_files

router = APIRouter()

#: What a multipart body carries beyond the file itself: its boundaries, headers and the form's fields.
FORM_OVERHEAD = 64 * 1024


def _attach_form(request: Request, s, viewer, review_id: int, item: int, errors: dict, status: int = 200, values=None):
    view = evidence_files.attach_page(s, viewer, review_id, item)
    return page(request, "evidence_files.html", status, view=view, errors=errors, values=values or {})


@router.get("/reviews/{review_id}/evidence/{item}/files")
def attach_form(request: Request, review_id: Id, item: Id, viewer: Signed, s: DB):
    return _attach_form(request, s, viewer, review_id, item, {})


@router.post("/reviews/{review_id}/evidence/{item}/files")
async def attach(request: Request, review_id: Id, item: Id, viewer: Signed, s: DB):
    limit = settings.file_limit_bytes()
    try:
        fields, upload = await posted_file(request, max_bytes=limit + FORM_OVERHEAD)
    except FileTooLarge:  # nothing of it was kept
        message = f"The selected file must be smaller than {limit // settings.MB} MB"
        return _attach_form(request, s, viewer, review_id, item, {"file": message}, 413)
    except FormUnreadable:  # a part it cannot read, such as a file name of a megabyte
        message = "The selected file could not be uploaded – try again"
        return _attach_form(request, s, viewer, review_id, item, {"file": message}, 400)
    personal = {"yes": True, "no": False}.get(fields.get("personal_data", ""))
    try:
        row = evidence_files.attach(
            s, viewer, review_id, item, upload[0] if upload else "", upload[1] if upload else b"", personal
        )
    except evidence_files.FileProblem as exc:
        s.rollback()
        return _attach_form(request, s, viewer, review_id, item, exc.errors, exc.http_status, fields)
    try:
        s.commit()
    except BaseException:  # its record was not kept: neither are its bytes
        evidence_files.files().delete(row.key)
        raise
    return RedirectResponse(f"/reviews/{review_id}/evidence/{item}/files?attached=1", status_code=303)


@router.post("/files/{file_id}/remove")
async def remove(request: Request, file_id: Id, viewer: Signed, s: DB):
    await posted(request)
    row = evidence_files.remove(s, viewer, file_id)
    s.commit()
    evidence_files.files().delete(row.key)  # once its record is gone (a failed commit keeps both)
    return RedirectResponse(f"/reviews/{row.review_id}/evidence/{row.item}/files?removed=1", status_code=303)


@router.get("/files/{file_id}")
def download(file_id: Id, viewer: Signed, s: DB):
    row, content = evidence_files.fetch(s, viewer, file_id)
    return Response(
        content,
        media_type="application/octet-stream",  # a download, whatever it holds: never drawn in the browser
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/reviews/{review_id}/documents.zip")
def all_documents(review_id: Id, viewer: Signed, s: DB):
    """The review's documents and evidence files that this person may have, as one zip."""
    name, content = evidence_files.review_bundle(s, viewer, review_id)
    return Response(
        content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
