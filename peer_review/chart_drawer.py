"""Drawing the evaluation's charts in a second process. Importing matplotlib and drawing take about as
long as everything else `peer-review evaluation` does; on a machine with more than one core, a helper
process forked at the start does them while this one reads the records and builds the Word report."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from peer_review.charts_spec import ChartSpec


def _get_ready() -> None:
    import peer_review.charts  # noqa: F401  (the slow import, while the parent works)


def _draw(specs: dict[str, ChartSpec]) -> dict[str, bytes]:
    from peer_review.charts import pngs

    return pngs(specs)


class ChartDrawer:
    """`with ChartDrawer() as drawer: ... drawer.pngs(specs)`: drawn in the helper process where there is one
    (a second core and fork), else here. Start it before opening the database: a forked child must not share
    a connection."""

    def __enter__(self) -> "ChartDrawer":
        self.pool = None
        if (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self.pool.submit(_get_ready)
        return self

    def pngs(self, specs: dict[str, ChartSpec]) -> dict[str, bytes]:
        if self.pool is not None:
            try:
                return self.pool.submit(_draw, specs).result()
            except BrokenProcessPool:  # the helper died (out of memory, say): draw here instead
                pass
        return _draw(specs)

    def __exit__(self, *_exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
