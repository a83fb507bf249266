"""YAML skeletons for each kind of task, with guidance, filled with the review's own lines, evidence and findings."""

from __future__ import annotations

import json

from peer_review.domain.model import TaskKind


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _header(ctx: dict) -> list[str]:
    task, review = ctx["task"], ctx["review"]
    lines = [
        f"# Task {task.id}: {ctx['kind'].title}",
        f"# Review {review.id}: {ctx['host']}, strand '{ctx['strand']['title']}'; visit {review.visit_start} to {review.visit_end}",
        f"# Assigned to {ctx['assignee'].name} <{ctx['assignee'].email}>, due {task.due}",
    ]
    if task.note:
        lines.append(f"# Note: {task.note}")
    lines.append(f"# Fill this in, then: peer-review submit {task.id} FILE --as {ctx['assignee'].email}")
    return lines


def _lines_comment(ctx: dict) -> list[str]:
    return ["# Agreed lines of enquiry:"] + [f"#   {line.number}. {line.title}" for line in ctx["lines"]]


def _evidence_comment(ctx: dict) -> list[str]:
    items = ctx["evidence"]
    if not items:
        return ["# No evidence has been submitted yet."]
    return ["# Evidence index (cite these ids):"] + [f"#   {e.ref}: {e.title} ({e.type}; lines {', '.join(map(str, e.lines))})" for e in items]


def render_template(ctx: dict) -> str:
    kind: TaskKind = ctx["kind"]
    out = _header(ctx) + [""]
    if kind == TaskKind.RESPOND_TO_ASSIGNMENT:
        team = [f"#   {p.name} ({p.organisation})" for p in ctx["peers"]] + ([f"#   {ctx['moderator'].name} (moderator)"] if ctx["moderator"] else [])
        out += ["# You are asked to join this review's team:"] + team
        out += ["# response: accept, or decline with a reason (someone else is then found automatically)",
                "response: accept", "reason: \"\""]
    elif kind == TaskKind.CHOOSE_REPLACEMENT:
        out += ["# Nobody suitable was free. People who could take the place (the choice is checked against every",
                "# constraint when you submit; a choice that breaks one is refused):"]
        out += [f"#   {p.email}: {p.name}, {p.job_title or 'moderator'}" for p in ctx["candidates"]] or ["#   (none listed: anyone you name is checked)"]
        out += ["person: \"\"", "reason: \"\""]
    elif kind == TaskKind.PROPOSE_LINES:
        out += ["# Propose 2 to 4 lines of enquiry. Use the strand's suggested prompts word for word, or write your own.",
                "# For each line, give your trust's self-evaluation: what you believe and why (no grades)."]
        out += ["# Suggested prompts:"] + [f"#   - {p}" for p in ctx["strand"]["prompts"]]
        out += ["lines:"]
        for prompt in ctx["strand"]["prompts"][:3]:
            out += [f"  - title: {_q(prompt)}", "    self_evaluation: \"\""]
    elif kind == TaskKind.AGREE_LINES:
        out += ["# The host proposed these lines and self-evaluations:"]
        for line in ctx["lines"]:
            out += [f"#   {line.number}. {line.title}", f"#      self-evaluation: {line.self_evaluation}"]
        out += ["# decision: agreed, or changes_requested (then say what should change in comments)",
                "decision: agreed", "comments: \"\""]
    elif kind == TaskKind.SUBMIT_EVIDENCE:
        out += _lines_comment(ctx)
        out += ["# List the evidence the review team will see. Items are numbered E1, E2, ... in this order.",
                "# personal_data: true for anything that identifies pupils or staff (it is handled with care).",
                "# Suggested evidence types for this strand: " + ", ".join(ctx["strand"].get("evidence", [])),
                "items:", "  - title: \"\"", "    type: \"\"", "    location: \"\"", "    lines: [1]", "    personal_data: false"]
    elif kind == TaskKind.RECORD_FINDINGS:
        out += _lines_comment(ctx) + _evidence_comment(ctx)
        lead = [line.number for line in ctx["lines"] if line.lead_id == ctx["assignee"].id]
        out += [f"# You lead on line(s): {', '.join(map(str, lead)) or 'none'}; you may add findings on any line.",
                "# Every finding cites at least one evidence item. Good practice is practice worth sharing beyond the trust.",
                "lines:"]
        for number in lead or [ctx["lines"][0].number]:
            out += [f"  - line: {number}",
                    "    strengths:", "      - text: \"\"", "        evidence: []",
                    "    areas_for_development:", "      - text: \"\"", "        evidence: []",
                    "    good_practice: []"]
    elif kind == TaskKind.MODERATE:
        out += _evidence_comment(ctx)
        out += ["# For every finding: supported, or needs_revision with a reason the reviewer can act on.", "findings:"]
        for f in ctx["findings"]:
            out += [f"  # {f.ref} (line {f.line_number}, {f.kind.replace('_', ' ')}): {f.text} [evidence: {', '.join(f.evidence)}]",
                    f"  - finding: {f.ref}", "    decision: supported", "    reason: \"\""]
        if ctx["task"].round == 1:
            out += ["# For every line: how well did the host's self-evaluation match the evidence?",
                    "# alignment: aligned, partly_aligned or not_aligned", "self_evaluation:"]
            for line in ctx["lines"]:
                out += [f"  # {line.number}. {line.title}", f"  #    self-evaluation: {line.self_evaluation}",
                        f"  - line: {line.number}", "    alignment: aligned", "    comment: \"\""]
    elif kind == TaskKind.REVISE_FINDINGS:
        out += _evidence_comment(ctx)
        out += ["# The moderator sent these findings back; revise the text and/or the evidence cited.", "findings:"]
        for f in ctx["findings"]:
            out += [f"  - finding: {f.ref}", f"    text: {_q(f.text)}", f"    evidence: [{', '.join(f.evidence)}]"]
    elif kind == TaskKind.CHECK_REPORT:
        out += ["# Read the draft report (peer-review report REVIEW_ID --out DIR --draft) and check it for factual accuracy.",
                "# Factual accuracy only: the findings themselves are the review team's.",
                "accurate: true", "corrections: []"]
    elif kind == TaskKind.ISSUE_REPORT:
        out += ["# Your statement as moderator, and the agreed next steps for the host trust. No grades or ratings.",
                "statement: \"\"", "next_steps:", "  - \"\""]
    elif kind == TaskKind.GIVE_FEEDBACK:
        out += ["# 1 (strongly disagree) to 5 (strongly agree). About the review process, not about the trust.",
                "helped_us_improve: 4", "fair_and_accurate: 4", "would_take_part_again: true", "comments: \"\""]
    return "\n".join(out) + "\n"
