"""What the heaviest page weighs on the wire: the coordinator's partnership page and the stylesheets it links,
without compression and with gzip (as a browser asks for it).

    python benchmarks/page_weight.py

The database is the bundled Sheffield triad worked by its simulated participants up to 1 June 2024 and read as on
22 June 2024 (as benchmarks/bench_dashboard.py builds it, in a temporary folder), when its partnership page shows
open and overdue work. Its coordinator signs in through the emailed link; then the page and each stylesheet it links
are fetched through the web app with `Accept-Encoding: identity` and with `Accept-Encoding: gzip, deflate, br`, and
the bytes of each body are counted as sent (before the client decodes them). A browser keeps the fingerprinted
stylesheets for a year, so a later page costs only its HTML.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from national_db import BASE, COORDINATOR, LOOKING_ON, SESSION_COOKIE, build, sign_in, web_app

from peer_review import clock
from peer_review.store import db

PAGE = "/partnerships/1"
ENCODINGS = {"without compression": "identity", "with gzip": "gzip, deflate, br"}


def sent(client, path: str, accept: str) -> tuple[int, str]:
    """The bytes of the answer's body as sent, and its Content-Encoding."""
    with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        assert response.status_code == 200, (path, response.status_code)
        return sum(len(chunk) for chunk in response.iter_raw()), response.headers.get("content-encoding", "none")


def run(url: str) -> None:
    from fastapi.testclient import TestClient

    build(url, 0)
    clock.set_time(clock.at_london(LOOKING_ON, 10))
    app = web_app()
    client = TestClient(app, base_url=BASE, cookies={SESSION_COOKIE: sign_in(app, COORDINATOR)})
    html = client.get(PAGE).text
    assert "overdue" in html
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    rows = [("partnership page (HTML)", PAGE), *((f"stylesheet {Path(s).name}", s) for s in stylesheets)]
    print(f"\nThe coordinator's partnership page ({PAGE}) and what it links, body bytes as sent")
    print(f"{'what':<46}{'without compression':>21}{'with gzip':>12}{'ratio':>8}")
    totals = dict.fromkeys(ENCODINGS, 0)
    for label, path in rows:
        sizes = {}
        for how, accept in ENCODINGS.items():
            sizes[how], encoding = sent(client, path, accept)
            assert (encoding == "gzip") == (accept != "identity"), (path, accept, encoding)
            totals[how] += sizes[how]
        plain, zipped = sizes["without compression"], sizes["with gzip"]
        print(f"{label:<46}{plain:>21,}{zipped:>12,}{zipped / plain:>8.2f}")
    plain, zipped = totals["without compression"], totals["with gzip"]
    print(f"{'first visit: page and stylesheets':<46}{plain:>21,}{zipped:>12,}{zipped / plain:>8.2f}")
    print(
        f"({plain / 1024:.0f} KiB without compression, {zipped / 1024:.0f} KiB with gzip; later pages: the HTML only)"
    )
    clock.set_time(None)
    db.configure(None)
    db.dispose_all()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'triad.db'}")
