"""What the demo's simulated participants answer to each kind of task: deterministic answers built
from the task's own context (strand prompts, agreed lines, evidence, findings), so the simulation works
for any valid partnership and framework. `SIMULATED` binds each to its kind: the demo's, not the registry's,
so the service never depends on the demo."""

from __future__ import annotations

from collections.abc import Callable

from peer_review.domain.model import Alignment, TaskKind

ALIGNMENTS = [Alignment.ALIGNED, Alignment.PARTLY_ALIGNED, Alignment.NOT_ALIGNED]


def respond(ctx: dict) -> dict:
    # On each trust's third review, the first peer asked cannot come, so the demo shows a replacement.
    peers = ctx["peers"]
    if ctx["review"].position == 3 and not ctx["declined"] and peers and ctx["assignee"].id == peers[0].id:
        return {"response": "decline", "reason": "A governors' meeting clashes with the visit."}
    return {"response": "accept", "reason": ""}


def choose(ctx: dict) -> dict:
    """The first free candidate; with nobody left, a smaller team (for a peer, unless the last) or someone new."""
    reason = "Free that week and without a conflict."
    if ctx["candidates"]:
        return {"choice": "existing", "person": ctx["candidates"][0].email, "reason": reason}
    peer = ctx["task"].subject["role"] == "peer"
    if peer and ctx["peers"]:
        return {
            "choice": "without",
            "reason": "Nobody else from that trust can come; the team goes ahead one peer smaller.",
        }
    number = ctx["task"].id
    if peer:  # the last peer: the team cannot go ahead without one
        return {
            "choice": "new",
            "new_person": {
                "name": f"New Reviewer {number}",
                "email": f"reviewer{number}@new-reviewers.example.org",
                "job_title": "Director of Education",
            },
            "reason": "A newly trained reviewer from that trust.",
        }
    return {
        "choice": "new",
        "new_person": {
            "name": f"Associate Moderator {number}",
            "email": f"associate{number}@moderators.example.org",
            "organisation": "Associate moderator",
        },
        "reason": "An associate moderator commissioned for this visit.",
    }


def propose(ctx: dict) -> dict:
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


def agree(ctx: dict) -> dict:
    # The host's first-priority strand gets a request for changes, so the demo shows that path too.
    if ctx["review"].position == 1 and ctx["task"].round == 1:
        return {
            "decision": "changes_requested",
            "comments": "Please say what each self-evaluation rests on, so the team can test it.",
        }
    return {"decision": "agreed", "comments": ""}


def evidence(ctx: dict) -> dict:
    types = ctx["strand"].get("evidence") or ["self-evaluation summary", "data analysis"]
    items = []
    for line in ctx["lines"]:
        for k in range(2):
            kind = types[(line.number + k) % len(types)]
            items.append(
                {
                    "title": f"{kind.capitalize()} for line {line.number}",
                    "type": kind,
                    "location": f"Trust SharePoint > Peer review > {ctx['strand']['id']} > line {line.number}",
                    "lines": [line.number],
                    "personal_data": "survey" in kind or "pupil" in kind,
                }
            )
    return {"items": items}


def _by_line(ctx: dict) -> dict[int, list[str]]:
    refs: dict[int, list[str]] = {}
    for item in ctx["evidence"]:
        for number in item.lines:
            refs.setdefault(number, []).append(item.ref)
    return refs


def findings(ctx: dict) -> dict:
    refs = _by_line(ctx)
    me = ctx["worker"]
    lead = [line for line in ctx["lines"] if line.lead_id == me.id] or ctx["lines"][:1]
    entries = []
    for i, line in enumerate(lead):
        cited = refs.get(line.number) or [ctx["evidence"][0].ref]
        entry = {
            "line": line.number,
            "strengths": [
                {
                    "text": f'Leaders & staff share a clear, consistent account of "{line.title.rstrip("?")}".',
                    "evidence": cited[:1],
                }
            ],
            "areas_for_development": [
                {
                    "text": "Checks on impact are not yet systematic across all schools (<2 of 3 sampled>).",
                    "evidence": cited[-1:],
                }
            ],
            "good_practice": [],
        }
        if i == 0:
            entry["good_practice"] = [
                {
                    "text": f"{me.organisation}'s peers recommend sharing the termly review cycle with other trusts.",
                    "evidence": cited[:1],
                }
            ]
        entries.append(entry)
    return {"lines": entries}


def moderate(ctx: dict) -> dict:
    first_round = ctx["task"].round == 1
    decisions = []
    for i, finding in enumerate(ctx["findings"]):
        if first_round and i == 0:
            decisions.append(
                {
                    "finding": finding.ref,
                    "decision": "needs_revision",
                    "reason": "The evidence cited does not show impact; cite outcome data or narrow the claim.",
                }
            )
        else:
            decisions.append({"finding": finding.ref, "decision": "supported", "reason": ""})
    answer = {"findings": decisions}
    if not first_round and ctx["review"].id % 4 == 0 and ctx["judgements"]:  # the revised findings change one judgement
        number, standing = min(ctx["judgements"].items())
        answer["self_evaluation"] = [
            {
                "line": number,
                "alignment": ALIGNMENTS[(ALIGNMENTS.index(Alignment(standing.alignment)) + 1) % 3].value,
                "comment": "Judged again after the revised findings: the evidence now cited changes the picture.",
            }
        ]
    if first_round:
        answer["self_evaluation"] = [
            {
                "line": line.number,
                "alignment": _judged(ctx["review"], line.number).value,
                "comment": "The evidence index and the team's findings were compared with the host's self-evaluation for this line.",
            }
            for line in ctx["lines"]
        ]
    return answer


def revise(ctx: dict) -> dict:
    all_refs = [e.ref for e in ctx["evidence"]]
    revised = []
    for f in ctx["findings"]:
        extra = next((r for r in all_refs if r not in f.evidence), None)
        revised.append(
            {
                "finding": f.ref,
                "text": f.text.rstrip(".") + ", as the attendance and outcome data for the sampled schools show.",
                "evidence": f.evidence + ([extra] if extra else []),
            }
        )
    return {"findings": revised}


def check(ctx: dict) -> dict:
    share = (
        ctx["review"].id % 5 != 0
    )  # most hosts share their good practice; every fifth review's does not, so the demo shows both
    if ctx["review"].position == 2:
        return {
            "accurate": False,
            "corrections": ["The trust has nine schools, not eight, since September."],
            "share_good_practice": share,
        }
    return {"accurate": True, "corrections": [], "share_good_practice": share}


def issue(ctx: dict) -> dict:
    lines = ctx["lines"]
    return {
        "statement": (
            f"The review of {ctx['host']} followed the {len(lines)} agreed lines of enquiry. Every finding in this "
            "report was moderated against the evidence index; one was revised before it was supported."
        ),
        "next_steps": [
            f"Line {line.number}: build the areas for development into the trust's improvement plan and review progress next term."
            for line in lines
        ],
    }


PROGRESS = {
    "not_started": "",
    "under_way": "Termly impact checks now run in two of the three sampled schools; the standards committee minutes record them.",
    "done": "Built into the trust improvement plan this year; the last termly review of it is minuted by the board.",
}


def progress(ctx: dict) -> dict:
    """A deterministic mix of statuses, with what shows each: an action first asked about starts anywhere,
    one asked about again has moved a step on (or stays done)."""
    ladder = list(PROGRESS)
    entries = []
    for a in ctx["actions"]:
        step = min(ladder.index(a.latest.status) + 1, 2) if a.latest else (a.id + ctx["task"].round) % 3
        entries.append({"action": a.ref, "status": ladder[step], "evidence": PROGRESS[ladder[step]]})
    return {"actions": entries}


def feedback(ctx: dict) -> dict:
    seed = ctx["task"].id
    return {
        "helped_us_improve": 3 + seed % 3,
        "fair_and_accurate": 3 + (seed // 3) % 3,
        "would_take_part_again": seed % 7 != 0,
        "comments": "Useful conversations with peers; more time on site would help.",
    }


def _judged(review, line: int) -> Alignment:
    """The simulated moderator's judgement of a line's self-evaluation: at a trust's first reviews it often
    misses the evidence, and it comes closer through the cycle (the demo's evaluation shows a trend)."""
    score = (review.id + line) % 4 + review.position - 1
    return Alignment.NOT_ALIGNED if score <= 1 else Alignment.PARTLY_ALIGNED if score <= 3 else Alignment.ALIGNED


SIMULATED: dict[TaskKind, Callable[[dict], dict]] = {
    TaskKind.RESPOND_TO_ASSIGNMENT: respond,
    TaskKind.CHOOSE_REPLACEMENT: choose,
    TaskKind.PROPOSE_LINES: propose,
    TaskKind.AGREE_LINES: agree,
    TaskKind.SUBMIT_EVIDENCE: evidence,
    TaskKind.RECORD_FINDINGS: findings,
    TaskKind.MODERATE: moderate,
    TaskKind.REVISE_FINDINGS: revise,
    TaskKind.CHECK_REPORT: check,
    TaskKind.ISSUE_REPORT: issue,
    TaskKind.GIVE_FEEDBACK: feedback,
    TaskKind.RECORD_PROGRESS: progress,
}


def survey(statements: list[str], round_index: int, person_id: int) -> dict:
    """A simulated stakeholder's answers to one survey round: views that vary by person and by statement,
    a little more positive at each later round, and now and then a statement left blank."""
    values = {}
    for n, statement in enumerate(statements):
        seed = person_id * 7 + n * 3
        values[statement] = None if seed % 11 == 0 else min(5, 2 + seed % 3 + (round_index + seed % 2) // 2)
    return {"statements": values, "open_questions": {}}
