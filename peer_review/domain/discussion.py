"""A review's discussion: comments on the whole review or on one line of enquiry, who reads each, who may post,
edit and hide one, and the limits of what is typed. Pure: the roles come from the records (service/access.py:
"host", "peer", "moderator", "coordinator"), how far the review has gone from reading.py.

The rules (docs/web.md, "Comments"):
- Each comment is posted for one audience, chosen and shown before it is posted, and never changed after:
  "Review team and host" (the peers, the moderator, the host trust and the coordinator) or "Review team only"
  (the peers, the moderator and the coordinator). Someone who is the host trust (its CEO, or a colleague acting
  for it) never reads a "review team only" comment, whatever other role they hold on the review, and may not
  post one.
- A comment on a line of enquiry is read by those who read the line: before the moderator agrees the lines,
  not the peers (reading.py), who read those comments once the lines are agreed.
- The coordinator reads every comment, hidden ones included (marked as hidden, with their text); the others
  read a hidden comment as "Hidden by the coordinator on DATE: REASON", without its text or its versions.
- Anyone on the review may post while it is open (not closed or cancelled): the discussion is then kept, to
  read. Only the author edits their comment, while the review is open and the comment is not hidden; every
  version is kept and read by whoever reads the comment. Only the coordinator hides a comment, at any time,
  with a reason; a hidden comment stays hidden (its versions are kept, for the record).
"""

from __future__ import annotations

from enum import StrEnum

from peer_review.domain.text import paragraph

#: The most a comment may hold, and a coordinator's reason for hiding one.
COMMENT_LIMIT = 5000
REASON_LIMIT = 1000

#: The roles that make someone part of a review's discussion.
ON_THE_REVIEW = frozenset({"host", "peer", "moderator", "coordinator"})
_TEAM = frozenset({"peer", "moderator", "coordinator"})
#: The stages of a review whose discussion is closed: kept to read, nothing added or changed.
CLOSED_STAGES = frozenset({"closed", "cancelled"})


class Visibility(StrEnum):
    """Who may read a comment: chosen when it is posted, shown with it, never changed after."""

    TEAM_AND_HOST = "team_and_host"
    TEAM_ONLY = "team_only"

    @property
    def label(self) -> str:
        return {"team_and_host": "Review team and host", "team_only": "Review team only"}[self.value]

    @property
    def readers(self) -> str:
        """Exactly who reads it, in people's words (the form's hint, and beside each comment)."""
        return {
            "team_and_host": "The review team (peers and moderator), the host trust and the coordinator",
            "team_only": "The review team (peers and moderator) and the coordinator, never the host trust",
        }[self.value]


def visibility_of(value: str) -> Visibility:
    """A visibility chosen on a form, or a ValueError in the form's words."""
    try:
        return Visibility(value)
    except ValueError:
        raise ValueError("Select who can read the comment") from None


def may_read(roles: set[str] | frozenset[str], visibility: Visibility, on_line: bool, reads_lines: bool) -> bool:
    """Whether someone with these roles on a review reads a comment of it (hidden or not: what they see of a
    hidden one is `shows_text`). `reads_lines`: whether they read the review's lines of enquiry now."""
    if not roles & ON_THE_REVIEW:
        return False
    if on_line and not reads_lines:
        return False
    if visibility == Visibility.TEAM_ONLY:
        return "host" not in roles and bool(roles & _TEAM)
    return True


def shows_text(roles: set[str] | frozenset[str], hidden: bool) -> bool:
    """Whether a reader sees a comment's words and versions: always, unless it is hidden and they do not coordinate."""
    return not hidden or "coordinator" in roles


def visibilities_for(roles: set[str] | frozenset[str]) -> list[Visibility]:
    """The audiences someone may post for: the host trust only for itself and the team."""
    if not roles & ON_THE_REVIEW:
        return []
    if "host" in roles:
        return [Visibility.TEAM_AND_HOST]
    return [Visibility.TEAM_AND_HOST, Visibility.TEAM_ONLY]


def why_not_post(
    roles: set[str] | frozenset[str], visibility: Visibility, on_line: bool, reads_lines: bool, stage: str
) -> str | None:
    """Why someone may not post this comment, or None."""
    if not roles & ON_THE_REVIEW:
        return "Only the review team, the host trust and the coordinator can comment on this review."
    if stage in CLOSED_STAGES:
        return f"This review is {stage}: its discussion is kept to read, and no comment can be added."
    if visibility not in visibilities_for(roles):
        return (
            "The host trust cannot post a comment for the review team only: "
            "its comments are read by the review team, the host trust and the coordinator."
        )
    if on_line and not reads_lines:
        return "You can comment on the lines of enquiry once the moderator has agreed them."
    return None


def why_not_edit(is_author: bool, hidden: bool, stage: str) -> str | None:
    """Why someone may not edit a comment, or None: only its author, while the review is open and it is not hidden."""
    if not is_author:
        return "Only the person who posted a comment can edit it."
    if hidden:
        return "The coordinator has hidden this comment: it can no longer be edited."
    if stage in CLOSED_STAGES:
        return f"This review is {stage}: its discussion is kept to read, and comments can no longer be edited."
    return None


def why_not_hide(roles: set[str] | frozenset[str], hidden: bool) -> str | None:
    """Why someone may not hide a comment, or None: only the coordinator, once."""
    if "coordinator" not in roles:
        return "Only the partnership's coordinator can hide a comment."
    if hidden:
        return "This comment is already hidden."
    return None


def comment_text(value: str) -> str:
    """A comment as it is kept: as typed, without the spaces around it; a ValueError in the form's words."""
    return _checked(value, "Enter a comment", "Comment", COMMENT_LIMIT)


def hiding_reason(value: str) -> str:
    """The coordinator's reason for hiding a comment, as it is kept; a ValueError in the form's words."""
    return _checked(value, "Enter why the comment is hidden", "The reason", REASON_LIMIT)


def _checked(value: str, empty: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise ValueError(empty)
    if len(text) > limit:
        raise ValueError(f"{what} must be {limit:,} characters or fewer")
    try:
        return paragraph(text)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def place(line: int | None) -> str:
    """Where a comment is, in words: on the whole review, or on one line of enquiry."""
    return "the whole review" if line is None else f"line of enquiry {line}"
