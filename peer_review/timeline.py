"""A picture of a cycle: one row per trust, its visits as bars, school holidays shaded (SVG)."""

from __future__ import annotations

import datetime as dt
from html import escape

from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.scheduling import PlannedVisit

LEFT, RIGHT, TOP, ROW, BAR = 240, 30, 60, 54, 22
WIDTH = 1100
COLOURS = ["#1d70b8", "#00703c", "#912b88", "#b58840", "#d4351c", "#28a197"]  # GOV.UK palette, by position


def timeline_svg(title: str, visits: list[PlannedVisit], calendars: dict[str, SchoolCalendar], names: dict[str, str], start: dt.date, end: dt.date) -> str:
    trusts = list(dict.fromkeys(v.trust for v in visits))
    span = max((end - start).days, 1)
    scale = (WIDTH - LEFT - RIGHT) / span

    def x(day: dt.date) -> float:
        return LEFT + (min(max(day, start), end) - start).days * scale

    height = TOP + ROW * len(trusts) + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Arial, sans-serif" font-size="12" role="img" aria-labelledby="t">',
        f'<title id="t">{escape(title)}</title>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="22" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            out.append(f'<line x1="{x(month):.1f}" y1="{TOP - 14}" x2="{x(month):.1f}" y2="{TOP + ROW * len(trusts)}" stroke="#dddddd"/>')
            if month.month in (1, 4, 7, 9, 11) and x(month) < WIDTH - RIGHT - 50:
                out.append(f'<text x="{x(month) + 2:.1f}" y="{TOP - 18}" fill="#505a5f">{month:%b %Y}</text>')
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for row, trust in enumerate(trusts):
        y = TOP + row * ROW
        calendar = calendars[trust]
        out.append(f'<text x="{LEFT - 8}" y="{y + ROW / 2 + 4}" text-anchor="end">{escape(names.get(trust, trust)[:36])}</text>')
        for gap_start, gap_end in _holidays(calendar, start, end):
            out.append(f'<rect class="holiday" x="{x(gap_start):.1f}" y="{y + 4}" width="{max(x(gap_end) - x(gap_start), 1):.1f}" height="{ROW - 8}" fill="#f3f2f1"><title>school holiday ({calendar.id})</title></rect>')
        for v in (v for v in visits if v.trust == trust):
            left, right = x(v.visit_start), x(v.visit_end + dt.timedelta(days=1))
            colour = COLOURS[(v.position - 1) % len(COLOURS)]
            tip = f"{names.get(v.trust, v.trust)}: {v.strand}, {v.visit_start} to {v.visit_end}; moderator {v.moderator}; peers {', '.join(v.peers)}"
            out.append(f'<rect class="visit" x="{left:.1f}" y="{y + (ROW - BAR) / 2}" width="{max(right - left, 4):.1f}" height="{BAR}" fill="{colour}"><title>{escape(tip)}</title></rect>')
            out.append(f'<text x="{left:.1f}" y="{y + (ROW - BAR) / 2 - 3}" font-size="10" fill="#0b0c0c">{v.position}. {escape(v.strand[:22])}</text>')
    legend_y = TOP + ROW * len(trusts) + 30
    out.append(f'<rect x="{LEFT}" y="{legend_y - 10}" width="14" height="12" fill="#f3f2f1" stroke="#b1b4b6"/><text x="{LEFT + 20}" y="{legend_y}">school holidays</text>')
    out.append(f'<text x="{LEFT + 150}" y="{legend_y}">bars: on-site visits, numbered in the CEO\'s order of priority</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


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
