"""Frameworks of enquiry: strands, prompts and suggested evidence, loaded from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from peer_review.domain.text import Name, Text, Title
from peer_review.errors import UserError
from peer_review.resources import bundled

if TYPE_CHECKING:
    from peer_review.files.yaml_document import Document

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]

#: The five areas of the DfE definition of a strong trust, which strands say they cover.
AREAS = (
    "high-quality-inclusive-education",
    "school-improvement",
    "workforce",
    "finance-operations",
    "governance-leadership",
)
Area = Annotated[str, StringConstraints(pattern="^(" + "|".join(AREAS) + ")$")]


class Strand(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when a framework is first read, not at import

    id: Id
    title: Title
    areas: list[Area] = Field(min_length=1)
    description: Text
    prompts: list[Title] = Field(min_length=1, description="suggested lines of enquiry")
    evidence: list[Title] = Field(default_factory=list, description="suggested evidence types")


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: Id
    title: Title
    version: Name
    source: Text
    strands: list[Strand] = Field(min_length=1)

    def strand(self, strand_id: str) -> Strand:
        for strand in self.strands:
            if strand.id == strand_id:
                return strand
        raise KeyError(strand_id)

    @property
    def strand_ids(self) -> list[str]:
        return [s.id for s in self.strands]


def load_framework_file(path: str | Path) -> Framework:
    from peer_review.files.yaml_document import (
        Document,  # YAML only when a file is read: a questionnaire's type needs `Id`, not the loader
    )

    doc = Document.read(path)
    framework = doc.validate(Framework)
    _check_unique(doc, framework)
    return framework


def _check_unique(doc: Document, framework: Framework) -> None:
    seen: dict[str, int] = {}
    for i, strand in enumerate(framework.strands):
        if strand.id in seen:
            raise doc.error(
                f"duplicate strand id '{strand.id}' (first used by strands[{seen[strand.id]}])", ("strands", i, "id")
            )
        seen[strand.id] = i


def bundled_frameworks() -> dict[str, Path]:
    """Bundled framework files by their id (read from the file, not its name)."""
    return {framework.id: path for path, framework in _bundled()}


def load_bundled_frameworks() -> dict[str, Framework]:
    """The bundled frameworks, read, by id in order: the choices of the set-up pages."""
    return dict(sorted(((framework.id, framework) for _, framework in _bundled()), key=lambda item: item[0]))


def _bundled() -> list[tuple[Path, Framework]]:
    return [(path, load_framework_file(path)) for path in sorted(bundled("frameworks").glob("*.yaml"))]


def resolve_framework(ref: str, relative_to: Path | None = None) -> Framework:
    """A framework by bundled id, or by path (relative paths against `relative_to`)."""
    looks_like_path = ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref
    if looks_like_path:
        path = Path(ref)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return load_framework_file(path)
    known = bundled_frameworks()
    if ref not in known:
        raise UserError(
            f"unknown framework '{ref}'; bundled frameworks: {', '.join(sorted(known))}, or give a path to a .yaml file"
        )
    return load_framework_file(known[ref])
