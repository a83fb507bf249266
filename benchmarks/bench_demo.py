"""`peer-review demo` against the floor of one minimal Prefect flow run, each in a fresh process, side by side.

    python benchmarks/bench_demo.py [--runs 3]

Every process runs Prefect's local mode with its own temporary PREFECT_HOME (so each starts a temporary
server, as a first `peer-review demo` does), flow heartbeats off and analytics off. Also the same simulated
cycle straight through the service layer without Prefect, for reference. Runs alternate (floor, demo,
service layer) so a busy moment of the machine does not land on one of them; medians are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import compile_sources

REPO = Path(__file__).resolve().parent.parent

FLOOR = """
from prefect import flow
@flow
def minimal() -> int:
    return 1
minimal()
"""

SERVICE_LAYER = """
import sys
from pathlib import Path
from peer_review.store import db
from peer_review.adapters.mail import FolderChannel
from peer_review.files.partnerships import default_partnership_path, load_partnership_file
from peer_review.service import evaluation, sweep
from peer_review.store.people import get_partnership
from peer_review.service.documents import export_documents
from peer_review.service.sending import deliver
from peer_review.demo.simulation import simulate_pilot
out = Path(sys.argv[1])
db.configure(f"sqlite:///{out / 'peer-review.db'}")
name, _, _ = simulate_pilot(load_partnership_file(default_partnership_path()), lambda p: sweep.sweep(db.session_scope, p))
deliver(db.session_scope, FolderChannel(out / "emails"))
with db.session_scope() as session:
    export_documents(session, out)
    result = evaluation.evaluate(session, get_partnership(session, name))
evaluation.write_evaluation(result, out / "evaluation")
"""


def timed(command: list[str]) -> float:
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as out:
        env = {
            **os.environ,
            "PREFECT_HOME": home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
        }
        env.pop("PREFECT_API_URL", None)
        start = time.perf_counter()
        subprocess.run(
            [arg.replace("{out}", out) for arg in command],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    compile_sources()
    commands = {
        "one minimal flow run (the floor)": [sys.executable, "-c", FLOOR],
        "peer-review demo": [sys.executable, "-m", "peer_review", "demo", "--out", "{out}"],
        "the same cycle, service layer only": [sys.executable, "-c", SERVICE_LAYER, "{out}"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    floor = statistics.median(times["one minimal flow run (the floor)"])
    print(f"fresh processes, medians of {args.runs} (load average now {os.getloadavg()[0]:.2f})")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:40s} {median:7.2f} s  {median / floor:5.2f}x the floor   ({', '.join(f'{v:.1f}' for v in values)})"
        )


if __name__ == "__main__":
    main()
