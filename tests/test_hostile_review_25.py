"""A hostile review of issue 25 (evidence files, colleagues, the timetable, discussion): each test is an attack
that got through, kept here with its fix (or marked xfail with the fix it needs)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from sqlmodel import select

from peer_review import clock
from peer_review.store import db
from peer_review.store.tables import OutboxMessage, Person

from helpers import (
    COLLEAGUE,
    PDF,
    TEST_SIGNATURE,
    WORD,
    csrf_of,
    do_until,
    flatten,
    load_second_partnership,
    post_form,
    row_counts,
    send_answer,
    sign_in,
    visible_text,
)
from helpers import evidence_file_ids as _file_ids
from helpers import name_colleague as _name_colleague
from helpers import stored_evidence_files as _stored_files
from helpers import upload_evidence as _upload

HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley's CEO: Steel Valley hosts review 1
PEER = "owen.fletcher@donriver.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"
OTHER_CEO = "marcus.hale@donriver.example.org"

pytestmark = pytest.mark.db


@pytest.fixture
def evidence_task(planned, tmp_path):
    """Review 1 at its evidence stage (the host's form open), a second partnership beside it (as test_evidence_files)."""
    load_second_partnership(tmp_path)
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 6), 9)):
        (task,) = do_until("submit_evidence")
    with clock.frozen_at(clock.at_london(dt.date(2023, 11, 7), 9)):
        yield task


def _move_person(email: str, **columns) -> None:
    """A person's record changed as `partnership load --update` changes it (their trust, or their leaving)."""
    with db.session_scope() as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        for name, value in columns.items():
            setattr(person, name, value)
        session.add(person)


def _trust_of(email: str) -> int:
    with db.session_scope() as session:
        return session.exec(select(Person.trust_id).where(Person.email == email)).one()


# --- colleagues ---------------------------------------------------------------------------------------------


def test_a_colleague_who_moves_to_another_trust_no_longer_acts_for_the_first(evidence_task):
    """Priya, named for Steel Valley's review, moves to Don River (the partnership file lists her there now): she is
    no longer Steel Valley's, so she must no longer be its host on the review (its personal-data files, its
    "review team and host" comments, uploading and removing files), nor see its CEO's tasks in her inbox."""
    ceo = sign_in(HOST)
    assert _name_colleague(ceo, **COLLEAGUE).status_code == 303
    _move_person(COLLEAGUE["email"], trust_id=_trust_of(OTHER_CEO))
    moved = sign_in(COLLEAGUE["email"])
    assert moved.get("/reviews/1").status_code == 403
    assert moved.get("/reviews/1/evidence/1/files").status_code == 403
    assert f'href="/tasks/{evidence_task.id}"' not in moved.get("/").text
    assert moved.get(f"/tasks/{evidence_task.id}").status_code == 403


def test_a_colleague_who_left_is_no_longer_emailed_the_review_s_timetable(evidence_task):
    """Priya leaves the partnership without being withdrawn: the host's "Tell the team" must not send her the whole
    timetable (who of the review team is where, the host's people) and its calendar."""
    ceo = sign_in(HOST)
    assert _name_colleague(ceo, **COLLEAGUE).status_code == 303
    _move_person(COLLEAGUE["email"], left_on=clock.today())
    fields = [
        ("day", "2024-01-15"),
        ("start", "9am"),
        ("end", "10am"),
        ("activity", "learning_walk"),
        ("description", ""),
        ("school", "Steel Valley Primary"),
        ("room", "Hall"),
        ("host_people", "Jo Bloggs, headteacher"),
    ]
    assert post_form(ceo, "/reviews/1/timetable/add", fields).status_code == 303
    page = ceo.get("/reviews/1/timetable")
    assert ceo.post("/reviews/1/timetable/tell", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    with db.session_scope() as session:
        told = set(
            session.exec(select(OutboxMessage.recipient).where(OutboxMessage.event == "timetable_changed")).all()
        )
    assert HOST in told and COLLEAGUE["email"] not in told


# --- the history names files its reader may not know of ----------------------------------------------------


def test_the_history_does_not_name_a_file_to_a_peer_before_the_index_is_submitted(evidence_task):
    """Before the index is submitted the files are the host trust's and the coordinator's: the file page refuses
    the peer, the review page lists nothing, and so the history must not name the file either."""
    host = sign_in(HOST)
    assert _upload(host, 1, "Exclusions log 2023.pdf", PDF).status_code == 303
    (file_id,) = _file_ids()
    peer = sign_in(PEER)
    assert peer.get(f"/files/{file_id}").status_code == 403
    assert "Exclusions log 2023" not in visible_text(peer.get("/reviews/1").text)
    assert "Exclusions log 2023" in visible_text(host.get("/reviews/1").text)  # the host's own history names it


def test_the_history_does_not_name_a_file_to_the_coordinator_once_its_item_holds_personal_data(evidence_task):
    """The host attaches a file saying it holds no personal data, then marks its item as holding personal data in
    the index: every page treats the file as personal data (the coordinator may not have it, nor know its name),
    but the history's sentence was written when it was attached and still names it to the coordinator."""
    host = sign_in(HOST)
    assert _upload(host, 1, "J Smith EHCP review.pdf", PDF, personal="no").status_code == 303
    items = [{"title": "SEND files", "type": "case files", "location": "Office", "lines": [1], "personal_data": True}]
    assert send_answer(host, evidence_task.id, flatten({"items": items})).status_code == 303
    coordinator = sign_in(COORDINATOR)
    (file_id,) = _file_ids()
    assert coordinator.get(f"/files/{file_id}").status_code == 403
    page = visible_text(coordinator.get("/reviews/1").text)
    assert "J Smith" not in page
    assert "attached a file holding personal data to E1" in page or "attached a file to E1" in page
    assert "J Smith EHCP review.pdf" in visible_text(sign_in(PEER).get("/reviews/1").text)  # the team's to know


# --- type sniffing --------------------------------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, content in entries:
            z.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        # any zip whose first entry's name starts "word/" reads as a Word document to `filetype`
        _zip([("word/readme.txt", b"hello"), ("setup.exe", b"MZ" + bytes(300))]),
        # a macro-enabled document (.docm) renamed .docx
        _zip(
            [
                (
                    "[Content_Types].xml",
                    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    b'<Override PartName="/word/document.xml" '
                    b'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
                ),
                ("word/document.xml", b"<w:document/>"),
                ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(100)),
            ]
        ),
    ],
    ids=["zip-of-anything", "docm-renamed"],
)
def test_a_zip_that_is_not_a_word_document_is_refused(evidence_task, tmp_path, content):
    host = sign_in(HOST)
    before = row_counts()
    answer = _upload(host, 1, "minutes.docx", content)
    assert answer.status_code == 400
    assert "The selected file must be a Word document: its content is not a Word document" in visible_text(answer.text)
    assert row_counts() == before and _stored_files(tmp_path) == []
    assert _upload(host, 1, "minutes.docx", WORD).status_code == 303  # a real one is taken


def _compound_file(stream: str, size: int = 4096) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors) holding one stream of `size` bytes (at least
    4096, so that it lives in ordinary sectors, not the mini stream): what Office 97-2003 files are made of."""
    import struct

    free, end, fat_sector, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    data_sectors = -(-size // 512)
    # the header: 76 bytes of fields (one FAT sector, at sector 0; the directory at sector 1), then the DIFAT
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat = [fat_sector, end] + [3 + i for i in range(data_sectors - 1)] + [end]
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", free) * (128 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, length: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", nostream, nostream, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, length)
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream, 2, nostream, 2, size)
    directory += entry("", 0, nostream, 0, 0) * 2
    return header + fat_bytes + directory + bytes(size).ljust(data_sectors * 512, b"\0")


@pytest.mark.parametrize(
    ("stream", "name", "taken"),
    [
        ("WordDocument", "minutes.doc", True),
        ("Workbook", "figures.xls", True),
        ("PowerPoint Document", "slides.ppt", True),
        ("Workbook", "minutes.doc", False),  # an Excel file named as Word
        ("MsiFileTable", "minutes.doc", False),  # what an installer holds, no Office stream
        ("__substg1.0_0037001F", "minutes.doc", False),  # an Outlook message
    ],
)
def test_an_ole_file_is_taken_only_as_the_office_file_its_streams_say(evidence_task, tmp_path, stream, name, taken):
    import olefile

    content = _compound_file(stream)
    with olefile.OleFileIO(io.BytesIO(content)) as check:  # the helper's file is a real compound file
        assert check.listdir() == [[stream]]
    host = sign_in(HOST)
    before = row_counts()
    answer = _upload(host, 1, name, content)
    assert answer.status_code == (303 if taken else 400), visible_text(answer.text)[-300:]
    if not taken:
        assert "its content is not a" in visible_text(answer.text)
        assert row_counts() == before and _stored_files(tmp_path) == []


# --- clamd failing open ------------------------------------------------------------------------------------


def _nested(content: bytes, depth: int) -> bytes:
    for n in range(depth):
        content = _zip([(f"layer{n}.zip" if n else "inner.txt", content)], zipfile.ZIP_DEFLATED)
    return content


def test_a_virus_deeper_than_clamd_looks_is_not_taken_as_clean(evidence_task, tmp_path, clamd, monkeypatch):
    """clamd answers `stream: OK` for what it gave up scanning (archives nested past MaxRecursion, more than
    MaxFiles, past MaxScanSize, encrypted) unless told to flag it (AlertExceedsMax, AlertEncrypted): a Word file
    embedding the test signature 20 zips down is taken as clean."""
    monkeypatch.setenv("PEER_REVIEW_CLAMD", clamd)
    document = io.BytesIO(WORD)
    with zipfile.ZipFile(document, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/embeddings/oleObject1.bin", _nested(TEST_SIGNATURE, 20))
    host = sign_in(HOST)
    before = row_counts()
    answer = _upload(host, 1, "minutes.docx", document.getvalue())
    assert answer.status_code == 400 and "The selected file contains a virus" in visible_text(answer.text)
    assert row_counts() == before and _stored_files(tmp_path) == []
