"""Evidence files: the file store (a folder, and S3-compatible storage against moto's local server), the
checks a file passes before it is kept (its type read from its bytes, its size while it streams, clamd),
who may have it, and the colleagues a host CEO names to do the trust's tasks for them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.adapters.file_store import Damaged, FolderStore, S3Store, read_checked
from peer_review.store import db
from peer_review.store.tables import AuditEntry, EvidenceFile, Task

from helpers import (
    COLLEAGUE,
    PDF,
    TEST_SIGNATURE,
    WORD,
    csrf_of,
    do_until,
    flatten,
    free_port,
    load_second_partnership,
    row_counts,
    send_answer,
    sign_in,
    visible_text,
)
from helpers import evidence_file_ids as _file_ids
from helpers import name_colleague as _name_colleague
from helpers import stored_evidence_files as _stored_files
from helpers import upload_evidence as _upload

pytestmark = pytest.mark.db

HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley's CEO: Steel Valley hosts review 1
PEER = "owen.fletcher@donriver.example.org"
MODERATOR = "daniel.okafor@coordinator.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"
BYSTANDER = "sian.pryce@donriver.example.org"  # a reviewer in the partnership, not on review 1
OTHER_CEO = "marcus.hale@donriver.example.org"
OUTSIDER = "ruth.ashby@coordinator.other.example.org"
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + bytes(200)


# --- the store ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3-compatible server on a local port, with a bucket."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="test", aws_secret_access_key="test"
    ).create_bucket(Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield endpoint
    server.stop()


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path, monkeypatch):
    if request.param == "folder":
        return FolderStore(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_server")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }.items():
        monkeypatch.setenv(name, value)
    return S3Store("evidence", f"run-{request.node.name[-12:]}-{free_port()}", endpoint)


def test_the_store_keeps_bytes_by_key_and_refuses_bytes_that_changed(store):
    key, other = "reviews/1/" + "a" * 32, "reviews/2/" + "b" * 32
    store.put(key, PDF)
    store.put(other, b"other")
    assert store.get(key) == PDF and set(store.keys()) == {key, other}
    assert read_checked(store, key, hashlib.sha256(PDF).hexdigest(), len(PDF)) == PDF
    store.put(key, PDF.replace(b"Catalog", b"Catalo9"))  # changed where it is kept: never served
    with pytest.raises(Damaged, match="checksum"):
        read_checked(store, key, hashlib.sha256(PDF).hexdigest(), len(PDF))
    store.delete(key)
    assert set(store.keys()) == {other}
    with pytest.raises(Damaged, match="missing"):
        read_checked(store, key, hashlib.sha256(PDF).hexdigest(), len(PDF))
    for bad in ("../../etc/passwd", "reviews/1/../../x", "reviews/x/" + "a" * 32, "/reviews/1/" + "a" * 32):
        with pytest.raises(ValueError):
            store.put(bad, b"x")


# --- the evidence form's files, on the web -----------------------------------------------------------


@pytest.fixture
def evidence_task(planned, tmp_path):
    """Review 1 at its evidence stage (the host's form open), a second partnership beside it."""
    load_second_partnership(tmp_path)
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        (task,) = do_until("submit_evidence")
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 7), 9)):
        yield task


def _submit_index(host, task_id: int, personal_second: bool = False) -> None:
    items = [
        {"title": "Board minutes", "type": "minutes", "location": "SharePoint", "lines": [1], "personal_data": False},
        {
            "title": "Pupil case studies",
            "type": "case studies",
            "location": "Office",
            "lines": [1],
            "personal_data": personal_second,
        },
    ]
    assert send_answer(host, task_id, flatten({"items": items})).status_code == 303


def test_the_host_attaches_files_and_the_team_downloads_them_as_the_rules_say(evidence_task, tmp_path):
    host = sign_in(HOST)
    assert _upload(host, 1, "Board minutes.pdf", PDF).status_code == 303
    assert _upload(host, 2, "Case studies.docx", WORD, personal="yes").status_code == 303
    pdf_id, word_id = _file_ids()
    assert len(_stored_files(tmp_path)) == 2
    page = host.get("/reviews/1/evidence/1/files").text
    assert "Board minutes.pdf" in page and "PDF" in page and "attached by Helen Marsh" in visible_text(page)
    peer, coordinator = sign_in(PEER), sign_in(COORDINATOR)
    # before the index is submitted the files are the host trust's (and the coordinator's)
    assert peer.get(f"/files/{pdf_id}").status_code == 403
    assert coordinator.get(f"/files/{pdf_id}").content == PDF
    _submit_index(host, evidence_task.id, personal_second=True)

    got = peer.get(f"/files/{pdf_id}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''Board%20minutes.pdf"
    assert (
        got.headers["content-type"] == "application/octet-stream" and got.headers["x-content-type-options"] == "nosniff"
    )
    assert peer.get(f"/files/{word_id}").content == WORD  # personal data: the team has it
    assert sign_in(MODERATOR).get(f"/files/{word_id}").status_code == 200
    assert coordinator.get(f"/files/{word_id}").status_code == 403  # ...and the coordinator does not
    assert coordinator.get(f"/files/{pdf_id}").status_code == 200
    for who, status in ((BYSTANDER, 403), (OTHER_CEO, 403), (OUTSIDER, 404)):
        assert sign_in(who).get(f"/files/{pdf_id}").status_code == status, who
    assert sign_in(OUTSIDER).get("/files/999").status_code == 404

    review = peer.get("/reviews/1").text
    assert f'href="/files/{pdf_id}"' in review and f'href="/files/{word_id}"' in review
    shown = coordinator.get("/reviews/1").text
    assert f'href="/files/{word_id}"' not in shown and "Case studies.docx" not in shown
    # the moderation record's evidence index lists each file with its size and checksum
    from peer_review.service.documents import moderation_context
    from peer_review.store.reviews import get_review

    with db.session_scope() as session:
        listed = [e["files"] for e in moderation_context(session, get_review(session, 1))["evidence"]]
    assert listed[0] == f"Files: Board minutes.pdf ({len(PDF):,} bytes, SHA-256 {hashlib.sha256(PDF).hexdigest()})"
    assert listed[1].startswith("Files: a file holding personal data (") and "Case studies" not in listed[1]


@pytest.mark.parametrize(
    ("name", "content", "personal", "message"),
    [
        ("minutes.pdf", EXECUTABLE, "no", "The selected file must be a PDF: its content is not a PDF"),
        (
            "setup.exe",
            EXECUTABLE,
            "no",
            "The selected file must be a PDF, Word, Excel, PowerPoint, CSV, PNG, JPEG, GIF or WebP",
        ),
        ("minutes.docx", PDF, "no", "The selected file must be a Word document: its content is not a Word document"),
        (
            "figures.csv",
            b"name,score\n" + bytes(range(0, 20)),
            "no",
            "The selected file must be a CSV: its content is not text",
        ),
        ("empty.pdf", b"", "no", "The selected file is empty"),
        ("minutes.pdf", PDF, "", "Select yes if the file holds personal data"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_kept(
    evidence_task, tmp_path, name, content, personal, message
):
    host = sign_in(HOST)
    before = row_counts()
    answer = _upload(host, 1, name, content, personal)
    assert answer.status_code == 400
    assert "There is a problem" in answer.text and message in visible_text(answer.text)
    assert row_counts() == before and _stored_files(tmp_path) == []


def test_no_file_chosen_is_asked_for(evidence_task):
    host = sign_in(HOST)
    token = csrf_of(host.get("/reviews/1/evidence/1/files").text)
    answer = host.post("/reviews/1/evidence/1/files", data={"csrf_token": token, "personal_data": "no"})
    assert answer.status_code == 400 and "Select a file" in answer.text


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("", b"", "Select a file"),
        ("minutes.pdf", EXECUTABLE, "The selected file must be a PDF: its content is not a PDF"),
    ],
)
def test_a_file_problem_and_no_personal_data_answer_are_said_at_once(evidence_task, tmp_path, name, content, problem):
    host = sign_in(HOST)
    before = row_counts()
    token = csrf_of(host.get("/reviews/1/evidence/1/files").text)
    answer = host.post(
        "/reviews/1/evidence/1/files",
        data={"csrf_token": token},
        files={"file": (name, content, "application/octet-stream")},
    )
    assert answer.status_code == 400
    assert (
        f'<li><a href="#file">{problem}</a></li>'
        '<li><a href="#personal_data">Select yes if the file holds personal data</a></li>'
    ) in answer.text
    assert row_counts() == before and _stored_files(tmp_path) == []


def test_a_file_over_the_limit_is_refused_while_it_streams(evidence_task, tmp_path, monkeypatch):
    monkeypatch.setenv("PEER_REVIEW_FILE_LIMIT_MB", "1")
    host = sign_in(HOST)
    before = row_counts()
    big = PDF + b"%" * (1024 * 1024 + 70_000)  # past the limit and the form's own allowance
    answer = _upload(host, 1, "big.pdf", big)
    assert answer.status_code == 413
    assert '<a href="#file">The selected file must be smaller than 1 MB</a>' in answer.text
    assert row_counts() == before and _stored_files(tmp_path) == []
    just_under = PDF + b"%" * (1024 * 1024 - len(PDF) - 10)
    assert _upload(host, 1, "under.pdf", just_under).status_code == 303


def test_a_review_holds_at_most_its_limit_of_files(evidence_task, tmp_path, monkeypatch):
    monkeypatch.setenv("PEER_REVIEW_FILE_LIMIT_MB", "1")
    monkeypatch.setenv("PEER_REVIEW_REVIEW_FILES_LIMIT_MB", "2")
    host = sign_in(HOST)
    part = PDF + b"%" * (900 * 1024)
    assert _upload(host, 1, "one.pdf", part).status_code == 303
    assert _upload(host, 1, "two.pdf", part).status_code == 303
    before = row_counts()
    answer = _upload(host, 1, "three.pdf", part)
    assert answer.status_code == 413 and "a review’s files must be 2 MB or less in all" in visible_text(
        answer.text
    ).replace("'", "’")
    assert row_counts() == before and len(_stored_files(tmp_path)) == 2


def test_only_the_host_and_the_coordinator_attach_and_remove(evidence_task, tmp_path):
    host = sign_in(HOST)
    assert _upload(host, 1, "minutes.pdf", PDF).status_code == 303
    (file_id,) = _file_ids()
    for who, status in ((PEER, 403), (MODERATOR, 403), (BYSTANDER, 403), (OTHER_CEO, 403), (OUTSIDER, 404)):
        client = sign_in(who)
        before = row_counts()
        token = csrf_of(client.get("/").text)
        attempt = client.post(
            "/reviews/1/evidence/1/files",
            data={"csrf_token": token, "personal_data": "no"},
            files={"file": ("x.pdf", PDF, "application/pdf")},
        )
        assert attempt.status_code == status, who
        assert client.post(f"/files/{file_id}/remove", data={"csrf_token": token}).status_code == status, who
        assert row_counts() == before and len(_stored_files(tmp_path)) == 1, who
    no_token = host.post("/reviews/1/evidence/1/files", data={"personal_data": "no"}, files={"file": ("x.pdf", PDF)})
    assert no_token.status_code == 403 and len(_file_ids()) == 1
    coordinator = sign_in(COORDINATOR)
    token = csrf_of(coordinator.get("/reviews/1/evidence/1/files").text)
    assert coordinator.post(f"/files/{file_id}/remove", data={"csrf_token": token}).status_code == 303
    assert _file_ids() == [] and _stored_files(tmp_path) == []
    with db.session_scope() as session:
        removed = session.exec(select(AuditEntry).where(AuditEntry.action == "evidence_file_removed")).one()
    assert removed.detail["filename"] == "minutes.pdf" and removed.actor == COORDINATOR


def test_a_hostile_name_is_kept_as_typed_without_its_folders_and_escaped(evidence_task):
    host = sign_in(HOST)
    name = "..\\..\\etc\\<img src=x onerror=alert(1)> minutes\u202e.pdf"
    assert _upload(host, 1, name, PDF).status_code == 303
    with db.session_scope() as session:
        row = session.exec(select(EvidenceFile)).one()
    assert row.filename == "<img src=x onerror=alert(1)> minutes.pdf"  # no folder, no bidirectional override
    assert re.fullmatch(r"reviews/1/[0-9a-f]{32}", row.key)
    page = host.get("/reviews/1/evidence/1/files").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; minutes.pdf" in page
    got = host.get(f"/files/{row.id}")
    assert (
        got.headers["content-disposition"]
        == "attachment; filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%20minutes.pdf"
    )


def test_an_item_with_files_keeps_them_when_items_are_removed_and_the_index_refuses_files_it_lost(evidence_task):
    host = sign_in(HOST)
    assert _upload(host, 2, "second.pdf", PDF).status_code == 303
    items = [
        {"title": f"Item {n}", "type": "minutes", "location": "SharePoint", "lines": [1], "personal_data": False}
        for n in (1, 2)
    ]
    fields = flatten({"items": items})
    form = host.get(f"/tasks/{evidence_task.id}").text
    sent = host.post(
        f"/tasks/{evidence_task.id}",
        data={"csrf_token": csrf_of(form), **dict(fields), "action": "remove:items-1"},
    )
    assert sent.status_code == 400 and "E2 has 1 file attached: remove it before removing the item" in sent.text
    moved = host.post(
        f"/tasks/{evidence_task.id}", data={"csrf_token": csrf_of(form), **dict(fields), "action": "remove:items-0"}
    )
    assert moved.status_code == 200
    with db.session_scope() as session:
        assert session.exec(select(EvidenceFile.item)).one() == 1  # moved up with its item
    one = flatten({"items": items[:1]})
    assert send_answer(host, evidence_task.id, one).status_code == 303  # E1 is there: accepted


def test_clamd_refuses_a_file_carrying_the_test_signature(clamd, evidence_task, tmp_path, monkeypatch):
    monkeypatch.setenv("PEER_REVIEW_CLAMD", clamd)
    host = sign_in(HOST)
    before = row_counts()
    infected = PDF + b"\n% " + TEST_SIGNATURE + b"\n"
    answer = _upload(host, 1, "minutes.pdf", infected)
    assert answer.status_code == 400 and "The selected file contains a virus" in answer.text
    assert row_counts() == before and _stored_files(tmp_path) == []
    assert _upload(host, 1, "minutes.pdf", PDF).status_code == 303
    with db.session_scope() as session:
        assert session.exec(select(EvidenceFile.scanned)).one() == "clean"
    monkeypatch.setenv("PEER_REVIEW_CLAMD", f"unix:{tmp_path / 'nobody.sock'}")  # configured, not answering
    down = _upload(host, 1, "other.pdf", PDF)
    assert down.status_code == 503 and "could not be checked for viruses" in down.text and len(_file_ids()) == 1


# --- colleagues acting for the host CEO ----------------------------------------------------------------


def test_a_colleague_named_by_the_ceo_does_the_evidence_for_them(evidence_task, tmp_path):
    ceo = sign_in(HOST)
    assert _name_colleague(ceo, **COLLEAGUE).status_code == 303
    colleague = sign_in(COLLEAGUE["email"])
    inbox = colleague.get("/").text
    assert f'href="/tasks/{evidence_task.id}"' in inbox
    assert _upload(colleague, 1, "minutes.pdf", PDF).status_code == 303
    with db.session_scope() as session:
        row = session.exec(select(EvidenceFile)).one()
        assert row.for_id is not None and row.for_id != row.uploaded_by_id
    items = [{"title": "Minutes", "type": "minutes", "location": "SharePoint", "lines": [1], "personal_data": False}]
    assert send_answer(colleague, evidence_task.id, flatten({"items": items})).status_code == 303
    with db.session_scope() as session:
        done = session.get(Task, evidence_task.id)
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "task_completed").order_by(AuditEntry.id.desc())
        ).first()
    assert done.status == "done" and entry.actor == COLLEAGUE["email"] and entry.detail["on_behalf_of"] == HOST
    history = visible_text(ceo.get("/reviews/1").text)
    assert "Priya Shah attached minutes.pdf to E1 for Helen Marsh" in history

    # what stays the CEO's: the move of the visit, and naming colleagues
    assert colleague.get("/reviews/1/move").status_code == 403
    assert colleague.get("/reviews/1/colleagues").status_code == 403
    # withdrawn, they no longer see the review
    token = csrf_of(ceo.get("/reviews/1/colleagues").text)
    with db.session_scope() as session:
        from peer_review.store.tables import Person

        priya = session.exec(select(Person.id).where(Person.email == COLLEAGUE["email"])).one()
    assert (
        ceo.post("/reviews/1/colleagues", data={"csrf_token": token, "action": f"withdraw:{priya}"}).status_code == 303
    )
    assert colleague.get("/reviews/1").status_code == 403


def test_the_ceo_keeps_the_factual_accuracy_check(evidence_task):
    ceo = sign_in(HOST)
    assert _name_colleague(ceo, **COLLEAGUE).status_code == 303
    with clock.frozen_at(clock.at_london(dt.date(2024, 2, 1), 9)):
        (check,) = do_until("check_report")
        colleague = sign_in(COLLEAGUE["email"])
        assert colleague.get(f"/tasks/{check.id}").status_code == 403
        assert f'href="/tasks/{check.id}"' not in colleague.get("/").text
        assert colleague.get("/reviews/1").status_code == 200  # they still read the review


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({**COLLEAGUE, "name": ""}, "name", "Enter their full name"),
        (
            {**COLLEAGUE, "email": "priya"},
            "email",
            "Enter an email address in the correct format, like name@example.org",
        ),
        (
            {**COLLEAGUE, "email": "owen.fletcher@donriver.example.org"},
            "email",
            "Owen Fletcher already uses this email address in the partnership, as a reviewer from Don River Learning Partnership",
        ),
        ({**COLLEAGUE, "email": HOST}, "email", "That is your own email address: name a colleague, not yourself"),
        ({**COLLEAGUE, "job_title": ""}, "job_title", "Enter their job title"),
    ],
)
def test_naming_a_colleague_is_refused_in_words_and_writes_nothing(evidence_task, fields, field, message):
    ceo = sign_in(HOST)
    before = row_counts()
    answer = _name_colleague(ceo, **fields)
    assert answer.status_code == 400 and f'<a href="#{field}">{message}</a>' in answer.text
    assert row_counts() == before


def test_only_the_ceo_and_the_coordinator_name_colleagues(evidence_task):
    for who, status in ((PEER, 403), (MODERATOR, 403), (BYSTANDER, 403), (OTHER_CEO, 403), (OUTSIDER, 404)):
        client = sign_in(who)
        before = row_counts()
        assert client.get("/reviews/1/colleagues").status_code == status, who
        token = csrf_of(client.get("/").text)
        posted = client.post("/reviews/1/colleagues", data={"csrf_token": token, "action": "add", **COLLEAGUE})
        assert posted.status_code == status and row_counts() == before, who
    coordinator = sign_in(COORDINATOR)
    assert _name_colleague(coordinator, **COLLEAGUE).status_code == 303


def test_the_zip_of_a_review_holds_only_what_the_person_may_have(evidence_task):
    import zipfile

    host = sign_in(HOST)
    assert _upload(host, 1, "Board minutes.pdf", PDF).status_code == 303
    assert _upload(host, 2, "Case studies.docx", WORD, personal="yes").status_code == 303
    assert _upload(host, 1, "Board minutes.pdf", PDF + b"% again\n").status_code == 303  # the same name twice
    _submit_index(host, evidence_task.id)

    def contents(email: str) -> tuple[dict[str, bytes], str]:
        got = sign_in(email).get("/reviews/1/documents.zip")
        assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(got.content)) as bundle:
            files = {name: bundle.read(name) for name in bundle.namelist()}
        return files, files.pop("what-this-holds.txt").decode()

    peer, note = contents(PEER)
    agreement = [name for name in peer if name.startswith("documents/")]
    assert agreement and all(name.endswith(".docx") for name in agreement)  # the lines-of-enquiry agreement
    assert (
        peer["evidence/E1/Board minutes.pdf"] == PDF and peer["evidence/E1/Board minutes (2).pdf"] == PDF + b"% again\n"
    )
    assert peer["evidence/E2/Case studies.docx"] == WORD
    assert f"SHA-256 {hashlib.sha256(WORD).hexdigest()}" in note and "What it leaves out" not in note
    coordinator, note = contents(COORDINATOR)
    assert "evidence/E2/Case studies.docx" not in coordinator and "evidence/E1/Board minutes.pdf" in coordinator
    assert "a file on E2 holding personal data: only the review team and the host trust have it" in note
    assert "Case studies" not in note
    for who, status in ((BYSTANDER, 403), (OTHER_CEO, 403), (OUTSIDER, 404)):
        assert sign_in(who).get("/reviews/1/documents.zip").status_code == status, who


def test_a_colleague_named_early_is_told_of_the_tasks_they_may_do_and_may_answer_at_the_command_line(planned):
    from peer_review.service import queries, workflow
    from peer_review.store.tables import OutboxMessage

    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        assert _name_colleague(sign_in(HOST), **COLLEAGUE).status_code == 303
        (task,) = do_until("submit_evidence")
    with db.session_scope() as session:
        told = session.exec(select(OutboxMessage).where(OutboxMessage.key.startswith(f"task_assigned/{task.id}"))).all()
        assert sorted(m.recipient for m in told) == sorted([HOST, COLLEAGUE["email"]])
        mine = next(m for m in told if m.recipient == COLLEAGUE["email"])
        assert "There is a task for Helen Marsh in the peer review of Steel Valley" in mine.text
        answer = {
            "items": [
                {"title": "Minutes", "type": "minutes", "location": "SharePoint", "lines": [1], "personal_data": False}
            ]
        }
        with clock.frozen_at(clock.at_london(dt.date(2023, 11, 7), 9)):
            workflow.submit(session, task.id, answer, COLLEAGUE["email"])  # as `peer-review submit --as` does
    with db.session_scope() as session:
        assert [t for t in queries.open_tasks(session) if t.id == task.id] == []


def test_the_findings_form_links_the_files_of_the_evidence_it_cites(evidence_task):
    host = sign_in(HOST)
    assert _upload(host, 1, "Board minutes.pdf", PDF).status_code == 303
    _submit_index(host, evidence_task.id)
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 17), 9)):
        tasks = do_until("record_findings")
        mine = next(t for t in tasks if t.assignee_email == PEER)
        (file_id,) = _file_ids()
        form = sign_in(PEER).get(f"/tasks/{mine.id}").text
        index = form.split('id="evidence-index"', 1)[1]
        assert f'href="/files/{file_id}"' in index and "Board minutes.pdf" in index


def test_files_check_finds_missing_damaged_and_orphaned_bytes(evidence_task, tmp_path):
    from helpers import run_cli

    host = sign_in(HOST)
    assert _upload(host, 1, "one.pdf", PDF).status_code == 303
    assert _upload(host, 1, "two.pdf", PDF + b"%2\n").status_code == 303
    env = {"PEER_REVIEW_DATABASE_URL": db.database_url(), "PEER_REVIEW_FILES": str(tmp_path / "evidence-files")}
    clean = run_cli("files", "check", env=env)
    assert clean.returncode == 0 and "2 files checked" in clean.stdout, clean.stdout + clean.stderr
    first, second = sorted(_stored_files(tmp_path), key=lambda p: p.stat().st_mtime)
    orphan = first.parent / ("0" * 32)
    orphan.write_bytes(b"left over")
    second.write_bytes(b"changed")
    first.unlink()
    found = run_cli("files", "check", "--remove-orphans", env=env)
    assert found.returncode == 1
    assert (
        "missing: review 1, E1: one.pdf" in found.stdout
        and "damaged (checksum differs): review 1, E1: two.pdf" in found.stdout
    )
    assert "1 stored without a file record" in found.stdout and "0 deleted" in found.stdout  # not an hour old yet
    assert orphan.exists()


def test_two_uploads_at_once_cannot_both_fit_under_the_review_limit_only_one_fits_under(
    evidence_task, tmp_path, monkeypatch
):
    from peer_review.service import access, evidence_files

    from helpers import all_at_once

    monkeypatch.setenv("PEER_REVIEW_FILE_LIMIT_MB", "1")
    monkeypatch.setenv("PEER_REVIEW_REVIEW_FILES_LIMIT_MB", "1")
    part = PDF + b"%" * (600 * 1024)

    def upload(i: int):
        with db.session_scope() as session:
            return evidence_files.attach(
                session, access.viewer_for(session, HOST), 1, 1, f"part{i}.pdf", part, False
            ).id

    outcomes = all_at_once(2, upload)
    kept = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, evidence_files.FileProblem)]
    assert len(kept) == 1 and len(refused) == 1, outcomes
    assert "must be 1 MB or less in all" in refused[0].problem
    assert _file_ids() == kept and len(_stored_files(tmp_path)) == 1


def test_once_moderation_starts_only_the_coordinator_removes_a_file(evidence_task, tmp_path):
    host = sign_in(HOST)
    assert _upload(host, 1, "minutes.pdf", PDF).status_code == 303
    _submit_index(host, evidence_task.id)
    (file_id,) = _file_ids()
    with clock.frozen_at(clock.at_london(dt.date(2024, 1, 30), 9)):
        do_until("moderate")
        host = sign_in(HOST)  # weeks on: a new sign-in
        page = host.get("/reviews/1/evidence/1/files").text
        assert f'action="/files/{file_id}/remove"' not in page
        before = row_counts()
        refused = host.post(f"/files/{file_id}/remove", data={"csrf_token": csrf_of(host.get("/").text)})
        assert refused.status_code == 403 and "ask the partnership’s coordinator" in refused.text.replace(
            "&#39;", "’"
        ).replace("'", "’")
        assert row_counts() == before and len(_stored_files(tmp_path)) == 1
        coordinator = sign_in(COORDINATOR)
        token = csrf_of(coordinator.get("/reviews/1/evidence/1/files").text)
        assert coordinator.post(f"/files/{file_id}/remove", data={"csrf_token": token}).status_code == 303
    assert _file_ids() == [] and _stored_files(tmp_path) == []


def test_the_access_log_tells_the_coordinator_who_downloaded_what_naming_no_personal_data(evidence_task):
    host = sign_in(HOST)
    assert _upload(host, 1, "Board minutes.pdf", PDF).status_code == 303
    assert _upload(host, 2, "J Smith case study.docx", WORD, personal="yes").status_code == 303
    _submit_index(host, evidence_task.id)
    pdf_id, word_id = _file_ids()
    peer = sign_in(PEER)
    assert peer.get(f"/files/{pdf_id}").status_code == 200 and peer.get(f"/files/{word_id}").status_code == 200
    assert peer.get("/reviews/1/documents/lines-of-enquiry-agreement").status_code == 200
    assert peer.get("/reviews/1/documents.zip").status_code == 200
    assert sign_in(COORDINATOR).get(f"/files/{word_id}").status_code == 403  # refused: not in the log
    log = sign_in(COORDINATOR).get("/reviews/1/access-log")
    assert log.status_code == 200
    rows = [visible_text(row) for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", log.text, re.S)]
    rows = [row for row in rows if PEER in row]
    assert len(rows) == 4, rows
    shown = "\n".join(rows)
    assert "downloaded the evidence file Board minutes.pdf (E1)" in shown
    assert "downloaded the evidence file a file holding personal data on E2" in shown and "J Smith" not in log.text
    assert "downloaded the Word document: lines of enquiry agreement" in shown
    assert "downloaded the zip" in shown
    for who in (HOST, PEER, BYSTANDER):
        assert sign_in(who).get("/reviews/1/access-log").status_code == 403, who


def test_a_colleague_action_with_digits_that_are_not_ascii_is_not_found(evidence_task):
    ceo = sign_in(HOST)
    token = csrf_of(ceo.get("/reviews/1/colleagues").text)
    for action in ("name:\u00b2", "withdraw:\u0663", "name:", "rename:1"):
        assert ceo.post("/reviews/1/colleagues", data={"csrf_token": token, "action": action}).status_code == 404, (
            action
        )
