"""The registry of task kinds: every kind complete in the places a kind lives, and the engine never loops."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel

from peer_review.demo.answers import SIMULATED
from peer_review.domain import inputs
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import KIND_RULES, OPENING_TASK, TaskKind
from peer_review.entrypoints.web.pages import HERE
from peer_review.service import kinds, steps, sweep
from peer_review.service.kinds import KINDS, MODULES


def test_every_kind_has_a_complete_entry():
    """The steps of adding a kind (the registry's docstring), each checked for every TaskKind."""
    assert set(KINDS) == set(TaskKind) == set(KIND_RULES) == set(SIMULATED)  # a rule, an entry, a simulated answer
    package = Path(kinds.__file__).parent
    assert sorted(p.stem for p in package.glob("[!_]*.py")) == sorted(k.value for k in TaskKind), "one module a kind"
    for kind, entry in KINDS.items():
        module = next(m for m in MODULES if m.KIND is entry)
        assert module.__name__ == f"peer_review.service.kinds.{kind.value}" and entry.kind == kind
        assert entry.rule.title and entry.rule.actor and callable(entry.rule.due)
        assert issubclass(entry.model, BaseModel) and entry.model.__module__ == inputs.__name__
        for part in (entry.handle, entry.template, entry.form.initial, SIMULATED[kind]):
            assert callable(part) and len(inspect.signature(part).parameters) >= 1, (kind, part)
        for hook in (entry.context, entry.references):  # (session, review, task, what is known already)
            assert callable(hook) and len(inspect.signature(hook).parameters) == 4, (kind, hook)
        assert (HERE / "templates" / entry.page).is_file(), f"no web form for {kind}"
        assert callable(entry.summary) and entry.next_step.endswith("."), f"{kind} is not read back"


def test_every_human_stage_opens_with_exactly_one_kind():
    human = {
        Stage.ASSIGNMENT,
        Stage.LINES_OF_ENQUIRY,
        Stage.EVIDENCE,
        Stage.FINDINGS,
        Stage.MODERATION,
        Stage.REPORT,
        Stage.FEEDBACK,
    }
    assert set(OPENING_TASK) == human
    openers = [rule.opens_stage for rule in KIND_RULES.values() if rule.opens_stage]
    assert len(openers) == len(set(openers))


@pytest.mark.db
def test_a_step_that_changes_nothing_stops_the_loop_with_a_clear_error(planned, monkeypatch):
    from peer_review.store import db

    monkeypatch.setitem(steps.STEPS, steps.Step.OPEN_REVIEW, lambda session, review, step: None)  # a broken step
    with pytest.raises(steps.StuckReview, match="review 2 still has machine work pending after"):
        sweep.advance_review(db.session_scope, 2)
