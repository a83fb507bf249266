"""What a flow run on a worker needs from the worker's own environment, checked before it does anything.

A worker started without PEER_REVIEW_DATABASE_URL would otherwise work on an empty SQLite file of its own
and report success; one without mail settings would "send" every email into a local folder.
"""

from __future__ import annotations

from peer_review import settings
from peer_review.errors import UserError
from peer_review.store import db


def missing_worker_settings(mail: bool = False) -> list[str]:
    """What a worker's environment lacks, each with what to set (empty when it is ready)."""
    problems = []
    if not settings.database_url_given():
        problems.append(
            "PEER_REVIEW_DATABASE_URL is not set: set it to the domain database, e.g. postgresql://peer_review@db.example.org/peer_review"
        )
    else:
        try:
            if (database := db.sqlite_path()) is not None and not database.is_file():
                problems.append(
                    f"the database file {database} does not exist: PEER_REVIEW_DATABASE_URL must name the domain database"
                )
            elif db.stored_version() is None:
                problems.append(
                    f"the database {db.database_url_for_display()} has no peer-review tables (or they cannot be read with these credentials): "
                    "load a partnership first (`peer-review partnership load`)"
                )
        except UserError as exc:  # not a database URL, or a database that cannot be reached
            problems.append(str(exc))
    if mail and not (settings.smtp_url() or settings.outbox_dir()):
        problems.append(
            "neither PEER_REVIEW_SMTP_URL (e.g. smtp://mail.example.org:25) nor PEER_REVIEW_OUTBOX_DIR (a folder for .eml files) is set"
        )
    if mail and settings.smtp_url():  # real mail: emails are written on the worker, with its settings
        for name, what in (
            ("PEER_REVIEW_WEB_URL", "where people reach the web service (every email links to it)"),
            ("PEER_REVIEW_MAIL_FROM", "the sender of every email"),
        ):
            if not settings.ALL[name].given():
                problems.append(f"{name} is not set: {what}")
    return problems


def require_worker_settings(mail: bool = False) -> None:
    """In a deployment's flow run, refuse to start without the worker settings it needs; in-process runs
    (the demo, `peer-review advance`, tests) use the configured database and are not checked."""
    from prefect.runtime import deployment

    if deployment.id is None:
        return
    if problems := missing_worker_settings(mail):
        raise UserError("this worker is not set up: " + "; ".join(problems))
