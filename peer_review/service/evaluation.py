"""The evaluation of one partnership, read from its records in a fixed number of queries: what
`peer-review evaluation` writes (a Word report and tidy CSVs) and the coordinator's Evaluation page shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, cast

from peer_review import clock
from peer_review.adapters.chart_spec import ChartSpec
from peer_review.domain import evaluation as ev
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import Alignment
from peer_review.domain.surveys import SurveyRound
from peer_review.service.context_data import (
    ExternalComparison,
    TrustTrend,
    external_comparison,
    headline_trends,
)
from peer_review.service.follow_up import ActionView, action_views
from peer_review.service.surveys import SurveyResults, survey_results
from peer_review.store.cycle_plans import planned_reviews
from peer_review.store.db import Session
from peer_review.store.evaluation_data import feedback_responses, judgements_with_titles, partnership_actions
from peer_review.store.people import trusts_in
from peer_review.store.reviews import latest_cycle

if TYPE_CHECKING:
    from peer_review.store.tables import Partnership, Review, Trust

FEEDBACK_QUESTIONS = {
    "helped_us_improve": "The review will help us improve",
    "fair_and_accurate": "The review gave a fair and accurate account",
    "would_take_part_again": "Would take part again (share saying yes)",
}
ROLE_GROUPS = {"host": "Host trust CEOs", "peer": "Peer reviewers", "moderator": "Moderators"}


@dataclass(frozen=True)
class FeedbackRow:
    group: str
    question: str
    answers: ev.GroupAnswers


@dataclass
class Evaluation:
    """One partnership's evaluation: the records read once, the figures derived from them (each worked out once)."""

    partnership: str
    framework: str
    cycle_start: dt.date | None
    cycle_end: dt.date | None
    produced_on: dt.date
    reviews: int  # not cancelled
    closed: int
    issued: int
    trusts: list[tuple[str, str]]  # (id, name) in the partnership file's order
    strands: list[tuple[str, str]]  # (id, title) in the framework's order
    judgements: list[ev.Judgement]  # every round's
    feedback: list[FeedbackRow] = field(default_factory=list)
    surveys: SurveyResults | None = None
    external: list[ExternalComparison] = field(default_factory=list)
    actions: list[tuple[tuple[str, str], ActionView]] = field(
        default_factory=list
    )  # ((host trust's id, name), action), trust by trust
    headline: list[TrustTrend] = field(default_factory=list)

    @cached_property
    def standing(self) -> list[ev.Judgement]:
        return ev.standing(self.judgements)

    @cached_property
    def overall(self) -> ev.AlignmentTally:
        return ev.total(self.standing, self.partnership)

    @cached_property
    def by_strand(self) -> list[ev.AlignmentTally]:
        titles = dict(self.strands)
        found = {t.group: t for t in ev.tally(self.standing, lambda j: j.strand)}
        return [_named(titles[sid], found.get(sid)) for sid, _ in self.strands]

    @cached_property
    def by_trust(self) -> list[ev.AlignmentTally]:
        names = dict(self.trusts)
        found = {t.group: t for t in ev.tally(self.standing, lambda j: j.trust)}
        return [_named(names[key], found.get(key)) for key, _ in self.trusts]

    @cached_property
    def by_review(self) -> list[ev.AlignmentTally]:
        return ev.tally(
            sorted(self.standing, key=lambda j: (j.visit_start, j.review_id)),
            lambda j: (j.review_id, j.trust_name, j.strand_title),
            lambda key: "Review {}: {}, {}".format(*cast(tuple, key)),  # the key just above
        )

    @cached_property
    def by_order(self) -> list[ev.AlignmentTally]:
        """Lines judged at trusts' first reviews, second reviews, ...: does accuracy improve through the cycle?"""
        return ev.tally(
            sorted(self.standing, key=lambda j: j.review_order),
            lambda j: j.review_order,
            lambda n: f"Review {n} of each trust",
        )

    @cached_property
    def first_and_later(self) -> list[ev.FirstAndLater]:
        return ev.first_and_later(self.standing)

    @cached_property
    def changes(self) -> list[ev.Change]:
        return ev.changes(self.judgements)


def _named(group: str, found: ev.AlignmentTally | None) -> ev.AlignmentTally:
    """A group's tally under its display name (an empty one when nothing in it has been judged yet)."""
    return ev.AlignmentTally(group, *((found.count(a) for a in Alignment) if found else ()))


def evaluate(session: Session, partnership: Partnership) -> Evaluation:
    cycle = latest_cycle(session, partnership.id)
    trusts = trusts_in(session, partnership.id)
    reviews = planned_reviews(session, partnership.id)
    return Evaluation(
        partnership=partnership.name,
        framework=partnership.framework.get("title", partnership.framework_id),
        cycle_start=cycle.start if cycle else None,
        cycle_end=cycle.end if cycle else None,
        produced_on=clock.today(),
        reviews=len(reviews),
        closed=sum(1 for r in reviews if r.stage == Stage.CLOSED.value),
        issued=sum(1 for r in reviews if r.issued_on is not None),
        trusts=[(t.key, t.name) for t in trusts],
        strands=[(s["id"], s["title"]) for s in partnership.framework.get("strands", [])],
        judgements=_judgements(session, partnership, reviews, {t.id: t for t in trusts}),
        feedback=_feedback(session, partnership, reviews),
        surveys=survey_results(session, partnership),
        external=external_comparison(session, partnership.name),
        headline=headline_trends(session, partnership.name),
        actions=_actions(session, partnership, {t.id: (t.key, t.name) for t in trusts}),
    )


def _actions(
    session: Session, partnership: Partnership, trust_names: dict[int, tuple[str, str]]
) -> list[tuple[tuple[str, str], ActionView]]:
    actions = partnership_actions(session, partnership.id)
    trust_of = {a.id: trust_names[a.trust_id] for a in actions}
    return [(trust_of[view.id], view) for view in action_views(session, list(actions))]


def _judgements(
    session: Session, partnership: Partnership, reviews: list[Review], trusts: dict[int, Trust]
) -> list[ev.Judgement]:
    order: dict[int, int] = {}  # each review's place among its host trust's reviews, by visit date
    for trust_id in trusts:
        mine = sorted((r for r in reviews if r.host_trust_id == trust_id), key=lambda r: (r.visit_start, r.id))
        order.update({r.id: n for n, r in enumerate(mine, start=1)})
    by_id = {r.id: r for r in reviews}
    judgements = []
    for j, line_title in judgements_with_titles(session, partnership.id):
        review = by_id.get(j.review_id)
        if review is None:  # a cancelled review
            continue
        trust = trusts[review.host_trust_id]
        judgements.append(
            ev.Judgement(
                review.id,
                trust.key,
                trust.name,
                review.strand_id,
                review.strand_title,
                order[review.id],
                j.line_number,
                line_title or "",
                j.round,
                Alignment(j.alignment),
                j.comment,
                review.visit_start,
                review.issued_on,
            )
        )
    return sorted(judgements, key=lambda j: (j.visit_start, j.review_id, j.line, j.round))


def _feedback(session: Session, partnership: Partnership, reviews: list[Review]) -> list[FeedbackRow]:
    """Each role's answers to the per-review feedback survey, published once every review has closed (figures
    that moved with each answer would give it away). Each person's answers are averaged first, then the
    group's: a group counts people, so one moderator answering for many reviews is a group of one (withheld)."""
    if any(r.stage != Stage.CLOSED.value for r in reviews):
        return []
    rows = feedback_responses(session, partnership.id)
    out = []
    for role, group in ROLE_GROUPS.items():
        mine = [r for r in rows if r.role == role]
        for question, wording in FEEDBACK_QUESTIONS.items():
            by_person: dict[int, list[float]] = {}
            for r in mine:
                by_person.setdefault(r.person_id, []).append(float(getattr(r, question)))
            out.append(FeedbackRow(group, wording, ev.group_mean(group, [sum(v) / len(v) for v in by_person.values()])))
    return out


# --- what is written and shown -----------------------------------------------------------------------

ABOUT = (
    "This evaluation counts what the partnership’s records show. For each agreed line of enquiry, the external "
    "moderator judged how well the host trust’s self-evaluation matched the evidence the review team saw: "
    "it matched, it partly matched, or it did not match. These are judgements of the accuracy of self-evaluation, "
    "not of the trusts themselves, and nothing here puts the trusts in order."
)
METHOD = [
    "A line’s judgement is the one that stands after moderation (its latest round); the judgements moderation changed are listed with the moderator’s comments.",
    "A trust’s reviews are numbered in visit order: review 1 is its first of the cycle. Comparing trusts’ first reviews with their later ones shows whether self-evaluation came closer to the evidence through the cycle.",
    f"People’s answers are shown for a group only when at least {ev.MIN_GROUP} people answered; smaller groups are withheld. A moderator who answered for several reviews counts once.",
    "Every figure comes from the records on the date above; the CSV files beside this report hold the same data, one row per observation.",
]
TALLY_COLUMNS = ["Group", "Lines judged", "Matched", "Partly matched", "Did not match", "Share matched"]


def _tally_rows(tallies: list[ev.AlignmentTally]) -> list[list[str]]:
    return [
        [t.group, str(t.lines), *(str(t.count(a)) for a in Alignment), ev.percent(t.share(Alignment.ALIGNED))]
        for t in tallies
    ]


def _sentence(t: ev.AlignmentTally) -> str:
    if not t.lines:
        return "No line of enquiry has been judged yet."
    parts = [
        f"{verb} for {t.count(a)} ({ev.percent(t.share(a))})"
        for a, verb in zip(Alignment, ("matched the evidence", "partly matched", "did not match"))
    ]
    return (
        f"The moderators judged {t.lines} lines of enquiry: the self-evaluation {parts[0]}, {parts[1]} and {parts[2]}."
    )


def charts(e: Evaluation) -> dict[str, ChartSpec]:
    """The evaluation's charts by name, as what draws each (drawn only when asked for: the web serves one
    chart per request, and the command line may draw them in a second process)."""
    changes = _survey_changes(e)
    survey = (
        {
            "survey_change": ChartSpec(
                "Change in each group's mean agreement since the baseline survey, by theme",
                "change",
                (
                    "Views since the baseline survey (latest round)",
                    [label for label, _, _ in changes],
                    [c for _, c, _ in changes],
                    "change in mean agreement (scale 1 to 5)",
                    [note for _, _, note in changes],
                ),
            )
        }
        if changes
        else {}
    )
    return survey | {
        "by_strand": ChartSpec(
            "How often self-evaluation matched the evidence, by strand",
            "alignment",
            ("Self-evaluation against the evidence, by strand", e.by_strand),
        ),
        "over_time": ChartSpec(
            "How often self-evaluation matched the evidence at trusts’ first, second and later reviews",
            "alignment",
            ("Self-evaluation against the evidence through the cycle", e.by_order),
        ),
    }


def sections(e: Evaluation) -> list[dict]:
    """The report's content, section by section (the Word report and the web page lay out the same parts)."""

    def part(
        heading: str = "",
        paragraphs: list[str] | None = None,
        chart: str | None = None,
        columns: list[str] | None = None,
        rows: list[list[str]] | None = None,
    ) -> dict:
        return {
            "heading": heading,
            "paragraphs": paragraphs or [],
            "chart": chart,
            "table": {"columns": columns, "rows": rows} if columns else None,
        }

    changes = e.changes
    first_later = e.first_and_later
    return [
        {
            "title": "About this evaluation",
            "parts": [
                part(
                    paragraphs=[
                        ABOUT,
                        f"{e.reviews} reviews are planned in this cycle; {e.issued} reports have been issued.",
                    ]
                )
            ],
        },
        {"title": "Summary", "parts": [part(paragraphs=_summary(e))]},
        {
            "title": "How accurate was self-evaluation?",
            "parts": [
                part("Across the partnership", [_sentence(e.overall)]),
                part("By strand", chart="by_strand", columns=TALLY_COLUMNS, rows=_tally_rows(e.by_strand)),
                part("By trust", columns=TALLY_COLUMNS, rows=_tally_rows(e.by_trust)),
                part("By review", columns=TALLY_COLUMNS, rows=_tally_rows(e.by_review)),
            ],
        },
        {
            "title": "Through the cycle",
            "parts": [
                part(
                    "",
                    ["Lines judged at each trust’s first review of the cycle, its second, and so on."],
                    "over_time",
                    TALLY_COLUMNS,
                    _tally_rows(e.by_order),
                ),
                part(
                    "Each trust’s first review against its later ones",
                    [
                        "The change is the later reviews’ share of lines whose self-evaluation matched the evidence, minus the first review’s, in percentage points.",
                    ],
                    columns=[
                        "Trust",
                        "Lines at first review",
                        "Matched at first review",
                        "Lines at later reviews",
                        "Matched at later reviews",
                        "Change (points)",
                    ],
                    rows=[
                        [
                            f.trust_name,
                            str(f.first.lines),
                            ev.percent(f.first.share(Alignment.ALIGNED)),
                            str(f.later.lines),
                            ev.percent(f.later.share(Alignment.ALIGNED)),
                            "-" if f.change_in_aligned is None else f"{100 * f.change_in_aligned:+.0f}",
                        ]
                        for f in first_later
                    ],
                ),
            ],
        },
        {
            "title": "Judgements changed in moderation",
            "parts": [
                part(
                    "",
                    [
                        f"{len(changes)} judgement(s) changed between moderation rounds, as the findings were revised."
                        if changes
                        else "No judgement changed between moderation rounds."
                    ],
                    columns=["Review", "Trust", "Strand", "Line", "Before", "After", "Round", "Moderator’s comment"]
                    if changes
                    else None,
                    rows=[
                        [
                            str(c.after.review_id),
                            c.after.trust_name,
                            c.after.strand_title,
                            f"{c.after.line}. {c.after.line_title}",
                            LABELS[c.before.alignment],
                            LABELS[c.after.alignment],
                            f"{c.before.round} to {c.after.round}",
                            c.after.comment,
                        ]
                        for c in changes
                    ],
                ),
            ],
        },
        {"title": "Following up areas for development", "parts": _follow_up_parts(e, part)},
        {"title": "Stakeholders’ views over time", "parts": _survey_parts(e, part)},
        {"title": "Comparison with external reviews", "parts": _external_parts(e, part)},
        {"title": "Published headline figures, as context", "parts": _headline_parts(e, part)},
        {
            "title": "What participants said after each review",
            "parts": [
                part(
                    "",
                    [
                        f"Answers on a scale of 1 (disagree) to 5 (agree), and the share who would take part again: each person’s answers "
                        f"averaged, then the group’s. Groups of fewer than {ev.MIN_GROUP} people are withheld."
                    ],
                    columns=["Group", "Question", "People", "Mean answer"],
                    rows=[[f.group, f.question, ev.shown_count(f.answers.respondents), _mean(f)] for f in e.feedback],
                )
                if e.feedback
                else part(
                    "",
                    [
                        f"The feedback is published once every review of the cycle has closed ({e.closed} of {e.reviews} closed so far), "
                        "so that no one answer can be read from a change in the figures."
                    ],
                ),
            ],
        },
        {"title": "Notes on method", "parts": [part(paragraphs=METHOD)]},
    ]


def _summary(e: Evaluation) -> list[str]:
    """The few sentences a board reads first: each from the same figures as the sections below."""
    points = [_sentence(e.overall)]
    compared = [
        f for f in e.first_and_later if f.first.lines and f.later.lines
    ]  # the trusts with a later review judged
    if compared:
        first = ev.AlignmentTally("first", *(sum(f.first.count(a) for f in compared) for a in Alignment))
        later = ev.AlignmentTally("later", *(sum(f.later.count(a) for f in compared) for a in Alignment))
        points.append(
            f"For the {len(compared)} trust(s) with a later review judged, the self-evaluation matched the evidence for "
            f"{ev.percent(first.share(Alignment.ALIGNED))} of lines at their first reviews and {ev.percent(later.share(Alignment.ALIGNED))} "
            "at their later ones."
        )
    points.append(f"Moderation changed {len(e.changes)} judgement(s) of self-evaluation after findings were revised.")
    changes = [(label, c) for label, c, _note in _survey_changes(e) if c is not None]
    if changes:
        label, change = max(changes, key=lambda item: abs(item[1]))
        points.append(
            f"In the stakeholder survey, the largest change since the baseline among the groups large enough to report was {change:+.2f} "
            f"(on a scale of 1 to 5), for {label}."
        )
    counts = [c for _, c in _follow_up_counts(e)]
    if counts:
        total_actions = sum(sum(c.values()) for c in counts)
        points.append(
            f"Reports named {total_actions} area(s) for development; by the latest records, {sum(c['done'] for c in counts)} are done, "
            f"{sum(c['under_way'] for c in counts)} under way, {sum(c['not_started'] for c in counts)} not started, "
            f"and {sum(c['none'] for c in counts)} have no progress recorded yet."
        )
    for c in e.external:
        both = sum(len(s.matched) for s in c.strands)
        only_external = sum(len(s.only_external) for s in c.strands)
        only_peer = sum(len(s.only_peer) for s in c.strands)
        points.append(
            f"Set beside the external review of {c.trust_name}, {both} pair(s) of findings are alike; "
            f"{only_external} finding(s) were made only by the external review and {only_peer} only by the peer reviews."
        )
    return points


def _latest_round(e: Evaluation) -> SurveyRound | None:
    """The latest closed round after a closed baseline (what "since the baseline" compares), if any."""
    opened = [SurveyRound(r.round) for r in e.surveys.rounds] if e.surveys else []
    later = [r for r in SurveyRound if r in opened and r != SurveyRound.BASELINE]
    return later[-1] if later and SurveyRound.BASELINE in opened else None


def _survey_changes(e: Evaluation) -> list[tuple[str, float | None, str]]:
    """(group: theme, change, what stands in for a missing change) from the baseline to the latest later round."""
    latest = _latest_round(e)
    if latest is None or e.surveys is None:  # no latest round without surveys
        return []
    baseline = {(r.group, r.theme): r.answers for r in e.surveys.themes if r.round == SurveyRound.BASELINE}
    return [
        (
            f"{r.group}: {r.theme}",
            r.change_from_baseline,
            "withheld"
            if r.answers.suppressed or (b := baseline.get((r.group, r.theme))) is not None and b.suppressed
            else "no answers",
        )
        for r in e.surveys.themes
        if r.round == latest
    ]


def _survey_parts(e: Evaluation, part) -> list[dict]:
    results = e.surveys
    still_open = [
        f"The {SurveyRound(r.round).label.lower()} round is open until {clock.long_date(r.due)}: its results are published when it closes, "
        "so that no one answer can be read from a change in the figures."
        for r in (results.still_open if results else [])
    ]
    if results is None or not results.rounds:
        return [
            part(
                paragraphs=still_open
                or ["No round of the stakeholder survey has been opened yet (`peer-review survey open baseline`)."]
            )
        ]
    if results.questionnaire is None:
        raise RuntimeError("survey results with closed rounds but no questionnaire")
    opened = [SurveyRound(r.round) for r in results.rounds]
    intro = (
        f"The questionnaire “{results.questionnaire.title}” asks how far people agree with statements on each theme, from 1 (strongly disagree) "
        f"to 5 (strongly agree). Each person’s answers on a theme are averaged, then each group’s. Groups of fewer than {ev.MIN_GROUP} people are withheld."
    )
    cells: dict[tuple[str, str], dict[SurveyRound, ev.GroupAnswers]] = {}
    change: dict[tuple[str, str], float | None] = {}
    latest = _latest_round(e)
    for r in results.themes:
        cells.setdefault((r.group, r.theme), {})[r.round] = r.answers
        if r.round == latest:
            change[(r.group, r.theme)] = r.change_from_baseline
    columns = ["Group", "Theme", *(r.label for r in opened), *(["Change since baseline"] if latest else [])]
    rows = []
    for (group, theme), by_round in cells.items():
        shown = [_shown(by_round.get(r)) for r in opened]
        if latest:
            ends = (by_round.get(SurveyRound.BASELINE), by_round.get(latest))
            shown.append(
                "withheld" if any(a is not None and a.suppressed for a in ends) else _signed(change.get((group, theme)))
            )
        rows.append([group, theme, *shown])
    responses = [
        [SurveyRound(round_).label, group, str(asked), ev.shown_count(results.answered[(round_, group)])]
        for (round_, group), asked in results.invited.items()
    ]
    return [
        part("", [intro, *still_open], "survey_change" if latest else None, columns, rows),
        part(
            "Who answered",
            ["People asked and people who answered, by round and group."],
            columns=["Round", "Group", "Asked", "Answered"],
            rows=responses,
        ),
    ]


FOLLOW_UP_COLUMNS = ["Trust", "Areas for development", "Done", "Under way", "Not started", "No progress recorded yet"]


def _follow_up_counts(e: Evaluation) -> list[tuple[str, dict[str, int]]]:
    """Per trust, its actions by the latest progress recorded on them ("none" when nothing is recorded yet)."""
    counts: dict[str, dict[str, int]] = {}
    for (_key, trust), action in e.actions:
        latest = action.latest.status.value if action.latest else "none"
        mine = counts.setdefault(trust, {"done": 0, "under_way": 0, "not_started": 0, "none": 0})
        mine[latest] += 1
    return list(counts.items())


def _follow_up_parts(e: Evaluation, part) -> list[dict]:
    if not e.actions:
        return [part(paragraphs=["No report has named an area for development yet."])]
    summary = [
        [trust, str(sum(c.values())), str(c["done"]), str(c["under_way"]), str(c["not_started"]), str(c["none"])]
        for trust, c in _follow_up_counts(e)
    ]
    actions = [
        [
            action.ref,
            trust,
            action.strand,
            action.text,
            action.latest.status.label if action.latest else "No progress recorded yet",
            f"{action.latest.occasion_label}, {clock.long_date(clock.local_date(action.latest.recorded_at))}"
            if action.latest
            else "",
            action.latest.evidence if action.latest else "",
        ]
        for (_key, trust), action in e.actions
    ]
    return [
        part(
            "",
            [
                "Each area for development in an issued report becomes an action its host trust owns. The host records how far each has got "
                "at the trust’s next review and at the end of its cycle; the latest record counts here."
            ],
            columns=FOLLOW_UP_COLUMNS,
            rows=summary,
        ),
        part(
            "Each action",
            columns=[
                "Action",
                "Trust",
                "From the review of",
                "Area for development",
                "Latest progress",
                "Recorded",
                "Evidence",
            ],
            rows=actions,
        ),
    ]


KIND_WORDS = {"strength": "strength", "area_for_development": "area for development"}


def _external_parts(e: Evaluation, part) -> list[dict]:
    if not e.external:
        return [part(paragraphs=["No external review has been imported (`peer-review external-review load FILE`)."])]
    parts = [
        part(
            paragraphs=[
                "A commissioned external review of a trust is set beside the trust’s peer reviews, strand by strand. Two findings are paired when "
                "they share enough of their significant words; the pairing is lexical, a first sort for a person to check, not a judgement "
                "that the two sides agree.",
            ]
        )
    ]
    for c in e.external:
        summary = [
            [
                s.strand_title,
                s.covered_by,
                str(len(s.matched)),
                str(len(s.only_external)),
                str(len(s.only_peer)),
                _alignment_counts(s.self_evaluation),
            ]
            for s in c.strands
        ]
        only = [
            [s.strand_title, side, KIND_WORDS.get(item.kind, item.kind), item.text]
            for s in c.strands
            for side, items in (("external review", s.only_external), ("peer review", s.only_peer))
            for item in items
        ]
        parts.append(
            part(
                f"{c.trust_name}: external review by {c.reviewer}"
                + (f", {c.organisation}" if c.organisation else "")
                + f", {clock.long_date(c.reviewed_on)}",
                columns=[
                    "Strand",
                    "Covered by",
                    "Found by both",
                    "Only the external review",
                    "Only the peer review",
                    "Self-evaluation against the evidence",
                ],
                rows=summary,
            )
        )
        if only:
            parts.append(
                part(
                    "",
                    [f"What only one side found, for {c.trust_name}:"],
                    columns=["Strand", "Found only by", "Kind", "Finding"],
                    rows=only,
                )
            )
        views = [
            [
                s.strand_title,
                s.external_view or "-",
                "; ".join(f"{line.number}. {line.self_evaluation}" for line in s.self_evaluation) or "-",
                _alignment_counts(s.self_evaluation),
            ]
            for s in c.strands
            if s.external_view
        ]
        if views:
            parts.append(
                part(
                    "",
                    [
                        f"The external reviewer’s view of each strand beside {c.trust_name}’s own self-evaluation of its lines of enquiry, "
                        "and the moderator’s judgement of that self-evaluation:"
                    ],
                    columns=[
                        "Strand",
                        "External reviewer’s view",
                        "The trust’s self-evaluation",
                        "Moderator’s judgement",
                    ],
                    rows=views,
                )
            )
    return parts


def _alignment_counts(lines) -> str:
    judged = [line.alignment for line in lines if line.alignment]
    if not judged:
        return "not yet judged"
    return ", ".join(f"{judged.count(a.value)} {LABELS[a]}" for a in Alignment if judged.count(a.value))


def _headline_parts(e: Evaluation, part) -> list[dict]:
    if not e.headline:
        return [
            part(
                paragraphs=["No published headline figures have been imported (`peer-review headline-data load FILE`)."]
            )
        ]
    parts = [
        part(
            paragraphs=[
                "Figures each trust has published, as they were published, for context beside its reviews. They are not interpreted here."
            ]
        )
    ]
    for trend in e.headline:
        parts.append(
            part(
                trend.name,
                columns=["Measure", *trend.years],
                rows=[[measure, *(v or "-" for v in values)] for measure, values in trend.table()],
            )
        )
    return parts


def _shown(answers: ev.GroupAnswers | None) -> str:
    """A group's mean as printed: withheld for a small group, a dash where nobody in it answered."""
    if answers is not None and answers.suppressed:
        return "withheld"
    return "-" if answers is None or answers.mean is None else f"{answers.mean:.2f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


LABELS = {
    Alignment.ALIGNED: "matched",
    Alignment.PARTLY_ALIGNED: "partly matched",
    Alignment.NOT_ALIGNED: "did not match",
}


def _mean(row: FeedbackRow) -> str:
    if row.answers.mean is None:
        return "withheld" if row.answers.suppressed else "no answers yet"
    if row.question == FEEDBACK_QUESTIONS["would_take_part_again"]:
        return ev.percent(row.answers.mean)
    return f"{row.answers.mean:.2f}"


def csv_files(e: Evaluation) -> dict[str, str]:
    """Tidy CSVs for the evaluation team: one observation per row, the same figures as the report."""
    from peer_review.adapters.csv_export import csv_text

    rounds: dict[tuple[int, int], list[ev.Judgement]] = {}
    for j in e.judgements:
        rounds.setdefault((j.review_id, j.line), []).append(j)
    changed = {(c.after.review_id, c.after.line) for c in e.changes}
    alignment = [
        {
            "review_id": j.review_id,
            "partnership": e.partnership,
            "trust": j.trust,
            "trust_name": j.trust_name,
            "strand": j.strand,
            "strand_title": j.strand_title,
            "review_order": j.review_order,
            "line": j.line,
            "line_title": j.line_title,
            "alignment": j.alignment.value,
            "round": j.round,
            "rounds_judged": len(rounds[(j.review_id, j.line)]),
            "changed_in_moderation": "yes" if (j.review_id, j.line) in changed else "no",
            "comment": j.comment,
            "visit_start": j.visit_start.isoformat(),
            "report_issued_on": j.issued_on.isoformat() if j.issued_on else "",
        }
        for j in e.standing
    ]
    every_round = [
        {
            "review_id": j.review_id,
            "trust": j.trust,
            "strand": j.strand,
            "line": j.line,
            "round": j.round,
            "alignment": j.alignment.value,
            "comment": j.comment,
        }
        for j in e.judgements
    ]
    summary = [
        {
            "breakdown": breakdown,
            "group": t.group,
            "lines": t.lines,
            **{a.value: t.count(a) for a in Alignment},
            "share_aligned": "" if (share := t.share(Alignment.ALIGNED)) is None else round(share, 4),
        }
        for breakdown, tallies in (
            ("partnership", [e.overall]),
            ("strand", e.by_strand),
            ("trust", e.by_trust),
            ("review", e.by_review),
            ("review_order", e.by_order),
        )
        for t in tallies
    ]
    first_later = [
        {
            "trust": f.trust,
            "trust_name": f.trust_name,
            "first_lines": f.first.lines,
            "first_aligned": f.first.aligned,
            "later_lines": f.later.lines,
            "later_aligned": f.later.aligned,
            "change_in_share_aligned": "" if f.change_in_aligned is None else round(f.change_in_aligned, 4),
        }
        for f in e.first_and_later
    ]
    feedback = [
        {
            "group": f.group,
            "question": f.question,
            "people": "" if f.answers.suppressed else f.answers.respondents,
            "mean": "" if f.answers.mean is None else f.answers.mean,
            "withheld": f"fewer than {ev.MIN_GROUP} people" if f.answers.suppressed else "",
        }
        for f in e.feedback
    ]
    survey = [
        {
            "round": r.round.value,
            "group": r.group,
            "theme": r.theme,
            "people": "" if r.answers.suppressed else r.answers.respondents,
            "mean": "" if r.answers.mean is None else r.answers.mean,
            "change_from_baseline": "" if r.change_from_baseline is None else r.change_from_baseline,
            "withheld": f"fewer than {ev.MIN_GROUP} people" if r.answers.suppressed else "",
        }
        for r in (e.surveys.themes if e.surveys else [])
    ]
    answered = e.surveys.answered if e.surveys else {}
    responses = [
        {
            "round": round_,
            "group": group,
            "asked": asked,
            "answered": ev.shown_count(answered[(round_, group)]),
        }
        for (round_, group), asked in (e.surveys.invited.items() if e.surveys else [])
    ]
    external = [
        {
            "trust": c.trust_key,
            "external_reviewed_on": c.reviewed_on.isoformat(),
            "strand": s.strand_id,
            "found_by": side,
            "kind": kind,
            "external_text": external_text,
            "peer_text": peer_text,
            "peer_ref": ref,
            "similarity": similarity,
        }
        for c in e.external
        for s in c.strands
        for side, kind, external_text, peer_text, ref, similarity in (
            [("both", m.kind, m.external, m.peer, m.peer_ref, m.similarity) for m in s.matched]
            + [("external review only", i.kind, i.text, "", "", "") for i in s.only_external]
            + [("peer review only", i.kind, "", i.text, i.ref, "") for i in s.only_peer]
        )
    ]
    headline = [
        {"trust": t.key, "measure": m.measure, "year": year, "value": value}
        for t in e.headline
        for m in t.measures
        for year, value in m.points
    ]
    actions = [
        {
            "action": a.ref,
            "trust": key,
            "trust_name": trust,
            "from_review_id": a.review_id,
            "from_strand": a.strand,
            "text": a.text,
            "latest_status": a.latest.status.value if a.latest else "",
            "latest_occasion": a.latest.occasion if a.latest else "",
            "latest_recorded_at_review_id": a.latest.review_id if a.latest else "",
            "latest_evidence": a.latest.evidence if a.latest else "",
            "progress_records": len(a.progress),
        }
        for (key, trust), a in e.actions
    ]
    return {
        "actions.csv": csv_text(
            [
                "action",
                "trust",
                "trust_name",
                "from_review_id",
                "from_strand",
                "text",
                "latest_status",
                "latest_occasion",
                "latest_recorded_at_review_id",
                "latest_evidence",
                "progress_records",
            ],
            actions,
        ),
        "external_comparison.csv": csv_text(
            [
                "trust",
                "external_reviewed_on",
                "strand",
                "found_by",
                "kind",
                "external_text",
                "peer_text",
                "peer_ref",
                "similarity",
            ],
            external,
        ),
        "headline_figures.csv": csv_text(["trust", "measure", "year", "value"], headline),
        "survey.csv": csv_text(
            ["round", "group", "theme", "people", "mean", "change_from_baseline", "withheld"], survey
        ),
        "survey_responses.csv": csv_text(["round", "group", "asked", "answered"], responses),
        "alignment.csv": csv_text(list(ALIGNMENT_COLUMNS), alignment),
        "alignment_rounds.csv": csv_text(
            ["review_id", "trust", "strand", "line", "round", "alignment", "comment"], every_round
        ),
        "alignment_summary.csv": csv_text(
            ["breakdown", "group", "lines", *(a.value for a in Alignment), "share_aligned"], summary
        ),
        "first_and_later.csv": csv_text(
            [
                "trust",
                "trust_name",
                "first_lines",
                "first_aligned",
                "later_lines",
                "later_aligned",
                "change_in_share_aligned",
            ],
            first_later,
        ),
        "feedback.csv": csv_text(["group", "question", "people", "mean", "withheld"], feedback),
    }


ALIGNMENT_COLUMNS = (
    "review_id",
    "partnership",
    "trust",
    "trust_name",
    "strand",
    "strand_title",
    "review_order",
    "line",
    "line_title",
    "alignment",
    "round",
    "rounds_judged",
    "changed_in_moderation",
    "comment",
    "visit_start",
    "report_issued_on",
)


Render = Callable[[dict, dict[str, ChartSpec]], bytes]  # (the report's context, its charts) -> .docx bytes


def word_report(e: Evaluation, render: Render | None = None) -> bytes:
    """evaluation.docx; `render` draws the charts and builds the document (by default here, in this process)."""
    if render is None:
        from peer_review.adapters.word import render_evaluation

        render = render_evaluation
    cycle = (
        f"{clock.long_date(e.cycle_start)} to {clock.long_date(e.cycle_end)}"
        if e.cycle_start and e.cycle_end  # both the cycle's, or neither
        else "not yet planned"
    )
    context = {
        "partnership": e.partnership,
        "framework": e.framework,
        "cycle": cycle,
        "produced_on": clock.long_date(e.produced_on),
        "sections": sections(e),
    }
    return render(context, charts(e))


def write_evaluation(e: Evaluation, out: Path, render: Render | None = None) -> list[Path]:
    """Write evaluation.docx and the CSVs into a folder; everything is made before anything is written,
    so a failure leaves the folder as it was."""
    files = {
        "evaluation.docx": word_report(e, render),
        **{name: text.encode("utf-8") for name, text in csv_files(e).items()},
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        path = out / name
        path.write_bytes(content)
        written.append(path)
    return written
