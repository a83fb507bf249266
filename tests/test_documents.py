"""Word documents: people's text survives rendering intact, and nothing grades the trust."""

from __future__ import annotations

import io

from docx import Document as Docx

from peer_review.adapters.word import render
from peer_review.domain.model import DocumentKind

TRICKY = 'Pupils & staff said "it\'s better" <mostly> — 5 > 3'


def _read(content: bytes) -> str:
    doc = Docx(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def _common() -> dict:
    return {
        "host": "Smith & Jones <Trust>",
        "strand": "School improvement",
        "framework": "F",
        "partnership": "P",
        "visit": "8 January 2024",
        "team": [{"name": "A", "role": "peer reviewer", "organisation": "O & Co"}],
        "moderator": "M",
    }


def test_report_keeps_special_characters():
    context = _common() | {
        "status": "Final",
        "issued_on": "1 March 2024",
        "about": "No grade is given.",
        "lines": [
            {
                "number": 1,
                "title": TRICKY,
                "self_evaluation": TRICKY,
                "strengths": [TRICKY],
                "areas_for_development": ["x < y"],
                "alignment": "matched",
                "alignment_comment": "c",
            }
        ],
        "good_practice": ["share & tell"],
        "next_steps": ["step <1>"],
        "statement": TRICKY,
        "self_evaluation_summary": "s",
        "corrections": ["none"],
    }
    text = _read(render(DocumentKind.REPORT, context))
    assert text.count(TRICKY) == 4
    assert "Smith & Jones <Trust>" in text and "step <1>" in text and "share & tell" in text
    assert "{{" not in text and "{%" not in text


def test_moderation_record_table_rows_repeat_per_evidence_item():
    context = _common() | {
        "rounds": 2,
        "signed_off_on": "today",
        "evidence": [
            {"ref": f"E{i}", "title": f"T{i} & more", "type": "minutes", "location": "drive", "personal_data": "no"}
            for i in range(1, 4)
        ],
        "lines": [
            {
                "number": 1,
                "title": "L",
                "alignment": "a",
                "alignment_comment": "",
                "findings": [
                    {
                        "ref": "F1",
                        "kind": "strength",
                        "author": "A",
                        "text": TRICKY,
                        "evidence": "E1",
                        "decisions": [
                            {"round": 1, "decision": "needs revision", "reason": ": why"},
                            {"round": 2, "decision": "supported", "reason": ""},
                        ],
                    }
                ],
            }
        ],
    }
    content = render(DocumentKind.MODERATION_RECORD, context)
    doc = Docx(io.BytesIO(content))
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[0][0] == "Item" and [r[0] for r in rows[1:]] == ["E1", "E2", "E3"]
    assert rows[2][1] == "T2 & more"
    text = _read(content)
    assert TRICKY in text and "Round 1: needs revision: why" in text and "Round 2: supported" in text
