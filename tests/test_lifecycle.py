"""The review lifecycle: the transition table and the engine's next step, with no database, Prefect or Word."""

import pytest

from peer_review.domain.lifecycle import ORDER, TRANSITIONS, Event, Stage, TransitionError, next_stage
from peer_review.domain.model import DocumentKind, NextStep, ReviewView, Step, TaskKind, TaskStatus, TaskView, next_step


def test_happy_path_passes_every_stage_in_order():
    path = [Event.OPENED, Event.TEAM_ASSIGNED, Event.LINES_AGREED, Event.EVIDENCE_SUBMITTED, Event.ALL_FINDINGS_RECORDED, Event.MODERATION_SIGNED_OFF, Event.REPORT_ISSUED, Event.FEEDBACK_COMPLETE]
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
    with pytest.raises(TransitionError, match="it can: (.*, )?opened$"):  # besides team changes, which never move a stage
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


def _view(stage, *tasks, docs=()):
    return ReviewView(stage=stage, tasks=tuple(TaskView(*t) for t in tasks), documents=frozenset(docs))


def test_next_step_opens_then_asks_the_team():
    A = Stage.ASSIGNMENT
    assert next_step(_view(Stage.SCHEDULED)) == NextStep(Step.OPEN_REVIEW)
    assert next_step(_view(A)) == NextStep(Step.OPEN_TASKS)
    declined = _view(A, (TaskKind.RESPOND_TO_ASSIGNMENT, 1, TaskStatus.DONE, "declined"), (TaskKind.CHOOSE_REPLACEMENT, 1, TaskStatus.OPEN))
    assert next_step(declined) is None  # waits for the coordinator to choose someone
    replaced = _view(A, (TaskKind.RESPOND_TO_ASSIGNMENT, 1, TaskStatus.DONE, "declined"), (TaskKind.RESPOND_TO_ASSIGNMENT, 1, TaskStatus.DONE, "accepted"))
    assert next_step(replaced) == NextStep(Step.CLOSE_STAGE)


def test_next_step_waits_on_people_and_then_renders_before_closing():
    L = Stage.LINES_OF_ENQUIRY
    assert next_step(_view(L)) == NextStep(Step.OPEN_TASKS)
    waiting = _view(L, (TaskKind.PROPOSE_LINES, 1, TaskStatus.OPEN))
    assert next_step(waiting) is None
    changes = _view(L, (TaskKind.PROPOSE_LINES, 1, TaskStatus.DONE), (TaskKind.AGREE_LINES, 1, TaskStatus.DONE, "changes_requested"), (TaskKind.PROPOSE_LINES, 2, TaskStatus.OPEN))
    assert next_step(changes) is None
    agreed = _view(L, (TaskKind.PROPOSE_LINES, 1, TaskStatus.DONE), (TaskKind.AGREE_LINES, 1, TaskStatus.DONE, "agreed"))
    assert next_step(agreed) == NextStep(Step.RENDER_DOCUMENT, DocumentKind.LINES_AGREEMENT)
    rendered = _view(L, (TaskKind.PROPOSE_LINES, 1, TaskStatus.DONE), (TaskKind.AGREE_LINES, 1, TaskStatus.DONE, "agreed"), docs=[DocumentKind.LINES_AGREEMENT])
    assert next_step(rendered) == NextStep(Step.CLOSE_STAGE)


def test_moderation_needs_a_signed_off_round():
    M = Stage.MODERATION
    sent_back = _view(M, (TaskKind.MODERATE, 1, TaskStatus.DONE, "revisions_requested"), (TaskKind.REVISE_FINDINGS, 1, TaskStatus.OPEN))
    assert next_step(sent_back) is None
    second = _view(M, (TaskKind.MODERATE, 1, TaskStatus.DONE, "revisions_requested"), (TaskKind.MODERATE, 2, TaskStatus.DONE, "signed_off"))
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
