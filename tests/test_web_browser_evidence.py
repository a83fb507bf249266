"""Evidence files and colleagues acting for the trust in a real browser (Debian's Chromium through Playwright,
over a live server), each page and its error states checked with axe-core at 1280 and 320 px.

Review 1 is at its evidence stage. The host CEO opens "Colleagues who act for your trust" from the review's
page and names someone new (first with an email already used in the partnership: the error summary, its link
landing on the field). The colleague signs in through the emailed link, finds the evidence task in their own
list, fills two items and presses "Attach files" for E1: a PDF (no personal data), then on E2 a Word file
holding personal data. Refused along the way, each leaving the row counts and the storage folder as they
were: nothing chosen and nothing answered (both said at once), a program renamed minutes.pdf, a PDF carrying
clamd's local test signature, and a file over the 1 MB limit (413). The colleague then sends the index (Continue, check your answers, Send). A peer downloads both
files from the review's page and gets the bytes that were uploaded; a reviewer not on the review gets the
403 page at a file's address; the coordinator downloads the PDF, sees no link to the personal-data file and
gets the 403 page at its address.

Needs what tests/test_web_browser.py needs (`bash scripts/install-test-tools.sh`), and clamd (conftest.py).
"""

from __future__ import annotations

import datetime as dt
import email
import io
import json
import re
from email import policy
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlmodel import select

from peer_review import clock
from peer_review.domain.evidence_files import size_in_words
from peer_review.store import db

from helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    EXAMPLE,
    TEST_SIGNATURE,
    BrowserTour,
    LiveSite,
    browser_tools,
    do_until,
    live_server,
    plan_and_publish,
    row_counts,
    tick,
)

HOST = "helen.marsh@steelvalley.example.org"  # Steel Valley's CEO: Steel Valley hosts review 1
PEER = "owen.fletcher@donriver.example.org"
COORDINATOR = "ruth.ashby@coordinator.example.org"
BYSTANDER = "sian.pryce@donriver.example.org"  # a reviewer in the partnership, not on review 1
COLLEAGUE = {"name": "Priya Shah", "email": "priya.shah@steelvalley.example.org", "job_title": "Director of Education"}
GROUP = "Steel Valley Academy Trust: School improvement"  # review 1's table in a task list

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + bytes(200)
INFECTED = PDF + b"\n% " + TEST_SIGNATURE + b"\n"
TOO_BIG = PDF + b"%" * (1024 * 1024 + 70_000)  # past the 1 MB limit and the form's own allowance


def _word(text: str) -> bytes:
    document = Docx()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


WORD = _word("Pupil case studies, autumn term")
ITEMS = [  # title, type, where it is kept
    ("Board minutes", "minutes", "Trust SharePoint > Governance"),
    ("Pupil case studies", "case studies", "Trust office, locked cabinet"),
]


@pytest.fixture
def site(tmp_path, monkeypatch, clamd):
    """A live server over a fresh SQLite database: the bundled triad planned and published, review 1 moved on
    to its evidence stage (the host's evidence form open); files kept in a folder of the test's, scanned by the
    test clamd, at most 1 MB each; mail delivered to a folder."""
    browser_tools()
    from peer_review.files.partnerships import load_partnership_file
    from peer_review.service import loading, workflow

    for name in ("PREFECT_API_URL", "PEER_REVIEW_WEB_URL", "PEER_REVIEW_SMTP_URL", "PEER_REVIEW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEER_REVIEW_FILES", str(tmp_path / "evidence-files"))
    monkeypatch.setenv("PEER_REVIEW_CLAMD", clamd)
    monkeypatch.setenv("PEER_REVIEW_FILE_LIMIT_MB", "1")
    clock.set_time(clock.at_london(dt.date(2023, 11, 6), 9))
    db.dispose_all()
    db.configure(f"sqlite:///{tmp_path / 'peer-review.db'}")
    try:
        with db.session_scope() as session:
            loading.store_partnership(session, load_partnership_file(EXAMPLE))
            plan_and_publish(session, None)
        workflow.advance_review(db.session_scope, 1)
        do_until("submit_evidence")
        clock.set_time(clock.at_london(dt.date(2023, 11, 7), 9))
        with live_server() as url:
            yield LiveSite(url, tmp_path / "outbox")
    finally:
        db.configure(None)
        db.dispose_all()
        clock.set_time(None)


def _stored(tmp_path: Path) -> dict[str, bytes]:
    """What the storage folder holds: each file's bytes by its path."""
    folder = tmp_path / "evidence-files"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _refused(tour, page, tmp_path: Path, chosen: Path, message: str, name: str, status: int) -> None:
    """Choose a file, say it holds no personal data and attach it: refused with this message in the error
    summary (its link landing on the file field), the page's status as given, nothing written or stored."""
    from playwright.sync_api import expect

    before, stored = row_counts(), _stored(tmp_path)
    page.get_by_label("Attach a file").set_input_files(chosen)
    tick(page, "No")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Attach the file").click()
    assert answer.value.status == status, (answer.value.status, message)
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link", name=message, exact=True)).to_have_attribute("href", "#file")
    expect(page.locator("#file-error")).to_contain_text(message)
    expect(page).to_have_title(re.compile(r"^Error: "))
    tour.error_links_land(page)
    tour.axe(page, name)
    tour.shot(page, name)
    assert row_counts() == before, f"{chosen.name} ({message}) wrote rows"
    assert _stored(tmp_path) == stored, f"{chosen.name} ({message}) left bytes in the storage folder"


def _attach(page, chosen: Path, personal: bool, item: int) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Attach a file").set_input_files(chosen)
    tick(page, "Yes, it holds personal data" if personal else "No")
    page.get_by_role("button", name="Attach the file").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"The file is attached to E{item}")
    expect(page.get_by_role("table", name="Attached")).to_contain_text(chosen.name)


def _downloaded(page, link, tmp_path: Path, folder: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        link.click()
    download = info.value
    saved = tmp_path / folder / download.suggested_filename
    download.save_as(saved)
    return download.suggested_filename, saved.read_bytes()


def _forbidden(page, url: str) -> None:
    """The address opened in the browser: the 403 page, no file."""
    from playwright.sync_api import expect

    answer = page.goto(url)
    assert answer is not None and answer.status == 403, (url, answer and answer.status)
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")


def test_a_colleague_attaches_evidence_files_and_each_person_gets_what_the_rules_give_them(site, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from peer_review.store.tables import AuditEntry, EvidenceFile

    artifacts = ARTIFACTS / "evidence"
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("axe-*.json"):
        old.unlink()
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    chosen = {}
    for name, content in {
        "Board minutes.pdf": PDF,
        "Case studies.docx": WORD,
        "minutes.pdf": EXECUTABLE,
        "scanned minutes.pdf": INFECTED,
        "big minutes.pdf": TOO_BIG,
    }.items():
        (uploads / name).write_bytes(content)
        chosen[name] = uploads / name
    (tmp_path / "peer").mkdir()
    (tmp_path / "coordinator").mkdir()
    assert _stored(tmp_path) == {}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        tour = BrowserTour(browser, site, artifacts=artifacts)
        try:
            # 1. The host CEO names a colleague from the review's page: first with an email already used
            page = tour.home(HOST)
            page.goto(site.url + "/reviews/1")
            tour.axe(page, "review-host")
            page.get_by_role("link", name="Colleagues who act for your trust").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Colleagues who act for your trust")
            expect(page.locator("#named")).to_contain_text("Nobody: the trust's tasks on this review are yours.")
            tour.axe(page, "colleagues")
            before = row_counts()
            page.get_by_label("Full name").fill(COLLEAGUE["name"])
            page.get_by_label("Email address").fill(PEER)
            page.get_by_label("Job title").fill(COLLEAGUE["job_title"])
            page.get_by_role("button", name="Name this colleague").click()
            summary = page.locator(".govuk-error-summary")
            expect(summary.get_by_role("heading")).to_have_text("There is a problem")
            taken = (
                "Owen Fletcher already uses this email address in the partnership, as a reviewer from Don River "
                "Learning Partnership"
            )
            expect(summary.get_by_role("link", name=taken, exact=True)).to_have_attribute("href", "#email")
            expect(page).to_have_title(re.compile(r"^Error: "))
            tour.error_links_land(page)
            summary.get_by_role("link", name=taken).click()
            expect(page.get_by_label("Email address")).to_be_focused()
            expect(page.get_by_label("Full name")).to_have_value(COLLEAGUE["name"])  # what was typed is kept
            tour.axe(page, "colleagues-error")
            assert row_counts() == before
            page.get_by_label("Email address").fill(COLLEAGUE["email"])
            page.get_by_role("button", name="Name this colleague").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text("Your change to the colleagues is saved")
            expect(page.locator("#named")).to_contain_text(COLLEAGUE["name"])
            expect(page.locator("#named")).to_contain_text(COLLEAGUE["email"])
            tour.axe(page, "colleagues-named")
            tour.shot(page, "colleagues-named")

            # 2. The colleague, told by email, signs in through the emailed link and finds the evidence task
            page = tour.home(COLLEAGUE["email"])
            (told,) = site.mail.glob("*-colleague_named-priya.shah_steelvalley.example.org.eml")
            message = email.message_from_bytes(told.read_bytes(), policy=policy.default)
            assert (
                message["Subject"]
                == "You can now act for Steel Valley Academy Trust on its review of School improvement"
            )
            task_link = page.get_by_role("table", name=GROUP).get_by_role("link", name="Submit the evidence index")
            expect(task_link).to_have_count(1)
            task_link.click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Submit the evidence index")
            task_url = page.url
            for i, (title, kind, location) in enumerate(ITEMS):
                if i:
                    page.get_by_role("button", name="Add another item").click()
                item = page.get_by_role("group", name=f"Evidence item E{i + 1}")
                item.get_by_label("Title").fill(title)
                item.get_by_label("Type").fill(kind)
                item.get_by_label("Where it is kept").fill(location)
                item.get_by_role("group", name="Lines of enquiry it is evidence for").locator("label").first.click()
                tick(item, "No")
            expect(page.locator("#items-0-files")).to_have_text("No files attached.")
            tour.axe(page, "evidence-form")
            page.get_by_role("button", name="Attach files for E1").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Files for E1")
            expect(page.get_by_role("heading", level=1)).to_contain_text(ITEMS[0][0])  # the draft's title
            expect(page.locator("#files")).to_have_text("No files are attached to E1 yet.")
            tour.axe(page, "files-empty")
            tour.shot(page, "files-empty")

            # ...nothing chosen and nothing answered: both asked for at once, each link landing on its field
            before, stored = row_counts(), _stored(tmp_path)
            page.get_by_role("button", name="Attach the file").click()
            summary = page.locator(".govuk-error-summary")
            expect(summary.get_by_role("heading")).to_have_text("There is a problem")
            expect(summary.get_by_role("link", name="Select a file", exact=True)).to_have_attribute("href", "#file")
            expect(
                summary.get_by_role("link", name="Select yes if the file holds personal data", exact=True)
            ).to_have_attribute("href", "#personal_data")
            tour.error_links_land(page)
            summary.get_by_role("link", name="Select a file").click()
            expect(page.get_by_label("Attach a file")).to_be_focused()
            tour.axe(page, "files-nothing-chosen")
            assert row_counts() == before and _stored(tmp_path) == stored

            # ...refused: a program renamed minutes.pdf, a file carrying the test signature, one over the limit
            _refused(
                tour,
                page,
                tmp_path,
                chosen["minutes.pdf"],
                "The selected file must be a PDF: its content is not a PDF",
                "files-not-a-pdf",
                400,
            )
            _refused(
                tour,
                page,
                tmp_path,
                chosen["scanned minutes.pdf"],
                "The selected file contains a virus",
                "files-virus",
                400,
            )
            _refused(
                tour,
                page,
                tmp_path,
                chosen["big minutes.pdf"],
                "The selected file must be smaller than 1 MB",
                "files-too-large",
                413,
            )
            # ...then the PDF, holding no personal data
            _attach(page, chosen["Board minutes.pdf"], personal=False, item=1)
            expect(page.get_by_role("table", name="Attached")).to_contain_text(
                f"attached by {COLLEAGUE['name']} for Helen Marsh"
            )
            tour.axe(page, "files-attached")
            tour.shot(page, "files-attached")
            assert list(_stored(tmp_path).values()) == [PDF]

            # back on the form, what was typed is still there; the Word file on E2, holding personal data
            page.get_by_role("link", name="Back to the evidence form").click()
            expect(page).to_have_url(task_url)
            expect(page.get_by_role("group", name="Evidence item E2").get_by_label("Title")).to_have_value(ITEMS[1][0])
            expect(page.locator("#items-0-files")).to_have_text("1 file attached.")
            page.get_by_role("button", name="Attach files for E2").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Files for E2")
            _attach(page, chosen["Case studies.docx"], personal=True, item=2)
            expect(page.get_by_role("table", name="Attached")).to_contain_text("Word document, holds personal data")
            assert sorted(_stored(tmp_path).values()) == sorted([PDF, WORD])

            # ...and sends the index
            page.get_by_role("link", name="Back to the evidence form").click()
            expect(page.locator("#items-0-files")).to_have_text("1 file attached.")
            expect(page.locator("#items-1-files")).to_have_text("1 file attached.")
            tour.axe(page, "evidence-form-with-files")
            page.get_by_role("button", name="Continue").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending them")
            tour.axe(page, "evidence-check-answers")
            page.get_by_role("button", name="Send").click()
            expect(page.locator(".govuk-panel__title")).to_have_text("Task done")

            # The CEO's review page says what the colleague did, as done for them (the history names a file
            # holding personal data by its item only, for everyone: its name may say who)
            page = tour.home(HOST)
            page.goto(site.url + "/reviews/1")
            main = page.get_by_role("main")
            for done in (
                f"{COLLEAGUE['name']} attached Board minutes.pdf to E1 for Helen Marsh",
                f"{COLLEAGUE['name']} attached a file holding personal data to E2 for Helen Marsh",
            ):
                expect(main).to_contain_text(done)
            tour.shot(page, "review-host-after")

            # 3. A peer downloads both files from the review's evidence: the bytes that were uploaded
            page = tour.home(PEER)
            page.goto(site.url + "/reviews/1")
            evidence = page.locator("#evidence")
            pdf_link = evidence.get_by_role("link", name="Board minutes.pdf")
            word_link = evidence.get_by_role("link", name="Case studies.docx")
            expect(pdf_link).to_have_count(1)
            expect(word_link).to_have_count(1)
            expect(page.locator("#files-E2")).to_contain_text("personal data")
            tour.axe(page, "review-peer")
            tour.shot(page, "review-peer")
            pdf_url, word_url = (site.url + link.get_attribute("href") for link in (pdf_link, word_link))
            assert _downloaded(page, pdf_link, tmp_path, "peer") == ("Board minutes.pdf", PDF)
            assert _downloaded(page, word_link, tmp_path, "peer") == ("Case studies.docx", WORD)

            # 4. A reviewer not on the review: the 403 page at a file's address
            page = tour.home(BYSTANDER)
            _forbidden(page, pdf_url)
            _forbidden(page, word_url)

            # ...the coordinator: the PDF, but neither a link to nor the name of the personal-data file
            page = tour.home(COORDINATOR)
            page.goto(site.url + "/reviews/1")
            evidence = page.locator("#evidence")
            expect(evidence.get_by_role("link", name="Board minutes.pdf")).to_have_count(1)
            expect(page.locator("#files-E2")).to_have_text(
                f"A file holding personal data (Word document, {size_in_words(len(WORD))})"
            )
            expect(page.locator("#files-E2 a")).to_have_count(0)
            expect(page.get_by_role("main")).not_to_contain_text("Case studies.docx")
            tour.axe(page, "review-coordinator")
            tour.shot(page, "review-coordinator")
            link = evidence.get_by_role("link", name="Board minutes.pdf")
            assert _downloaded(page, link, tmp_path, "coordinator") == ("Board minutes.pdf", PDF)
            _forbidden(page, word_url)

            # 5. The coordinator's access log: the peer's downloads and their own, the personal file by its item
            page.goto(site.url + "/reviews/1")
            page.get_by_role("link", name="Who opened its documents and files").click()
            log = page.locator("#access-log")
            expect(log).to_contain_text("downloaded the evidence file Board minutes.pdf (E1)")
            expect(log).to_contain_text("downloaded the evidence file a file holding personal data on E2")
            expect(log).not_to_contain_text("Case studies")
            tour.axe(page, "access-log")

            # 6. The peer's calendar address: made, shown once, read by a calendar without signing in
            page = tour.home(PEER)
            page.get_by_role(
                "link", name="Your calendar address: your visits in Outlook, Google or Apple Calendar"
            ).click()
            tour.axe(page, "calendar-none")
            page.get_by_role("button", name="Make a calendar address").click()
            address = page.locator("#calendar-address").inner_text()
            tour.axe(page, "calendar-made")
            import icalendar

            outside = browser.new_context()  # as a calendar app reads it: the address alone, no cookie
            feed = outside.request.get(address)
            assert feed.status == 200
            assert "review-1-visit@peer-review" in {
                str(e["uid"]) for e in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
            }
        finally:
            browser.close()
            (artifacts / "axe-summary.json").write_text(
                json.dumps({"checked": tour.checked, "serious_or_critical": tour.findings}, indent=2)
            )

    with db.session_scope() as session:
        files = session.exec(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        attached = session.exec(select(AuditEntry).where(AuditEntry.action == "evidence_file_attached")).all()
    assert [(f.item, f.filename, f.personal_data, f.scanned) for f in files] == [
        (1, "Board minutes.pdf", False, "clean"),
        (2, "Case studies.docx", True, "clean"),
    ]
    assert {(a.actor, a.detail["on_behalf_of"]) for a in attached} == {(COLLEAGUE["email"], HOST)}
    assert not tour.findings, json.dumps(tour.findings, indent=2)
    for found in sorted(artifacts.glob("axe-[0-9]*.json")):  # not even a minor or moderate finding
        assert json.loads(found.read_text()) == [], found.name
