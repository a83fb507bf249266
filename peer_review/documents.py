"""Rendering Word documents from the templates in templates/ with docxtpl."""

from __future__ import annotations

import io

from docxtpl import DocxTemplate

from peer_review.domain.model import DocumentKind
from peer_review.resources import bundled

TEMPLATES = {
    DocumentKind.LINES_AGREEMENT: "lines-of-enquiry-agreement.docx",
    DocumentKind.MODERATION_RECORD: "moderation-record.docx",
    DocumentKind.REPORT_DRAFT: "review-report.docx",
    DocumentKind.REPORT: "review-report.docx",
}


def render(kind: DocumentKind, context: dict) -> bytes:
    """A .docx as bytes; autoescape keeps &, < and > in people's text intact."""
    template = DocxTemplate(str(bundled("templates") / TEMPLATES[kind]))
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
