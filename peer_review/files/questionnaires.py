"""Questionnaires for the stakeholder surveys: themes of statements answered on an agreement scale, and
open questions, loaded from YAML and checked like a framework (bundled ones live in frameworks/surveys/)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from peer_review.domain.text import Name, Text, Title
from peer_review.errors import UserError
from peer_review.files.frameworks import Id
from peer_review.resources import bundled


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", defer_build=True
    )  # built when a questionnaire is first read, not at import


class Statement(_Strict):
    id: Id
    text: Title


class Theme(_Strict):
    id: Id
    title: Title
    statements: list[Statement] = Field(min_length=1, max_length=20)


class OpenQuestion(_Strict):
    id: Id
    text: Title


class Questionnaire(_Strict):
    id: Id
    title: Title
    version: Name
    source: Text
    introduction: Text
    scale: list[Name] = Field(
        min_length=5, max_length=5, description="the five points of agreement, from 1 (disagree most) to 5 (agree most)"
    )
    themes: list[Theme] = Field(min_length=1, max_length=10)
    open_questions: list[OpenQuestion] = Field(default_factory=list, max_length=5)

    @property
    def statements(self) -> dict[str, Statement]:
        return {s.id: s for theme in self.themes for s in theme.statements}

    def theme_of(self, statement_id: str) -> Theme:
        return next(theme for theme in self.themes if any(s.id == statement_id for s in theme.statements))


def load_questionnaire_file(path: str | Path) -> Questionnaire:
    from peer_review.files.yaml_document import (
        Document,  # YAML only when a file is read, not for the stored questionnaires a task list shows
    )

    doc = Document.read(path)
    questionnaire = doc.validate(Questionnaire)
    seen: dict[str, tuple] = {}
    places: list[tuple[tuple[str | int, ...], str]] = [
        (("themes", t, "id"), theme.id) for t, theme in enumerate(questionnaire.themes)
    ]
    places += [
        (("themes", t, "statements", s, "id"), st.id)
        for t, theme in enumerate(questionnaire.themes)
        for s, st in enumerate(theme.statements)
    ]
    places += [(("open_questions", q, "id"), question.id) for q, question in enumerate(questionnaire.open_questions)]
    titles: dict[str, int] = {}
    for t, theme in enumerate(questionnaire.themes):
        if theme.title.casefold() in titles:
            raise doc.error(
                f"the theme title '{theme.title}' is used twice (first by themes[{titles[theme.title.casefold()]}]); results are reported by theme",
                ("themes", t, "title"),
            )
        titles[theme.title.casefold()] = t
    for loc, ident in places:
        if ident in seen:
            raise doc.error(
                f"the id '{ident}' is used twice (first at {doc.place(seen[ident])}); every theme, statement and question needs its own",
                loc,
            )
        seen[ident] = loc
    return questionnaire


def bundled_questionnaires() -> dict[str, Path]:
    return {
        load_questionnaire_file(path).id: path for path in sorted((bundled("frameworks") / "surveys").glob("*.yaml"))
    }


def resolve_questionnaire(ref: str) -> Questionnaire:
    """A questionnaire by bundled id, or by path."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref:
        return load_questionnaire_file(ref)
    known = bundled_questionnaires()
    if ref not in known:
        raise UserError(
            f"unknown questionnaire '{ref}'; bundled: {', '.join(sorted(known))}, or give a path to a .yaml file"
        )
    return load_questionnaire_file(known[ref])


DEFAULT = "stakeholder-views"
