"""The stages of one review (host trust x strand) and the only moves between them."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    SCHEDULED = "scheduled"
    ASSIGNMENT = "assignment"
    LINES_OF_ENQUIRY = "lines_of_enquiry"
    EVIDENCE = "evidence"
    FINDINGS = "findings"
    MODERATION = "moderation"
    REPORT = "report"
    FEEDBACK = "feedback"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # never started: its host trust left the partnership (not a stage a review passes through)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Event(StrEnum):
    OPENED = "opened"
    ASSIGNMENT_ACCEPTED = "assignment_accepted"
    ASSIGNMENT_DECLINED = "assignment_declined"
    MEMBER_REPLACED = "member_replaced"
    TEAM_ASSIGNED = "team_assigned"
    LINES_PROPOSED = "lines_proposed"
    LINES_CHANGES_REQUESTED = "lines_changes_requested"
    LINES_AGREED = "lines_agreed"
    EVIDENCE_SUBMITTED = "evidence_submitted"
    FINDINGS_RECORDED = "findings_recorded"
    ALL_FINDINGS_RECORDED = "all_findings_recorded"
    REVISION_REQUESTED = "revision_requested"
    FINDINGS_REVISED = "findings_revised"
    MODERATION_SIGNED_OFF = "moderation_signed_off"
    REPORT_CHECKED = "report_checked"
    REPORT_ISSUED = "report_issued"
    FEEDBACK_GIVEN = "feedback_given"
    FEEDBACK_COMPLETE = "feedback_complete"


S, E = Stage, Event

#: (stage, event) -> stage after it. Anything not listed is refused.
TRANSITIONS: dict[tuple[Stage, Event], Stage] = {
    (S.SCHEDULED, E.OPENED): S.ASSIGNMENT,
    (S.ASSIGNMENT, E.ASSIGNMENT_ACCEPTED): S.ASSIGNMENT,
    (S.ASSIGNMENT, E.ASSIGNMENT_DECLINED): S.ASSIGNMENT,
    (S.ASSIGNMENT, E.MEMBER_REPLACED): S.ASSIGNMENT,
    (S.ASSIGNMENT, E.TEAM_ASSIGNED): S.LINES_OF_ENQUIRY,
    (S.LINES_OF_ENQUIRY, E.LINES_PROPOSED): S.LINES_OF_ENQUIRY,
    (S.LINES_OF_ENQUIRY, E.LINES_CHANGES_REQUESTED): S.LINES_OF_ENQUIRY,
    (S.LINES_OF_ENQUIRY, E.LINES_AGREED): S.EVIDENCE,
    (S.EVIDENCE, E.EVIDENCE_SUBMITTED): S.FINDINGS,
    (S.FINDINGS, E.FINDINGS_RECORDED): S.FINDINGS,
    (S.FINDINGS, E.ALL_FINDINGS_RECORDED): S.MODERATION,
    (S.MODERATION, E.REVISION_REQUESTED): S.MODERATION,
    (S.MODERATION, E.FINDINGS_REVISED): S.MODERATION,
    (S.MODERATION, E.MODERATION_SIGNED_OFF): S.REPORT,
    (S.REPORT, E.REPORT_CHECKED): S.REPORT,
    (S.REPORT, E.REPORT_ISSUED): S.FEEDBACK,
    (S.FEEDBACK, E.FEEDBACK_GIVEN): S.FEEDBACK,
    (S.FEEDBACK, E.FEEDBACK_COMPLETE): S.CLOSED,
}

#: The team can change at any stage until the review closes: someone declines or leaves the partnership,
#: and a replacement joins (asked to accept, like the first team, or when the review opens).
TEAM_EVENTS = (E.ASSIGNMENT_ACCEPTED, E.ASSIGNMENT_DECLINED, E.MEMBER_REPLACED)
TRANSITIONS |= {
    (stage, event): stage
    for stage in (S.LINES_OF_ENQUIRY, S.EVIDENCE, S.FINDINGS, S.MODERATION, S.REPORT, S.FEEDBACK)
    for event in TEAM_EVENTS
} | {(S.SCHEDULED, E.ASSIGNMENT_DECLINED): S.SCHEDULED, (S.SCHEDULED, E.MEMBER_REPLACED): S.SCHEDULED}

#: The order stages are passed through, for progress displays.
ORDER: tuple[Stage, ...] = tuple(stage for stage in Stage if stage != Stage.CANCELLED)

#: A review that has not started: its team is still being asked, and its host has not been asked for lines
#: of enquiry. Only such a review may change its strand or be cancelled.
NOT_STARTED = frozenset({Stage.SCHEDULED, Stage.ASSIGNMENT})


def visit_is_past(stage: Stage) -> bool:
    """Whether the visit has happened (the findings stage starts after it): from then on only the people
    who were on it can write it up."""
    return stage in ORDER and ORDER.index(stage) >= ORDER.index(Stage.FINDINGS)


class TransitionError(ValueError):
    pass


def next_stage(stage: Stage, event: Event) -> Stage:
    try:
        return TRANSITIONS[(stage, event)]
    except KeyError:
        allowed = sorted(e.value for (s, e) in TRANSITIONS if s == stage)
        raise TransitionError(
            f"'{event.value}' cannot happen while a review is at '{stage.value}'"
            + (f"; it can: {', '.join(allowed)}" if allowed else "; the review is closed")
        ) from None
