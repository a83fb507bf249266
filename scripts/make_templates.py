"""Build the Word templates in templates/ (docxtpl tags in python-docx documents).

Run after changing this script; the .docx files are the templates users may then restyle in Word,
keeping the tags. Rules: one {%p %} tag per paragraph, no string literals inside tags.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.shared import Pt

OUT = Path(__file__).resolve().parent.parent / "templates"


def new(title: str) -> Document:
    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(title, level=0)
    return doc


def cover(doc: Document) -> None:
    doc.add_paragraph("{{ host }}", style="Subtitle")
    doc.add_paragraph("Strand: {{ strand }}")
    doc.add_paragraph("Framework: {{ framework }}")
    doc.add_paragraph("Review visit: {{ visit }}")
    doc.add_paragraph("Partnership: {{ partnership }}")


def team(doc: Document) -> None:
    doc.add_heading("Review team", level=1)
    doc.add_paragraph("{%p for m in team %}")
    doc.add_paragraph("{{ m.name }}, {{ m.role }}, {{ m.organisation }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")


def bullets(doc: Document, items: str, text: str) -> None:
    doc.add_paragraph(f"{{%p for item in {items} %}}")
    doc.add_paragraph(text, style="List Bullet")
    doc.add_paragraph("{%p endfor %}")


def lines_agreement() -> Document:
    doc = new("Lines of enquiry agreement")
    cover(doc)
    team(doc)
    doc.add_heading("Agreed lines of enquiry", level=1)
    doc.add_paragraph("{%p for line in lines %}")
    doc.add_heading("{{ line.number }}. {{ line.title }}", level=2)
    doc.add_paragraph("{{ line.source }}")
    doc.add_paragraph("The host trust’s self-evaluation: {{ line.self_evaluation }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_heading("Agreement", level=1)
    doc.add_paragraph("Proposed by {{ proposed_by }}. Agreed by {{ agreed_by }} on {{ agreed_on }}.")
    doc.add_paragraph("{{ history }}")
    return doc


def moderation_record() -> Document:
    doc = new("Moderation record")
    cover(doc)
    doc.add_paragraph("Moderator: {{ moderator }}")
    doc.add_paragraph("Rounds of moderation: {{ rounds }}")
    doc.add_heading("Evidence index", level=1)
    table = doc.add_table(rows=3, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["Item", "Title", "Type", "Where it lives", "Personal data"]):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for e in evidence %}"
    for cell, text in zip(
        table.rows[2].cells,
        ["{{ e.ref }}", "{{ e.title }}", "{{ e.type }}", "{{ e.location }}", "{{ e.personal_data }}"],
    ):
        cell.text = text
    row = table.add_row()
    row.cells[0].text = "{%tr endfor %}"
    doc.add_heading("Findings and moderation decisions", level=1)
    doc.add_paragraph("{%p for line in lines %}")
    doc.add_heading("Line {{ line.number }}: {{ line.title }}", level=2)
    doc.add_paragraph("{%p for f in line.findings %}")
    doc.add_paragraph(
        "{{ f.ref }} ({{ f.kind }}, by {{ f.author }}): {{ f.text }} Evidence: {{ f.evidence }}.", style="List Bullet"
    )
    doc.add_paragraph("{%p for d in f.decisions %}")
    doc.add_paragraph("Round {{ d.round }}: {{ d.decision }}{{ d.reason }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("Self-evaluation against the evidence: {{ line.alignment }}. {{ line.alignment_comment }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("Signed off by {{ moderator }} on {{ signed_off_on }}.")
    return doc


def report() -> Document:
    doc = new("Peer review report")
    cover(doc)
    doc.add_paragraph("{{ status }}")
    doc.add_paragraph("Report issued: {{ issued_on }}")
    team(doc)
    doc.add_heading("About this review", level=1)
    doc.add_paragraph("{{ about }}")
    doc.add_heading("Lines of enquiry and findings", level=1)
    doc.add_paragraph("{%p for line in lines %}")
    doc.add_heading("{{ line.number }}. {{ line.title }}", level=2)
    doc.add_paragraph("The trust’s self-evaluation: {{ line.self_evaluation }}")
    doc.add_heading("Strengths", level=3)
    bullets(doc, "line.strengths", "{{ item }}")
    doc.add_heading("Areas for development", level=3)
    bullets(doc, "line.areas_for_development", "{{ item }}")
    doc.add_paragraph(
        "How the self-evaluation compared with the evidence: {{ line.alignment }}. {{ line.alignment_comment }}"
    )
    doc.add_paragraph("{%p endfor %}")
    doc.add_heading("Good practice to share", level=1)
    bullets(doc, "good_practice", "{{ item }}")
    doc.add_heading("Progress since earlier reviews", level=1)
    doc.add_paragraph("{{ progress_note }}")
    doc.add_paragraph("{%p for a in progress %}")
    doc.add_paragraph("{{ a.ref }} (from {{ a.source }}): {{ a.text }}", style="List Bullet")
    doc.add_paragraph("Progress recorded at this review: {{ a.progress }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_heading("Next steps", level=1)
    bullets(doc, "next_steps", "{{ item }}")
    doc.add_heading("Moderator’s statement", level=1)
    doc.add_paragraph("{{ statement }}")
    doc.add_paragraph("Accuracy of the trust’s self-evaluation: {{ self_evaluation_summary }}")
    doc.add_paragraph("{{ moderator }}")
    doc.add_heading("Factual accuracy check", level=1)
    bullets(doc, "corrections", "{{ item }}")
    return doc


def evaluation() -> Document:
    """The evaluation report: sections of parts, each with paragraphs, an optional chart and an optional table
    whose columns come from the data (the service layer decides the content; this only lays it out)."""
    doc = new("Evaluation of moderated peer review")
    doc.add_paragraph("{{ partnership }}", style="Subtitle")
    doc.add_paragraph("Framework: {{ framework }}")
    doc.add_paragraph("Cycle: {{ cycle }}")
    doc.add_paragraph("Produced on {{ produced_on }} from the partnership’s records.")
    doc.add_paragraph("{%p for section in sections %}")
    doc.add_heading("{{ section.title }}", level=1)
    doc.add_paragraph("{%p for part in section.parts %}")
    doc.add_paragraph("{%p if part.heading %}")
    doc.add_heading("{{ part.heading }}", level=2)
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for text in part.paragraphs %}")
    doc.add_paragraph("{{ text }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if part.chart %}")
    doc.add_paragraph("{{ part.chart }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if part.table %}")
    table = doc.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    for row, cells in zip(
        table.rows,
        [
            ["{%tc for column in part.table.columns %}", "{{ column }}", "{%tc endfor %}"],
            ["{%tr for row in part.table.rows %}", "", ""],
            ["{%tc for cell in row %}", "{{ cell }}", "{%tc endfor %}"],
            ["{%tr endfor %}", "", ""],
        ],
    ):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    table.rows[0].cells[1].paragraphs[0].runs[0].bold = True
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    return doc


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, build in {
        "lines-of-enquiry-agreement.docx": lines_agreement,
        "moderation-record.docx": moderation_record,
        "review-report.docx": report,
        "evaluation.docx": evaluation,
    }.items():
        build().save(OUT / name)
        print("wrote", OUT / name)
