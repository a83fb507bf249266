"""YAML skeletons for each kind of task, with guidance, filled with the review's own lines, evidence and
findings. service/kinds.py binds each kind's body to its kind; `render_template` adds the header.

People's text only ever appears in comments through `comment` (one line, so it cannot end the comment and
become live YAML) or as a quoted scalar through `quoted`.
"""

from __future__ import annotations

import json


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def comment(text: object) -> str:
    """Text for inside a `#` comment: line breaks (of any kind) become spaces, control characters
    (which YAML refuses even in comments) go."""
    return " ".join("".join(ch for ch in str(text) if ch.isprintable() or ch.isspace()).split())


def _header(ctx: dict) -> list[str]:
    task, review = ctx["task"], ctx["review"]
    lines = [
        f"# Task {task.id}: {ctx['kind'].title}",
        f"# Review {review.id}: {comment(ctx['host'])}, strand '{comment(ctx['strand']['title'])}'; visit {review.visit_start} to {review.visit_end}",
        f"# Assigned to {comment(ctx['assignee'].name)} <{comment(ctx['assignee'].email)}>, due {task.due}",
    ]
    if task.note:
        lines.append(f"# Note: {comment(task.note)}")
    lines.append(f"# Fill this in, then: peer-review submit {task.id} FILE --as {comment(ctx['assignee'].email)}")
    return lines


def _lines_comment(ctx: dict) -> list[str]:
    return ["# Agreed lines of enquiry:"] + [f"#   {line.number}. {comment(line.title)}" for line in ctx["lines"]]


def _evidence_comment(ctx: dict) -> list[str]:
    items = ctx["evidence"]
    if not items:
        return ["# No evidence has been submitted yet."]
    return ["# Evidence index (cite these ids):"] + [
        f"#   {e.ref}: {comment(e.title)} ({comment(e.type)}; lines {', '.join(map(str, e.lines))})" for e in items
    ]


def render_template(ctx: dict, body) -> str:
    """The whole skeleton: the task's header, then its kind's `body(ctx)`."""
    return "\n".join(_header(ctx) + [""] + body(ctx)) + "\n"


def respond(ctx: dict) -> list[str]:
    team = [f"#   {comment(p.name)} ({comment(p.organisation)})" for p in ctx["peers"]] + (
        [f"#   {comment(ctx['moderator'].name)} (moderator)"] if ctx["moderator"] else []
    )
    return [
        "# You are asked to join this review's team:",
        *team,
        "# response: accept, or decline with a reason (someone else is then found automatically)",
        "response: accept",
        'reason: ""',
    ]


def choose_replacement(ctx: dict) -> list[str]:
    out = [
        "# Nobody suitable was free. People who could take the place (the choice is checked against every",
        "# constraint when you submit; a choice that breaks one is refused):",
    ]
    out += [
        f"#   {comment(p.email)}: {comment(p.name)}, {comment(p.job_title or 'moderator')}" for p in ctx["candidates"]
    ] or ["#   (none listed: anyone you name is checked)"]
    out += [
        "# choice: existing (name them in person), new (someone not yet in the partnership: fill in new_person),",
        "# or without (a peer only: the review goes ahead with a smaller team). The reason is kept in the history.",
    ]
    return out + [
        "choice: existing",
        'person: ""',
        '# new_person: {name: "", email: "", job_title: "", organisation: ""}',
        'reason: ""',
    ]


def propose_lines(ctx: dict) -> list[str]:
    out = [
        "# Propose 2 to 4 lines of enquiry. Use the strand's suggested prompts word for word, or write your own.",
        "# For each line, give your trust's self-evaluation: what you believe and why (no grades).",
        "# Suggested prompts:",
        *[f"#   - {comment(p)}" for p in ctx["strand"]["prompts"]],
        "lines:",
    ]
    for prompt in ctx["strand"]["prompts"][:3]:
        out += [f"  - title: {quoted(prompt)}", '    self_evaluation: ""']
    return out


def agree_lines(ctx: dict) -> list[str]:
    out = ["# The host proposed these lines and self-evaluations:"]
    for line in ctx["lines"]:
        out += [f"#   {line.number}. {comment(line.title)}", f"#      self-evaluation: {comment(line.self_evaluation)}"]
    return out + [
        "# decision: agreed, or changes_requested (then say what should change in comments)",
        "decision: agreed",
        'comments: ""',
    ]


def submit_evidence(ctx: dict) -> list[str]:
    return _lines_comment(ctx) + [
        "# List the evidence the review team will see. Items are numbered E1, E2, ... in this order.",
        "# personal_data: true for anything that identifies pupils or staff (it is handled with care).",
        "# Suggested evidence types for this strand: " + comment(", ".join(ctx["strand"].get("evidence", []))),
        "items:",
        '  - title: ""',
        '    type: ""',
        '    location: ""',
        "    lines: [1]",
        "    personal_data: false",
    ]


def record_findings(ctx: dict) -> list[str]:
    lead = [line.number for line in ctx["lines"] if line.lead_id == ctx["worker"].id]
    out = (
        _lines_comment(ctx)
        + _evidence_comment(ctx)
        + [
            f"# You lead on line(s): {', '.join(map(str, lead)) or 'none'}; you may add findings on any line.",
            "# Every finding cites at least one evidence item. Good practice is practice worth sharing beyond the trust.",
            "lines:",
        ]
    )
    for number in lead or [ctx["lines"][0].number]:
        out += [
            f"  - line: {number}",
            "    strengths:",
            '      - text: ""',
            "        evidence: []",
            "    areas_for_development:",
            '      - text: ""',
            "        evidence: []",
            "    good_practice: []",
        ]
    return out


def moderate(ctx: dict) -> list[str]:
    out = _evidence_comment(ctx) + [
        "# For every finding: supported, or needs_revision with a reason the reviewer can act on.",
        "findings:",
    ]
    for f in ctx["findings"]:
        out += [
            f"  # {f.ref} (line {f.line_number}, {f.kind.replace('_', ' ')}): {comment(f.text)} [evidence: {comment(', '.join(f.evidence))}]",
            f"  - finding: {f.ref}",
            "    decision: supported",
            '    reason: ""',
        ]
    if ctx["task"].round == 1:
        out += [
            "# For every line: how well did the host's self-evaluation match the evidence?",
            "# alignment: aligned, partly_aligned or not_aligned",
            "self_evaluation:",
        ]
        for line in ctx["lines"]:
            out += [
                f"  # {line.number}. {comment(line.title)}",
                f"  #    self-evaluation: {comment(line.self_evaluation)}",
                f"  - line: {line.number}",
                "    alignment: aligned",
                '    comment: ""',
            ]
    elif ctx["judgements"]:
        out += [
            "# Your judgements of the self-evaluation stand as below; change any the revised findings change",
            "# (or delete this section to keep them all).",
            "self_evaluation:",
        ]
        lines = {line.number: line for line in ctx["lines"]}
        for number, j in sorted(ctx["judgements"].items()):
            title = lines[number].title if number in lines else ""
            out += [
                f"  # {number}. {comment(title)}",
                f"  - line: {number}",
                f"    alignment: {j.alignment}",
                f"    comment: {quoted(j.comment)}",
            ]
    return out


def revise_findings(ctx: dict) -> list[str]:
    out = _evidence_comment(ctx) + [
        "# The moderator sent these findings back; revise the text and/or the evidence cited.",
        "findings:",
    ]
    for f in ctx["findings"]:
        out += [
            f"  - finding: {f.ref}",
            f"    text: {quoted(f.text)}",
            f"    evidence: [{', '.join(map(quoted, f.evidence))}]",
        ]
    return out


def check_report(ctx: dict) -> list[str]:
    shared = [f"#   {f.ref}: {comment(f.text)}" for f in ctx.get("good_practice", [])] or [
        "#   (none: the review has no supported good practice)"
    ]
    return [
        "# Read the draft report (peer-review report REVIEW_ID --out DIR --draft) and check it for factual accuracy.",
        "# Factual accuracy only: the findings themselves are the review team's.",
        "accurate: true",
        "corrections: []",
        "# share_good_practice: true lets the good practice below be shared, with your trust's name, with every trust",
        "# taking part in moderated peer review through this service (in other partnerships too); false keeps it in",
        "# this review's report. Nothing else from the review is shared. You must choose: true or false.",
        "# The good practice that would be shared:",
        *shared,
        "share_good_practice: null",
    ]


def issue_report(ctx: dict) -> list[str]:
    return [
        "# Your statement as moderator, and the agreed next steps for the host trust. No grades or ratings.",
        'statement: ""',
        "next_steps:",
        '  - ""',
    ]


def record_progress(ctx: dict) -> list[str]:
    when = "the end of the trust's cycle" if ctx["occasion"] == "end_of_cycle" else "the trust's next review"
    out = [
        f"# At {when}: how far has each area for development from the trust's reviews got?",
        "# status: not_started, under_way or done. evidence: what shows it (needed when under_way or done), for the",
        "# next review team and the report. Answer for every action listed, keeping its id. No grades or ratings.",
        "actions:",
    ]
    for a in ctx["actions"]:
        issued = f", report issued {a.issued_on}" if a.issued_on else ""
        out += [f"  # {a.ref}, from review {a.review_id} ({comment(a.strand)}{issued}): {comment(a.text)}"]
        out += [
            f"  #   {p.recorded_at:%Y-%m-%d} {p.occasion_label}: {p.status.label.lower()}. {comment(p.evidence)}".rstrip()
            for p in a.progress
        ]
        last = a.latest
        out += [
            f"  - action: {a.ref}",
            f"    status: {last.status.value if last else 'not_started'}",
            f"    evidence: {quoted(last.evidence if last else '')}",
        ]
    return out


def give_feedback(ctx: dict) -> list[str]:
    return [
        "# 1 (strongly disagree) to 5 (strongly agree). About the review process, not about the trust.",
        "helped_us_improve: 4",
        "fair_and_accurate: 4",
        "would_take_part_again: true",
        'comments: ""',
    ]
