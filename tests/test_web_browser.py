"""The coordinator's web view in a real browser: Debian's Chromium driven by Playwright, pages checked
with axe-core, over the data of a demo cycle stopped part-way.

Needs /usr/bin/chromium and node_modules/axe-core (`bash scripts/install-test-tools.sh`). Without
them the test is skipped, unless PEER_REVIEW_REQUIRE_BROWSER=1 (as in CI), where it fails instead.
Screenshots, the downloaded report and axe's findings go to test-artifacts/ (or
$PEER_REVIEW_TEST_ARTIFACTS).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from peer_review import clock, db
from peer_review.partnerships import default_partnership_path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("PEER_REVIEW_TEST_ARTIFACTS", ROOT / "test-artifacts"))
TOKEN = "a-token-for-this-test-only"
UNTIL = dt.date(2024, 6, 1)  # the demo's participants stop working after this date ...
LOOKING_ON = UNTIL + dt.timedelta(days=21)  # ... and the coordinator looks three weeks later
# Chromium as root in a closed network: no sandbox, and no background calls to Google's hosts.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _browser_tools() -> None:
    missing = [str(p) for p in (CHROMIUM, AXE) if not p.exists()]
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if missing:
        message = f"browser test tools missing: {', '.join(missing)}; run `bash scripts/install-test-tools.sh`"
        if os.environ.get("PEER_REVIEW_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def site(prefect_server, tmp_path_factory):
    """A real HTTP server (uvicorn, in a thread) over a demo database, with the clock three weeks on."""
    _browser_tools()
    import uvicorn

    from flows.demo import run_demo
    from peer_review.web.app import create_app

    out = tmp_path_factory.mktemp("demo")
    result = run_demo(default_partnership_path(), None, out, until=UNTIL)
    db.configure(result.database)
    clock.set_time(clock.at_london(LOOKING_ON, 10))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(TOKEN), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        db.configure(None)
        clock.set_time(None)


def _accessibility_problems(page, name: str) -> list[str]:
    """axe-core's serious and critical findings against WCAG 2.2 A and AA (all findings are saved)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})")
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results["violations"], indent=2))
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(n['target'][0] for n in v['nodes'][:3])}"
        for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]


def test_coordinator_follows_the_triad_opens_a_review_and_downloads_its_report(site):
    from docx import Document
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            # The pages forbid every script (Content-Security-Policy); bypass_csp lets the test inject axe.
            context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page = context.new_page()

            # Without the token: the sign-in page, answered 401; with it, back to the page asked for.
            response = page.goto(f"{site}/partnerships/1")
            assert response.status == 401
            assert _accessibility_problems(page, "sign-in") == []
            page.get_by_label("Coordinator access token").fill(TOKEN)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{site}/partnerships/1")
            expect(page.get_by_role("heading", level=1)).to_have_text("Sheffield pilot triad")

            # The keyboard reaches the skip link first, and it leads to the main content.
            page.keyboard.press("Tab")
            expect(page.locator(".govuk-skip-link")).to_be_focused()
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{site}/partnerships/1#main-content")

            # The grid: a row per trust, each stage in words; the overdue list names who holds each task.
            grid = page.locator("#grid")
            expect(grid.locator("tbody tr")).to_have_count(3)
            for trust in ("Steel Valley Academy Trust", "Don River Learning Partnership", "Peak Edge Schools Trust"):
                expect(grid.get_by_role("rowheader", name=trust)).to_be_visible()
            expect(grid.get_by_text("closed", exact=True).first).to_be_visible()
            overdue = page.locator("#overdue tbody tr")
            assert overdue.count() >= 1
            expect(overdue.first).to_contain_text("@")  # the holder's email
            expect(page.locator("#grid .govuk-tag--red").first).to_have_text("overdue")
            expect(page.locator("svg line.today")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "partnership.png"), full_page=True)
            assert _accessibility_problems(page, "partnership") == []

            # Open a closed review from the grid, and download its issued report.
            grid.get_by_role("link", name=re.compile(r"^Review \d+, .*: closed$")).first.click()
            expect(page).to_have_url(re.compile(r"/reviews/\d+$"))
            expect(page.get_by_role("heading", name="Stages")).to_be_visible()
            expect(page.locator("#history tbody tr").first).to_be_visible()
            host = page.locator(".govuk-caption-l").inner_text().split(": ", 1)[1]
            page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
            assert _accessibility_problems(page, "review") == []
            with page.expect_download() as info:
                page.get_by_role("link", name=re.compile(r"^Review report \(")).click()
            download = info.value
            saved = ARTIFACTS / download.suggested_filename
            download.save_as(saved)
        finally:
            browser.close()

    assert saved.suffix == ".docx"
    text = "\n".join(paragraph.text for paragraph in Document(saved).paragraphs)
    assert host in text
    assert "Strengths" in text or "strength" in text.lower()
    assert not re.search(r"\b(outstanding|inadequate|requires improvement)\b", text, re.IGNORECASE)
