"""The `peer-review` command line: a thin layer over peer_review.service.

Commands that only read or record (status, tasks, task template, submit, report, ...) never import
Prefect; only `demo` and `advance`, which run flows, load it (lazily, from flows/), and `submit` when
a Prefect server is configured (PREFECT_API_URL), to announce the submission to it.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from peer_review import settings
from peer_review.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed import DataclassInstance
    from rich.console import Console
    from rich.table import Table

    from peer_review.service.queries import Page

app = typer.Typer(
    help="Moderated peer review between multi-academy trusts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
framework_app = typer.Typer(help="Check and show frameworks of enquiry.", no_args_is_help=True)
partnership_app = typer.Typer(help="Load partnerships (a triad or larger group of trusts).", no_args_is_help=True)
task_app = typer.Typer(help="Work with one task.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
files_app = typer.Typer(help="Evidence files in the file store.", no_args_is_help=True)
app.add_typer(framework_app, name="framework")
app.add_typer(partnership_app, name="partnership")
app.add_typer(task_app, name="task")
app.add_typer(db_app, name="db")
app.add_typer(files_app, name="files")
survey_app = typer.Typer(
    help="The stakeholder survey: rounds at the baseline, mid-cycle and end, answered by everyone in a partnership.",
    no_args_is_help=True,
)
app.add_typer(survey_app, name="survey")

# Control characters are dropped from plain lines and error messages: a carriage return or an escape
# sequence in a name typed on the command line must not rewrite the terminal (stored text has none: the
# loaders and forms refuse them).
_UNPRINTABLE = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])


class _Terminal:
    """Standard output or error. A plain line is written as it is, with no rich import (a fiftieth of a
    second at every start) and no wrapping at 80 columns when the output is piped. Tables and styled text
    go through a rich Console made on first use, with markup off: names, titles and reasons people typed
    are printed as typed (a "[/]" in a trust's name would otherwise be read as a style tag); styles are
    given explicitly with rich Text."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def print(self, *objects, **options) -> None:
        if len(objects) <= 1 and all(isinstance(o, str) for o in objects) and set(options) <= {"soft_wrap"}:
            stream = sys.stderr if self._stderr else sys.stdout
            if stream is not None:  # None: the process was started with it closed
                stream.write((objects[0] if objects else "").translate(_UNPRINTABLE) + "\n")
                stream.flush()  # as rich does: lines on stdout and stderr sharing a pipe stay in order
            return
        self.rich.print(*objects, **options)

    @property
    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, markup=False, highlight=False, emoji=False)
        return self._console


out = _Terminal()
err = _Terminal(stderr=True)

PartnershipOpt = Annotated[
    str | None, typer.Option("--partnership", "-p", help="partnership name (needed when several are loaded)")
]


def _session():
    from peer_review.store.db import session_scope

    return session_scope()


# --- frameworks and partnerships ----------------------------------------------------------------


@framework_app.command("validate")
def framework_validate(file: Path) -> None:
    """Check a framework file; exits non-zero with the line and problem if it is invalid."""
    from rich.text import Text

    from peer_review.files.frameworks import load_framework_file

    framework = load_framework_file(file)
    out.print(
        Text.assemble(("valid", "green"), f": {framework.title} ({framework.id}), {len(framework.strands)} strands")
    )


@framework_app.command("show")
def framework_show(
    ref: Annotated[str, typer.Argument(help="a bundled framework id or a path to a .yaml file")],
) -> None:
    """Show a framework's strands, prompts and suggested evidence."""
    from rich.text import Text

    from peer_review.files.frameworks import resolve_framework

    framework = resolve_framework(ref, Path.cwd())
    out.print(Text.assemble((framework.title, "bold"), f" ({framework.id}, version {framework.version})"))
    out.print(f"Source: {framework.source}\n")
    for number, strand in enumerate(framework.strands, start=1):
        out.print(
            Text.assemble(
                (f"{number}. {strand.title}", "bold"), " ", (f"({strand.id}; areas: {', '.join(strand.areas)})", "dim")
            )
        )
        out.print(f"   {strand.description}")
        for prompt in strand.prompts:
            out.print(f"   - {prompt}")
        if strand.evidence:
            out.print(Text(f"   Evidence: {'; '.join(strand.evidence)}", style="dim"))
        out.print()


@framework_app.command("list")
def framework_list() -> None:
    """List the bundled frameworks."""
    from peer_review.files.frameworks import bundled_frameworks, load_framework_file

    for framework_id, path in bundled_frameworks().items():
        out.print(f"{framework_id}: {load_framework_file(path).title}")


@partnership_app.command("load")
def partnership_load(
    file: Path,
    framework: Annotated[str | None, typer.Option(help="use this framework (id or file) instead of the file's")] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="apply the edited file to the partnership already loaded: people and trusts joining or leaving, roles, strand orders",
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="with --update: show the changes, write nothing")] = False,
) -> None:
    """Validate a partnership file and store it (nothing is stored if any check fails); with --update, apply its changes mid-cycle."""
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service.loading import store_partnership

    if dry_run and not update:
        raise UserError("--dry-run goes with --update: it shows what an update would change")
    loaded = load_partnership_file(file, framework)  # every check before the database is touched
    if not update:
        with _session() as session:
            result = store_partnership(session, loaded)
        out.print(f"loaded '{result.name}': {result.trusts} trusts, {result.people} people")
        return
    from peer_review.service.roster import update_partnership

    with _session() as session:
        updated = update_partnership(session, loaded, dry_run=dry_run)
    if not updated.changes:
        out.print(f"'{updated.partnership}': no changes")
        return
    for change in updated.changes:  # one line each, however long: scripts read them
        out.print(change.sentence, soft_wrap=True)
    for effect in updated.effects:
        out.print(f"  {effect}", soft_wrap=True)
    done = "dry run, nothing written" if dry_run else "updated"
    out.print(f"'{updated.partnership}': {len(updated.changes)} change(s); {done}")


@app.command()
def plan(
    partnership: PartnershipOpt = None,
    start: Annotated[str | None, typer.Option(help="cycle start, YYYY-MM-DD (default: the file's)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show a plan without proposing it")] = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="publish the standing proposal: book it and invite the teams")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
    chart: Annotated[Path | None, typer.Option(help="also draw the cycle as a timeline (.svg)")] = None,
) -> None:
    """Propose the cycle (visit dates in term time, peers from every other trust and a moderator for each
    review) to the host trusts' CEOs; plan again after they answer; `--publish` books it and invites the teams."""
    import json

    from rich.table import Table

    from peer_review.service import planning, proposals

    start_date = _parse_date(start, "--start") if start else None
    if chart is not None and chart.suffix.lower() != ".svg":
        raise UserError(f"--chart writes SVG: give a file ending in .svg, not '{chart.name}'")
    if publish and (dry_run or start_date):
        raise UserError("--publish books the standing proposal as it is: leave out --dry-run and --start")
    with _session() as session:
        if publish:
            published = proposals.publish(session, partnership)
            result = published.plan
        elif dry_run:
            result = proposals.preview(session, partnership, start_date)
        else:
            proposed = proposals.propose(session, partnership, start_date)
            result = proposed.plan
        if chart is not None:
            chart.write_text(planning.timeline(session, result), encoding="utf-8")
            err.print(f"wrote {chart}")
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    else:
        if publish:
            state = "published"
        elif dry_run:
            state = "dry run, not proposed"
        else:
            state = f"proposal {proposed.proposal.number}, nobody invited yet"
        table = Table(title=f"{result.partnership}: cycle {result.start} to {result.end} ({state})")
        for column in ("trust", "#", "strand", "visit", "term", "moderator", "peers"):
            table.add_column(column)
        for v in sorted(result.visits, key=lambda v: v.visit_start):
            table.add_row(
                v.trust,
                str(v.position),
                v.strand,
                f"{v.visit_start} to {v.visit_end}",
                v.term + (" (provisional)" if v.provisional else ""),
                v.moderator,
                "\n".join(v.peers),
            )
        out.print(table)
    if publish:
        err.print(
            f"published proposal {published.proposal.number}: {len(published.reviews)} reviews booked; "
            "the host CEOs are told and the teams are asked to join"
        )
        if published.unconfirmed:
            err.print(f"not confirmed by the CEO of: {', '.join(published.unconfirmed)}", soft_wrap=True)
    elif not dry_run:
        for asked in proposed.asked:
            err.print(f"honoured: {asked}", soft_wrap=True)
        if proposed.carried:
            err.print(f"confirmation kept (their part is unchanged): {', '.join(proposed.carried)}", soft_wrap=True)
        err.print(
            "proposed: the host trusts' CEOs are asked to confirm or ask for changes; "
            "`peer-review plan --publish` books it"
        )


@app.command()
def assign(
    review_id: int, explain: Annotated[bool, typer.Option("--explain", help="say why each person was chosen")] = False
) -> None:
    """Show a review's team (chosen when the cycle was planned), with the reasons."""
    from rich.table import Table

    from peer_review.store.reviews import get_review, team_with_people

    with _session() as session:
        review = get_review(session, review_id)
        rows = team_with_people(session, review.id)
    table = Table(title=f"Review {review_id}: team")
    for column in ("role", "person", "status") + (("why",) if explain else ()):
        table.add_column(column)
    for a, person in rows:
        table.add_row(a.role, f"{person.name} <{person.email}>", a.status, *((a.reason,) if explain else ()))
    out.print(table)


def _parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} must be a date like 2023-11-01, not '{text}'") from None


@app.command()
def reschedule(
    review_id: int,
    visit: Annotated[str, typer.Option(help="the visit's new first day, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="why it moves (kept in the history)")],
    as_: Annotated[
        str | None, typer.Option("--as", help="your email: the host CEO, or the coordinator (the default)")
    ] = None,
) -> None:
    """Move a review's visit: every constraint is re-checked, deadlines shift, calendars update."""
    from peer_review.service.rescheduling import reschedule as move

    with _session() as session:
        change = move(session, review_id, _parse_date(visit, "--visit"), reason, as_)
    out.print(
        f"review {review_id}: visit moved from {change.old_start} to {change.new_start} ({change.new_start} to {change.new_end})"
    )


@app.command()
def calendar(
    out_file: Annotated[Path, typer.Option("--out", help="the .ics file to write")],
    person: Annotated[str | None, typer.Option(help="visits this person is part of (email)")] = None,
    trust: Annotated[str | None, typer.Option(help="visits this trust hosts or its people make (trust id)")] = None,
) -> None:
    """Write an iCalendar file of visits, to import into Outlook or Google Calendar."""
    from peer_review.service.calendars import visits_calendar

    with _session() as session:
        content = visits_calendar(session, person, trust)
    out_file.write_bytes(content)
    out.print(f"wrote {out_file}")


# --- people's tasks -----------------------------------------------------------------------------


LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=10_000, help="rows per page")]
PageOpt = Annotated[
    int, typer.Option("--page", min=1, max=1_000_000, help="which page, from 1 (the footer says how many there are)")
]
AllOpt = Annotated[
    bool, typer.Option("--all", help="every row, printed as it is read (memory stays flat), instead of one page")
]


def _check_paging(all_: bool, page: int) -> None:
    if all_ and page != 1:
        raise UserError("--all prints every row: leave out --page")


@app.command()
def tasks(
    person: Annotated[str | None, typer.Option(help="only this person's tasks (email)")] = None,
    partnership: PartnershipOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the tasks as JSON, for scripts")] = False,
    limit: LimitOpt = 50,
    page: PageOpt = 1,
    all_: AllOpt = False,
) -> None:
    """List open tasks, soonest due first (then by id), a page at a time; overdue ones are marked."""
    from peer_review.service.queries import iter_open_tasks, open_tasks_page

    _check_paging(all_, page)
    if all_:
        with _session() as session:
            stream = iter_open_tasks(session, person, partnership, chunk=limit)
            first = next(stream, None)  # a bad --person or --partnership is refused before anything is printed
            if as_json:
                _stream_json(first, stream)
                return
            _survey_tasks(person)
            if first is None:
                out.print("No open tasks.")
                return
            shown = _print_in_tables(first, stream, limit)
        out.print(f"{shown:,} open task(s)")
        return
    with _session() as session:
        rows, at = open_tasks_page(session, person, partnership, page, limit)
    if as_json:
        import dataclasses
        import json

        sys.stdout.write(json.dumps([dataclasses.asdict(row) for row in rows], default=str, indent=2) + "\n")
        if at.pages > 1 or at.number > 1:
            err.print(at.footer("open tasks"), soft_wrap=True)  # beside the JSON, not in it
        return
    _survey_tasks(person)
    if not at.total:
        out.print("No open tasks.")
        return
    if rows:
        out.print(_task_table(rows, "Open tasks"))
    if at.pages > 1 or at.number > 1:
        out.print(at.footer("open tasks"), soft_wrap=True)


def _task_table(rows, title: str | None) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for column in ("task", "due", "what", "review", "assignee"):
        table.add_column(column)
    for row in rows:
        due = Text(f"{row.due} OVERDUE {row.overdue_days}d", style="red") if row.overdue_days else str(row.due)
        table.add_row(
            str(row.id),
            due,
            row.title + (f" (round {row.round})" if row.round > 1 else ""),
            f"{row.review_id}: {row.host}, {row.strand}",
            f"{row.assignee} <{row.assignee_email}>",
        )
    return table


def _print_in_tables(first, rows, size: int) -> int:
    """Print rows as they are read, a table of `size` rows at a time (one big table would hold them all);
    the number printed."""
    import itertools

    chunk, shown = [], 0
    for row in itertools.chain([first], rows):
        chunk.append(row)
        if len(chunk) == size:
            out.print(_task_table(chunk, "Open tasks" if not shown else None))
            shown, chunk = shown + len(chunk), []
    if chunk:
        out.print(_task_table(chunk, "Open tasks" if not shown else None))
    return shown + len(chunk)


def _stream_json(
    first: DataclassInstance | dict[str, Any] | None, rows: Iterable[DataclassInstance | dict[str, Any]]
) -> None:
    """A JSON list written item by item as rows are read (the same text as json.dumps(list, indent=2))."""
    import dataclasses
    import itertools
    import json

    if first is None:
        sys.stdout.write("[]\n")
        return
    separator = "[\n"
    for row in itertools.chain([first], rows):
        item = json.dumps(dataclasses.asdict(row) if dataclasses.is_dataclass(row) else row, default=str, indent=2)
        sys.stdout.write(separator + "\n".join("  " + line for line in item.splitlines()))
        separator = ",\n"
    sys.stdout.write("\n]\n")


def _survey_tasks(person: str | None) -> None:
    """A person's open survey invitations, printed before their tasks (the survey is asked of everyone, so
    only a person's own list shows them)."""
    if person is None:
        return
    from rich.table import Table

    from peer_review.service.surveys import open_invitations

    with _session() as session:
        surveys = open_invitations(session, [person])
    if surveys:
        table = Table(title="Surveys to answer")
        for column in ("invitation", "due", "what", "partnership"):
            table.add_column(column)
        for survey in surveys:
            table.add_row(
                str(survey.invitation.id),
                str(survey.invitation.due),
                f"{survey.questionnaire.title} ({survey.round.label.lower()})",
                survey.partnership,
            )
        out.print(table)


@task_app.command("template")
def task_template(task_id: int) -> None:
    """Print a YAML skeleton for a task's input, with guidance."""
    from peer_review.service.kinds import yaml_template
    from peer_review.service.queries import task_context

    with _session() as session:
        text = yaml_template(task_context(session, task_id))
    sys.stdout.write(text)


@app.command()
def submit(task_id: int, file: Path, as_: Annotated[str, typer.Option("--as", help="your email")]) -> None:
    """Submit a task's input (YAML); it is validated, recorded, and the review moves on."""
    from peer_review.files.yaml_document import Document
    from peer_review.service import workflow
    from peer_review.store.db import session_scope

    doc = Document.read(file)
    try:
        with session_scope() as session:
            result = workflow.submit(session, task_id, doc.data, as_)
    except UserError as exc:  # about the answer: name the file and the line, even for a check on the whole answer
        if isinstance(exc, workflow.InvalidAnswer) or exc.loc:
            raise UserError(exc.problem, source=str(file), place=doc.place(exc.loc)) from None
        raise
    moved = workflow.move_on(session_scope, result)
    if moved.problem:
        out.print(f"task {result.task_id} done ({result.outcome})")
        err.print(
            f"warning: {moved.problem}; review {result.review_id} is queued, and the next advance-cycle run moves it on",
            soft_wrap=True,
        )
    elif moved.announced:
        out.print(
            f"task {result.task_id} done ({result.outcome}); review {result.review_id} will be moved on by the advance-review deployment"
        )
    else:
        out.print(
            f"task {result.task_id} done ({result.outcome}); review {result.review_id} moved on by {moved.steps} step(s)"
        )


# --- progress and documents ---------------------------------------------------------------------


def _status_table(reviews, title: str) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for column in ("review", "host trust", "strand", "visit", "stage", "open tasks"):
        table.add_column(column)
    for r in reviews:
        open_ = Text("\n").join(
            Text.assemble(
                f"{t.kind} - {t.assignee} - due {t.due}",
                (f" OVERDUE {t.overdue_days}d" if t.overdue_days else "", "red"),
            )
            for t in r.tasks
        )
        table.add_row(str(r.id), r.host, r.strand, f"{r.visit_start}", r.stage, open_ or "-")
    out.print(table)


STAGE_STYLE = {
    "scheduled": "dim",
    "assignment": "cyan",
    "lines of enquiry": "blue",
    "evidence": "blue",
    "findings": "magenta",
    "moderation": "magenta",
    "report": "yellow",
    "feedback": "green",
    "closed": "bold green",
}


@app.command()
def status(
    partnership: PartnershipOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="the partnership view as JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="one row per review, as CSV")] = False,
    limit: LimitOpt = 50,
    page: PageOpt = 1,
    all_: AllOpt = False,
) -> None:
    """Where every review stands: a trust x strand grid, progress, overdue tasks (and who holds them), what is next.
    With several partnerships loaded and no --partnership: the list of partnerships, a page at a time."""
    from peer_review.service.queries import (
        overview,
        overview_csv,
        overview_json,
        several_partnerships,
    )
    from peer_review.service.queries import status as review_status

    _check_paging(all_, page)
    with _session() as session:
        if partnership is None and several_partnerships(session):
            _list_partnerships(session, as_json, as_csv, limit, page, all_)
            return
        reviews = review_status(session, partnership)
        view = overview(session, partnership) if reviews else None
    if as_json or as_csv:
        if view is None:
            raise UserError("no reviews yet: load a partnership and run `peer-review plan`")
        if as_json:
            import json

            sys.stdout.write(json.dumps(overview_json(view), indent=2) + "\n")
        else:
            sys.stdout.write(overview_csv(view))
        return
    if view is None:
        out.print("No reviews yet: load a partnership and run `peer-review plan`.")
        return
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=f"{view.partnership}: stage of each review on {view.today}")
    grid.add_column("trust")
    for _sid, title in view.strands:
        grid.add_column(title)
    grid.add_column("progress")
    for trust in view.trusts:
        cells = []
        for sid, _title in view.strands:
            r = trust.cells.get(sid)
            overdue = r and any(t.overdue_days for t in r.tasks)
            cells.append(
                "-"
                if r is None
                else Text.assemble((r.stage, STAGE_STYLE.get(r.stage, "")), (" (overdue)" if overdue else "", "red"))
            )
        grid.add_row(trust.name, *cells, f"{trust.closed} of {trust.total} closed")
    out.print(grid)
    out.print("Stages, in order: " + " > ".join(STAGE_STYLE) + ". '(overdue)' marks a review with an overdue task.")
    _status_table(reviews, "Reviews")
    if view.overdue:
        late = Table(title="Overdue tasks")
        for column in ("days late", "task", "what", "review", "held by"):
            late.add_column(column)
        for t in view.overdue:
            late.add_row(
                str(t.overdue_days),
                str(t.id),
                t.title,
                f"{t.review_id}: {t.host}, {t.strand}",
                f"{t.assignee} <{t.assignee_email}>",
            )
        out.print(late)
    if view.milestones:
        nxt = Table(title="Next milestones (six weeks)")
        for column in ("date", "what", "review"):
            nxt.add_column(column)
        for m in view.milestones:
            nxt.add_row(str(m.date), m.what, f"{m.review_id}: {m.host}, {m.strand}")
        out.print(nxt)


PARTNERSHIP_COLUMNS = (
    "partnership",
    "trusts",
    "reviews",
    "open",
    "closed",
    "next visit",
    "open tasks",
    "overdue tasks",
)


def _list_partnerships(session, as_json: bool, as_csv: bool, limit: int, page: int, all_: bool) -> None:
    """`status` with several partnerships loaded and none chosen: each partnership's reviews counted by
    stage, its next visit and its open and overdue tasks, a page at a time (or every page, printed as it
    is read), with how to choose one."""
    import shlex

    from rich.table import Table
    from rich.text import Text

    from peer_review import clock
    from peer_review.adapters.csv_export import csv_text
    from peer_review.service.queries import (
        PARTNERSHIP_CSV_COLUMNS,
        partnership_row_json,
        partnerships_page,
    )

    seen: list[Page] = []  # the last page read, for the footer

    def pages():
        number = page
        while True:
            rows, at = partnerships_page(session, number, limit)
            seen[:] = [at]
            yield rows, at
            if not all_ or number >= at.pages:
                return
            number += 1

    example = "NAME"
    if as_json:
        listed = (partnership_row_json(row) for rows, _at in pages() for row in rows)
        _stream_json(next(listed, None), listed)
    elif as_csv:
        for rows, at in pages():
            text = csv_text(PARTNERSHIP_CSV_COLUMNS, (partnership_row_json(r) for r in rows))
            sys.stdout.write(text if at.number == page else text.split("\n", 1)[1])  # one header
    else:
        for rows, at in pages():
            if not rows:
                continue
            table = Table(title=f"Partnerships on {clock.today()}: {at.total:,} loaded" if at.number == page else None)
            for column in PARTNERSHIP_COLUMNS:
                table.add_column(column, justify="left" if column in ("partnership", "next visit") else "right")
            for r in rows:
                table.add_row(
                    Text(r.name),
                    str(r.trusts),
                    str(r.reviews),
                    str(r.open),
                    str(r.closed),
                    str(r.next_visit or "-"),
                    str(r.open_tasks),
                    Text(str(r.overdue_tasks), style="red" if r.overdue_tasks else ""),
                )
            out.print(table)
            example = shlex.quote(rows[0].name)
    at = seen[0]
    footer = err if as_json or as_csv else out  # beside the JSON or CSV, not in it
    if not all_:
        footer.print(at.footer("partnerships"), soft_wrap=True)
    footer.print(
        Text(f"Several partnerships are loaded: `peer-review status -p NAME` shows one (for example -p {example})."),
        soft_wrap=True,
    )


@app.command()
def report(
    review_id: int,
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write into")] = Path("."),
    draft: Annotated[bool, typer.Option(help="the draft for the factual accuracy check")] = False,
    all_: Annotated[bool, typer.Option("--all", help="every document of the review")] = False,
) -> None:
    """Write a review's report (.docx) into a folder."""
    from peer_review.domain.model import DocumentKind
    from peer_review.service.documents import export_documents

    kind = DocumentKind.REPORT_DRAFT if draft else DocumentKind.REPORT
    with _session() as session:
        written = export_documents(session, out_dir, review_id, None if all_ else {kind.value})
    if not written:
        hint = "" if draft else "; use --draft for the draft, or --all for every document so far"
        raise UserError(f"review {review_id} has no {kind.value.replace('-', ' ')} yet{hint}")
    for path in written:
        out.print(f"wrote {path}")


@app.command("correct")
def correct_report(
    review_id: int,
    text: Annotated[str, typer.Option(help="the corrected wording")],
    reason: Annotated[str, typer.Option(help="why it changes, e.g. the host trust's correction it applies")],
    as_: Annotated[str, typer.Option("--as", help="your email: the review's moderator or the coordinator")],
    finding: Annotated[str | None, typer.Option(help="the finding whose wording changes, e.g. F3")] = None,
    line: Annotated[int | None, typer.Option(help="the line whose comment on the self-evaluation changes")] = None,
) -> None:
    """Correct the report's wording after the host's check and before the issue (each change is kept)."""
    from peer_review.service.report_wording import correct

    if (finding is None) == (line is None):
        raise UserError("say which wording changes: --finding F3 or --line 2 (one of them)")
    part, ref = ("finding", finding.strip().upper()) if finding is not None else ("alignment", str(line))
    with _session() as session:
        changed = correct(session, review_id, part, ref, text, reason, as_)
    out.print(f"review {review_id}: {changed.label} now reads as corrected; the issued report will list the change")


# --- the stakeholder survey -----------------------------------------------------------------------


@survey_app.command("validate")
def survey_validate(file: Path) -> None:
    """Check a questionnaire file; exits non-zero with the line and problem if it is invalid."""
    from rich.text import Text

    from peer_review.files.questionnaires import load_questionnaire_file

    q = load_questionnaire_file(file)
    out.print(
        Text.assemble(
            ("valid", "green"), f": {q.title} ({q.id}), {len(q.themes)} themes, {len(q.statements)} statements"
        )
    )


@survey_app.command("open")
def survey_open(
    round_: Annotated[str, typer.Argument(metavar="ROUND", help="baseline, mid_cycle or end")],
    partnership: PartnershipOpt = None,
    due: Annotated[
        str | None, typer.Option(help="answers due by, YYYY-MM-DD (default: three weeks from today)")
    ] = None,
    questionnaire: Annotated[
        str | None,
        typer.Option(
            help="a bundled questionnaire id or a .yaml file (default: stakeholder-views; later rounds keep the baseline's)"
        ),
    ] = None,
    as_: Annotated[str | None, typer.Option("--as", help="your email: the coordinator (the default)")] = None,
) -> None:
    """Open a round of the survey: everyone in the partnership is asked for their views, by email, with reminders."""
    from peer_review.domain.surveys import SurveyRound
    from peer_review.service.surveys import open_round
    from peer_review.store.people import get_partnership

    rounds = [r.value for r in SurveyRound]
    if round_ not in rounds:
        raise UserError(f"the round must be one of {', '.join(rounds)}, not '{round_}'")
    with _session() as session:
        opened = open_round(
            session,
            get_partnership(session, partnership),
            SurveyRound(round_),
            _parse_date(due, "--due") if due else None,
            questionnaire,
            as_,
        )
    out.print(
        f"{opened.round.label} round opened: {opened.invited} people asked to answer by {opened.due} (`peer-review send` emails them)"
    )


@survey_app.command("template")
def survey_template(invitation_id: int) -> None:
    """Print a YAML skeleton for answering a survey invitation, with every statement and the scale."""
    from peer_review.service.surveys import invitation_for, template

    with _session() as session:
        text = template(invitation_for(session, invitation_id))
    sys.stdout.write(text)


@survey_app.command("answer")
def survey_answer(
    invitation_id: int,
    file: Path,
    as_: Annotated[str, typer.Option("--as", help="your email: the person the invitation was sent to")],
) -> None:
    """Answer a survey invitation from a YAML file (see `survey template`)."""
    from peer_review.files.yaml_document import Document
    from peer_review.service.surveys import InvalidSurveyAnswer, answer
    from peer_review.store.db import session_scope

    doc = Document.read(file)
    try:
        with session_scope() as session:
            survey = answer(session, invitation_id, doc.data, as_)
    except InvalidSurveyAnswer as exc:
        raise UserError(exc.problem, source=str(file), place=doc.place(exc.loc)) from None
    out.print(f"thank you: your answers to the {survey.round.label.lower()} round of {survey.partnership} are recorded")


@app.command()
def evaluation(
    partnership: PartnershipOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write evaluation.docx and the CSVs into")] = Path(
        "evaluation"
    ),
) -> None:
    """The pilot's evaluation of a partnership: accuracy of self-evaluation (by strand, trust, review and through
    the cycle), judgements changed in moderation, participants' views; a Word report with charts and tidy CSVs."""
    from peer_review.adapters.report_builder import ReportBuilder

    with ReportBuilder() as builder:  # first: it forks, before any database connection
        from peer_review.service.evaluation import evaluate, write_evaluation
        from peer_review.store.people import get_partnership

        with _session() as session:
            result = evaluate(session, get_partnership(session, partnership))
        written = write_evaluation(result, out_dir, builder.docx)
    for path in written:
        out.print(f"wrote {path}")


@app.command()
def outbox(all_: Annotated[bool, typer.Option("--all", help="sent messages too")] = False) -> None:
    """Notifications waiting to be sent (and why, when sending failed)."""
    from rich.table import Table

    from peer_review.service.outbox import pending
    from peer_review.store.messages import every_message

    with _session() as session:
        rows = every_message(session) if all_ else pending(session)
    if not rows:
        out.print("The outbox is empty." if not all_ else "No notifications yet.")
        return
    table = Table(title="Outbox" + (" (all)" if all_ else ": pending"))
    for column in ("id", "to", "subject", "status", "tries", "last error"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.id), row.recipient, row.subject, row.status, str(row.attempts), row.last_error or "-")
    out.print(table)


@app.command()
def backup(folder: Annotated[Path, typer.Option("--out", help="a new folder for the backup")]) -> None:
    """Back up the database and its evidence files into a new folder, with a manifest of every table's rows
    and every file's checksum (SQLite: its online backup; PostgreSQL: pg_dump)."""
    from peer_review.service.backups import back_up

    manifest = back_up(folder)
    out.print(
        f"backed up {sum(manifest['rows'].values()):,} rows in {len(manifest['rows'])} tables and "
        f"{len(manifest['files'])} evidence file{'s' if len(manifest['files']) != 1 else ''} to {folder}",
        markup=False,
    )


@app.command()
def restore(
    folder: Path,
    to: Annotated[str, typer.Option("--to", help="a new database: sqlite:///NEW.db, or an empty PostgreSQL database")],
    files: Annotated[
        str | None, typer.Option("--files", help="where the evidence files go (default: beside a new SQLite file)")
    ] = None,
) -> None:
    """Restore a backup into a new database and file store, and check both against its manifest."""
    from peer_review.service.backups import restore as restore_backup

    done = restore_backup(folder, to, files)
    out.print(
        f"restored {done.rows:,} rows in {done.tables} tables to {done.database} and {done.files} evidence "
        f"file{'s' if done.files != 1 else ''} to {done.files_at}; every table's rows and every file's checksum "
        "match the backup",
        markup=False,
    )


@app.command("subject-access")
def subject_access(
    email: str,
    out_file: Annotated[Path, typer.Option("--out", help="the zip to write (a new file)")],
    as_: Annotated[str, typer.Option("--as", help="your email: a coordinator of a partnership they are in")],
) -> None:
    """Everything held by or about one person, as a zip of JSON and the documents naming them (UK GDPR article 15)."""
    from peer_review.service import access
    from peer_review.service.subject_access import export

    if out_file.exists():
        raise UserError(f"{out_file} exists already: give a new file")
    with _session() as session:
        _name, content = export(session, access.viewer_for(session, as_), email)
    try:  # a new file (never through a symlink), readable by its owner only: it is someone's personal data
        handle = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise UserError(f"{out_file} exists already: give a new file") from None
    with os.fdopen(handle, "wb") as written:
        written.write(content)
    out.print(
        f"wrote {out_file} ({len(content):,} bytes): read what-this-holds.txt in it before sending it", markup=False
    )


@files_app.command("check")
def files_check(
    remove_orphans: Annotated[
        bool, typer.Option("--remove-orphans", help="delete bytes no file names, once an hour old")
    ] = False,
) -> None:
    """Read every evidence file back against its checksum, and list bytes in the store that no file names.
    Exit 1 if a file is missing or damaged."""
    from peer_review.service.evidence_files import check_store, files

    with _session() as session:
        found = check_store(session, remove_orphans)
    out.print(f"{found.checked} file{'s' if found.checked != 1 else ''} checked in {files().where}", markup=False)
    for label, places in (("missing", found.missing), ("damaged (checksum differs)", found.damaged)):
        for place in places:
            out.print(f"{label}: {place}", markup=False)
    if found.orphans:
        out.print(
            f"{len(found.orphans)} stored without a file record (an upload whose record failed)"
            + (f"; {found.removed} deleted" if remove_orphans else ": `--remove-orphans` deletes them"),
            markup=False,
        )
    if found.missing or found.damaged:
        raise SystemExit(1)


@app.command()
def send() -> None:
    """Deliver pending notifications: by SMTP when PEER_REVIEW_SMTP_URL is set, else as .eml files in PEER_REVIEW_OUTBOX_DIR (./outbox)."""
    from peer_review.adapters.mail import channel_from_environment
    from peer_review.service.sending import deliver
    from peer_review.store.db import session_scope

    result = deliver(session_scope, channel_from_environment())
    out.print(f"sent {result.sent}, failed {result.failed} (failed messages stay queued: `peer-review outbox`)")
    if result.failed:
        raise SystemExit(1)


@app.command()
def remind(today: Annotated[str | None, typer.Option(help="sweep as of this date (default: today)")] = None) -> None:
    """Queue today's reminders, escalations and weekly digests (then `send` delivers them). A partnership
    whose work fails is left out (and named, exit status 1); the others' is queued."""
    from peer_review.service.isolation import failure_log
    from peer_review.service.reminders import sweep
    from peer_review.store.db import session_scope

    day = _parse_date(today, "--today") if today else None
    with failure_log("remind") as log_file:
        result = sweep(session_scope, day)  # each partnership's work committed on its own
    out.print(
        f"queued {result.reminders} reminder(s), {result.escalations} escalation(s), {result.digests} digest(s), "
        f"{result.timetables} timetable email(s)"
    )
    if result.failures:
        for line in result.failures.summary(log_file()):
            err.print(line)
        raise SystemExit(1)


@app.command()
def extend(
    task_id: int,
    to: Annotated[str, typer.Option(help="the new due date, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="why (kept in the history)")],
    as_: Annotated[
        str | None, typer.Option("--as", help="your email: the review's moderator, or the coordinator (the default)")
    ] = None,
) -> None:
    """Give a task more time; reminders follow the new date."""
    from peer_review.service.reminders import extend as extend_task

    with _session() as session:
        change = extend_task(session, task_id, _parse_date(to, "--to"), reason, as_)
    out.print(f"task {task_id}: due {change.new_due} (was {change.old_due})")


@app.command("good-practice")
def good_practice(
    area: Annotated[str | None, typer.Option(help="a DfE area id, e.g. school-improvement")] = None,
    strand: Annotated[str | None, typer.Option(help="a strand id")] = None,
    search: Annotated[
        str | None, typer.Option(help="words in the text, line of enquiry, strand or trust's name")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the entries as JSON, for scripts")] = False,
) -> None:
    """Good practice shared from issued reports, with the host's consent, across every partnership."""
    from rich.text import Text

    from peer_review.service.good_practice import AREA_LABELS, library

    with _session() as session:
        entries = library(session, area, strand, search)
    if as_json:
        import dataclasses
        import json

        sys.stdout.write(
            json.dumps([dataclasses.asdict(e) for e in entries], default=str, indent=2, ensure_ascii=False) + "\n"
        )
        return
    if not entries:
        asked = [
            f"area {area}" if area else "",
            f"strand {strand}" if strand else "",
            f'search "{search}"' if search else "",
        ]
        out.print(
            Text("No good practice matches " + (", ".join(a for a in asked if a) or "yet: none has been shared") + ".")
        )
        return
    for e in entries:
        out.print(
            Text.assemble(
                (f"{e.trust}: {e.strand}", "bold"), (f" ({e.partnership}; report issued {e.issued_on})", "dim")
            )
        )
        out.print(Text(f"  {e.text}"))  # a Text, not a str: printed as typed (no markup, no :emoji: codes)
        out.print(
            Text(
                f"  Line of enquiry: {e.line}\n  DfE areas: {'; '.join(AREA_LABELS.get(a, a) for a in e.areas)}\n"
                f"  Evidence: {'; '.join(e.evidence_types)}",
                style="dim",
            )
        )
        out.print()


# --- context for the evaluation: published headline figures, external reviews --------------------

headline_app = typer.Typer(
    help="Published headline figures about the trusts: context beside their reviews, shown as published, without interpretation.",
    no_args_is_help=True,
)
external_app = typer.Typer(
    help="Commissioned external reviews of a trust, compared with its peer reviews.", no_args_is_help=True
)
app.add_typer(headline_app, name="headline-data")
app.add_typer(external_app, name="external-review")


@headline_app.command("load")
def headline_load(
    file: Annotated[Path, typer.Argument(help="a CSV: trust,year,measure,value[,source]")],
    partnership: PartnershipOpt = None,
) -> None:
    """Import published figures; one already loaded for the same trust, measure and year is replaced (nothing is stored if any row is refused)."""
    from rich.text import Text

    from peer_review.files.context_files import read_headline_csv
    from peer_review.service.context_data import load_headline_figures

    loaded = read_headline_csv(file)
    with _session() as session:
        result = load_headline_figures(session, partnership, loaded)
    out.print(
        Text(
            f"{result.partnership}: {result.added} figure(s) added, {result.changed} changed, {result.unchanged} unchanged"
        ),
        soft_wrap=True,
    )


@headline_app.command("show")
def headline_show(
    trust: Annotated[str | None, typer.Option(help="one trust (its id)")] = None,
    partnership: PartnershipOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Each trust's published figures by year, as published."""
    from rich.table import Table
    from rich.text import Text

    from peer_review.service.context_data import headline_trends

    with _session() as session:
        trends = headline_trends(session, partnership, trust)
    if as_json:
        import dataclasses
        import json

        sys.stdout.write(json.dumps([dataclasses.asdict(t) for t in trends], indent=2, ensure_ascii=False) + "\n")
        return
    if not trends:
        out.print("No headline figures loaded: `peer-review headline-data load FILE`.")
        return
    for trend in trends:
        table = Table(title=Text(f"{trend.name}: published headline figures (context, not a judgement)"))
        table.add_column("measure")
        for year in trend.years:
            table.add_column(Text(year))
        for measure, values in trend.table():
            table.add_row(Text(measure), *(Text(v or "-") for v in values))
        out.print(table)


@external_app.command("load")
def external_load(
    file: Annotated[Path, typer.Argument(help="a .yaml or .csv file")], partnership: PartnershipOpt = None
) -> None:
    """Import an external review of a trust; one already loaded for the same trust and date is replaced."""
    from rich.text import Text

    from peer_review.files.context_files import read_external_review
    from peer_review.service.context_data import load_external_review

    loaded = read_external_review(file)
    with _session() as session:
        result = load_external_review(session, partnership, loaded)
    done = "replaced the one loaded before" if result.replaced else "loaded"
    out.print(
        Text(f"{result.trust}: external review of {result.reviewed_on}, {result.strands} strand(s); {done}"),
        soft_wrap=True,
    )


_COVERED = {
    "both": "covered by both",
    "external review only": "covered only by the external review",
    "peer review only": "covered only by the peer review",
}
_KIND = {"strength": "strength", "area_for_development": "area for development"}


@external_app.command("compare")
def external_compare(
    trust: Annotated[str | None, typer.Option(help="one trust (its id)")] = None,
    partnership: PartnershipOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
) -> None:
    """Compare each external review with the peer reviews' supported findings, strand by strand: what both found, and what only one side found (matched by words in common: a person should check it)."""
    from rich.text import Text

    from peer_review.domain.comparison import MATCH_THRESHOLD
    from peer_review.service.context_data import external_comparison

    with _session() as session:
        compared = external_comparison(session, partnership, trust)
    if as_json:
        import dataclasses
        import json

        sys.stdout.write(
            json.dumps([dataclasses.asdict(c) for c in compared], default=str, indent=2, ensure_ascii=False) + "\n"
        )
        return
    if not compared:
        out.print("No external review loaded: `peer-review external-review load FILE`.")
        return
    out.print(
        Text(
            f"Items are paired when they share at least {MATCH_THRESHOLD:.0%} of their significant words: "
            "a lexical match, to be checked by reading both.",
            style="dim",
        ),
        soft_wrap=True,
    )
    for c in compared:
        by = f" ({c.organisation})" if c.organisation else ""
        out.print(
            Text.assemble("\n", (f"{c.trust_name}: external review by {c.reviewer}{by}, {c.reviewed_on}", "bold")),
            soft_wrap=True,
        )
        for s in c.strands:
            review = f"; peer review {s.review_id} ({s.review_stage})" if s.review_id else ""
            out.print(
                Text.assemble("\n", (s.strand_title, "bold"), f" - {_COVERED[s.covered_by]}{review}"), soft_wrap=True
            )
            if s.external_view:
                out.print(Text(f"  External reviewer's view: {s.external_view}"), soft_wrap=True)
            for m in s.matched:
                out.print(
                    Text(
                        f"  Both found ({_KIND[m.kind]}, similarity {m.similarity:.2f}): external: {m.external} | peer review {m.peer_ref}: {m.peer}"
                    ),
                    soft_wrap=True,
                )
            for item in s.only_external:
                out.print(Text(f"  Only the external review found ({_KIND[item.kind]}): {item.text}"), soft_wrap=True)
            for item in s.only_peer:
                out.print(
                    Text(f"  Only the peer review found ({_KIND[item.kind]}, {item.ref}): {item.text}"), soft_wrap=True
                )
            for line in s.self_evaluation:
                standing = (
                    f" [moderator: {line.alignment.replace('_', ' ')}]" if line.alignment else " [not yet moderated]"
                )
                out.print(
                    Text(
                        f"  Self-evaluation, line {line.number} ({line.title}){standing}: {line.self_evaluation}",
                        style="dim",
                    ),
                    soft_wrap=True,
                )


# --- running flows ------------------------------------------------------------------------------


_STARTUP_TIMEOUT = settings.PREFECT_STARTUP_TIMEOUT.name


def _quiet_prefect() -> None:
    """Before running flows in this process: Prefect's log level and settings, and, when PREFECT_API_URL names
    a server, a clear refusal if it cannot be reached (Prefect would retry, then print a traceback)."""
    settings.default_prefect_settings()
    timeout = settings.prefect_startup_timeout()
    from pydantic import TypeAdapter, ValidationError

    try:  # read as Prefect reads it, which otherwise fails with a pydantic traceback at its first setting
        TypeAdapter(int).validate_python(timeout)
    except ValidationError:
        raise UserError(f"{_STARTUP_TIMEOUT} must be a whole number of seconds, such as 90, not '{timeout}'") from None
    from prefect.settings import (
        PREFECT_API_URL,  # the environment's, or the Prefect profile's
    )

    if api_url := PREFECT_API_URL.value():
        from peer_review.adapters.prefect_events import server_problem

        if problem := server_problem(api_url):
            raise UserError(
                f"{problem}; start it, or unset PREFECT_API_URL to run with a temporary server of this command's own"
            )


def _end_on_ctrl_c(run):
    """Run flows in this process; with Prefect's temporary server, Ctrl-C ends the command at once. Ctrl-C
    also reaches that server (it is in the terminal's process group), and Prefect, reporting the interrupted
    run to the server it can no longer reach, would retry for a minute or more. Each step commits on its
    own, so what is done is recorded. A server of its own (PREFECT_API_URL) hears of the interruption.
    A temporary server too slow to start is one line naming the setting to raise, not a traceback."""
    import signal

    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return run()

    def stop_now(_signum, _frame) -> None:
        from prefect.server.api.server import SubprocessASGIServer

        SubprocessASGIServer().stop()  # the temporary server, if this process started one
        err.print("\ninterrupted; every step finished before is recorded")
        _flush_output()
        os._exit(130)

    previous = signal.signal(signal.SIGINT, stop_now)
    try:
        return run()
    except RuntimeError as exc:
        if (too_slow := _server_too_slow(exc)) is None:
            raise
        raise too_slow from None
    finally:
        signal.signal(signal.SIGINT, previous)


def _server_too_slow(exc: RuntimeError) -> UserError | None:
    """The one line for Prefect giving up on its temporary server before it answered (a RuntimeError and a
    traceback otherwise): a slow or busy machine needs more time, so name the setting and a value to try.
    None for any other error, and for a server that exited while starting (more time would not help)."""
    text = str(exc)
    if (
        not text.startswith("Timed out while attempting to connect to ephemeral Prefect API server")
        or "exited with code" in text
    ):
        return None
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    seconds = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    return UserError(
        f"Prefect's temporary server did not start within {seconds} s ({_STARTUP_TIMEOUT}={seconds}); "
        f"give it longer, e.g. {_STARTUP_TIMEOUT}={max(90, 2 * seconds)}, and run the command again, "
        "or set PREFECT_API_URL to a Prefect server that is running"
    )


@app.command()
def advance(
    review_id: Annotated[int | None, typer.Argument(help="one review; default every review with machine work")] = None,
    partnership: PartnershipOpt = None,
    rescan: Annotated[
        bool,
        typer.Option(
            "--rescan",
            help="look at every open review, not only those queued (a repair after changes made around the engine)",
        ),
    ] = False,
) -> None:
    """Run the Prefect flow that moves reviews on as far as the machine can. A review whose step fails is
    left where it was (and named, exit status 1); the others move on."""
    from peer_review.service.isolation import Failures, SweepFailed, failure_log
    from peer_review.store.people import get_partnership
    from peer_review.store.reviews import get_review

    with _session() as session:  # a wrong id or name is refused before Prefect starts (and logs a traceback)
        if review_id is not None:
            get_review(session, review_id)
        elif partnership is not None:
            get_partnership(session, partnership)
    _quiet_prefect()
    from flows.review import advance_cycle, advance_review

    failures = Failures()
    with failure_log("advance") as log_file:  # after Prefect set up its logging, which this adds to
        try:
            results = _end_on_ctrl_c(
                lambda: (
                    {review_id: advance_review(review_id)}
                    if review_id is not None
                    else advance_cycle(partnership, rescan=rescan)
                )
            )
        except SweepFailed as failed:  # the flow carried on past them, then failed its run
            results, failures = failed.done if review_id is None else {review_id: failed.done}, failed.failures
    for rid, steps in results.items():
        if steps or rid not in failures.keys:
            out.print(f"review {rid}: {', '.join(steps) or 'nothing to do'}")
    if failures:
        for line in failures.summary(log_file()):
            err.print(line)
        raise SystemExit(1)


@app.command()
def worker(
    pool: Annotated[str, typer.Option(help="the Prefect work pool (prefect.yaml's is peer-review)")] = "peer-review",
    limit: Annotated[
        int, typer.Option(min=1, help="flow runs this worker runs at once (1 lets other workers take the rest)")
    ] = 1,
) -> None:
    """Start a Prefect process worker for the deployments, after checking it has what its runs need: the
    Prefect server, the domain database, mail settings and the code at PEER_REVIEW_HOME."""
    from flows.settings import missing_worker_settings
    from peer_review.adapters.prefect_events import server_problem

    api_url = settings.prefect_api_url()
    problems = (
        [server_problem(api_url)]
        if api_url
        else ["PREFECT_API_URL is not set: set it to the Prefect server, e.g. http://prefect.example.org:4200/api"]
    )
    problems = [problem for problem in problems if problem]
    home = settings.home()
    if not home or not (Path(home) / "flows" / "review.py").is_file():
        problems.append(
            f"PEER_REVIEW_HOME ({home or 'not set'}) must be the folder holding flows/, the same path as when the deployments were made"
        )
    problems += missing_worker_settings(mail=True)
    if problems:
        raise UserError("this worker is not set up: " + "; ".join(problems))
    # this process becomes the worker (systemd and signals reach it directly), with the same Python and Prefect
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "prefect",
            "worker",
            "start",
            "--pool",
            pool,
            "--type",
            "process",
            "--limit",
            str(limit),
        ],
    )


@app.command()
def demo(
    partnership: Annotated[
        Path | None, typer.Option(help="partnership file (default: the bundled Sheffield triad)")
    ] = None,
    framework: Annotated[str | None, typer.Option(help="framework id or file, instead of the partnership's")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the documents and the demo database")] = Path(
        "demo-output"
    ),
    until: Annotated[
        str | None,
        typer.Option(help="stop the simulated participants after this date (YYYY-MM-DD), leaving the cycle part-way"),
    ] = None,
) -> None:
    """Run a whole review cycle with simulated participants, through the Prefect flows."""
    from peer_review.demo import folder as demo_folder

    stop_after = _parse_date(until, "--until") if until else None  # before Prefect starts or a progress bar shows
    demo_folder.check(out_dir)  # a folder of the user's is refused before anything starts, and left as it was
    if named := settings.database_url_given():
        err.print(_own_database_note(named, out_dir / demo_folder.DATABASE), soft_wrap=True)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table

    from peer_review.adapters.report_builder import ReportBuilder

    with ReportBuilder() as builder:  # first: it forks, before Prefect, the progress bar's thread or the database
        _quiet_prefect()
        from flows.demo import run_demo

        with Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err.rich,
        ) as bar:
            job = bar.add_task("starting Prefect and loading the partnership", total=None)

            def progress(message: str, done: int, total: int) -> None:
                bar.update(job, description=message, completed=done, total=total)

            result = _end_on_ctrl_c(
                lambda: run_demo(partnership, framework, out_dir, progress, until=stop_after, render=builder.docx)
            )
    table = Table(title=f"{result.partnership}: {len(result.reviews)} reviews")
    for column in ("review", "host trust", "strand", "visit", "stage", "documents"):
        table.add_column(column)
    for r in result.reviews:
        docs = sum(1 for p in result.documents if p.name.startswith(f"{r.id:03d}-"))
        table.add_row(str(r.id), r.host, r.strand, f"{r.visit_start} to {r.visit_end}", r.stage, str(docs))
    out.print(table)
    out.print(
        f"{len(result.documents)} documents in {result.out}/ ; {result.emails} notification emails in {result.out}/emails/ ; {result.tasks_done} tasks done by simulated participants; {result.advances} sweeps"
    )
    out.print(f"Evaluation: {result.out}/evaluation/ ({', '.join(p.name for p in result.evaluation)})", soft_wrap=True)
    out.print(f"Database: {result.database}")


def _own_database_note(named: str, own: Path) -> str:
    """Why the demo's tables are not in the database PEER_REVIEW_DATABASE_URL names (the demo always makes a
    fresh one of its own), with that URL shown without its password."""
    from peer_review.store.db import database_url_for_display, sqlite_path

    shown = database_url_for_display(named)
    try:
        same = (path := sqlite_path(named)) is not None and path.resolve() == own.resolve()
    except UserError:  # not a URL peer-review can read: certainly not the demo's file
        same = False
    if same:
        return f"note: the demo replaces the database PEER_REVIEW_DATABASE_URL names ({shown}) with a fresh one of its own, {own}"
    return f"note: the demo uses a database of its own, {own}, and does not touch the one PEER_REVIEW_DATABASE_URL names ({shown})"


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="address to listen on; anything but localhost needs PEER_REVIEW_WEB_URL")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="processes answering requests (each with its own database connections)")
    ] = 1,
) -> None:
    """The web service: everyone signs in with an emailed link and does their tasks; coordinators follow their partnerships."""
    import uvicorn

    from peer_review.entrypoints.web.app import create_app, is_loopback
    from peer_review.service.signin import web_url

    if not web_url() and not is_loopback(host):
        raise UserError(
            f"--host {host} would open the service to other computers; set PEER_REVIEW_WEB_URL to the address people use "
            "(for example https://reviews.example.org, served by an https reverse proxy), so sign-in links and the Host check use it"
        )
    from peer_review.store.db import database_url_for_display, get_engine

    get_engine()  # fail now, clearly, if the database cannot be used
    address = web_url() or f"http://{host}:{port}"
    err.print(
        f"serving {database_url_for_display()} at {address}/ (listening on {host}:{port}); sign-in links go out through the outbox (`peer-review send`)"
    )
    if workers == 1:
        uvicorn.run(
            create_app(), host=host, port=port, log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1"
        )
    else:  # each process builds its own app from the same environment
        uvicorn.run(
            "peer_review.entrypoints.web.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
        )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema (also done automatically on first use)."""
    from peer_review.store.db import database_url_for_display, get_engine

    get_engine()
    out.print(f"database at the newest schema: {database_url_for_display()}")


def _app_for(args: list[str]) -> typer.Typer:
    """The app holding only the command or group that `args` name. Typer builds every command's options
    before it runs one, a tenth of a quick command's time above Python's own start; the command runs the
    same either way. Without a command name (`--help`, nothing, a typo) the whole app answers, so help
    lists every command and a misspelt one is suggested as before."""
    name = args[0] if args else None
    commands = [c for c in app.registered_commands if command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = commands, groups
    return only


def command_name(command: typer.models.CommandInfo) -> str:
    """The name a registered command is invoked by, as typer gives it."""
    if command.name:
        return command.name
    assert command.callback is not None  # a command is registered with its function
    return typer.main.get_command_name(command.callback.__name__)


def run(args: list[str]) -> int:
    """`peer-review ARGS` in this process: its output printed, its exit code returned."""
    try:
        typer.main.get_group(_app_for(args))(args)  # always a group, as app() makes it: the command's name comes first
    except UserError as exc:
        from rich.text import Text

        err.print(Text.assemble(("error:", "red"), f" {exc}".translate(_UNPRINTABLE)), soft_wrap=True)
        return 2
    except SystemExit as ended:  # how click ends every command, done or not
        if ended.code is None or isinstance(ended.code, int):
            return ended.code or 0
        raise
    return 0


def main() -> None:
    _end(run(sys.argv[1:]))


def _end(code: int) -> NoReturn:
    """End the process as Python would, but without then tearing down every module's objects one by one,
    which took a tenth of a second after a quick command. The database's connections are closed, exit
    handlers run and output is flushed first, as at any exit. Left to the interpreter: a process that
    loaded Prefect (`demo`, `advance`, `worker`: its threads and handlers), or one with a thread still
    working, and output that cannot be written (a closed pipe), which it reports as before."""
    import atexit
    import threading

    if "prefect" in sys.modules or any(
        t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()
    ):
        raise SystemExit(code)
    if "peer_review.store.db" in sys.modules:
        from peer_review.store.db import dispose_all

        dispose_all()
    atexit._run_exitfuncs()
    if not _flush_output():
        raise SystemExit(code)
    os._exit(code)


def _flush_output() -> bool:
    """Flush stdout and stderr before an `os._exit`; False if one cannot be written (a closed pipe)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the process was started with it closed
                stream.flush()
    except OSError:
        return False
    return True
