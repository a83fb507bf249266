"""The good-practice library: what hosts agreed to share, searchable, for everyone taking part in a partnership."""

from __future__ import annotations

from fastapi import APIRouter, Request

from peer_review.entrypoints.web.pages import DB, Signed, page
from peer_review.errors import Refused, UserError
from peer_review.files.frameworks import AREAS
from peer_review.service import good_practice

router = APIRouter()


@router.get("/good-practice")
def good_practice_page(request: Request, viewer: Signed, s: DB, area: str = "", strand: str = "", search: str = ""):
    """A search form (a GET: it changes nothing) and the good practice that matches it."""
    if not viewer.partnership_ids:  # only people who still take part in a partnership (not those who left)
        raise Refused("The good practice library is for people taking part in moderated peer review.")
    strands = good_practice.shared_strands(s)
    errors = {}
    if area and area not in AREAS:
        errors["area"] = "Select a DfE area from the list"
    if strand and strand not in dict(strands):
        errors["strand"] = "Select a strand from the list"
    if len(search) > good_practice.MAX_SEARCH:
        errors["search"] = f"Search for {good_practice.MAX_SEARCH} characters or fewer"
    entries = []
    if not errors:
        try:
            entries = good_practice.library(s, area or None, strand or None, search or None)
        except UserError as exc:
            errors["search"] = exc.problem
    values = {"area": area, "strand": strand, "search": search}
    return page(
        request,
        "good_practice.html",
        400 if errors else 200,
        entries=entries,
        errors=errors,
        values=values,
        area_options=list(good_practice.AREA_LABELS.items()),
        area_labels=good_practice.AREA_LABELS,
        strand_options=strands,
        searched=bool(area or strand or search),
    )
