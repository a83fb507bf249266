"""What each person reads of a review's substance, by what they are to it and how far it has gone.

The rules (docs/web.md, "What each person reads of a review"):
- lines of enquiry and the host's self-evaluation: the host, the moderator and the coordinator from the
  first proposal; peers once the lines are agreed;
- the evidence index: everyone on the review; items holding personal data are named only to the team and
  the host (the coordinator sees that they exist);
- findings: the moderator and the coordinator all of them; a peer their own, and the other peers' once
  they have submitted their own (so nobody writes to match another); the host once the draft report exists;
- the moderator's decisions on findings: as the findings, but a peer sees the decisions on their own
  findings only; each line's judgement of the self-evaluation once the draft report (which holds it)
  exists, and the moderator and coordinator at once;
- the draft and the issued report, the development actions and their progress: everyone on the review,
  once they exist; the moderation record (every finding's decisions, round by round) as the decisions.
A person holding several roles on a review reads what any of them allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class Scope(StrEnum):
    NONE = "none"
    OWN = "own"
    ALL = "all"


@dataclass(frozen=True)
class Progress:
    """How far a review has gone, as the reading rules need it."""

    lines_agreed: bool
    draft_written: bool
    own_findings_submitted: bool  # the reader, as a peer, has submitted their findings


@dataclass(frozen=True)
class Reading:
    lines: bool
    personal_data: bool  # items of evidence holding personal data are named
    findings: Scope
    decisions: Scope
    alignment: bool  # each line's judgement of the self-evaluation

    def __or__(self, other: Reading) -> Reading:
        return Reading(
            self.lines or other.lines,
            self.personal_data or other.personal_data,
            _wider(self.findings, other.findings),
            _wider(self.decisions, other.decisions),
            self.alignment or other.alignment,
        )


NOTHING = Reading(False, False, Scope.NONE, Scope.NONE, False)
_ORDER = [Scope.NONE, Scope.OWN, Scope.ALL]


def _wider(a: Scope, b: Scope) -> Scope:
    return max(a, b, key=_ORDER.index)


def _one_role(role: str, progress: Progress) -> Reading:
    after_draft = Scope.ALL if progress.draft_written else Scope.NONE
    if role in ("moderator", "coordinator"):
        return Reading(True, role == "moderator", Scope.ALL, Scope.ALL, True)
    if role == "host":
        return Reading(True, True, after_draft, after_draft, progress.draft_written)
    if role == "peer":
        findings = Scope.ALL if progress.own_findings_submitted else Scope.OWN
        return Reading(progress.lines_agreed, True, findings, Scope.OWN, progress.draft_written)
    return NOTHING


def may_download(reading: Reading, document_kind: str) -> bool:
    """Whether a review's Word document is theirs to read: the moderation record holds every finding's
    decisions, so it goes only to those who read all of them; the agreement and the reports to everyone."""
    return document_kind != "moderation-record" or reading.decisions == Scope.ALL


def reading_for(roles: set[str] | frozenset[str], progress: Progress) -> Reading:
    """What someone with these roles on a review reads of it now."""
    reading = NOTHING
    for role in roles:
        reading = reading | _one_role(role, progress)
    return reading


def web_address(text: str) -> str | None:
    """The text as a link's address if it is one web address (http or https, with a host), else None:
    an evidence item's "where it is kept" may be a shared drive's link or a filing cabinet."""
    candidate = text.strip()
    if not candidate or any(c.isspace() for c in candidate) or len(candidate) > 2000:
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return candidate
