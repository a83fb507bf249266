"""Simulated participants for the demo: deterministic answers to every kind of task.

Each answer is built from the task's own context (strand prompts, agreed lines, evidence, findings),
so the simulation works for any valid partnership and framework.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from peer_review import clock, db
from peer_review.domain.model import Alignment, TaskKind
from peer_review.service import queries, workflow

ALIGNMENTS = [Alignment.ALIGNED, Alignment.PARTLY_ALIGNED, Alignment.NOT_ALIGNED]


LEAD_DAYS = 2


def simulate_cycle(
    partnership: str,
    start: dt.date,
    advance: Callable[[str], object],
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
    until: dt.date | None = None,
) -> tuple[int, int]:
    """Move simulated time from `start`: on each day something is due, the participants whose tasks
    fall due do them (two days early, on a weekday), then `advance(partnership)` moves every review on.
    Stops when no task is open, or after `until`. Returns (advance calls, tasks done)."""
    today, advances, done = start, 0, 0
    while True:
        clock.set_time(clock.at_london(today, 17))
        advance(partnership)
        advances += 1
        with db.session_scope() as session:
            reviews = queries.status(session, partnership)
            tasks = queries.open_tasks(session, partnership_name=partnership)
        closed = sum(1 for r in reviews if r.stage == "closed")
        progress(f"{today:%d %b %Y}: {closed} of {len(reviews)} reviews closed, {len(tasks)} open tasks", closed, len(reviews))
        if not tasks:
            return advances, done
        today = max(today, min(_acting_day(t.due) for t in tasks))
        if until is not None and today > until:
            return advances, done
        for task in tasks:
            if _acting_day(task.due) <= today:
                clock.set_time(clock.at_london(today, 16))
                with db.session_scope() as session:
                    workflow.submit(session, task.id, answer(queries.task_context(session, task.id)), task.assignee_email)
                done += 1


def _acting_day(due: dt.date) -> dt.date:
    day = due - dt.timedelta(days=LEAD_DAYS)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def answer(ctx: dict) -> dict:
    return _ANSWERS[ctx["kind"]](ctx)


def _respond(ctx: dict) -> dict:
    # On each trust's third review, the first peer asked cannot come, so the demo shows a replacement.
    peers = ctx["peers"]
    if ctx["review"].position == 3 and not ctx["declined"] and peers and ctx["assignee"].id == peers[0].id:
        return {"response": "decline", "reason": "A governors' meeting clashes with the visit."}
    return {"response": "accept", "reason": ""}


def _choose(ctx: dict) -> dict:
    candidates = ctx["candidates"]
    return {"person": candidates[0].email if candidates else "", "reason": "Free that week and without a conflict."}


def _propose(ctx: dict) -> dict:
    prompts = list(ctx["strand"]["prompts"][:3])
    if len(prompts) < 2:
        prompts.append(f"How does the trust know the impact of its work on {ctx['strand']['title'].lower()}?")
    revised = ctx["task"].round > 1
    lines = []
    for i, prompt in enumerate(prompts, start=1):
        evaluation = (
            f"We judge this to be a developing strength: leaders & trustees see improvement in most schools, "
            f"but the picture is less secure in {'one' if i % 2 else 'two'} of our schools."
        )
        if revised:
            evaluation += " This rests on our termly quality assurance visits and the latest published data."
        lines.append({"title": prompt, "self_evaluation": evaluation})
    return {"lines": lines}


def _agree(ctx: dict) -> dict:
    # The host's first-priority strand gets a request for changes, so the demo shows that path too.
    if ctx["review"].position == 1 and ctx["task"].round == 1:
        return {"decision": "changes_requested", "comments": "Please say what each self-evaluation rests on, so the team can test it."}
    return {"decision": "agreed", "comments": ""}


def _evidence(ctx: dict) -> dict:
    types = ctx["strand"].get("evidence") or ["self-evaluation summary", "data analysis"]
    items = []
    for line in ctx["lines"]:
        for k in range(2):
            kind = types[(line.number + k) % len(types)]
            items.append({
                "title": f"{kind.capitalize()} for line {line.number}",
                "type": kind,
                "location": f"Trust SharePoint > Peer review > {ctx['strand']['id']} > line {line.number}",
                "lines": [line.number],
                "personal_data": "survey" in kind or "pupil" in kind,
            })
    return {"items": items}


def _by_line(ctx: dict) -> dict[int, list[str]]:
    refs: dict[int, list[str]] = {}
    for item in ctx["evidence"]:
        for number in item.lines:
            refs.setdefault(number, []).append(item.ref)
    return refs


def _findings(ctx: dict) -> dict:
    refs = _by_line(ctx)
    me = ctx["assignee"]
    lead = [line for line in ctx["lines"] if line.lead_id == me.id] or ctx["lines"][:1]
    entries = []
    for i, line in enumerate(lead):
        cited = refs.get(line.number) or [ctx["evidence"][0].ref]
        entry = {
            "line": line.number,
            "strengths": [{"text": f"Leaders & staff share a clear, consistent account of \"{line.title.rstrip('?')}\".", "evidence": cited[:1]}],
            "areas_for_development": [{"text": "Checks on impact are not yet systematic across all schools (<2 of 3 sampled>).", "evidence": cited[-1:]}],
            "good_practice": [],
        }
        if i == 0:
            entry["good_practice"] = [{"text": f"{me.organisation}'s peers recommend sharing the termly review cycle with other trusts.", "evidence": cited[:1]}]
        entries.append(entry)
    return {"lines": entries}


def _moderate(ctx: dict) -> dict:
    first_round = ctx["task"].round == 1
    decisions = []
    for i, finding in enumerate(ctx["findings"]):
        if first_round and i == 0:
            decisions.append({"finding": finding.ref, "decision": "needs_revision", "reason": "The evidence cited does not show impact; cite outcome data or narrow the claim."})
        else:
            decisions.append({"finding": finding.ref, "decision": "supported", "reason": ""})
    answer = {"findings": decisions}
    if first_round:
        answer["self_evaluation"] = [
            {
                "line": line.number,
                "alignment": ALIGNMENTS[(ctx["review"].id + line.number) % 3].value,
                "comment": "The evidence index and the team's findings were compared with the host's self-evaluation for this line.",
            }
            for line in ctx["lines"]
        ]
    return answer


def _revise(ctx: dict) -> dict:
    all_refs = [e.ref for e in ctx["evidence"]]
    revised = []
    for f in ctx["findings"]:
        extra = next((r for r in all_refs if r not in f.evidence), None)
        revised.append({
            "finding": f.ref,
            "text": f.text.rstrip(".") + ", as the attendance and outcome data for the sampled schools show.",
            "evidence": f.evidence + ([extra] if extra else []),
        })
    return {"findings": revised}


def _check(ctx: dict) -> dict:
    if ctx["review"].position == 2:
        return {"accurate": False, "corrections": ["The trust has nine schools, not eight, since September."]}
    return {"accurate": True, "corrections": []}


def _issue(ctx: dict) -> dict:
    lines = ctx["lines"]
    return {
        "statement": (
            f"The review of {ctx['host']} followed the {len(lines)} agreed lines of enquiry. Every finding in this "
            "report was moderated against the evidence index; one was revised before it was supported."
        ),
        "next_steps": [f"Line {line.number}: build the areas for development into the trust's improvement plan and review progress next term." for line in lines],
    }


def _feedback(ctx: dict) -> dict:
    seed = ctx["task"].id
    return {
        "helped_us_improve": 3 + seed % 3,
        "fair_and_accurate": 3 + (seed // 3) % 3,
        "would_take_part_again": seed % 7 != 0,
        "comments": "Useful conversations with peers; more time on site would help.",
    }


_ANSWERS = {
    TaskKind.RESPOND_TO_ASSIGNMENT: _respond,
    TaskKind.CHOOSE_REPLACEMENT: _choose,
    TaskKind.PROPOSE_LINES: _propose,
    TaskKind.AGREE_LINES: _agree,
    TaskKind.SUBMIT_EVIDENCE: _evidence,
    TaskKind.RECORD_FINDINGS: _findings,
    TaskKind.MODERATE: _moderate,
    TaskKind.REVISE_FINDINGS: _revise,
    TaskKind.CHECK_REPORT: _check,
    TaskKind.ISSUE_REPORT: _issue,
    TaskKind.GIVE_FEEDBACK: _feedback,
}
