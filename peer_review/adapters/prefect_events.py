"""Telling a Prefect server that someone submitted a task, so the `advance-review` deployment runs.

One HTTP request to the server's events API with the standard library: the command (or web request) that
announces does not import Prefect (1 s or more). If the server cannot be reached the submission still
stands: the review is already on the engine's queue, and the next `advance-cycle` sweep moves it on.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

from peer_review import settings

SUBMITTED = "peer-review.task.submitted"
TIMEOUT_SECONDS = 5


class NotAnnounced(RuntimeError):
    """The Prefect server did not take the event; the next sweep moves the review on instead."""


def announce_submission(task_id: int, review_id: int, kind: str, api_url: str | None = None) -> None:
    """Send the event the `advance-review` deployment's trigger waits for; raises NotAnnounced on failure."""
    api_url = (api_url or settings.prefect_api_url() or "").rstrip("/")
    event = {
        "id": str(uuid.uuid4()),
        "occurred": dt.datetime.now(dt.UTC).isoformat(),
        "event": SUBMITTED,
        "resource": {"prefect.resource.id": f"peer-review.review.{review_id}", "peer-review.review-id": str(review_id)},
        "payload": {"review_id": review_id, "task_id": task_id, "kind": kind},  # a number in the payload stays a number
    }
    shown = _display(api_url)
    try:
        request = urllib.request.Request(
            f"{api_url}/events", data=json.dumps([event]).encode(), method="POST", headers=_headers()
        )
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise NotAnnounced(f"the Prefect server at {shown} answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise NotAnnounced(f"the Prefect server at {shown} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise NotAnnounced(f"could not reach the Prefect server at {shown} ({getattr(exc, 'reason', exc)})") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer from something other than the events API (and would carry the credentials
    elsewhere): it counts as not announced."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _display(api_url: str) -> str:
    """The URL without any password in it (credentials belong in PREFECT_API_AUTH_STRING)."""
    parts = urllib.parse.urlsplit(api_url)
    if parts.username or parts.password:
        return urllib.parse.urlunsplit(
            parts._replace(netloc=f"***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else ""))
        )
    return api_url


def server_problem(api_url: str) -> str | None:
    """Why the Prefect server at `api_url` cannot be used (None when its health check answers)."""
    shown = _display(api_url)
    if shown != api_url:
        return f"PREFECT_API_URL={shown} holds credentials: give them as PREFECT_API_AUTH_STRING instead"
    try:
        request = urllib.request.Request(f"{api_url.rstrip('/')}/health", headers=_headers())
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS):
            return None
    except urllib.error.HTTPError as exc:
        return f"the Prefect server at PREFECT_API_URL={shown} answered {exc.code} {exc.reason} (is it the API address, ending in /api?)"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"could not reach the Prefect server at PREFECT_API_URL={shown} ({getattr(exc, 'reason', exc)})"


def _headers() -> dict[str, str]:
    """Prefect's own client settings: an API key (Prefect Cloud) or a self-hosted server's basic-auth string."""
    headers = {"Content-Type": "application/json"}
    if key := settings.prefect_api_key():
        headers["Authorization"] = f"Bearer {key}"
    elif auth := settings.prefect_api_auth_string():
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return headers
