"""Notification emails: the text and HTML of each event, from the Jinja templates in templates/email/."""

from __future__ import annotations

from functools import lru_cache

from peer_review import clock, settings
from peer_review.resources import bundled

SIGNATURE = "peer-review, for your partnership's coordinator"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import (  # only when an email is written: commands start faster
        Environment,
        FileSystemLoader,
        StrictUndefined,
    )

    env = Environment(
        loader=FileSystemLoader(str(bundled("templates") / "email")),
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = clock.long_date  # "25 November 2024", as every page writes a date
    return env


def render(event: str, context: dict) -> tuple[str, str]:
    """(plain text, HTML) for an event; a missing value is an error, never a blank.

    With PEER_REVIEW_WEB_URL set (where `peer-review serve` is reached), every email links to its page
    there (a task, the review, the person's task list), through sign-in when needed.
    """
    context = {
        "signature": SIGNATURE,
        "web_url": settings.web_url(),
        "web_path": "",
    } | context
    env = _environment()
    return env.get_template(f"{event}.txt.j2").render(context), env.get_template(f"{event}.html.j2").render(context)
