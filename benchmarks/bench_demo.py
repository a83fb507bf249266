"""Demo wall time for the bundled triad against a minimal Prefect flow in the same mode and process.

    python benchmarks/bench_demo.py

Both run on Prefect's local mode with a temporary PREFECT_HOME and flow heartbeats off (as the demo
runs). The minimal flow is timed after the temporary server has started, averaged over 20 runs; the
server start is reported separately.
"""

from __future__ import annotations

import os
import tempfile
import time

os.environ.update(
    PREFECT_HOME=tempfile.mkdtemp(prefix="bench-prefect-"),
    PREFECT_SERVER_ANALYTICS_ENABLED="false",
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="60",
    PREFECT_LOGGING_LEVEL="WARNING",
)

from prefect import flow  # noqa: E402
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings  # noqa: E402

from flows.demo import run_demo  # noqa: E402


@flow
def minimal() -> int:
    return 1


def main() -> None:
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        start = time.perf_counter()
        minimal()
        startup = time.perf_counter() - start
        runs = 20
        start = time.perf_counter()
        for _ in range(runs):
            minimal()
        flow_time = (time.perf_counter() - start) / runs
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_demo(out=out)
        demo_time = time.perf_counter() - start
    print(f"prefect temporary server start (first flow): {startup:8.2f} s")
    print(f"minimal flow run (mean of {runs}):            {flow_time:8.3f} s")
    print(f"demo, bundled triad ({len(result.reviews)} reviews, {result.advances} sweeps, {result.tasks_done} tasks): {demo_time:8.2f} s")
    print(f"ratio demo / minimal flow run:              {demo_time / flow_time:8.0f} x")


if __name__ == "__main__":
    main()
