"""What draws a chart, without drawing it: a spec names a drawing function of peer_review.adapters.charts and its
arguments (plain, picklable data), so a chart can be drawn later, or in another process, and nothing
imports matplotlib until one is (`charts.figure(spec)` draws it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChartSpec:
    alt: str  # the text alternative
    kind: str  # a key of peer_review.adapters.charts.DRAW
    args: tuple[Any, ...]
