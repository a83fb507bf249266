"""The stakeholder survey: who is asked (by group), what an answer may hold, and the results by group and
round with the change from the baseline. Pure: no database. Groups of fewer than MIN_GROUP people are withheld."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from statistics import mean
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from peer_review.domain.evaluation import GroupAnswers, group_mean
from peer_review.domain.text import OptionalText


class SurveyRound(StrEnum):
    BASELINE = "baseline"
    MID_CYCLE = "mid_cycle"
    END = "end"

    @property
    def label(self) -> str:
        return {"baseline": "Baseline", "mid_cycle": "Mid-cycle", "end": "End of cycle"}[self.value]


#: The groups whose views are compared, named for people's roles (a person with several is counted in the first).
ROLE_GROUPS = {
    "is_ceo": "Trust CEOs",
    "is_moderator": "Moderators",
    "is_reviewer": "Peer reviewers",
    "is_coordinator": "Coordinator",
}


def group_of(roles: dict[str, bool], survey_group: str) -> str | None:
    """The group a person's answers are reported in: their first role's, else the group the file gives them."""
    return next((group for flag, group in ROLE_GROUPS.items() if roles.get(flag)), None) or survey_group or None


Agreement = Annotated[int | None, Field(ge=1, le=5)]


class AnswerSurvey(BaseModel):
    """One person's answers to a round: each statement 1 (disagree most) to 5 (agree most), or left blank (null)."""

    model_config = ConfigDict(extra="forbid")
    statements: dict[str, Agreement]
    open_questions: dict[str, OptionalText] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _the_questionnaires_items(self, info: ValidationInfo) -> AnswerSurvey:
        context: dict[str, Any] = info.context or {}
        for key, known in (
            ("statements", context.get("statements")),
            ("open_questions", context.get("open_questions")),
        ):
            if known is None:
                continue
            unknown = [item for item in getattr(self, key) if item not in known]
            if unknown:
                raise ValueError(
                    f"{key}: {', '.join(unknown)} is not in this questionnaire; its {key.replace('_', ' ')} are: {', '.join(known)}"
                )
        missing = [item for item in context.get("statements") or [] if item not in self.statements]
        if missing:
            raise ValueError(
                f"statements: answer (or leave blank with null) every statement; missing: {', '.join(missing)}"
            )
        return self


@dataclass(frozen=True)
class Response:
    """One person's answers to one round, as the results need them (no name: only the group)."""

    round: SurveyRound
    group: str
    person: int  # to count people, never shown
    values: dict[str, int]  # statement id -> 1..5 (blanks left out)


@dataclass(frozen=True)
class ThemeResult:
    round: SurveyRound
    group: str
    theme: str  # the theme's title
    answers: GroupAnswers  # the mean of each person's mean over the theme's statements they answered
    change_from_baseline: float | None  # None for the baseline itself, and when either side is withheld


def results(responses: list[Response], themes: dict[str, list[str]]) -> list[ThemeResult]:
    """Each group's view of each theme in each round, and its change since the baseline. `themes` maps a
    theme's title to its statements' ids, in the questionnaire's order."""
    groups = list(dict.fromkeys(r.group for r in sorted(responses, key=lambda r: group_order(r.group))))
    found: dict[tuple[SurveyRound, str, str], GroupAnswers] = {}
    for round_ in SurveyRound:
        for group in groups:
            mine = [r for r in responses if r.round == round_ and r.group == group]
            if not mine:
                continue
            for theme, statements in themes.items():
                per_person = [mean(v) for v in ([r.values[s] for s in statements if s in r.values] for r in mine) if v]
                found[(round_, group, theme)] = group_mean(
                    group, per_person
                )  # one value per person who answered the theme
    rows = []
    for (round_, group, theme), answers in found.items():
        baseline = found.get((SurveyRound.BASELINE, group, theme))
        change = None
        if (
            round_ != SurveyRound.BASELINE
            and baseline is not None
            and baseline.mean is not None
            and answers.mean is not None
        ):
            change = round(answers.mean - baseline.mean, 2)
        rows.append(ThemeResult(round_, group, theme, answers, change))
    return rows


def group_order(group: str) -> tuple[int, str]:
    """Role groups first, in ROLE_GROUPS' order, then the file's own groups by name."""
    roles = list(ROLE_GROUPS.values())
    return (roles.index(group), "") if group in roles else (len(roles), group)
