"""The good-practice library: good practice the moderator supported, from reports that have been issued,
shared across reviews and partnerships because the host trust said yes in the factual accuracy check.

An entry names the host trust, its partnership, the strand (with the DfE areas it covers), the line of
enquiry and the types of evidence it rests on; never the evidence's titles or where it lives, which may
name pupils or staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, or_
from sqlmodel import Session, select

from peer_review.errors import UserError
from peer_review.files.frameworks import AREAS
from peer_review.store.tables import (
    EvidenceItem,
    Finding,
    LineOfEnquiry,
    Partnership,
    Review,
    Trust,
)

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


def _shared():
    """The conditions for a finding to be in the library."""
    return and_(
        Finding.kind == "good_practice",
        Finding.status == "supported",
        Review.issued_on.is_not(None),
        Review.good_practice_consent.is_(True),
    )


def _like(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere: `%`, `_` and the escape character mean themselves."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
    partnerships = {p.id: p for p in session.exec(select(Partnership))}
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

    query = (
        select(
            Finding.text,
            Finding.evidence,
            Review.id,
            Review.partnership_id,
            Review.strand_id,
            Review.strand_title,
            Review.issued_on,
            Trust.name,
            LineOfEnquiry.title,
        )
        .join(Review, Review.id == Finding.review_id)
        .join(Trust, Trust.id == Review.host_trust_id)
        .outerjoin(
            LineOfEnquiry,
            and_(
                LineOfEnquiry.review_id == Review.id,
                LineOfEnquiry.round == Review.lines_round,
                LineOfEnquiry.number == Finding.line_number,
            ),
        )
        .where(_shared())
        .order_by(Review.issued_on.desc(), Review.id.desc(), Finding.id)
    )
    if area is not None:
        covering = [
            and_(Review.partnership_id == pid, Review.strand_id == sid)
            for (pid, sid), areas in areas_of.items()
            if area in areas
        ]
        query = query.where(or_(false(), *covering))
    if strand is not None:
        query = query.where(Review.strand_id == strand)
    if search and search.strip():
        pattern = _like(search.strip())
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Finding.text, LineOfEnquiry.title, Review.strand_title, Trust.name)
                )
            )
        )
    rows = session.exec(query).all()

    types: dict[tuple[int, str], str] = {}
    review_ids = sorted({row[2] for row in rows})
    if review_ids:
        for review_id, ref, type_ in session.exec(
            select(EvidenceItem.review_id, EvidenceItem.ref, EvidenceItem.type).where(
                EvidenceItem.review_id.in_(review_ids)
            )
        ):
            types[(review_id, ref)] = type_
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
    rows = session.exec(
        select(Review.strand_id, Review.strand_title)
        .join(Finding, Finding.review_id == Review.id)
        .where(_shared())
        .distinct()
    )
    return sorted(dict(rows.all()).items(), key=lambda item: item[1].lower())
