"""The web form of each kind of task: where a person's answer starts, which parts of it repeat ("add
another"), and whether it can be saved as a draft. The page itself is `web/templates/forms/KIND.html`;
service/kinds.py binds each form to its kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

BLANK_LINE = {"title": "", "self_evaluation": ""}
BLANK_ITEM = {"title": "", "type": "", "location": "", "lines": [], "personal_data": None}
BLANK_FINDING = {"text": "", "evidence": []}
FINDING_LISTS = ("strengths", "areas_for_development", "good_practice")


@dataclass(frozen=True)
class AnswerForm:
    initial: Callable[[dict], dict]  # the answer before the person edits it, from the task's context
    #: lists people can add to and remove from: key path ("*" for any index) -> a blank entry
    repeats: dict[tuple, object] = field(default_factory=dict)
    drafts: bool = False  # long answers can be saved and finished later
    #: where to point a problem with a whole entry (key path, "*" for any index) -> the field to link to, under it
    anchors: dict[tuple, tuple] = field(default_factory=dict)
    #: keys that say what a repeated row is about (not what the person wrote): a row with nothing else is blank
    about: tuple[str, ...] = ()
    #: the answer as the person meant it, from every field the page sends (e.g. only the option chosen)
    tidy: Callable[[dict], dict] = lambda answer: answer

    def anchor(self, loc: tuple) -> tuple:
        """The key path of the field a problem at `loc` is about."""
        return next((loc + under for pattern, under in self.anchors.items() if matches(pattern, loc)), loc)

    def repeats_at(self, path: tuple) -> bool:
        return any(matches(pattern, path) for pattern in self.repeats)


def matches(pattern: tuple, path: tuple) -> bool:
    """Whether a key path fits a pattern in which "*" stands for any index."""
    return len(pattern) == len(path) and all(p == "*" or p == q for p, q in zip(pattern, path))


def nothing(_ctx: dict) -> dict:
    return {}


def choose_replacement(ctx: dict) -> dict:
    return {"choice": "existing" if ctx["candidates"] else None}


def only_the_option_chosen(answer: dict) -> dict:
    """The page sends the boxes of every option: keep those of the one chosen."""
    kept = dict(answer)
    if kept.get("choice") != "new":
        kept.pop("new_person", None)
    if kept.get("choice") != "existing":
        kept.pop("person", None)
    return kept


def propose_lines(ctx: dict) -> dict:
    """A revised proposal starts from the last one; a first one from two blank lines."""
    if ctx["task"].round > 1 and ctx["lines"]:
        return {"lines": [{"title": line.title, "self_evaluation": line.self_evaluation} for line in ctx["lines"]]}
    return {"lines": [dict(BLANK_LINE), dict(BLANK_LINE)]}


def submit_evidence(_ctx: dict) -> dict:
    return {"items": [dict(BLANK_ITEM)]}


def record_findings(ctx: dict) -> dict:
    """One section per agreed line, each with a blank strength, area for development and good practice."""
    return {
        "lines": [
            {"line": line.number, **{kind: [dict(BLANK_FINDING)] for kind in FINDING_LISTS}} for line in ctx["lines"]
        ]
    }


def moderate(ctx: dict) -> dict:
    answer: dict = {"findings": [{"finding": f.ref, "reason": ""} for f in ctx["findings"]]}
    if ctx["task"].round == 1:
        answer["self_evaluation"] = [{"line": line.number, "comment": ""} for line in ctx["lines"]]
    else:  # the judgements stand unless the moderator changes them in the light of the revised findings
        standing = ctx["judgements"]
        answer["self_evaluation"] = [
            {"line": n, "alignment": j.alignment, "comment": j.comment} for n, j in sorted(standing.items())
        ]
    return answer


def revise_findings(ctx: dict) -> dict:
    return {"findings": [{"finding": f.ref, "text": f.text, "evidence": list(f.evidence)} for f in ctx["findings"]]}


def check_report(_ctx: dict) -> dict:
    return {"corrections": [""], "share_good_practice": None}  # the host must choose: never assumed either way


def issue_report(_ctx: dict) -> dict:
    return {"statement": "", "next_steps": [""]}


def record_progress(ctx: dict) -> dict:
    """One entry per action asked about, starting from the progress last recorded on it (if any)."""
    entries = []
    for action in ctx["actions"]:
        last = action.latest
        entries.append(
            {"action": action.ref, "evidence": last.evidence if last else ""}
            | ({"status": last.status.value} if last else {})
        )
    return {"actions": entries}
