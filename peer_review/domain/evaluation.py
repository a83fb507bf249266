"""The pilot's questions, answered from plain records: how accurate is trusts' self-evaluation (per line,
review, trust, strand and partnership, and through the cycle), which judgements moderation changed, and
what participants said. Counts only: nothing here grades a trust.

People's answers are reported for a group only when at least `MIN_GROUP` people answered, so nobody's
answer can be read off a small group; counts of lines of enquiry are not about people and are shown whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from statistics import mean

from peer_review.domain.model import Alignment

MIN_GROUP = 3  # fewer respondents than this and a group's answers are withheld

#: Words that would make the evaluation a grading (Ofsted's scale, ratings, rankings); no output may use them,
#: and tests read every output for them. ("Grade" itself appears only where a page says reviews never give one.)
GRADE_WORDS = (
    "outstanding",
    "inadequate",
    "requires improvement",
    "graded",
    "rated",
    "rating",
    "score",
    "scores",
    "rag",
    "league table",
    "rank",
    "ranks",
    "ranked",
    "ranking",
)


@dataclass(frozen=True)
class Judgement:
    """One moderation round's judgement of how well the host's self-evaluation of one line matched the evidence."""

    review_id: int
    trust: str  # the host trust's id
    trust_name: str
    strand: str
    strand_title: str
    review_order: int  # 1 for the trust's first review of the cycle (by visit date), 2 for its second, ...
    line: int
    line_title: str
    round: int
    alignment: Alignment
    comment: str
    visit_start: dt.date
    issued_on: dt.date | None


@dataclass(frozen=True)
class AlignmentTally:
    """How many judged lines of a group were aligned, partly aligned and not aligned."""

    group: str
    aligned: int = 0
    partly_aligned: int = 0
    not_aligned: int = 0

    @property
    def lines(self) -> int:
        return self.aligned + self.partly_aligned + self.not_aligned

    def count(self, alignment: Alignment) -> int:
        return getattr(self, alignment.value)

    def share(self, alignment: Alignment) -> float | None:
        """The fraction of the group's lines with this alignment (None for an empty group)."""
        return self.count(alignment) / self.lines if self.lines else None


def standing(judgements: Iterable[Judgement]) -> list[Judgement]:
    """Each line's judgement that stands: its latest round's."""
    latest: dict[tuple[int, int], Judgement] = {}
    for j in sorted(judgements, key=lambda j: (j.review_id, j.line, j.round)):
        latest[(j.review_id, j.line)] = j
    return list(latest.values())


def tally(
    judgements: Iterable[Judgement], key: Callable[[Judgement], Hashable], label: Callable[[Hashable], str] = str
) -> list[AlignmentTally]:
    """Standing judgements counted per group, groups in the order they first appear."""
    groups: dict[Hashable, dict[Alignment, int]] = {}
    for j in judgements:
        counts = groups.setdefault(key(j), {a: 0 for a in Alignment})
        counts[j.alignment] += 1
    return [AlignmentTally(label(group), *(counts[a] for a in Alignment)) for group, counts in groups.items()]


def total(judgements: list[Judgement], group: str) -> AlignmentTally:
    return tally(judgements, lambda _j: group)[0] if judgements else AlignmentTally(group)


@dataclass(frozen=True)
class Change:
    """A line whose judgement moderation changed between two rounds."""

    before: Judgement
    after: Judgement


def changes(judgements: Iterable[Judgement]) -> list[Change]:
    """Every change of a line's alignment from one round's judgement to the next round that judged it."""
    by_line: dict[tuple[int, int], list[Judgement]] = {}
    for j in judgements:
        by_line.setdefault((j.review_id, j.line), []).append(j)
    found = []
    for rounds in by_line.values():
        rounds.sort(key=lambda j: j.round)
        found += [Change(a, b) for a, b in zip(rounds, rounds[1:]) if a.alignment != b.alignment]
    return sorted(found, key=lambda c: (c.after.review_id, c.after.line, c.after.round))


@dataclass(frozen=True)
class FirstAndLater:
    """One trust's first review against its later ones: does its self-evaluation match the evidence more often?"""

    trust: str
    trust_name: str
    first: AlignmentTally
    later: AlignmentTally

    @property
    def change_in_aligned(self) -> float | None:
        """The later reviews' share of aligned lines minus the first review's (None until both exist)."""
        a, b = self.first.share(Alignment.ALIGNED), self.later.share(Alignment.ALIGNED)
        return None if a is None or b is None else b - a


def first_and_later(judgements: list[Judgement]) -> list[FirstAndLater]:
    rows = []
    for trust in dict.fromkeys(j.trust for j in judgements):
        mine = [j for j in judgements if j.trust == trust]
        rows.append(
            FirstAndLater(
                trust,
                mine[0].trust_name,
                total([j for j in mine if j.review_order == 1], "first review"),
                total([j for j in mine if j.review_order > 1], "later reviews"),
            )
        )
    return rows


# --- what people said -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupAnswers:
    """The answers of one group of people to a question on a 1-5 scale (or yes/no as 1/0), withheld when the group is small."""

    group: str
    respondents: int
    mean: float | None  # None when withheld (or nobody answered)

    @property
    def suppressed(self) -> bool:
        return 0 < self.respondents < MIN_GROUP


def group_mean(group: str, values: list[float], respondents: int | None = None) -> GroupAnswers:
    """The group's mean answer, or withheld when fewer than MIN_GROUP people answered. `respondents` counts
    people when one person gives several answers (a moderator's feedback on each of their reviews)."""
    people = len(values) if respondents is None else respondents
    return GroupAnswers(group, people, round(mean(values), 2) if people >= MIN_GROUP and values else None)


def shown_count(count: int) -> str:
    """A count of people as it may be printed: small groups are withheld."""
    return f"fewer than {MIN_GROUP}" if 0 < count < MIN_GROUP else str(count)


def percent(share: float | None) -> str:
    return "-" if share is None else f"{round(100 * share)}%"


def find_grade_words(text: str) -> list[str]:
    """The grade words a text uses, as whole words."""
    lowered = text.lower()
    return [word for word in GRADE_WORDS if re.search(rf"\b{re.escape(word)}\b", lowered)]
