"""A national programme on the command line: what each command costs, as a user runs it (a fresh process),
on a database holding one triad and on one holding a whole programme, against the floor of starting
Python and importing sqlmodel, measured in the same run.

    python benchmarks/bench_programme.py                              # 10,000 reviews (834 triads), SQLite
    python benchmarks/bench_programme.py --reviews 1200               # a smaller programme
    python benchmarks/bench_programme.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # and PostgreSQL

Three databases:

- small: the bundled triad worked by its simulated participants to 1 June 2024 (open and overdue tasks),
  and "New triad" loaded beside it, not planned;
- national: the same, plus renumbered copies of the triad up to --reviews reviews, every copy with
  people of its own (national_db.py: `name+copyK@domain`), so no two partnerships share anyone;
- empty: "New triad" alone.

"New triad" is the bundled file with people of its own (`name+new@domain`) and a third moderator, except
its first moderator, who is also the bundled triad's: a moderator shared by two partnerships, the one
sharing intended. Its `plan --dry-run` reads that moderator's bookings in the triad and no one else's.

Timed, each a fresh process (`python -m peer_review ...`, output discarded): `tasks` (its first page),
`status` (no --partnership: the list of partnerships), `status --json -p NAME`, `tasks --person EMAIL`
(a peer of the triad with open tasks), `task template ID` (an invitation to join a review team), `submit`
(accepting such an invitation, a different one each time, with PREFECT_API_URL naming a stand-in for the
Prefect server's events API run by this benchmark, which counts the events: the command records the
answer and announces it, as on the scale-out set-up; bench_submit.py measures it with a real server and
worker), and `plan --dry-run -p "New triad"` (also on the empty database).
Every command runs --rounds times per database after 2 warm-up rounds, all in an order shuffled each
round; figures are medians, and peak memory is the child's maximum resident set (getrusage via wait4).
`tasks --all` (every open task, streamed) runs once per database at the end, for its peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from installed import compile_sources

TRIAD = "Sheffield pilot triad"
NEW = "New triad"
PEER = "owen.fletcher@donriver.example.org"  # a peer of the triad: open tasks in June 2024
WARMUP = 2


# The children are started by a small process of their own, made before this one imports anything large:
# Linux carries the parent's peak resident memory over to a child (fork, then exec), so children of this
# process, once it has built the databases, would all report its peak instead of their own.
LAUNCHER = r"""
import json, os, subprocess, sys, tempfile, time
for line in sys.stdin:
    job = json.loads(line)
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(job["command"], stdout=subprocess.DEVNULL, stderr=errors, env=job["env"])
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        errors.seek(0)
        tail = errors.read().decode(errors="replace")[-2000:] if child.returncode else ""
    print(json.dumps({"seconds": seconds, "peak_kib": usage.ru_maxrss, "code": child.returncode, "errors": tail}), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, command: list[str], url: str, env: dict[str, str] | None = None) -> tuple[float, float]:
        """Wall seconds and peak resident memory (MiB, the child's getrusage) of one fresh process; stops if it fails."""
        env = {**os.environ, "PEER_REVIEW_DATABASE_URL": url, "COLUMNS": "120", **(env or {})}
        self.process.stdin.write(json.dumps({"command": command, "env": env}) + "\n")
        self.process.stdin.flush()
        result = json.loads(self.process.stdout.readline())
        if result["code"] != 0:
            raise SystemExit(f"{' '.join(command[2:])} failed ({result['code']}) on {url}:\n{result['errors']}")
        return result["seconds"], result["peak_kib"] / 1024  # KiB on Linux

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


class EventsStub:
    """Stands in for the Prefect server's events API, which `submit` tells of each submission with one POST
    (bench_submit.py measures a real server and worker); counts the events it is sent."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.extend(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api"


def open_invitations(url: str) -> list[tuple[int, str]]:
    """(task id, email) of the triad's open invitations to join a review team, but PEER's (whose open tasks
    `tasks --person` lists): each is accepted once with `submit`."""
    from sqlalchemy import select

    from peer_review.store import db
    from peer_review.store.tables import Partnership, Person, Task

    db.configure(url)
    with db.session_scope() as session:
        rows = session.execute(
            select(Task.id, Person.email)
            .join(Person, Person.id == Task.assignee_id)
            .join(Partnership, Partnership.id == Person.partnership_id)
            .where(
                Partnership.name == TRIAD,
                Task.kind == "respond_to_assignment",
                Task.status == "open",
                Person.email != PEER,
            )
            .order_by(Task.id)
        ).all()
    return [(task_id, email) for task_id, email in rows]


def new_triad_file(folder: Path) -> Path:
    """The bundled triad as "New triad": people of its own, but for the bundled triad's first moderator."""
    from peer_review.files.partnerships import default_partnership_path

    text = default_partnership_path().read_text()
    moderators = set(re.findall(r"\{name: [^,]+, email: ([^,]+), organisation", text)[:1])
    text = text.replace(f"name: {TRIAD}", f"name: {NEW}")
    text = re.sub(
        r"email: ([\w.]+)@([\w.-]+)",
        lambda m: m.group(0) if m.group(0)[7:] in moderators else f"email: {m.group(1)}+new@{m.group(2)}",
        text,
    )
    # a third moderator of its own: with two, one of them busy in the triad, the planner finds no date for
    # some partnership ids (their stagger), as it would have before reading only shared people's bookings
    text = text.replace(
        "moderators:\n",
        "moderators:\n  - {name: Sam Extra, email: sam.extra+new@coordinator.example.org, organisation: Learn Sheffield, max_reviews_per_term: 2}\n",
        1,
    )
    path = folder / "new-triad.yaml"
    path.write_text(text)
    return path


def load_new_triad(url: str, path: Path) -> None:
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading
    from peer_review.store import db

    db.configure(url)
    with db.session_scope() as session:
        loading.store_partnership(session, load_partnership_file(path))


def describe(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from peer_review.store import db
    from peer_review.store.tables import Partnership, Person, Review, Task

    db.configure(url)
    with db.session_scope() as session:
        count = lambda query: session.execute(query).scalar_one()  # noqa: E731
        return {
            "partnerships": count(select(func.count()).select_from(Partnership)),
            "reviews": count(select(func.count()).select_from(Review)),
            "open tasks": count(select(func.count()).select_from(Task).where(Task.status == "open")),
            "people": count(select(func.count()).select_from(Person)),
            "emails": count(select(func.count(Person.email.distinct()))),
        }


def run(launcher: Launcher, urls: dict[str, str], copies: int, rounds: int, folder: Path) -> None:
    from national_db import build

    from peer_review import clock
    from peer_review.store import db

    run_child = launcher.run
    started = time.perf_counter()
    for label, n in (("small", 0), ("national", copies)):
        build(urls[label], n)
        clock.set_time(None)
    new = new_triad_file(folder)
    for label in ("small", "national", "empty"):
        load_new_triad(urls[label], new)
    built = time.perf_counter() - started
    sizes = {label: describe(url) for label, url in urls.items()}
    engine = db.get_engine().dialect.name
    db.dispose_all()
    national = sizes["national"]
    shared = national["people"] - national["emails"]
    print(
        f"\n{engine}: built in {built:.0f} s; national database: {national['partnerships']:,} partnerships, {national['reviews']:,} reviews, "
        f"{national['open tasks']:,} open tasks, {national['people']:,} people rows with {national['emails']:,} distinct emails "
        f"({shared} shared: New triad's first moderator)"
    )

    invitations = {label: open_invitations(urls[label]) for label in ("small", "national")}
    db.dispose_all()
    if min(map(len, invitations.values())) <= WARMUP + rounds:
        raise SystemExit(
            f"`submit` needs an open invitation a round, and one left for `task template`: the triad has "
            f"{min(map(len, invitations.values()))}, for {WARMUP + rounds} rounds"
        )
    template_task = invitations["small"][0][0]  # never submitted (taken from the end); the same task in both databases
    assert invitations["national"][0][0] == template_task
    answer = folder / "accept.yaml"
    answer.write_text('response: accept\nreason: ""\n')
    events = EventsStub()

    python = [sys.executable, "-m", "peer_review"]
    commands = {
        "floor: import sqlmodel": [sys.executable, "-c", "import sqlmodel"],
        "tasks (first page)": [*python, "tasks"],
        "status (list)": [*python, "status"],
        "status --json -p NAME": [*python, "status", "--json", "-p", TRIAD],
        "tasks --person EMAIL": [*python, "tasks", "--person", PEER],
        "task template ID": [*python, "task", "template", str(template_task)],
        "submit (announced)": None,  # a different invitation each time: see below
        "plan --dry-run (new)": [*python, "plan", "--dry-run", "-p", NEW],
    }
    slots = [(label, view) for label in ("small", "national") for view in commands] + [
        ("empty", "plan --dry-run (new)"),
        ("empty", "floor: import sqlmodel"),
    ]
    order = random.Random(0)
    times: dict[tuple[str, str], list[float]] = {}
    memory: dict[tuple[str, str], list[float]] = {}
    for round_ in range(WARMUP + rounds):
        for label, view in order.sample(slots, len(slots)):
            if view == "submit (announced)":
                task_id, email = invitations[label].pop()
                seconds, peak = run_child(
                    [*python, "submit", str(task_id), str(answer), "--as", email],
                    urls[label],
                    {"PREFECT_API_URL": events.url},
                )
            else:
                seconds, peak = run_child(commands[view], urls[label])
            if round_ >= WARMUP:
                times.setdefault((label, view), []).append(seconds)
                memory.setdefault((label, view), []).append(peak)
    streamed = {label: run_child([*python, "tasks", "--all"], urls[label]) for label in ("small", "national")}
    submitted = 2 * (WARMUP + rounds)
    assert len(events.received) == submitted and all(
        e["event"] == "peer-review.task.submitted" for e in events.received
    ), (len(events.received), submitted)
    events.server.shutdown()

    median = {key: statistics.median(values) for key, values in times.items()}
    peak = {key: statistics.median(values) for key, values in memory.items()}
    floor = statistics.median(
        [t for (label, view), values in times.items() if view.startswith("floor") for t in values]
    )
    small_n, national_n = sizes["small"]["reviews"], national["reviews"]
    print(
        f"fresh processes, medians of {rounds} rounds; floor (python -c 'import sqlmodel') {floor:.2f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'command':<24}{f'{small_n:,} reviews':>16}{f'{national_n:,} reviews':>18}{'national/small':>16}{'peak MiB small / national':>28}"
    )
    for view in commands:
        if view.startswith("floor"):
            continue
        small, large = median[("small", view)], median[("national", view)]
        print(
            f"{view:<24}{small:>7.2f}s {small / floor:>5.2f}x{large:>9.2f}s {large / floor:>5.2f}x{large / small:>15.2f}x"
            f"{peak[('small', view)]:>16.1f} / {peak[('national', view)]:.1f}"
        )
    empty, large = median[("empty", "plan --dry-run (new)")], median[("national", "plan --dry-run (new)")]
    print(
        f"plan --dry-run for New triad: empty database {empty:.2f} s ({empty / floor:.2f}x floor), national {large:.2f} s ({large / floor:.2f}x floor): {large / empty:.2f}x"
    )
    first_small, first_large = peak[("small", "tasks (first page)")], peak[("national", "tasks (first page)")]
    print(
        f"peak memory of `tasks` (first page): {first_small:.1f} MiB small, {first_large:.1f} MiB national ({first_large / first_small:.2f}x); "
        f"floor {statistics.median(memory[('small', 'floor: import sqlmodel')]):.1f} MiB"
    )
    print(
        f"`tasks --all` (one run, output discarded): small {sizes['small']['open tasks']:,} tasks {streamed['small'][0]:.2f} s {streamed['small'][1]:.1f} MiB; "
        f"national {national['open tasks']:,} tasks {streamed['national'][0]:.2f} s {streamed['national'][1]:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reviews",
        type=int,
        default=10_000,
        help="reviews in the national database (12 a triad; default 10,000: 834 triads)",
    )
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds after 2 warm-up rounds (default 10)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on PostgreSQL: this server's databases bench_programme_small, _national and _empty are made afresh, and dropped after",
    )
    args = parser.parse_args()
    compile_sources()
    copies = max(0, math.ceil(args.reviews / 12) - 1)
    launcher = Launcher()  # first, while this process is small
    from national_db import postgres_databases

    from peer_review.store import db

    try:
        with tempfile.TemporaryDirectory() as folder:
            base = Path(folder)
            run(
                launcher,
                {label: f"sqlite:///{base / f'{label}.db'}" for label in ("small", "national", "empty")},
                copies,
                args.rounds,
                base,
            )
            db.configure(None)
            db.dispose_all()
            if args.postgres:
                names = ("bench_programme_small", "bench_programme_national", "bench_programme_empty")
                with postgres_databases(args.postgres, names) as urls:
                    run(launcher, dict(zip(("small", "national", "empty"), urls)), copies, args.rounds, base)
    finally:
        launcher.close()


if __name__ == "__main__":
    main()
