"""The web app's answers to hostile addresses and its transport security (issue 21, items 6 and 8).

Every route, signed in or not, on SQLite and PostgreSQL: a path or query string holding a control
character (NUL and the like), percent-encoding that is not UTF-8, or far too much text is refused with a
400 (a GOV.UK-style page, or JSON for exports and downloads) before anything reaches the database; what
people really type still works. Strict-Transport-Security goes with every answer served over https and
never over plain http or to this computer; deploy/nginx.conf sends it too, and keeps sign-in links
(a bearer secret until used) out of its access log.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from peer_review.entrypoints.web import pages
from peer_review.entrypoints.web.app import create_app

from helpers import free_port, new_client, sign_in

COORDINATOR = "ruth.ashby@coordinator.example.org"
HOST = "helen.marsh@steelvalley.example.org"
HSTS = "max-age=31536000; includeSubDomains"
NGINX_CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"

#: What no address may hold, percent-encoded as a browser or a script would send it.
BAD = {
    "NUL": "x%00y",
    "a control character": "x%01y",
    "an escape": "x%1by",
    "DEL": "x%7Fy",
    "a byte that is not UTF-8": "x%FFy",
    "a truncated UTF-8 sequence": "x%C3",
    "a UTF-16 surrogate": "x%ED%A0%80y",
    "far too much text": "a" * 9000,
}


def _routes(app):
    """(methods, path format, path parameters, query parameters) of every route, the static files included;
    FastAPI's included routers are opened up whichever way this FastAPI version keeps them."""

    def walk(routes, prefix):
        for route in routes:
            if isinstance(route, APIRoute):
                flat = get_flat_dependant(route.dependant)
                yield (
                    route.methods,
                    prefix + route.path_format,
                    [p.name for p in flat.path_params],
                    [p.alias for p in flat.query_params],
                )
            elif isinstance(route, Mount):
                yield {"GET"}, prefix + route.path + "/{path}", ["path"], []
            elif hasattr(route, "original_router"):  # FastAPI >= 0.13x: app.routes holds the included routers
                yield from walk(route.original_router.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif hasattr(route, "routes"):
                yield from walk(route.routes, prefix + getattr(route, "path", ""))

    found = list(walk(app.routes, ""))
    assert sum("GET" in methods for methods, *_ in found) >= 20, found  # the walk found the app's pages
    return found


def _hostile_requests(app, bad: str):
    """(method, address) with `bad` in each path parameter of every route in turn, and for every GET route in
    each of its query parameters, in a query parameter it does not know, and in a query parameter's name."""
    for methods, path, path_params, query_params in _routes(app):
        for method in sorted(methods):
            for name in path_params:
                yield method, path.format(**{p: bad if p == name else "1" for p in path_params})
            if method == "GET":
                plain = path.format(**{p: "1" for p in path_params})
                for name in [*query_params, "other"]:
                    yield method, f"{plain}?{name}={bad}"
                yield method, f"{plain}?{bad}=1"


def _is_download(address: str) -> bool:
    path = address.split("?", 1)[0]
    return path.endswith((".json", ".csv", ".svg")) or "/documents/" in path


def _count_sessions(client) -> list:
    """Every database session the app's pages open from now on."""
    opened = []

    def counted():
        opened.append(1)
        yield from pages.db()

    client.app.dependency_overrides[pages.db] = counted
    return opened


def _assert_refused(response, method: str, address: str, problem: str = "") -> None:
    where = f"{method} {address[:80]} {problem}"
    assert response.status_code == 400, (where, response.status_code, response.text[:300])
    assert response.headers["x-content-type-options"] == "nosniff", where  # the security headers go with it
    if not address.startswith("/static/"):  # static files may be cached
        assert response.headers["cache-control"] == "no-store", where
    if _is_download(address):
        assert response.headers["content-type"].startswith("application/json"), where
        assert response.json()["detail"], where
    else:
        assert response.headers["content-type"].startswith("text/html"), where
        assert "There is a problem" in response.text and "govuk-heading-l" in response.text, where
        assert "\x00" not in response.text, where


@pytest.mark.db
@pytest.mark.parametrize("who", ["nobody", "coordinator"])
def test_every_route_refuses_hostile_addresses_before_the_database(planned, who):
    client = sign_in(COORDINATOR) if who == "coordinator" else new_client()
    opened = _count_sessions(client)
    tried = 0
    for problem, bad in BAD.items():
        for method, address in _hostile_requests(client.app, bad):
            kwargs = {"data": {"csrf_token": "x"}} if method == "POST" else {}
            response = client.request(method, address, **kwargs)
            _assert_refused(response, method, address, problem)
            tried += 1
    assert tried > 300
    assert opened == [], f"{len(opened)} database sessions opened for refused requests"
    assert client.get("/partnerships?page=1").status_code == (200 if who == "coordinator" else 303)  # still in use
    assert len(opened) == 1


@pytest.mark.db
def test_good_practice_search_holding_nul_is_a_400_not_a_500(planned):
    """The issue's case: on PostgreSQL a NUL reached the database and the page failed with a 500."""
    host = sign_in(HOST)
    for search in ("x%00y", "%00", "x%FFy"):
        refused = host.get(f"/good-practice?search={search}")
        _assert_refused(refused, "GET", f"/good-practice?search={search}")
    # what people type still works: accents, emoji, spaces, signs, a tab (form fields keep tabs and line breaks)
    for search in ("caf%C3%A9", "%F0%9F%98%80", "100%25 a_b", "mentoring+for+staff", "a%09b", "100%"):
        assert host.get(f"/good-practice?search={search}").status_code == 200, search
    too_long = host.get("/good-practice", params={"search": "a" * 201})  # the page's own limit, told on the page
    assert too_long.status_code == 400 and "Search for 200 characters or fewer" in too_long.text
    follow = new_client().get("/good-practice?search=caf%C3%A9")  # signing in first, and back to the search
    assert follow.status_code == 303
    assert new_client().get(follow.headers["location"]).status_code == 200


@pytest.mark.parametrize(
    ("web_url", "base", "sent"),
    [
        ("https://reviews.example.org", "https://reviews.example.org", True),  # served over https
        ("https://reviews.example.org", "http://reviews.example.org", True),  # behind a proxy that ends https
        ("http://testserver", "https://testserver", True),  # the request itself came over https
        ("http://testserver", "http://testserver", False),  # plain http: browsers ignore it, so never
        ("", "http://localhost", False),  # on this computer
        ("https://reviews.example.org", "http://127.0.0.1", False),  # straight to the app on this computer
        ("https://localhost:8443", "https://localhost:8443", False),  # it would pin every port of localhost to https
    ],
)
def test_strict_transport_security_only_over_https(web_url, base, sent):
    client = TestClient(create_app(web_url=web_url), base_url=base, follow_redirects=False)
    for address, status in (
        ("/sign-in", 200),
        ("/no-such-page", 404),
        ("/sign-in?next=%00", 400),
        ("/static/nothing.css", 404),
    ):
        response = client.get(address)
        assert response.status_code == status, address
        assert response.headers.get("strict-transport-security") == (HSTS if sent else None), (address, base)


def _server_blocks(conf: str) -> list[str]:
    """The text of each top-level `server { ... }` block."""
    blocks, depth, start = [], 0, None
    for i, char in enumerate(conf):
        if char == "{":
            if depth == 0 and conf[:i].rstrip().endswith("server"):
                start = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and start is not None:
                blocks.append(conf[start:i])
                start = None
    return blocks


def test_nginx_conf_sends_hsts_and_keeps_sign_in_links_out_of_its_log():
    conf = "\n".join(line.split("#", 1)[0] for line in NGINX_CONF.read_text().splitlines())
    https = [b for b in _server_blocks(conf) if "443" in b and "ssl" in b]
    plain = [b for b in _server_blocks(conf) if "listen 80" in b]
    assert len(https) == 1 and len(plain) == 1
    assert f'add_header Strict-Transport-Security "{HSTS}" always;' in https[0]
    assert "Strict-Transport-Security" not in plain[0].replace("proxy_hide_header Strict-Transport-Security", "")
    assert "map $uri $peer_review_uri" in conf and "log_format" in conf
    for block in (*https, *plain):  # every access log names a format that leaves the link out
        logs = [line.strip() for line in block.splitlines() if line.strip().startswith("access_log")]
        assert logs, block
        assert all(line.split()[-1].rstrip(";") == "peer_review" or line == "access_log off;" for line in logs), logs
    log_format = conf[conf.index("log_format") :]
    log_format = log_format[: log_format.index(";")]
    assert (
        "$request " not in log_format
        and "$request_uri" not in log_format
        and "$uri" not in log_format
        and "$args" not in log_format
    )


def test_nginx_conf_is_valid_and_logs_no_sign_in_link(tmp_path):
    """deploy/nginx.conf under a real nginx (its own ports, a self-signed certificate, a stub app behind it).
    Skipped without nginx and openssl (`bash scripts/install-test-tools.sh` installs nginx), unless
    PEER_REVIEW_REQUIRE_BROWSER=1 (as in CI), where it fails instead."""
    missing = [tool for tool in ("nginx", "openssl") if shutil.which(tool) is None]
    if missing:
        message = f"missing: {', '.join(missing)}; run `bash scripts/install-test-tools.sh`"
        if os.environ.get("PEER_REVIEW_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)

    class App(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Strict-Transport-Security", "max-age=1")  # nginx sends its own, once
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    https_port, http_port = free_port(), free_port()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=reviews.example.org",
            "-keyout",
            tmp_path / "key.pem",
            "-out",
            tmp_path / "cert.pem",
        ],
        check=True,
        capture_output=True,
    )
    site = (
        NGINX_CONF.read_text()
        .replace("/etc/letsencrypt/live/reviews.example.org/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/letsencrypt/live/reviews.example.org/privkey.pem", str(tmp_path / "key.pem"))
        .replace("127.0.0.1:8000", f"127.0.0.1:{upstream.server_address[1]}")
        .replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
        .replace("listen 80", f"listen 127.0.0.1:{http_port}")
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/main-error.log;
events {{}}
http {{
    access_log {tmp_path}/default-access.log;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy; fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"], stderr=subprocess.PIPE
    )
    try:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        import http.client

        def get(path: str, port: int = https_port, secure: bool = True, **headers):
            for _ in range(50):
                try:
                    connection = (
                        http.client.HTTPSConnection("127.0.0.1", port, context=context)
                        if secure
                        else http.client.HTTPConnection("127.0.0.1", port)
                    )
                    connection.request("GET", path, headers={"Host": "reviews.example.org", **headers})
                    response = connection.getresponse()
                    response.read()
                    return response
                except ConnectionRefusedError:
                    time.sleep(0.1)
            raise AssertionError("nginx did not start")

        secret = "S3cretLinkToken_abcdefghijklmnopqrstuvwxyz0123"
        link = get(f"/sign-in/{secret}")
        assert link.status == 200
        assert link.headers.get_all("Strict-Transport-Security") == [HSTS]
        assert (
            get("/sign-in/" + secret + "?next=%2F", Referer=f"https://reviews.example.org/sign-in/{secret}").status
            == 200
        )
        assert (
            get(f"/%73ign-in/{secret}").status == 200 and get(f"//sign-in/{secret}").status == 200
        )  # the same link, spelt otherwise
        assert get("/partnerships/1?page=2").headers.get_all("Strict-Transport-Security") == [HSTS]
        assert get(f"/calendar-feed/{secret}.ics").status == 200  # a calendar address: its token not logged either
        redirect = get(f"/sign-in/{secret}", http_port, secure=False)
        assert redirect.status == 301 and redirect.headers.get("Strict-Transport-Security") is None
        upstream.shutdown()
        upstream.server_close()
        down = get(f"/sign-in/{secret}")  # the app is down: nginx's error log quotes the request line, but not here
        assert down.status == 502 and down.headers.get_all("Strict-Transport-Security") == [HSTS]
        assert get("/partnerships/1").status == 502
    finally:
        nginx.terminate()
        nginx.wait(10)
        upstream.shutdown()
    logged = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert secret not in logged, logged
    assert logged.count("/sign-in/[link]") >= 5 and "/partnerships/1?page=2" in logged, logged
    assert "GET /calendar-feed/[address] HTTP" in logged, logged
    assert (
        "GET /partnerships/1 HTTP" in (tmp_path / "main-error.log").read_text()
    )  # other pages' errors are still logged
