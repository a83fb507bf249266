"""The pages the footer links to, which anyone may read without signing in: the accessibility statement, the
privacy notice and how to get in touch. Someone signed in still sees their account in the header."""

from __future__ import annotations

from fastapi import APIRouter, Request

from peer_review import settings
from peer_review.entrypoints.web.pages import DB, NotSignedIn, page, signed_in
from peer_review.service.access import Viewer
from peer_review.store.people import coordinator_of, partnership_names

router = APIRouter()


def _who(request: Request, s: DB) -> Viewer | None:
    """Who is signed in, if anyone (noted for the header); nobody need be."""
    try:
        return signed_in(request, s)
    except NotSignedIn:
        return None


@router.get("/accessibility")
def accessibility(request: Request, s: DB):
    _who(request, s)
    return page(request, "accessibility.html")


@router.get("/privacy")
def privacy(request: Request, s: DB):
    _who(request, s)
    return page(request, "privacy.html", sent_mail_days=settings.sent_mail_days())


@router.get("/contact")
def contact(request: Request, s: DB):
    """Whom to ask; for someone signed in, the coordinator of each of their partnerships by name."""
    viewer = _who(request, s)
    coordinators = [
        (name, coordinator_of(s, partnership_id))
        for partnership_id, name in partnership_names(s, viewer.partnership_ids if viewer else [])
    ]
    return page(request, "contact.html", coordinators=coordinators)
