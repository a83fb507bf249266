"""Pictures of a cycle (SVG): the plan, one row per trust; and progress, planned against actual dates per review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from peer_review.clock import date_span, long_date
from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.scheduling import PlannedVisit, ReviewDates

LEFT, RIGHT, TOP, ROW, BAR, PROGRESS_ROW, GROUP_HEADER = 240, 30, 60, 54, 22, 30, 20
WIDTH = 1100
COLOURS = ["#1d70b8", "#00703c", "#912b88", "#b58840", "#d4351c", "#28a197"]  # GOV.UK palette, by position


def timeline_svg(
    title: str,
    visits: list[PlannedVisit],
    calendars: dict[str, SchoolCalendar],
    names: dict[str, str],
    start: dt.date,
    end: dt.date,
) -> str:
    trusts = list(dict.fromkeys(v.trust for v in visits))
    x = _scale(start, end)
    out = _opening(title, "t", TOP + ROW * len(trusts) + 60)
    out += _month_grid(x, start, end, TOP + ROW * len(trusts))
    for row, trust in enumerate(trusts):
        y = TOP + row * ROW
        calendar = calendars[trust]
        out.append(
            f'<text x="{LEFT - 8}" y="{y + ROW / 2 + 4}" text-anchor="end">{escape(names.get(trust, trust)[:36])}</text>'
        )
        for gap_start, gap_end in _holidays(calendar, start, end):
            out.append(
                f'<rect class="holiday" x="{x(gap_start):.1f}" y="{y + 4}" width="{max(x(gap_end) - x(gap_start), 1):.1f}" height="{ROW - 8}" fill="#f3f2f1"><title>school holiday ({calendar.id})</title></rect>'
            )
        for v in (v for v in visits if v.trust == trust):
            left, right = x(v.visit_start), x(v.visit_end + dt.timedelta(days=1))
            colour = COLOURS[(v.position - 1) % len(COLOURS)]
            tip = f"{names.get(v.trust, v.trust)}: {v.strand}, {date_span(v.visit_start, v.visit_end)}; moderator {v.moderator}; peers {', '.join(v.peers)}"
            out.append(
                f'<rect class="visit" x="{left:.1f}" y="{y + (ROW - BAR) / 2}" width="{max(right - left, 4):.1f}" height="{BAR}" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
            out.append(
                f'<text x="{left:.1f}" y="{y + (ROW - BAR) / 2 - 3}" font-size="10" fill="#0b0c0c">{v.position}. {escape(v.strand[:22])}</text>'
            )
    legend_y = TOP + ROW * len(trusts) + 30
    out.append(
        f'<rect x="{LEFT}" y="{legend_y - 10}" width="14" height="12" fill="#f3f2f1" stroke="#b1b4b6"/><text x="{LEFT + 20}" y="{legend_y}">school holidays</text>'
    )
    out.append(
        f'<text x="{LEFT + 150}" y="{legend_y}">bars: on-site visits, numbered in the CEO\'s order of priority</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def progress_svg(
    title: str,
    reviews: list[ReviewDates],
    calendars: dict[str, SchoolCalendar],
    start: dt.date,
    end: dt.date,
    today: dt.date,
) -> str:
    """One row per review: the planned visit and report date above, the actual visit and issue date below.

    A review not yet issued is drawn up to today, hatched, so a late report is visible at a glance;
    the host's school holidays are shaded and today is a dashed line.
    """
    x = _scale(start, end)
    bottom = TOP + PROGRESS_ROW * len(reviews) + GROUP_HEADER * len({r.trust for r in reviews})
    out = _opening(title, "progress-title", bottom + 70)
    out.insert(
        2,
        '<defs><pattern id="ongoing" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><rect width="3" height="6" fill="#1d70b8"/></pattern></defs>',
    )
    out += _month_grid(x, start, end, bottom)
    y, trust = TOP - PROGRESS_ROW, None
    for r in reviews:  # grouped by host trust, in the CEO's order
        y += PROGRESS_ROW
        if r.trust != trust:
            trust = r.trust
            out.append(
                f'<text x="8" y="{y + GROUP_HEADER - 5}" font-weight="bold" fill="#0b0c0c">{escape(r.host)}</text>'
            )
            y += GROUP_HEADER
        out.append(
            f'<text x="{LEFT - 8}" y="{y + PROGRESS_ROW / 2 + 4}" text-anchor="end" fill="#0b0c0c">{r.position}. {escape(_short(r.strand, 30))}</text>'
        )
        for gap_start, gap_end in _holidays(calendars[r.trust], start, end):
            out.append(
                f'<rect class="holiday" x="{x(gap_start):.1f}" y="{y + 2}" width="{max(x(gap_end) - x(gap_start), 1):.1f}" height="{PROGRESS_ROW - 4}" fill="#f3f2f1"/>'
            )
        planned_start, planned_end = x(r.planned_visit[0]), x(r.planned_report)
        out.append(
            f'<rect class="planned" x="{planned_start:.1f}" y="{y + 5}" width="{max(planned_end - planned_start, 4):.1f}" height="8" fill="#ffffff" stroke="#505a5f"><title>{escape(f"planned: visit {date_span(*r.planned_visit)}, report by {long_date(r.planned_report)}")}</title></rect>'
        )
        actual_start = x(r.visit[0])
        if r.issued_on is not None:
            finish, fill, what = r.issued_on, "#1d70b8", f"report issued {long_date(r.issued_on)}"
        else:
            finish, fill, what = (
                max(today, r.visit[1]),
                "url(#ongoing)",
                f"{r.stage}, report due {long_date(r.report_due)}",
            )
        if r.visit[0] <= today or r.issued_on is not None:
            out.append(
                f'<rect class="actual" x="{actual_start:.1f}" y="{y + 16}" width="{max(x(finish) - actual_start, 4):.1f}" height="10" fill="{fill}" stroke="#1d70b8"><title>{escape(f"actual: visit {date_span(*r.visit)}; {what}")}</title></rect>'
            )
        else:
            out.append(
                f'<rect class="visit-to-come" x="{actual_start:.1f}" y="{y + 16}" width="{max(x(r.visit[1] + dt.timedelta(days=1)) - actual_start, 4):.1f}" height="10" fill="#ffffff" stroke="#1d70b8" stroke-dasharray="3 2"><title>{escape(f"visit to come: {date_span(*r.visit)}")}</title></rect>'
            )
    if start <= today <= end:
        out.append(
            f'<line class="today" x1="{x(today):.1f}" y1="{TOP - 10}" x2="{x(today):.1f}" y2="{bottom}" stroke="#d4351c" stroke-width="2" stroke-dasharray="6 3"/>'
        )
        out.append(
            f'<text x="{x(today) + 4:.1f}" y="{TOP - 2}" fill="#0b0c0c" font-weight="bold">today, {long_date(today)}</text>'
        )
    legend_y = bottom + 30
    out.append(
        f'<rect x="{LEFT}" y="{legend_y - 9}" width="24" height="8" fill="#ffffff" stroke="#505a5f"/><text x="{LEFT + 30}" y="{legend_y}" fill="#0b0c0c">planned: visit to report date</text>'
        f'<rect x="{LEFT + 230}" y="{legend_y - 10}" width="24" height="10" fill="#1d70b8"/><text x="{LEFT + 260}" y="{legend_y}" fill="#0b0c0c">actual: visit to report issued</text>'
        f'<rect x="{LEFT + 470}" y="{legend_y - 10}" width="24" height="10" fill="url(#ongoing)" stroke="#1d70b8"/><text x="{LEFT + 500}" y="{legend_y}" fill="#0b0c0c">under way, to today</text>'
        f'<rect x="{LEFT + 650}" y="{legend_y - 10}" width="14" height="12" fill="#f3f2f1" stroke="#b1b4b6"/><text x="{LEFT + 670}" y="{legend_y}" fill="#0b0c0c">school holidays</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _scale(start: dt.date, end: dt.date) -> Callable[[dt.date], float]:
    """Days to x positions across the chart, clipped to the cycle."""
    scale = (WIDTH - LEFT - RIGHT) / max((end - start).days, 1)
    return lambda day: LEFT + (min(max(day, start), end) - start).days * scale


def _opening(title: str, title_id: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Arial, sans-serif" font-size="12" role="img" aria-labelledby="{title_id}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="22" font-size="16" font-weight="bold" fill="#0b0c0c">{escape(title)}</text>',
    ]


def _month_grid(x: Callable[[dt.date], float], start: dt.date, end: dt.date, bottom: float) -> list[str]:
    out, month = [], dt.date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            out.append(
                f'<line x1="{x(month):.1f}" y1="{TOP - 14}" x2="{x(month):.1f}" y2="{bottom}" stroke="#dddddd"/>'
            )
            if month.month in (1, 4, 7, 9, 11) and x(month) < WIDTH - RIGHT - 50:
                out.append(f'<text x="{x(month) + 2:.1f}" y="{TOP - 18}" fill="#505a5f">{month:%b %Y}</text>')
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def _holidays(calendar: SchoolCalendar, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The gaps between half-terms (and before the first / after the last), clipped to the cycle."""
    gaps, previous_end = [], start - dt.timedelta(days=1)
    for half in calendar.half_terms:
        if half.start > previous_end + dt.timedelta(days=1):
            gaps.append((max(previous_end + dt.timedelta(days=1), start), min(half.start, end)))
        previous_end = max(previous_end, half.end)
    if previous_end < end:
        gaps.append((previous_end + dt.timedelta(days=1), end))
    return [(a, b) for a, b in gaps if a < b]
