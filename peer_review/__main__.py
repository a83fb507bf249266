"""The `peer-review` command (`python -m peer_review` and the installed script alike).

Python's garbage collector waits for the command's first second. Starting a command builds a heap of
modules, classes and tables and makes almost no garbage, yet the collector walks that growing heap again
and again while it is built: about 0.05 s of the 0.4-0.5 s a quick command takes (bench_programme.py).
A command still running after a second (the web service, a worker, the demo, `tasks --all` over a
national database) collects as usual from then on. A process forked during that second (the helper that
builds `evaluation`'s report) has a first second of its own.
"""

import gc
import os
import threading

START_UP_SECONDS = 1.0


def collect_after_start_up(seconds: float = START_UP_SECONDS) -> None:
    gc.disable()
    _collect_in(seconds)

    def in_child() -> None:
        if not gc.isenabled():
            _collect_in(seconds)

    os.register_at_fork(after_in_child=in_child)


def _collect_in(seconds: float) -> None:
    timer = threading.Timer(seconds, gc.enable)
    timer.daemon = True  # never keeps the process alive
    timer.start()


def main() -> None:
    collect_after_start_up()
    from peer_review.entrypoints.cli import main as run_command

    run_command()


if __name__ == "__main__":
    main()
