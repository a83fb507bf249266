"""A review's discussion: its comments and their versions, read and written (service/discussion.py has the
use cases, domain/discussion.py the rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import update
from sqlmodel import Session, col, select

from peer_review.store.tables import Comment, CommentVersion, Person, Review


def add_comment(
    session: Session,
    *,
    review_id: int,
    line_number: int | None,
    lines_round: int | None,
    author_id: int,
    author_role: str,
    visibility: str,
    text: str,
    at: dt.datetime,
) -> Comment:
    """A comment and its first version, written now (the comment's id is needed for its version)."""
    comment = Comment(
        review_id=review_id,
        line_number=line_number,
        lines_round=lines_round,
        author_id=author_id,
        author_role=author_role,
        visibility=visibility,
        created_at=at,
    )
    session.add(comment)
    session.flush()
    add_comment_version(session, comment_id=comment.id, text=text, at=at)
    return comment


def add_comment_version(session: Session, *, comment_id: int, text: str, at: dt.datetime) -> CommentVersion:
    """A comment's words as edited: a new version, written at the next flush."""
    version = CommentVersion(comment_id=comment_id, text=text, at=at)
    session.add(version)
    return version


def comment_or_none(session: Session, comment_id: int) -> Comment | None:
    return session.get(Comment, comment_id)


def comments_of(session: Session, review_id: int) -> list[Comment]:
    """A review's comments, oldest first."""
    return list(
        session.exec(
            select(Comment).where(Comment.review_id == review_id).order_by(col(Comment.created_at), col(Comment.id))
        )
    )


def versions_of(session: Session, comment_ids: Iterable[int]) -> dict[int, list[CommentVersion]]:
    """Each comment's versions, oldest first (the last is what it says now); one query."""
    ids = sorted(set(comment_ids))
    found: dict[int, list[CommentVersion]] = {i: [] for i in ids}
    if ids:
        rows = session.exec(
            select(CommentVersion)
            .where(col(CommentVersion.comment_id).in_(ids))
            .order_by(col(CommentVersion.at), col(CommentVersion.id))
        )
        for version in rows:
            found[version.comment_id].append(version)
    return found


def shown_comments_since(session: Session, partnership_id: int, after: dt.datetime | None) -> list[Comment]:
    """The partnership's comments not hidden, posted after `after` (all of them for None), oldest first."""
    query = (
        select(Comment)
        .join(Review, col(Review.id) == Comment.review_id)
        .where(Review.partnership_id == partnership_id, col(Comment.hidden_at).is_(None))
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    if after is not None:
        query = query.where(Comment.created_at > after)
    return list(session.exec(query))


def set_comment_emails(session: Session, person_ids: Iterable[int], how: str) -> None:
    """How new comments reach a person (every record of theirs, in each partnership): "digest" or "at_once"."""
    ids = sorted(set(person_ids))
    if ids:
        session.exec(
            update(Person)
            .where(col(Person.id).in_(ids))
            .values(comment_emails=how)
            .execution_options(synchronize_session="fetch")
        )
