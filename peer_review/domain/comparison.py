"""Compare a commissioned external review of a trust with its peer reviews, strand by strand.

The matching is lexical, and meant to be checked by a person: two items match when they share enough
significant words, not when they mean the same thing. "Leaders know their schools" and "the board holds
leaders to account" do not match; "leaders know their schools" and "leaders do not know their schools"
do. The lists say where to look first; they are not a finding about either review.

Similarity is the share of significant words two items have in common (the Dice coefficient: twice the
words in common over the words in both): words are lower-cased, stop words and one-letter words dropped,
and a plural "s" taken off (so "visits" meets "visit"). Items match at MATCH_THRESHOLD or more, and only
within a kind (strengths with strengths, areas for development with areas for development). An item may
match several on the other side; every such pair is listed, and "only one side found" lists the items in
no pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Two items of five significant words each match when they share two of them.
MATCH_THRESHOLD = 0.4

#: Common English words, and "trust", which nearly every finding about a trust uses. Negations (no, not,
#: nor) are kept: they are all a lexical comparison has of what a sentence denies.
STOP_WORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my of off on once only or other our ours ourselves
out over own same she should so some such than that the their theirs them themselves then there these they this those
through to too under until up us very was we were what when where which while who whom why will with would you your
yours yourself trust trusts well
""".split()
)

KINDS = ("strength", "area_for_development")


def significant_words(text: str) -> frozenset[str]:
    words = re.findall(r"[^\W\d_]+|\d+", text.lower())
    kept = (
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in words
        if w not in STOP_WORDS and len(w) > 1
    )
    return frozenset(kept)


def similarity(a: str, b: str) -> float:
    """The share of significant words in common, from 0 (none) to 1 (the same words)."""
    words_a, words_b = significant_words(a), significant_words(b)
    if not words_a or not words_b:
        return 0.0
    return 2 * len(words_a & words_b) / (len(words_a) + len(words_b))


@dataclass(frozen=True)
class Item:
    kind: str  # strength | area_for_development
    text: str
    ref: str = ""  # the peer review's finding ref (F1...); empty for the external review's items


@dataclass(frozen=True)
class Match:
    kind: str
    external: str
    peer: str
    peer_ref: str
    similarity: float  # rounded to two places


@dataclass(frozen=True)
class SelfEvaluationLine:
    number: int
    title: str
    self_evaluation: str
    alignment: (
        str | None
    )  # the moderator's standing judgement (aligned, partly_aligned, not_aligned), None before moderation
    comment: str = ""


@dataclass(frozen=True)
class ExternalStrand:
    strand_id: str
    view: str
    strengths: list[str]
    areas_for_development: list[str]


@dataclass(frozen=True)
class PeerStrand:
    strand_id: str
    review_id: int
    stage: str
    findings: list[Item]  # the supported strengths and areas for development
    self_evaluation: list[SelfEvaluationLine] = field(default_factory=list)


@dataclass(frozen=True)
class StrandComparison:
    strand_id: str
    strand_title: str
    covered_by: str  # both | external review only | peer review only
    external_view: str
    matched: list[Match]
    only_external: list[Item]
    only_peer: list[Item]
    review_id: int | None
    review_stage: str
    self_evaluation: list[SelfEvaluationLine]


def compare(
    strands: list[tuple[str, str]],
    external: dict[str, ExternalStrand],
    peer: dict[str, PeerStrand],
    threshold: float = MATCH_THRESHOLD,
) -> list[StrandComparison]:
    """Each strand (id, title) either side covered, in the order given: a peer review covers a strand once it
    has a supported strength or area for development."""
    compared = []
    for strand_id, title in strands:
        theirs, ours = external.get(strand_id), peer.get(strand_id)
        findings = [f for f in ours.findings if f.kind in KINDS] if ours else []
        if theirs is None and not findings:
            continue
        items = (
            (
                [Item("strength", t) for t in theirs.strengths]
                + [Item("area_for_development", t) for t in theirs.areas_for_development]
            )
            if theirs
            else []
        )
        matched = [
            Match(e.kind, e.text, p.text, p.ref, round(s, 2))
            for e in items
            for p in findings
            if e.kind == p.kind and (s := similarity(e.text, p.text)) >= threshold
        ]
        covered = "both" if theirs and findings else "external review only" if theirs else "peer review only"
        compared.append(
            StrandComparison(
                strand_id,
                title,
                covered,
                theirs.view if theirs else "",
                matched,
                only_external=[e for e in items if not any(m.kind == e.kind and m.external == e.text for m in matched)],
                only_peer=[p for p in findings if not any(m.peer_ref == p.ref for m in matched)],
                review_id=ours.review_id if ours else None,
                review_stage=ours.stage if ours else "",
                self_evaluation=ours.self_evaluation if ours else [],
            )
        )
    return compared
