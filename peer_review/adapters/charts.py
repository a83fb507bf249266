"""Charts for the evaluation (matplotlib, drawn on the server): PNG for the Word report, SVG for the web page.

Colours are shades of one blue and a grey, never red, amber and green: the charts count how often
self-evaluation matched the evidence, and must not read as a rating of the trusts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from peer_review.adapters.chart_spec import ChartSpec
from peer_review.domain.evaluation import AlignmentTally
from peer_review.domain.model import Alignment

SHADES = {Alignment.ALIGNED: "#1d3f72", Alignment.PARTLY_ALIGNED: "#5b8fd0", Alignment.NOT_ALIGNED: "#c9ced6"}
LEGEND = {
    Alignment.ALIGNED: "matched the evidence",
    Alignment.PARTLY_ALIGNED: "partly matched",
    Alignment.NOT_ALIGNED: "did not match",
}
matplotlib.rcParams.update(
    {
        "text.parse_math": False,  # a "$" in a strand's or group's name is a dollar sign, not maths
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "svg.hashsalt": "peer-review",
    }
)


def alignment_chart(title: str, tallies: Sequence[AlignmentTally]) -> Figure:
    """One bar per group, split by how the self-evaluation of its judged lines matched the evidence (shares
    of the group's lines, with the number of lines in each part)."""
    fig = _figure(0.45 * max(1, len(tallies)), below=0.95)
    ax = fig.subplots()
    labels = [_wrap(f"{t.group} ({t.lines} lines)") for t in tallies]
    left = [0.0] * len(tallies)
    for alignment in Alignment:
        shares = [100 * (t.share(alignment) or 0) for t in tallies]
        bars = ax.barh(labels, shares, left=left, color=SHADES[alignment], label=LEGEND[alignment], height=0.6)
        counts = [t.count(alignment) for t in tallies]
        ax.bar_label(
            bars,
            labels=[str(n) if n and s >= 6 else "" for n, s in zip(counts, shares)],
            label_type="center",
            color="white" if alignment != Alignment.NOT_ALIGNED else "#0b0c0c",
        )
        left = [a + b for a, b in zip(left, shares)]
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("share of judged lines of enquiry (%)")
    ax.set_title(title, loc="left", fontsize=10)
    fig.legend(loc="lower center", ncols=3, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def change_chart(
    title: str, labels: Sequence[str], changes: Sequence[float | None], unit: str, missing: Sequence[str]
) -> Figure:
    """Bars either side of zero: each group's change since a starting point (a group without one is left empty,
    and says why: `missing`, such as "withheld")."""
    fig = _figure(0.4 * max(1, len(labels)), below=0.6)
    ax = fig.subplots()
    shown = [c if c is not None else 0.0 for c in changes]
    bars = ax.barh(
        [_wrap(label) for label in labels],
        shown,
        color=["#1d3f72" if c is not None and c >= 0 else "#5b8fd0" for c in changes],
        height=0.6,
    )
    ax.bar_label(bars, labels=[why if c is None else f"{c:+.2f}" for c, why in zip(changes, missing)], padding=3)
    ax.axvline(0, color="#0b0c0c", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


WIDTH, LABELS, RIGHT, ABOVE = (
    7.5,
    2.8,
    0.45,
    0.4,
)  # inches: the figure, the bar labels on the left, the margin on the right, the title


def _figure(bars: float, below: float) -> Figure:
    """A figure with fixed margins (in inches) around `bars` inches of bars: the labels' room on the left, the title
    above, the axis label (and legend) below. Fixed margins draw in a third of the time a layout engine takes."""
    height = ABOVE + bars + below
    fig = Figure(figsize=(WIDTH, height))
    fig.subplots_adjust(left=LABELS / WIDTH, right=1 - RIGHT / WIDTH, top=1 - ABOVE / height, bottom=below / height)
    return fig


def png(fig: Figure) -> bytes:
    """PNG for Word: 900 pixels across, about 140 per inch at the report's 16 cm (light compression: it is quicker)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def svg(fig: Figure, description: str) -> str:
    """An SVG to serve on its own (the page shows it with a text alternative and the data as a table)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Title": description, "Date": None})
    text = buffer.getvalue()
    return re.sub(r"<!DOCTYPE[^>]*>\s*", "", text[text.index("<svg") :] if "<svg" in text else text)


def _wrap(label: str, width: int = 38) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


DRAW: dict[str, Callable[..., Figure]] = {"alignment": alignment_chart, "change": change_chart}


def figure(spec: ChartSpec) -> Figure:
    """The chart a spec names, drawn."""
    return DRAW[spec.kind](*spec.args)


def pngs(specs: dict[str, ChartSpec]) -> dict[str, bytes]:
    """Each chart drawn as PNG, by name."""
    return {name: png(figure(spec)) for name, spec in specs.items()}
