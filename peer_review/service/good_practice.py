"""The good-practice library: good practice the moderator supported, from reports that have been issued,
shared across reviews and partnerships because the host trust said yes in the factual accuracy check.

An entry names the host trust, its partnership, the strand (with the DfE areas it covers), the line of
enquiry and the types of evidence it rests on; never the evidence's titles or where it lives, which may
name pupils or staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peer_review.errors import UserError
from peer_review.files.frameworks import AREAS
from peer_review.store.db import Session
from peer_review.store.development_actions import (
    evidence_types,
    shared_good_practice,
    strands_with_shared_good_practice,
)
from peer_review.store.people import every_partnership

#: The five areas of the DfE definition of a strong trust, in words.
AREA_LABELS = dict(
    zip(
        AREAS,
        (
            "High-quality and inclusive education",
            "School improvement",
            "Workforce",
            "Finance and operations",
            "Governance and leadership",
        ),
    )
)
MAX_SEARCH = 200  # characters


@dataclass(frozen=True)
class Entry:
    text: str
    trust: str
    partnership: str
    strand_id: str
    strand: str
    areas: tuple[str, ...]  # DfE area ids
    line: str  # the line of enquiry's title
    issued_on: dt.date
    evidence_types: tuple[str, ...]


def library(
    session: Session, area: str | None = None, strand: str | None = None, search: str | None = None
) -> list[Entry]:
    """Shared good practice, newest report first, in three queries however many entries there are.

    `area` is a DfE area id, `strand` a strand id; `search` matches, ignoring case, the good practice's
    text, its line of enquiry, its strand or its trust's name."""
    if search is not None and len(search) > MAX_SEARCH:
        raise UserError(f"search for {MAX_SEARCH} characters or fewer")
    if area is not None and area not in AREAS:
        raise UserError(f"there is no DfE area '{area}'; the areas are: {', '.join(AREAS)}")
    partnerships = {p.id: p for p in every_partnership(session)}
    areas_of = {
        (p.id, s["id"]): tuple(s.get("areas", []))
        for p in partnerships.values()
        for s in p.framework.get("strands", [])
    }
    strands = {sid for _, sid in areas_of}
    if strand is not None and strand not in strands:
        raise UserError(
            f"there is no strand '{strand}' in the loaded frameworks; strands: {', '.join(sorted(strands)) or 'none'}"
        )

    covering = None
    if area is not None:
        covering = [(pid, sid) for (pid, sid), areas in areas_of.items() if area in areas]
    rows = shared_good_practice(session, covering, strand, search)
    types = evidence_types(session, sorted({row[2] for row in rows}))
    return [
        Entry(
            text=text,
            trust=trust,
            partnership=partnerships[pid].name,
            strand_id=sid,
            strand=strand_title,
            areas=areas_of.get((pid, sid), ()),
            line=line or "",
            issued_on=issued_on,
            evidence_types=tuple(
                dict.fromkeys(types[(review_id, ref)] for ref in evidence if (review_id, ref) in types)
            ),
        )
        for text, evidence, review_id, pid, sid, strand_title, issued_on, trust, line in rows
    ]


def shared_strands(session: Session) -> list[tuple[str, str]]:
    """(id, title) of the strands that have shared good practice, for choosing among them."""
    return sorted(strands_with_shared_good_practice(session).items(), key=lambda item: item[1].lower())
