"""A review's discussion: posting, editing and hiding comments, what each person reads of it, and how new
comments reach people (at once, or in the daily digest). The rules are domain/discussion.py's; who someone is
to a review comes from the records (access.roles_on), on every call.

Every action is in the audit log without the comment's words (its versions keep them), and the review's history
leaves out what is said about a comment its reader may not read (`Discussion.unread`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.discussion import (
    Visibility,
    comment_text,
    hiding_reason,
    may_read,
    place,
    shows_text,
    visibilities_for,
    visibility_of,
    why_not_edit,
    why_not_hide,
    why_not_post,
)
from peer_review.domain.reading import Progress, reading_for
from peer_review.errors import BadInput, NotFound, Refused
from peer_review.service import access
from peer_review.service.common import audit, stored_person
from peer_review.service.outbox import notify, review_context
from peer_review.store import discussion as store
from peer_review.store import messages
from peer_review.store.db import Session
from peer_review.store.people import names_by_id, people_in, people_with_email
from peer_review.store.records import latest_lines
from peer_review.store.reviews import get_review

if TYPE_CHECKING:
    from peer_review.store.tables import Comment, CommentVersion, OutboxMessage, Partnership, Person, Review

#: How new comments reach someone: their choice, on the web (`/email-settings`).
AT_ONCE, DIGEST = "at_once", "digest"
HOW = {DIGEST: "In the daily digest", AT_ONCE: "At once, one email for each comment"}
#: The choice as a form offers it: (value, label, hint).
HOW_OPTIONS = [
    (DIGEST, HOW[DIGEST], "One email a day listing the new comments you can read, on the days there are any."),
    (AT_ONCE, HOW[AT_ONCE], "An email for each new comment you can read, as soon as it is posted."),
]

#: What the author was to the review, in words, by the role they posted as.
ROLE_WORDS = {"host": "host trust", "moderator": "moderator", "peer": "peer reviewer", "coordinator": "coordinator"}


class InvalidComment(BadInput):
    """What was typed or chosen on a comment's form is wrong: every problem, by field, in the page's order."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        first = next(iter(errors))
        super().__init__(errors[first], loc=(first,))


@dataclass(frozen=True)
class VersionView:
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class CommentView:
    """One comment as one reader sees it."""

    id: int
    line: int | None
    author: str
    author_role: str  # in words: "peer reviewer"
    own: bool
    visibility: Visibility
    posted_at: dt.datetime
    text: str  # "" when hidden from this reader
    versions: list[VersionView]  # every version, oldest first, when the reader sees the text and it was edited
    hidden: bool
    hidden_at: dt.datetime | None
    hidden_reason: str
    can_edit: bool
    can_hide: bool
    earlier_line: bool = False  # on a line of an earlier proposal of the lines, no longer among them

    @property
    def edited(self) -> bool:
        return len(self.versions) > 1

    @property
    def place(self) -> str:
        return place(self.line)


@dataclass
class Discussion:
    """A review's discussion as one reader reads it: the comments on the whole review, those on each line, and
    what they may post."""

    on_review: list[CommentView]
    by_line: dict[int, list[CommentView]]
    visibilities: list[Visibility]  # the audiences they may post for (none: they may not post)
    closed: str  # why nothing can be posted, or ""
    on_lines: bool  # whether they may comment on the lines of enquiry now
    unread: frozenset[int] = field(default_factory=frozenset)  # comments they may not read, for the history

    @property
    def count(self) -> int:
        return len(self.on_review) + sum(len(c) for c in self.by_line.values())


def _reads_lines(review: Review, roles: set[str]) -> bool:
    return reading_for(roles, Progress(bool(review.lines_round), False, False)).lines


def _readable(comment: Comment, review: Review, roles: set[str]) -> bool:
    return may_read(roles, Visibility(comment.visibility), comment.line_number is not None, _reads_lines(review, roles))


def _posting_role(roles: set[str]) -> str:
    return next(role for role in ("host", "moderator", "peer", "coordinator") if role in roles)


def discussion_for(session: Session, review: Review, roles: set[str], person_ids: frozenset[int]) -> Discussion:
    """What this reader (their roles on the review, their people's ids) reads of its discussion, and may do."""
    comments = store.comments_of(session, review.id)
    readable = [c for c in comments if _readable(c, review, roles)]
    versions = store.versions_of(session, [c.id for c in readable])
    names = names_by_id(session, {c.author_id for c in readable})
    current = {line.number: line.round for line in latest_lines(session, review)}
    on_review: list[CommentView] = []
    by_line: dict[int, list[CommentView]] = defaultdict(list)
    for c in readable:
        view = _view(c, versions[c.id], names, roles, person_ids, review)
        if c.line_number is None:
            on_review.append(view)
        elif current.get(c.line_number) == c.lines_round:
            by_line[c.line_number].append(view)
        else:  # the lines were proposed again since, and this line is not what it was: with the whole review
            on_review.append(_earlier(view))
    reads_lines = _reads_lines(review, roles)
    closed = why_not_post(roles, Visibility.TEAM_AND_HOST, False, reads_lines, review.stage) or ""
    return Discussion(
        on_review,
        dict(by_line),
        [] if closed else visibilities_for(roles),
        closed,
        not closed and reads_lines and bool(current),
        frozenset(c.id for c in comments) - frozenset(c.id for c in readable),
    )


def _earlier(view: CommentView) -> CommentView:
    return replace(view, earlier_line=True)


def _view(
    c: Comment,
    versions: list[CommentVersion],
    names: dict[int, str],
    roles: set[str],
    person_ids: frozenset[int],
    review: Review,
) -> CommentView:
    hidden = c.hidden_at is not None
    shown = shows_text(roles, hidden)
    own = c.author_id in person_ids
    return CommentView(
        id=c.id,
        line=c.line_number,
        author=names.get(c.author_id, "someone"),
        author_role=ROLE_WORDS.get(c.author_role, c.author_role),
        own=own,
        visibility=Visibility(c.visibility),
        posted_at=c.created_at,
        text=versions[-1].text if shown and versions else "",
        versions=[VersionView(v.text, v.at) for v in versions] if shown and len(versions) > 1 else [],
        hidden=hidden,
        hidden_at=c.hidden_at,
        hidden_reason=c.hidden_reason or "",
        can_edit=why_not_edit(own, hidden, review.stage) is None,
        can_hide=why_not_hide(roles, hidden) is None,
    )


# --- posting, editing, hiding ------------------------------------------------------------------------------


def post(
    session: Session, viewer: access.Viewer, review_id: int, line: str | int | None, visibility: str, text: str
) -> Comment:
    """A new comment on the review (line None or "") or one of its lines, for the audience chosen; queues its
    emails to those who choose them at once. Refused (nothing written) for someone not on the review, a host
    trust posting for the team only, a line its author does not read, or a closed review."""
    review, roles = access.review_for(session, viewer, review_id)
    number = _line_number(session, review, line)
    errors: dict[str, str] = {}
    chosen: Visibility | None = None
    try:
        chosen = visibility_of(visibility)
    except ValueError as exc:
        errors["visibility"] = str(exc)
    try:
        words = comment_text(text)
    except ValueError as exc:
        errors["text"] = str(exc)
    refusal = why_not_post(
        roles, chosen or Visibility.TEAM_AND_HOST, number is not None, _reads_lines(review, roles), review.stage
    )
    if refusal:
        raise Refused(refusal)
    if errors:
        raise InvalidComment(errors)
    assert chosen is not None
    author = access.acting_person(session, viewer, review.partnership_id)
    comment = store.add_comment(
        session,
        review_id=review.id,
        line_number=number,
        lines_round=_round_of(session, review, number),
        author_id=author.id,
        author_role=_posting_role(roles),
        visibility=chosen.value,
        text=words,
        at=clock.now(),
    )
    audit(
        session,
        review.partnership_id,
        "comment_posted",
        author.email,
        review.id,
        comment=comment.id,
        line=number,
        visibility=chosen.value,
    )
    _mail_at_once(session, review, comment, author, words)
    return comment


def _line_number(session: Session, review: Review, line: str | int | None) -> int | None:
    """The line a comment is on (None: the whole review): one of the review's lines as they stand."""
    if line is None or line == "":
        return None
    try:
        number = int(line)
    except ValueError:
        raise NotFound(f"review {review.id} has no line of enquiry {line!r}") from None
    if number not in {one.number for one in latest_lines(session, review)}:
        raise NotFound(f"review {review.id} has no line of enquiry {number}")
    return number


def _round_of(session: Session, review: Review, number: int | None) -> int | None:
    if number is None:
        return None
    return next(one.round for one in latest_lines(session, review) if one.number == number)


def comment_for(session: Session, viewer: access.Viewer, comment_id: int) -> tuple[Comment, Review, set[str]]:
    """A comment the viewer reads, with its review and their roles on it: not found outside their partnerships,
    refused to someone not on the review or who may not read it."""
    comment = store.comment_or_none(session, comment_id)
    if comment is None:
        raise NotFound(f"no comment with id {comment_id}")
    review = get_review(session, comment.review_id)
    if review.partnership_id not in viewer.partnership_ids:
        raise NotFound(f"no comment with id {comment_id}")
    review, roles = access.review_for(session, viewer, review.id)
    if not _readable(comment, review, roles):
        raise Refused("This comment is not for you to read.")
    return comment, review, roles


def view_of(session: Session, viewer: access.Viewer, comment_id: int) -> tuple[CommentView, Review]:
    """One comment as the viewer reads it (for its edit and hide pages)."""
    comment, review, roles = comment_for(session, viewer, comment_id)
    versions = store.versions_of(session, [comment.id])[comment.id]
    names = names_by_id(session, {comment.author_id})
    return _view(comment, versions, names, roles, viewer.person_ids, review), review


def editable(session: Session, viewer: access.Viewer, comment_id: int) -> tuple[CommentView, Review]:
    """A comment the viewer may edit now, as they read it; refused otherwise."""
    comment, review, _roles = comment_for(session, viewer, comment_id)
    refusal = why_not_edit(comment.author_id in viewer.person_ids, comment.hidden_at is not None, review.stage)
    if refusal:
        raise Refused(refusal)
    return view_of(session, viewer, comment_id)


def hideable(session: Session, viewer: access.Viewer, comment_id: int) -> tuple[CommentView, Review]:
    """A comment the viewer may hide now (the coordinator), as they read it; refused otherwise."""
    comment, _review, roles = comment_for(session, viewer, comment_id)
    refusal = why_not_hide(roles, comment.hidden_at is not None)
    if refusal:
        raise Refused(refusal)
    return view_of(session, viewer, comment_id)


def edit(session: Session, viewer: access.Viewer, comment_id: int, text: str) -> CommentVersion:
    """The author's new words for their comment: a new version (the earlier ones are kept). No email: who reads
    the comment reads the new words where it is, and the digest gives a comment's words as they are by then."""
    comment, review, roles = comment_for(session, viewer, comment_id)
    refusal = why_not_edit(comment.author_id in viewer.person_ids, comment.hidden_at is not None, review.stage)
    if refusal:
        raise Refused(refusal)
    try:
        words = comment_text(text)
    except ValueError as exc:
        raise InvalidComment({"text": str(exc)}) from None
    versions = store.versions_of(session, [comment.id])[comment.id]
    if versions and versions[-1].text == words:
        raise InvalidComment({"text": "The comment is the same as before: change it, or cancel"})
    version = store.add_comment_version(session, comment_id=comment.id, text=words, at=clock.now())
    author = stored_person(session, comment.author_id)
    audit(
        session,
        review.partnership_id,
        "comment_edited",
        author.email,
        review.id,
        comment=comment.id,
        line=comment.line_number,
        visibility=comment.visibility,
        version=len(versions) + 1,
    )
    return version


def hide(session: Session, viewer: access.Viewer, comment_id: int, reason: str) -> Comment:
    """The coordinator hides a comment, with a reason its readers see in its place; its emails not yet sent
    are not sent (a digest waiting to go is dropped, and the next one is written without it)."""
    comment, review, roles = comment_for(session, viewer, comment_id)
    refusal = why_not_hide(roles, comment.hidden_at is not None)
    if refusal:
        raise Refused(refusal)
    try:
        why = hiding_reason(reason)
    except ValueError as exc:
        raise InvalidComment({"reason": str(exc)}) from None
    coordinator = access.acting_person(session, viewer, review.partnership_id)
    comment.hidden_at, comment.hidden_by, comment.hidden_reason = clock.now(), coordinator.id, why
    session.add(comment)
    messages.delete_pending_starting(session, f"comment/{comment.id}/", review.partnership_id)
    messages.delete_pending_starting(session, "comment_digest/", review.partnership_id, since=comment.created_at)
    author = stored_person(session, comment.author_id)
    audit(
        session,
        review.partnership_id,
        "comment_hidden",
        coordinator.email,
        review.id,
        comment=comment.id,
        line=comment.line_number,
        visibility=comment.visibility,
        author=author.email,
        reason=why,
    )
    return comment


# --- emails ------------------------------------------------------------------------------------------------


def readers_of(session: Session, review: Review) -> list[tuple[Person, set[str]]]:
    """Everyone still in the review's partnership who is on it now (host, team, coordinator), with their roles."""
    readers = []
    for person in people_in(session, review.partnership_id, still_here=True):
        roles = access.roles_on(session, access.viewer_for(session, person.email), review) - {"invited"}
        if roles:
            readers.append((person, roles))
    return readers


def _comment_context(session: Session, review: Review, comment: Comment, author: Person, text: str) -> dict:
    visibility = Visibility(comment.visibility)
    return review_context(session, review) | {
        "comment_id": comment.id,
        "author": author.name,
        "author_role": ROLE_WORDS.get(comment.author_role, comment.author_role),
        "where": place(comment.line_number),
        "on": "the review" if comment.line_number is None else f"line of enquiry {comment.line_number} of the review",
        "visibility": visibility.label,
        "readers": visibility.readers,
        "text": text,
        "posted": clock.long_moment(comment.created_at),
        "web_path": f"/reviews/{review.id}#comment-{comment.id}",
    }


def _mail_at_once(session: Session, review: Review, comment: Comment, author: Person, text: str) -> None:
    """One email to each reader of the new comment who chose to have comments at once (never its author)."""
    context: dict | None = None
    for person, roles in readers_of(session, review):
        if person.id == author.id or person.comment_emails != AT_ONCE or not _readable(comment, review, roles):
            continue
        context = context or _comment_context(session, review, comment, author, text)
        notify(
            session,
            key=f"comment/{comment.id}/{person.id}",
            event="comment_posted",
            person=person,
            review=review,
            subject=f"New comment on {context['where']}: {context['host']}, {context['strand']}",
            context=context,
        )


def digests(session: Session, partnership: Partnership, today: dt.date) -> int:
    """The daily digest of new comments: to each person, the comments they may read posted since their last
    digest (all of them before the first), not theirs, not hidden and not already emailed to them at once.
    Running it again the same day queues nothing; a day it does not run, the next day's digest has its comments."""
    people = {p.id: p for p in people_in(session, partnership.id, still_here=True)}
    latest: dict[int, OutboxMessage] = {}  # by the person's id in its key: an address may have changed since
    for message in messages.latest_by_recipient(session, partnership.id, "comment_digest/").values():
        pid = int(message.key.split("/")[1])
        if pid not in latest or message.key > latest[pid].key:
            latest[pid] = message
    last = {pid: latest.get(pid) for pid in people}
    due = {pid: m.created_at if m else None for pid, m in last.items() if not (m and m.key.endswith(f"/{today}"))}
    starts = list(due.values())
    if not starts:
        return 0
    earliest = None if None in starts else min(t for t in starts if t is not None)
    comments = store.shown_comments_since(session, partnership.id, earliest)
    if not comments:
        return 0
    reviews = {c.review_id: get_review(session, c.review_id) for c in comments}
    readers = {rid: {p.id: roles for p, roles in readers_of(session, r)} for rid, r in reviews.items()}
    versions = store.versions_of(session, [c.id for c in comments])
    authors = {c.author_id: stored_person(session, c.author_id) for c in comments}
    mailed = messages.keys_starting(session, "comment/")
    sent = 0
    for pid, start in due.items():
        person = people[pid]
        mine = [
            c
            for c in comments
            if (start is None or c.created_at > start)
            and c.author_id != pid
            and pid in readers[c.review_id]
            and _readable(c, reviews[c.review_id], readers[c.review_id][pid])
            and f"comment/{c.id}/{pid}" not in mailed
        ]
        if not mine:
            continue
        notify(
            session,
            key=f"comment_digest/{pid}/{today}",
            event="digest",
            person=person,
            subject=f"New comments on your peer reviews: {len(mine)}",
            context={
                "headline": f"There {'is a new comment' if len(mine) == 1 else 'are new comments'} on the reviews you take part in.",
                "tasks": [],
                "comments": [
                    _comment_context(session, reviews[c.review_id], c, authors[c.author_id], versions[c.id][-1].text)
                    for c in mine
                ],
                "web_path": "/",
            },
        )
        sent += 1
    return sent


# --- a person's choice ------------------------------------------------------------------------------------------


def comment_emails_of(session: Session, viewer: access.Viewer) -> str:
    """How new comments reach the viewer: at once if any record of theirs says so, else in the daily digest."""
    records = people_of_viewer(session, viewer)
    return AT_ONCE if any(p.comment_emails == AT_ONCE for p in records) else DIGEST


def people_of_viewer(session: Session, viewer: access.Viewer) -> list[Person]:
    """The viewer's records, one in each partnership they are still in."""
    return people_with_email(session, viewer.email, still_here=True)


def set_comment_emails(session: Session, viewer: access.Viewer, how: str) -> None:
    """The viewer's choice of how new comments reach them, for every partnership they are in."""
    if how not in HOW:
        raise InvalidComment({"how": "Select how new comments should reach you"})
    records = people_of_viewer(session, viewer)
    if not records:
        raise Refused("Only people taking part in a partnership receive its emails.")
    store.set_comment_emails(session, [p.id for p in records], how)
    for partnership_id in sorted({p.partnership_id for p in records}):
        audit(session, partnership_id, "comment_emails_set", viewer.email, how=how)
