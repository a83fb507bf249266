"""Where evidence files' bytes are kept: a folder (the embedded default) or S3-compatible object storage
(the scale-out set-up), behind one small interface. The database keeps each file's name, size, checksum
and key; the store keeps only bytes under that key, so a file is found only through the database's
access rules. A key is made by the service (`reviews/ID/RANDOM`), never from a name a person typed.

Every read checks the bytes against the SHA-256 the database holds: a file changed or damaged in storage
is refused (`Damaged`), not served."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from peer_review import settings
from peer_review.errors import UserError

_KEY = re.compile(r"reviews/\d{1,12}/[0-9a-f]{32}")


class Damaged(UserError):
    """The bytes in storage are not the ones that were checked in (their checksum differs), or are missing."""


class FileStore(Protocol):
    where: str  # for people: the folder, or s3://bucket/prefix

    def put(self, key: str, content: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def keys(self) -> dict[str, dt.datetime]: ...  # every key held, with when it was last written


def checked_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a file key: {key[:60]!r}")
    return key


def read_checked(store: FileStore, key: str, sha256: str, size: int) -> bytes:
    """The file's bytes, only if they are the ones checked in."""
    try:
        content = store.get(key)
    except FileNotFoundError:
        raise Damaged(f"the file {key} is missing from {store.where}") from None
    if len(content) != size or hashlib.sha256(content).hexdigest() != sha256:
        raise Damaged(f"the file {key} in {store.where} is not the one checked in (its checksum differs)")
    return content


class FolderStore:
    """Files in a folder, each written to a temporary name and renamed into place (never half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def put(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> dict[str, dt.datetime]:
        if not (self.root / "reviews").is_dir():
            return {}
        return {
            str(p.relative_to(self.root)): dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC)
            for p in (self.root / "reviews").glob("*/*")
            if p.is_file() and not p.name.startswith(".")
        }


class S3Store:
    """Files as objects in an S3 bucket (Amazon S3, or an S3-compatible server at `endpoint_url`), under a prefix.
    Each object carries its SHA-256 checksum, which S3 verifies on upload."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        import boto3  # only the scale-out set-up needs it (pip install 'peer-review[s3]')

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.where = f"s3://{bucket}/{self.prefix}"
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, key: str, content: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + checked_key(key),
            Body=content,
            ChecksumAlgorithm="SHA256",
            ContentType="application/octet-stream",
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + checked_key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + checked_key(key))

    def keys(self) -> dict[str, dt.datetime]:
        found: dict[str, dt.datetime] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "reviews/"
        ):
            found |= {item["Key"][len(self.prefix) :]: item["LastModified"] for item in page.get("Contents", [])}
        return found


def file_store(default_folder: Path | None = None) -> FileStore:
    """The store the settings name (PEER_REVIEW_FILES); unset, the default folder given (the service gives the
    folder beside the SQLite database in use, so that the demo's and each test's database has its own), else
    `evidence-files` in the working folder."""
    return store_at(settings.files_place() or str(default_folder or Path("evidence-files").resolve()))


def store_at(place: str) -> FileStore:
    """The store a place names: s3://BUCKET/PREFIX, or a folder."""
    if place.startswith("s3://"):
        bucket, _, prefix = place.removeprefix("s3://").partition("/")
        if not bucket:
            raise UserError(f"{settings.FILES.name} must name a bucket, as s3://BUCKET/PREFIX; got '{place[:80]}'")
        return S3Store(bucket, prefix, settings.s3_endpoint_url())
    return FolderStore(Path(place))
