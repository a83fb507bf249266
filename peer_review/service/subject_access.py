"""A subject access export: everything the service holds by or about one person, as a zip of JSON (a file per
table) and the Word documents that name them, with a note of what it covers and what it does not. Made by the
coordinator of a partnership the person is in; the audit log records that it was made, and for whom, never
what it held. UK GDPR gives a month to answer: the export is the records' part of the answer; the data
protection officer reads it before it goes out (it may name other people, who may need redacting)."""

from __future__ import annotations

import io
import json
import zipfile

from peer_review import clock
from peer_review.adapters.word import text_of
from peer_review.errors import NotFound, Refused
from peer_review.service import access
from peer_review.service.common import audit
from peer_review.store.db import Session
from peer_review.store.people import get_partnership_by_id
from peer_review.store.rendered_documents import stored_documents
from peer_review.store.subject_access import person_rows, rows_naming

COVERS = """What this export holds

Of the partnership(s) {partnerships} (those its maker coordinates): every row of every table of the
peer-review database that refers to {name} <{email}> by their records' ids
(as author, assignee, team member, reviewer, uploader...) or whose text holds their email address or their
full name (answers, comments, findings, the audit log, emails waiting or sent). Each table is a JSON file in
tables/, its rows as stored. Word documents of reviews that name them are in documents/.

What it does not hold

- the bytes of evidence files they attached (their records are in tables/evidencefile.json): the files are the
  host trust's documents; ask the host trust for any that are about this person;
- emails' text sent more than PEER_REVIEW_SENT_MAIL_DAYS ago (only their envelope is kept), and sign-in records
  older than a day: the service no longer holds them;
- the web server's and the mail server's own logs, and copies in people's mailboxes and calendars;
- backups (they hold the same records as the day they were made).

Before sending it: rows name other people too (a review's team, the audit log's actors): redact as the law asks.

Made on {made} for {requester}.
"""


def export(session: Session, viewer: access.Viewer, email: str) -> tuple[str, bytes]:
    """The export's file name and bytes, for the coordinator of a partnership the person is (or was) in."""
    people = person_rows(session, email)
    if not people:
        raise NotFound(f"no person with the email {email[:80]} in any partnership")
    if not {p.partnership_id for p in people} & viewer.coordinates:
        raise Refused("A subject access export is made by the coordinator of a partnership the person is in.")
    covered = {p.partnership_id for p in people} & viewer.coordinates  # only what the one asking coordinates
    mine = [p for p in people if p.partnership_id in covered]
    person = mine[0]
    ids = {p.id for p in mine if p.id is not None}
    found = rows_naming(session, ids, person.email, person.name, covered)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(
            "what-this-holds.txt",
            COVERS.format(
                name=person.name,
                email=person.email,
                made=clock.long_moment(clock.now()),
                requester=viewer.email,
                partnerships=", ".join(get_partnership_by_id(session, p).name for p in sorted(covered)),
            ),
        )
        for table, rows in sorted(found.items()):
            bundle.writestr(f"tables/{table}.json", json.dumps(rows, indent=2, ensure_ascii=False, default=str) + "\n")
        reviews = {row["id"] for row in found.get("review", [])} | {
            row["review_id"] for rows in found.values() for row in rows if row.get("review_id") is not None
        }
        for document in stored_documents(session):
            if document.review_id not in reviews:
                continue  # only the reviews of the partnerships covered where their records are
            words = text_of(document.content).casefold()
            if person.email.lower() in words or person.name.casefold() in words:
                bundle.writestr(f"documents/review-{document.review_id}-{document.filename}", document.content)
    for partnership_id in covered:
        audit(session, partnership_id, "subject_access_export", viewer.email, None, person=person.email)
    return f"subject-access-{person.email.replace('@', '-at-')}.zip", out.getvalue()
