"""Rendering Word documents from the templates in templates/ with docxtpl."""

from __future__ import annotations

import functools
import io

from docxtpl import DocxTemplate
from jinja2 import Environment

from peer_review.domain.model import DocumentKind
from peer_review.resources import bundled

TEMPLATES = {
    DocumentKind.LINES_AGREEMENT: "lines-of-enquiry-agreement.docx",
    DocumentKind.MODERATION_RECORD: "moderation-record.docx",
    DocumentKind.REPORT_DRAFT: "review-report.docx",
    DocumentKind.REPORT: "review-report.docx",
}


class _CompiledOnce(Environment):
    """docxtpl compiles a template's XML with Jinja at every render; a template's XML is the same each time,
    so each part is compiled once per process (about a third of rendering a review's document)."""

    @functools.lru_cache(maxsize=32)  # noqa: B019 (one environment per process, kept for its life)
    def _compiled(self, source: str):
        return super().from_string(source)

    def from_string(self, source, globals=None, template_class=None):
        if globals is None and template_class is None:
            return self._compiled(source)
        return super().from_string(source, globals, template_class)


_JINJA = _CompiledOnce(autoescape=True)  # autoescape keeps &, < and > in people's text intact


def render(kind: DocumentKind, context: dict) -> bytes:
    """A .docx as bytes; autoescape keeps &, < and > in people's text intact."""
    template = DocxTemplate(str(bundled("templates") / TEMPLATES[kind]))
    template.render(context, _JINJA, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def render_evaluation(context: dict, charts: dict) -> bytes:
    """The evaluation report as .docx bytes. `context["sections"]` holds parts whose `chart` names one of
    `charts` (ChartSpecs), drawn as PNG and placed as an image 16 cm wide."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    from peer_review.adapters.charts import pngs

    template = DocxTemplate(str(bundled("templates") / "evaluation.docx"))
    images = {name: InlineImage(template, io.BytesIO(data), width=Mm(160)) for name, data in pngs(charts).items()}
    sections = [
        {**section, "parts": [{**part, "chart": images.get(part.get("chart") or "")} for part in section["parts"]]}
        for section in context["sections"]
    ]
    template.render({**context, "sections": sections}, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def text_of(content: bytes) -> str:
    """A Word document's words: its paragraphs and its tables' cells, one to a line (to search it)."""
    import io

    from docx import Document

    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)
