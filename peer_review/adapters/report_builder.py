"""Building the evaluation's Word report in a second process. Importing matplotlib and python-docx, drawing
the charts and building the document take about as long as everything else `peer-review evaluation` does;
on a machine with more than one core, a helper process forked at the start imports them while this one
reads the records and writes the CSVs, then draws and builds."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from peer_review.adapters.chart_spec import ChartSpec


def _helper_starts(parent: int) -> None:
    """In the helper: Ctrl-C is the command's to handle (the helper would print a traceback of its own), and
    the helper ends when its command does, however it ended (killed, it could not say so)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _get_ready() -> None:
    import peer_review.adapters.charts
    import peer_review.adapters.word  # noqa: F401


def _render(context: dict, specs: dict[str, ChartSpec]) -> bytes:
    from peer_review.adapters.word import render_evaluation

    return render_evaluation(context, specs)


class ReportBuilder:
    """`with ReportBuilder() as builder: ... write_evaluation(e, out, builder.docx)`: built in the helper process
    where there is one (a second core and fork), else here. Start it before opening the database: a forked
    child must not share a connection."""

    def __enter__(self) -> ReportBuilder:
        self.pool = None
        if (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("fork"), initializer=_helper_starts, initargs=(os.getpid(),)
            )
            self.pool.submit(_get_ready)
        return self

    def docx(self, context: dict, specs: dict[str, ChartSpec]) -> bytes:
        if self.pool is not None:
            try:
                return self.pool.submit(_render, context, specs).result()
            except BrokenProcessPool:  # the helper died (out of memory, say): build it here instead
                pass
        return _render(context, specs)

    def __exit__(self, *_exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
