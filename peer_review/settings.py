"""Every environment variable the project uses, in one place: its name, default and meaning.

Nothing else reads `os.environ` (tests/test_layout.py checks). Each setting is read when it is asked for, not
copied at import: a process that changes its environment (the command line setting Prefect's defaults, a test)
sees the change, and a module that never needs a setting never trips over a bad one. A value out of range is a
`BadInput` naming the variable, what was given and what would do.

`docs/operations.md` lists the same settings for people running the service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from peer_review.errors import BadInput


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str

    def raw(self) -> str:
        """The environment's value, stripped; the default when unset or blank."""
        return os.environ.get(self.name, "").strip() or self.default

    def given(self) -> bool:
        return bool(os.environ.get(self.name, "").strip())

    def whole_number(self, low: int, high: int, unit: str) -> int:
        value = self.raw()
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            raise BadInput(f"{self.name} must be a whole number of {unit} from {low} to {high}; got '{value[:40]}'")
        return int(value)


def _declare(name: str, default: str, meaning: str) -> Setting:
    setting = Setting(name, default, meaning)
    ALL[name] = setting
    return setting


ALL: dict[str, Setting] = {}

DATABASE_URL = _declare(
    "PEER_REVIEW_DATABASE_URL",
    "sqlite:///peer-review.db",
    "the domain database: sqlite:///PATH or postgresql://USER:PASSWORD@HOST:5432/NAME",
)
WEB_URL = _declare("PEER_REVIEW_WEB_URL", "", "where people reach the web service; every email links to it")
WEB_TOKEN = _declare("PEER_REVIEW_WEB_TOKEN", "", "a bearer token for the coordinator's JSON and CSV exports")
SMTP_URL = _declare(
    "PEER_REVIEW_SMTP_URL", "", "the mail server, smtp://HOST:PORT (or smtps://); unset: emails to a folder"
)
OUTBOX_DIR = _declare(
    "PEER_REVIEW_OUTBOX_DIR", "", "the folder emails are written to as .eml files when there is no SMTP"
)
MAIL_FROM = _declare("PEER_REVIEW_MAIL_FROM", "peer-review <peer-review@localhost>", "the sender of every email")
SENT_MAIL_DAYS = _declare(
    "PEER_REVIEW_SENT_MAIL_DAYS", "30", "days a sent email's text (and sign-in records) are kept, 1 to 3650"
)
SWEEP_LEASE_SECONDS = _declare(
    "PEER_REVIEW_SWEEP_LEASE_SECONDS", "600", "seconds a sweep holds a review before another worker may take it over"
)
SWEEP_CONCURRENCY = _declare("PEER_REVIEW_SWEEP_CONCURRENCY", "4", "reviews one sweep moves on at once, 1 to 64")
FILES = _declare(
    "PEER_REVIEW_FILES",
    "",
    "where evidence files are kept: a folder, or s3://BUCKET/PREFIX; unset: the folder evidence-files beside "
    "a SQLite database (in the working folder for PostgreSQL)",
)
S3_ENDPOINT_URL = _declare(
    "PEER_REVIEW_S3_ENDPOINT_URL",
    "",
    "an S3-compatible server's address for s3:// files (unset: Amazon S3); credentials as boto3 reads them",
)
FILE_LIMIT_MB = _declare("PEER_REVIEW_FILE_LIMIT_MB", "20", "the largest evidence file, in MB, 1 to 100")
REVIEW_FILES_LIMIT_MB = _declare(
    "PEER_REVIEW_REVIEW_FILES_LIMIT_MB", "500", "the most evidence files one review holds, in MB, 1 to 10000"
)
CLAMD = _declare(
    "PEER_REVIEW_CLAMD",
    "",
    "the ClamAV daemon every evidence file is scanned by: unix:/PATH/TO/SOCKET or tcp://HOST:PORT; unset: not scanned",
)
HOME = _declare("PEER_REVIEW_HOME", "", "on a worker, the folder holding flows/ (as when the deployments were made)")
PREFECT_API_URL = _declare("PREFECT_API_URL", "", "the Prefect server's API; set, submissions are announced to it")
PREFECT_API_KEY = _declare("PREFECT_API_KEY", "", "Prefect Cloud's key, sent when announcing a submission")
PREFECT_API_AUTH_STRING = _declare(
    "PREFECT_API_AUTH_STRING", "", "a self-hosted Prefect server's USER:PASSWORD, sent when announcing"
)
PREFECT_STARTUP_TIMEOUT = _declare(
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
    "60",
    "seconds the command line waits for its temporary Prefect server to start",
)

#: Prefect's own settings the command line gives a default before Prefect starts (Prefect reads them itself).
PREFECT_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    PREFECT_STARTUP_TIMEOUT.name: PREFECT_STARTUP_TIMEOUT.default,
}


def environment_for_a_tool(**extra: str) -> dict[str, str]:
    """This process's environment with `extra` added, for a tool it runs (pg_dump reads PGPASSWORD there)."""
    return {**os.environ, **extra}


def default_prefect_settings() -> None:
    """Give Prefect's settings above their defaults where the environment has none (before Prefect imports)."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def database_url() -> str:
    return DATABASE_URL.raw()


def database_url_given() -> str | None:
    """The database URL the environment names, if any (the demo warns that it uses its own)."""
    return DATABASE_URL.raw() if DATABASE_URL.given() else None


def web_url() -> str:
    return checked_web_url(WEB_URL.raw(), WEB_URL.name)


def checked_web_url(value: str, what: str) -> str:
    """The address people reach the web service at, without a trailing slash (empty: not set). Without a scheme,
    `review.example.org` has no host to check requests against and makes no working link in an email."""
    from urllib.parse import urlsplit

    value = value.strip().rstrip("/")
    if value:
        try:
            parts = urlsplit(value)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
        except ValueError:  # an unclosed [ of an IPv6 address, say
            usable = False
        if not usable:
            raise BadInput(
                f"{what} must be the address people reach the service at, starting http:// or https://, with no "
                f"query or fragment, such as https://review.example.org; got '{value[:80]}'"
            )
    return value


def web_token() -> str | None:
    return WEB_TOKEN.raw() or None


def smtp_url() -> str | None:
    return SMTP_URL.raw() or None


def outbox_dir() -> str | None:
    return OUTBOX_DIR.raw() or None


def mail_from() -> str:
    return MAIL_FROM.raw()


def sent_mail_days() -> int:
    return SENT_MAIL_DAYS.whole_number(1, 3650, "days")


def files_place() -> str:
    """Where evidence files are kept, as given (empty: beside the database; adapters.file_store decides)."""
    return FILES.raw() if FILES.given() else ""


def s3_endpoint_url() -> str | None:
    return S3_ENDPOINT_URL.raw() or None


MB = 1024 * 1024


def file_limit_bytes() -> int:
    return FILE_LIMIT_MB.whole_number(1, 100, "megabytes") * MB


def review_files_limit_bytes() -> int:
    return REVIEW_FILES_LIMIT_MB.whole_number(1, 10_000, "megabytes") * MB


def clamd_address() -> str | None:
    return CLAMD.raw() or None


def sweep_lease_seconds() -> int:
    return SWEEP_LEASE_SECONDS.whole_number(1, 86_400, "seconds")


def sweep_concurrency() -> int:
    return SWEEP_CONCURRENCY.whole_number(1, 64, "reviews")


def home() -> str | None:
    return HOME.raw() or None


def prefect_api_url() -> str | None:
    return PREFECT_API_URL.raw() or None


def prefect_api_key() -> str | None:
    return PREFECT_API_KEY.raw() or None


def prefect_api_auth_string() -> str | None:
    return PREFECT_API_AUTH_STRING.raw() or None


def prefect_startup_timeout() -> str:
    """As given: the command line checks it reads as Prefect reads it."""
    return PREFECT_STARTUP_TIMEOUT.raw()
