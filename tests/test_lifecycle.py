"""The review lifecycle: the transition table and the engine's next step, with no database, Prefect or Word."""

import datetime as dt

import pytest

from peer_review.domain.lifecycle import (
    ORDER,
    TRANSITIONS,
    Event,
    Stage,
    TransitionError,
    next_stage,
)
from peer_review.domain.model import (
    DocumentKind,
    NextStep,
    ReviewView,
    Step,
    TaskKind,
    TaskStatus,
    TaskView,
    next_step,
    stage_complete,
    task_due,
)
from peer_review.files.school_calendars import resolve_calendar


def test_happy_path_passes_every_stage_in_order():
    path = [
        Event.OPENED,
        Event.TEAM_ASSIGNED,
        Event.LINES_AGREED,
        Event.EVIDENCE_SUBMITTED,
        Event.ALL_FINDINGS_RECORDED,
        Event.MODERATION_SIGNED_OFF,
        Event.REPORT_ISSUED,
        Event.FEEDBACK_COMPLETE,
    ]
    stage, seen = Stage.SCHEDULED, [Stage.SCHEDULED]
    for event in path:
        stage = next_stage(stage, event)
        seen.append(stage)
    assert tuple(seen) == ORDER
    assert stage == Stage.CLOSED


def test_closed_review_accepts_nothing():
    for event in Event:
        with pytest.raises(TransitionError, match="closed"):
            next_stage(Stage.CLOSED, event)


def test_stages_cannot_be_skipped_or_reversed():
    with pytest.raises(
        TransitionError, match="it can: (.*, )?opened$"
    ):  # besides team changes, which never move a stage
        next_stage(Stage.SCHEDULED, Event.REPORT_ISSUED)
    with pytest.raises(TransitionError):
        next_stage(Stage.REPORT, Event.LINES_AGREED)
    # no transition ever goes back to an earlier stage
    for (stage, _event), after in TRANSITIONS.items():
        assert ORDER.index(after) >= ORDER.index(stage)


def test_revision_rounds_stay_in_moderation():
    assert next_stage(Stage.MODERATION, Event.REVISION_REQUESTED) == Stage.MODERATION
    assert next_stage(Stage.MODERATION, Event.FINDINGS_REVISED) == Stage.MODERATION
    assert next_stage(Stage.LINES_OF_ENQUIRY, Event.LINES_CHANGES_REQUESTED) == Stage.LINES_OF_ENQUIRY


def _view(stage, *tasks, docs=(), progress_due=False):
    return ReviewView(
        stage=stage, tasks=tuple(TaskView(*t) for t in tasks), documents=frozenset(docs), progress_due=progress_due
    )


def test_next_step_opens_then_asks_the_team():
    A = Stage.ASSIGNMENT
    assert next_step(_view(Stage.SCHEDULED)) == NextStep(Step.OPEN_REVIEW)
    assert next_step(_view(A)) == NextStep(Step.OPEN_TASKS)
    declined = _view(
        A,
        (TaskKind.RESPOND_TO_ASSIGNMENT, 1, TaskStatus.DONE, "declined"),
        (TaskKind.CHOOSE_REPLACEMENT, 1, TaskStatus.OPEN),
    )
    assert next_step(declined) is None  # waits for the coordinator to choose someone
    replaced = _view(
        A,
        (TaskKind.RESPOND_TO_ASSIGNMENT, 1, TaskStatus.DONE, "declined"),
        (TaskKind.RESPOND_TO_ASSIGNMENT, 1, TaskStatus.DONE, "accepted"),
    )
    assert next_step(replaced) == NextStep(Step.CLOSE_STAGE)


def test_next_step_waits_on_people_and_then_renders_before_closing():
    L = Stage.LINES_OF_ENQUIRY
    assert next_step(_view(L)) == NextStep(Step.OPEN_TASKS)
    waiting = _view(L, (TaskKind.PROPOSE_LINES, 1, TaskStatus.OPEN))
    assert next_step(waiting) is None
    changes = _view(
        L,
        (TaskKind.PROPOSE_LINES, 1, TaskStatus.DONE),
        (TaskKind.AGREE_LINES, 1, TaskStatus.DONE, "changes_requested"),
        (TaskKind.PROPOSE_LINES, 2, TaskStatus.OPEN),
    )
    assert next_step(changes) is None
    agreed = _view(
        L, (TaskKind.PROPOSE_LINES, 1, TaskStatus.DONE), (TaskKind.AGREE_LINES, 1, TaskStatus.DONE, "agreed")
    )
    assert next_step(agreed) == NextStep(Step.RENDER_DOCUMENT, DocumentKind.LINES_AGREEMENT)
    rendered = _view(
        L,
        (TaskKind.PROPOSE_LINES, 1, TaskStatus.DONE),
        (TaskKind.AGREE_LINES, 1, TaskStatus.DONE, "agreed"),
        docs=[DocumentKind.LINES_AGREEMENT],
    )
    assert next_step(rendered) == NextStep(Step.CLOSE_STAGE)


def test_moderation_needs_a_signed_off_round():
    M = Stage.MODERATION
    sent_back = _view(
        M,
        (TaskKind.MODERATE, 1, TaskStatus.DONE, "revisions_requested"),
        (TaskKind.REVISE_FINDINGS, 1, TaskStatus.OPEN),
    )
    assert next_step(sent_back) is None
    second = _view(
        M,
        (TaskKind.MODERATE, 1, TaskStatus.DONE, "revisions_requested"),
        (TaskKind.MODERATE, 2, TaskStatus.DONE, "signed_off"),
    )
    assert next_step(second) == NextStep(Step.RENDER_DOCUMENT, DocumentKind.MODERATION_RECORD)


def test_report_stage_drafts_before_asking_the_host():
    R = Stage.REPORT
    assert next_step(_view(R)) == NextStep(Step.RENDER_DOCUMENT, DocumentKind.REPORT_DRAFT)
    assert next_step(_view(R, docs=[DocumentKind.REPORT_DRAFT])) == NextStep(Step.OPEN_TASKS)


def test_feedback_closes_only_when_everyone_answered():
    F = Stage.FEEDBACK
    partial = _view(F, (TaskKind.GIVE_FEEDBACK, 1, TaskStatus.DONE), (TaskKind.GIVE_FEEDBACK, 1, TaskStatus.OPEN))
    assert next_step(partial) is None
    complete = _view(F, (TaskKind.GIVE_FEEDBACK, 1, TaskStatus.DONE), (TaskKind.GIVE_FEEDBACK, 1, TaskStatus.DONE))
    assert next_step(complete) == NextStep(Step.CLOSE_STAGE)
    assert next_step(_view(Stage.CLOSED)) is None


# --- the host's record of progress on earlier areas for development ------------------------------------

P, OPEN, DONE = TaskKind.RECORD_PROGRESS, TaskStatus.OPEN, TaskStatus.DONE


def test_progress_due_at_the_next_review_opens_beside_the_lines_and_holds_the_stage_until_done():
    L = Stage.LINES_OF_ENQUIRY
    assert next_step(_view(L, progress_due=True)) == NextStep(Step.OPEN_TASKS)
    lines_only = _view(L, (TaskKind.PROPOSE_LINES, 1, OPEN), progress_due=True)
    assert next_step(lines_only) == NextStep(Step.OPEN_TASKS)  # the progress task is still to open
    agreed = ((TaskKind.PROPOSE_LINES, 1, DONE), (TaskKind.AGREE_LINES, 1, DONE, "agreed"))
    waiting = _view(L, *agreed, (P, 1, OPEN), progress_due=True)
    assert next_step(waiting) is None and not stage_complete(waiting)
    recorded = _view(L, *agreed, (P, 1, DONE, "recorded"), progress_due=True)
    assert next_step(recorded) == NextStep(Step.RENDER_DOCUMENT, DocumentKind.LINES_AGREEMENT)
    # nothing to follow up: the stage is the lines alone, as before
    assert next_step(_view(L, *agreed)) == NextStep(Step.RENDER_DOCUMENT, DocumentKind.LINES_AGREEMENT)
    # a record once asked for is the stage's work, even if the service layer no longer says it is due
    assert not stage_complete(_view(L, *agreed, (P, 1, OPEN)))


def test_progress_at_the_end_of_the_cycle_is_its_own_round_in_the_feedback_stage():
    F = Stage.FEEDBACK
    earlier = (P, 1, DONE, "recorded")  # recorded as this review's lines were proposed: not the end-of-cycle record
    feedback = ((TaskKind.GIVE_FEEDBACK, 1, DONE), (TaskKind.GIVE_FEEDBACK, 1, DONE))
    assert next_step(_view(F, earlier, *feedback, progress_due=True)) == NextStep(Step.OPEN_TASKS)
    assert next_step(_view(F, earlier, *feedback, (P, 2, OPEN), progress_due=True)) is None
    assert next_step(_view(F, earlier, *feedback, (P, 2, DONE), progress_due=True)) == NextStep(Step.CLOSE_STAGE)
    assert next_step(_view(F, earlier, *feedback)) == NextStep(Step.CLOSE_STAGE)  # not the trust's last review
    cancelled = _view(F, *feedback, (P, 2, TaskStatus.CANCELLED), progress_due=True)  # handed over: a new one opens
    assert next_step(cancelled) == NextStep(Step.OPEN_TASKS)


def test_progress_is_never_asked_for_at_other_stages():
    for stage in (Stage.ASSIGNMENT, Stage.EVIDENCE, Stage.FINDINGS, Stage.MODERATION):
        assert next_step(_view(stage, progress_due=True)) == NextStep(Step.OPEN_TASKS)  # its own first task only
    evidence = _view(Stage.EVIDENCE, (TaskKind.SUBMIT_EVIDENCE, 1, DONE), progress_due=True)
    assert next_step(evidence) == NextStep(Step.CLOSE_STAGE)


def test_each_progress_occasion_is_due_on_its_stage_deadline():
    sheffield = resolve_calendar("sheffield")
    deadlines = {
        "lines_of_enquiry": dt.date(2024, 2, 5),
        "feedback": dt.date(2024, 4, 19),
    }  # a Monday; a Friday in term
    assert task_due(P, deadlines, sheffield, 1) == deadlines["lines_of_enquiry"]
    assert task_due(P, deadlines, sheffield, 2) == deadlines["feedback"]  # not a week after the first round
