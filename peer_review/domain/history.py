"""The audit log in people's words: one plain sentence for each entry, and the kind of event it is.

The audit log keeps what happened as data (an action and its detail, with emails, ids and ISO dates), so that
nothing is lost; the review page shows it to people, who need names, dates as they write them and no ids.
`EVENTS` has one entry for every action the code writes to the log (tests/test_review_history.py checks that,
scanning the source for `audit(` calls): the kind of event, for filtering, and a function from the entry's
actor and detail, and the names of the page (`Names`, looked up once), to a sentence. An action this code does
not know (old data, or a new action not yet described) still gets a plain sentence (`describe`).

Text people typed (a reason) is kept as typed: the page's template escapes it. Text the engine composed
(a reason for a hand-over, a roster change) is passed through `plain`, which names people and writes dates
for people."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from peer_review import clock
from peer_review.domain.lifecycle import Stage
from peer_review.domain.model import DocumentKind, TaskKind
from peer_review.domain.roster import Kind as RosterChange

ENGINE = "engine"  # the actor of what the engine does on its own (service.common.ENGINE)
COMMAND_LINE = "command line"  # the actor of a proposal made at the command line


class EventKind(StrEnum):
    """What an event is about, for filtering a review's history."""

    STAGES = "stages"
    TASKS = "tasks"
    TEAM = "team"
    VISIT = "visit"
    DOCUMENTS = "documents"
    DISCUSSION = "discussion"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "stages": "Stages",
            "tasks": "Tasks",
            "team": "The team",
            "visit": "The visit",
            "documents": "Documents",
            "discussion": "Discussion",
            "other": "Anything else",
        }[self.value]


def chosen_kinds(values: Iterable[str]) -> frozenset[EventKind]:
    """The kinds asked for in a query string (none: the page shows every kind). Values that name no kind are
    ignored, as a link from an older page or a mistyped address is no reason for an error page."""
    known = {kind.value for kind in EventKind}
    return frozenset(EventKind(value) for value in values if value in known)


@dataclass(frozen=True)
class TaskFacts:
    """What a sentence says of a task the log names by id: its kind, who holds it, on whose behalf."""

    kind: str
    assignee: str  # email
    on_behalf_of: str | None = None  # email


def _frozen(mapping: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Names:
    """Everything the sentences name, looked up once for a whole page (no query per entry).

    `reasons_for_declining`: whether the reason someone gave for declining their place is shown (to the
    coordinator only, as on the review's team table)."""

    people: Mapping[str, str] = field(default_factory=_frozen)  # email -> name
    coordinators: frozenset[str] = frozenset()  # emails
    trusts: Mapping[str, str] = field(default_factory=_frozen)  # key -> name
    strands: Mapping[str, str] = field(default_factory=_frozen)  # id -> title
    tasks: Mapping[int, TaskFacts] = field(default_factory=_frozen)  # id -> facts
    reasons_for_declining: bool = False

    def person(self, email: str | None) -> str:
        """A person by name, with their role when they coordinate; never their email."""
        if not email:
            return "someone"
        key = email.strip().lower()
        name = self.people.get(key) or self.people.get(email) or "someone"
        return f"{name} (coordinator)" if key in self.coordinators or email in self.coordinators else name

    def actor(self, actor: str) -> str:
        if actor == ENGINE:
            return "the service"
        if actor == COMMAND_LINE:
            return "someone at the command line"
        if "@" in actor:
            return self.person(actor)
        return actor

    def trust(self, key: str | None) -> str:
        return self.trusts.get(key or "", "a trust")

    def strand(self, strand_id: str) -> str:
        return self.strands.get(strand_id, strand_id.replace("-", " "))


# --- plain words ------------------------------------------------------------------------------------

_BRACKETED_EMAIL = re.compile(r"\s*<[^<>\s@]+@[^<>\s]+>")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def plain(text: str, names: Names) -> str:
    """Text the engine composed, for people: "Name <email>" and bare emails become names, ISO dates long dates."""
    text = _BRACKETED_EMAIL.sub("", text)  # the name is written before it
    text = _EMAIL.sub(lambda found: names.person(found.group(0)), text)
    return _ISO_DATE.sub(lambda found: _long_date(found.group(0)), text)


def _long_date(value: str | dt.date) -> str:
    try:
        return clock.long_date(dt.date.fromisoformat(value) if isinstance(value, str) else value)
    except ValueError:
        return str(value)


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _stage(value: str) -> str:
    try:
        return _capital(Stage(value).label)
    except ValueError:
        return _capital(value.replace("_", " "))


def _role(role: str | None) -> str:
    return "the moderator" if role == "moderator" else "a peer"


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def _then(reason: str | None) -> str:
    """A reason people typed, after the sentence it explains (as typed: the template escapes it)."""
    return f": {reason.strip()}" if reason and reason.strip() else ""


_DECLINED = re.compile(r"^declined \((.*)\)$", re.DOTALL)
_ONLY_ASSIGNEE = re.compile(r"^only its assignee can (.+?) \((.*)\)$", re.DOTALL)


def _why(why: str, who: str, names: Names) -> str:
    """Why something happened to someone's work, as the engine wrote it (`why` is a whole sentence, or what
    `who` did: "declined (their reason)", "has left the partnership"). The reason for declining is theirs and the
    coordinator's: shown to nobody else, as on the team table."""
    declined = _DECLINED.match(why.strip())
    if declined:
        typed = declined.group(1).strip()
        return f"{who} declined their place" + (f" ({typed})" if typed and names.reasons_for_declining else "")
    words = plain(why.strip(), names)
    return words if words[:1].isupper() else f"{who} {words}"


# --- tasks in words -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskWords:
    """A kind of task in sentences: what someone is asked to do, and what they did (by the task's outcome)."""

    asked: str  # "to record findings for the lines of enquiry"
    done: str  # "recorded findings for the lines of enquiry"
    by_outcome: Mapping[str, str] = field(default_factory=_frozen)


TASK_WORDS: dict[TaskKind, TaskWords] = {
    TaskKind.RESPOND_TO_ASSIGNMENT: TaskWords(
        "to accept or decline a place on the review team",
        "answered the invitation to join the review team",
        _frozen({"accepted": "accepted a place on the review team", "declined": "declined a place on the review team"}),
    ),
    TaskKind.CHOOSE_REPLACEMENT: TaskWords(
        "to choose someone to replace a team member who gave up their place",
        "chose someone to replace a team member who gave up their place",
        _frozen({"without": "chose to go on without replacing a team member who gave up their place"}),
    ),
    TaskKind.PROPOSE_LINES: TaskWords(
        "to propose the lines of enquiry with the trust's self-evaluation", "proposed the lines of enquiry"
    ),
    TaskKind.AGREE_LINES: TaskWords(
        "to agree the lines of enquiry or ask for changes",
        "answered the proposed lines of enquiry",
        _frozen(
            {"agreed": "agreed the lines of enquiry", "changes_requested": "asked for changes to the lines of enquiry"}
        ),
    ),
    TaskKind.SUBMIT_EVIDENCE: TaskWords("to submit the evidence index", "submitted the evidence index"),
    TaskKind.RECORD_FINDINGS: TaskWords(
        "to record findings for the lines of enquiry", "recorded findings for the lines of enquiry"
    ),
    TaskKind.MODERATE: TaskWords(
        "to moderate the findings against the evidence",
        "moderated the findings",
        _frozen(
            {
                "signed_off": "moderated the findings and signed them off",
                "revisions_requested": "moderated the findings and sent some back for revision",
            }
        ),
    ),
    TaskKind.REVISE_FINDINGS: TaskWords(
        "to revise the findings the moderator sent back", "revised the findings the moderator sent back"
    ),
    TaskKind.CHECK_REPORT: TaskWords(
        "to check the draft report for factual accuracy",
        "checked the draft report for factual accuracy",
        _frozen(
            {
                "accurate": "checked the draft report and found it accurate",
                "corrections": "checked the draft report and sent corrections",
            }
        ),
    ),
    TaskKind.ISSUE_REPORT: TaskWords("to issue the review report", "issued the review report"),
    TaskKind.GIVE_FEEDBACK: TaskWords("to give feedback on the review", "gave feedback on the review"),
    TaskKind.RECORD_PROGRESS: TaskWords(
        "to record progress on earlier areas for development", "recorded progress on earlier areas for development"
    ),
}

_SOME_TASK = TaskWords("to do a task", "did a task")


def _task_words(kind: str | None) -> TaskWords:
    try:
        return TASK_WORDS[TaskKind(kind or "")]
    except ValueError:
        return _SOME_TASK


def _round(detail: Mapping) -> str:
    number = detail.get("round") or 1
    return f" (round {number})" if isinstance(number, int) and number > 1 else ""


# --- one sentence an action ---------------------------------------------------------------------------

Sentence = Callable[[str, Mapping, Names], str]  # (actor, detail, names) -> sentence


@dataclass(frozen=True)
class Event:
    """One action of the audit log: the kind of event it is, and its sentence."""

    kind: EventKind
    sentence: Sentence


def _stage_changed(actor: str, d: Mapping, names: Names) -> str:
    if d["after"] == Stage.CLOSED:
        return f"The review moved from {_stage(d['before'])} to Closed: it is finished"
    return f"The review moved from {_stage(d['before'])} to {_stage(d['after'])}"


_TRUST_LEFT = re.compile(r"^trust '(.+)' left the partnership$")


def _review_cancelled(actor: str, d: Mapping, names: Names) -> str:
    reason = d.get("reason") or ""
    left = _TRUST_LEFT.match(reason)
    why = f"{names.trust(left.group(1))} left the partnership" if left else plain(reason, names)
    return f"The review was cancelled during {_stage(d.get('before') or 'scheduled')}" + _then(why)


def _task_opened(actor: str, d: Mapping, names: Names) -> str:
    held = f" on behalf of {names.person(d['on_behalf_of'])}" if d.get("on_behalf_of") else ""
    due = f", by {_long_date(d['due'])}" if d.get("due") else ""
    return f"{names.person(d['assignee'])} was asked {_task_words(d['kind']).asked}{_round(d)}{held}{due}"


def _task_completed(actor: str, d: Mapping, names: Names) -> str:
    words = _task_words(d.get("kind"))
    did = words.by_outcome.get(d.get("outcome") or "", words.done)
    held = f", on behalf of {names.person(d['on_behalf_of'])}" if d.get("on_behalf_of") else ""
    return f"{names.actor(actor)} {did}{held}"


def _facts(task_id: object, names: Names) -> TaskFacts | None:
    """What the page knows of a task the log names by id (none, for a task of another review)."""
    return names.tasks.get(task_id) if isinstance(task_id, int) else None


def _holder(task_id: object, names: Names) -> str:
    facts = _facts(task_id, names)
    return names.person(facts.assignee) if facts else "someone"


def _task_cancelled(actor: str, d: Mapping, names: Names) -> str:
    who = _holder(d.get("task"), names)
    asked = _task_words(d.get("kind")).asked
    reason = (d.get("reason") or "").strip()
    only = _ONLY_ASSIGNEE.match(reason)
    if only:  # their own answer: nobody gives it for them
        why = f"only they can {only.group(1)}, and {_why(only.group(2), who, names)}"
    else:
        why = plain(reason, names)
    return f"{who} is no longer asked {asked}" + _then(why)


def _task_handed_over(actor: str, d: Mapping, names: Names) -> str:
    who = _holder(d.get("task"), names)
    facts = _facts(d.get("to_task"), names)
    to = names.person(facts.assignee) if facts else "someone else"
    held = f", to do on {names.person(facts.on_behalf_of)}'s behalf" if facts and facts.on_behalf_of else ""
    asked = _task_words(d.get("kind")).asked
    why = _why(d.get("why") or "", who, names) if d.get("why") else ""
    return f"The work {asked} passed from {who} to {to}{held}" + _then(why)


def _due_date_extended(actor: str, d: Mapping, names: Names) -> str:
    """Named by the task's title, as the page's list of tasks shows it."""
    facts = _facts(d.get("task"), names)
    task = f"{names.person(facts.assignee)}'s task “{_title(facts.kind)}”" if facts else "a task"
    return (
        f"{names.actor(actor)} extended the due date of {task} to {_long_date(d['after'])} "
        f"(it was {_long_date(d['before'])})" + _then(d.get("reason"))
    )


def _title(kind: str) -> str:
    try:
        return TaskKind(kind).title
    except ValueError:
        return kind.replace("_", " ")


def _visit_moved(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"{names.actor(actor)} moved the visit to start on {_long_date(d['after'][0])} "
        f"(it was to start on {_long_date(d['before'][0])})" + _then(d.get("reason"))
    )


def _session(d: Mapping, key: str = "visit_session") -> str:
    from peer_review.domain.timetable import TimetableSession

    return TimetableSession.from_record(d[key]).words()


def _timetable_session_added(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} added a session to the visit timetable: {_session(d)}"


def _timetable_session_changed(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"{names.actor(actor)} changed a session of the visit timetable: now {_session(d, 'after')} "
        f"(it was {_session(d, 'before')})"
    )


def _timetable_session_removed(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} removed a session from the visit timetable: {_session(d)}"


def _timetable_told(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"{names.actor(actor)} told the review team and the host about the visit timetable "
        f"({_count(d['changes'], 'change')}, {d['people']} {'person' if d['people'] == 1 else 'people'} told)"
    )


def _strand_changed(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"The review now covers the strand “{d['after']}” (it was “{d['before']}”): "
        "the host trust changed the order of its strands"
    )


_REPLACING = re.compile(r"replacing ([^;:]+)")  # the planner's words: "peer from X, replacing NAME; ..."
_CHOSEN = re.compile(r"^\w+ chosen by the coordinator: (.*)$", re.DOTALL)


def _assigned(actor: str, d: Mapping, names: Names) -> str:
    """Someone asked to join: by the planner, whose reasons (loads and terms) the team table shows, or by the
    coordinator, with the reason they typed (service.kinds.choose_replacement)."""
    who, role, reason = names.person(d["person"]), _role(d.get("role")), d.get("reason") or ""
    replacing = _REPLACING.search(reason)
    leaving = replacing.group(1).strip() if replacing else ""
    place = f", in {names.person(leaving) if '@' in leaving else leaving}'s place" if leaving else ""
    chosen = _CHOSEN.match(reason)
    if chosen and "@" in actor:
        return f"{names.actor(actor)} asked {who} to join the team as {role}{place}" + _then(chosen.group(1))
    return f"{who} was asked to join the team as {role}{place}"


def _no_replacement(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"Nobody suitable was free to take {names.person(d['leaving'])}'s place as {_role(d.get('role'))}: "
        "the coordinator is asked to choose someone"
    )


def _team_reduced(actor: str, d: Mapping, names: Names) -> str:
    leaving, role = names.person(d["leaving"]), _role(d.get("role"))
    reason = (d.get("reason") or "").strip()
    if actor not in (ENGINE, COMMAND_LINE):  # the coordinator chose so, and said why
        return f"{names.actor(actor)} chose to go on without replacing {leaving} as {role}" + _then(reason)
    if reason.startswith("declined: "):  # the engine's record of why they went (service.kinds._team.leave_team)
        reason = f"declined ({reason.removeprefix('declined: ')})"
    return f"The team goes on without {leaving} as {role}" + _then(_why(reason, leaving, names) if reason else "")


def _person_added(actor: str, d: Mapping, names: Names) -> str:
    trust = f" from {names.trust(d['trust'])}" if d.get("trust") else ""
    role = "the moderator" if d.get("role") == "moderator" else "a reviewer"
    return f"{names.actor(actor)} added {d.get('name') or names.person(d.get('person'))}{trust} to the partnership as {role}"


def _file_named(d: Mapping) -> str:
    """A file as the history names it: a file holding personal data by its item only (its name may say who)."""
    item = d.get("item") or "an evidence item"
    return (
        f"a file holding personal data to {item}" if d.get("personal") else f"{d.get('filename') or 'a file'} to {item}"
    )


def _evidence_file_attached(actor: str, d: Mapping, names: Names) -> str:
    for_ceo = f" for {names.actor(d['on_behalf_of'])}" if d.get("on_behalf_of") else ""
    return f"{names.actor(actor)} attached {_file_named(d)}{for_ceo}"


def _evidence_file_removed(actor: str, d: Mapping, names: Names) -> str:
    named = "a file holding personal data" if d.get("personal") else d.get("filename") or "a file"
    return f"{names.actor(actor)} removed {named} from {d.get('item') or 'an evidence item'} and deleted it"


def _colleague_named(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} named {d.get('name') or 'a colleague'} to act for the host trust on this review"


def _colleague_withdrawn(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} withdrew {d.get('name') or 'a colleague'}, who no longer acts for the host trust on this review"


def _good_practice_consent(actor: str, d: Mapping, names: Names) -> str:
    if d.get("share"):
        return f"{names.actor(actor)} agreed to share the review's good practice in the library"
    return f"{names.actor(actor)} chose not to share the review's good practice"


def _finding_revised(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} revised finding {d['finding']}"


def _progress_recorded(actor: str, d: Mapping, names: Names) -> str:
    statuses = list((d.get("actions") or {}).values())
    counts = [f"{statuses.count(s)} {s.replace('_', ' ')}" for s in dict.fromkeys(statuses)]
    return f"{names.actor(actor)} recorded progress on {_count(len(statuses), 'earlier area')} for development" + (
        f" ({', '.join(counts)})" if counts else ""
    )


def _development_actions_created(actor: str, d: Mapping, names: Names) -> str:
    number = len(d.get("actions") or [])
    return f"The review's {_count(number, 'area')} for development joined the host trust's follow-up"


DOCUMENT_NAMES = {
    DocumentKind.LINES_AGREEMENT: "The lines-of-enquiry agreement",
    DocumentKind.MODERATION_RECORD: "The moderation record",
    DocumentKind.REPORT_DRAFT: "The draft report",
    DocumentKind.REPORT: "The review report",
}


def _document_rendered(actor: str, d: Mapping, names: Names) -> str:
    try:
        return f"{DOCUMENT_NAMES[DocumentKind(d.get('kind') or '')]} was written"
    except ValueError:
        return "A Word document was written"


def _report_wording_corrected(actor: str, d: Mapping, names: Names) -> str:
    ref = str(d.get("ref") or "")
    if not ref:
        return f"{names.actor(actor)} corrected the report's wording"
    what = f"finding {ref}" if d.get("part") == "finding" else f"the comment on line {ref}'s self-evaluation"
    return f"{names.actor(actor)} corrected the report's wording of {what}"


def _where(d: Mapping) -> str:
    line = d.get("line")
    return f"line of enquiry {line}" if isinstance(line, int) else "the whole review"


def _for_whom(d: Mapping) -> str:
    return {"team_only": "the review team only", "team_and_host": "the review team and host"}.get(
        d.get("visibility") or "", "its readers"
    )


def _comment_posted(actor: str, d: Mapping, names: Names) -> str:
    """A comment's words are never in the log (its versions keep them), and the history of someone who may not
    read the comment says nothing of it (service.discussion.Discussion.unread)."""
    return f"{names.actor(actor)} commented on {_where(d)}, for {_for_whom(d)}"


def _comment_edited(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} edited their comment on {_where(d)}"


def _comment_hidden(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} hid {names.person(d.get('author'))}'s comment on {_where(d)}" + _then(d.get("reason"))


def _comment_emails_set(actor: str, d: Mapping, names: Names) -> str:
    how = "at once" if d.get("how") == "at_once" else "in the daily digest"
    return f"{names.actor(actor)} chose to have new comments emailed {how}"


# partnership-wide entries: not on a review's page today, in words all the same


def _survey_opened(actor: str, d: Mapping, names: Names) -> str:
    invited = d.get("invited") or 0
    due = f", answers due {_long_date(d['due'])}" if d.get("due") else ""
    return (
        f"{names.actor(actor)} opened the {_round_label(d.get('round'))} survey: "
        f"{invited} {'person' if invited == 1 else 'people'} asked{due}"
    )


def _round_label(value: str | None) -> str:
    return {"baseline": "baseline", "mid_cycle": "mid-cycle", "end": "end-of-cycle"}.get(value or "", "")


def _survey_answered(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} answered the {_round_label(d.get('round'))} survey"


def _calendar_loaded(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} loaded a school calendar" + _then(plain(d.get("change") or "", names))


def _headline_figures_loaded(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"Headline figures were loaded: {d.get('added', 0)} added, {d.get('changed', 0)} changed, "
        f"{d.get('unchanged', 0)} unchanged"
    )


def _external_review_loaded(actor: str, d: Mapping, names: Names) -> str:
    on = f" of {_long_date(d['reviewed_on'])}" if d.get("reviewed_on") else ""
    return f"{names.trust(d.get('trust'))}'s external review{on} was loaded"


def _roster_changed(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} changed the roster" + _then(plain(d.get("change") or "", names))


def _partnership_updated(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} updated the partnership from its file: {_count(d.get('changes') or 0, 'change')}"


def _reviews_not_planned(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.trust(d.get('trust'))}'s reviews could not be planned in this cycle" + _then(
        plain(d.get("reason") or "", names)
    )


def _reviews_planned(actor: str, d: Mapping, names: Names) -> str:
    number = len(d.get("reviews") or [])
    return f"{names.trust(d.get('trust'))}'s {_count(number, 'review')} {'was' if number == 1 else 'were'} planned"


def _cycle_dates(d: Mapping) -> str:
    if d.get("start") and d.get("end"):
        return f" from {_long_date(d['start'])} to {_long_date(d['end'])}"
    return ""


def _cycle_proposed(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"{names.actor(actor)} proposed the cycle (proposal {d['proposal']}): "
        f"{_count(d.get('reviews') or 0, 'review')}{_cycle_dates(d)}"
    )


def _proposal_answered(actor: str, d: Mapping, names: Names) -> str:
    what = "confirmed" if d.get("answer") == "confirmed" else "asked for changes to"
    asked = "; ".join(plain(a, names) for a in d.get("asked") or [])
    return f"{names.actor(actor)} {what} {names.trust(d.get('trust'))}'s part of proposal {d['proposal']}" + _then(
        asked
    )


def _cycle_published(actor: str, d: Mapping, names: Names) -> str:
    return f"{names.actor(actor)} published proposal {d['proposal']}: the reviews are booked"


def _cycle_planned(actor: str, d: Mapping, names: Names) -> str:
    return f"The cycle was planned: {_count(d.get('reviews') or 0, 'review')}{_cycle_dates(d)}"


def _unavailable_added(actor: str, d: Mapping, names: Names) -> str:
    dates = d.get("dates") or {}
    return (
        f"{names.actor(actor)} said {names.trust(d.get('trust'))} is unavailable "
        f"from {_long_date(dates['start'])} to {_long_date(dates['end'])}" + _then(dates.get("reason"))
    )


def _unavailable_removed(actor: str, d: Mapping, names: Names) -> str:
    return (
        f"{names.actor(actor)} said {names.trust(d.get('trust'))} is no longer unavailable "
        f"from {_long_date(d['start'])} to {_long_date(d['end'])}"
    )


def _preferred_terms_set(actor: str, d: Mapping, names: Names) -> str:
    terms = ", ".join(d.get("terms") or []) or "any term"
    return f"{names.actor(actor)} set the terms {names.trust(d.get('trust'))} would rather host in: {terms}"


def _strand_order_set(actor: str, d: Mapping, names: Names) -> str:
    order = ", ".join(names.strand(s) for s in d.get("after") or [])
    return f"{names.actor(actor)} set {names.trust(d.get('trust'))}'s order of strands: {order}"


def _reviewer_strands_set(actor: str, d: Mapping, names: Names) -> str:
    strands = ", ".join(names.strand(s) for s in d.get("after") or []) or "any strand"
    return f"{names.actor(actor)} set the strands {names.person(d.get('person'))} reviews: {strands}"


def _fixed(sentence: str) -> Sentence:
    return lambda actor, d, names: sentence.format(actor=_capital(names.actor(actor)))


# Every action the code writes to the audit log (grep `audit(`), with its kind of event and its sentence. A roster
# change is written under its kind (domain.roster.Kind), so each of those is an action too.
EVENTS: dict[str, Event] = {
    # stages
    "stage_changed": Event(EventKind.STAGES, _stage_changed),
    "review_cancelled": Event(EventKind.STAGES, _review_cancelled),
    # tasks
    "task_opened": Event(EventKind.TASKS, _task_opened),
    "task_completed": Event(EventKind.TASKS, _task_completed),
    "task_cancelled": Event(EventKind.TASKS, _task_cancelled),
    "task_handed_over": Event(EventKind.TASKS, _task_handed_over),
    "due_date_extended": Event(EventKind.TASKS, _due_date_extended),
    "finding_revised": Event(EventKind.TASKS, _finding_revised),
    "progress_recorded": Event(EventKind.TASKS, _progress_recorded),
    # the team
    "assigned": Event(EventKind.TEAM, _assigned),
    "no_replacement": Event(EventKind.TEAM, _no_replacement),
    "team_reduced": Event(EventKind.TEAM, _team_reduced),
    "person_added": Event(EventKind.TEAM, _person_added),
    "colleague_named": Event(EventKind.TEAM, _colleague_named),
    "colleague_withdrawn": Event(EventKind.TEAM, _colleague_withdrawn),
    # the visit
    "visit_moved": Event(EventKind.VISIT, _visit_moved),
    "strand_changed": Event(EventKind.VISIT, _strand_changed),
    "timetable_session_added": Event(EventKind.VISIT, _timetable_session_added),
    "timetable_session_changed": Event(EventKind.VISIT, _timetable_session_changed),
    "timetable_session_removed": Event(EventKind.VISIT, _timetable_session_removed),
    "timetable_told": Event(EventKind.VISIT, _timetable_told),
    # documents
    "document_rendered": Event(EventKind.DOCUMENTS, _document_rendered),
    "report_wording_corrected": Event(EventKind.DOCUMENTS, _report_wording_corrected),
    "evidence_file_attached": Event(EventKind.DOCUMENTS, _evidence_file_attached),
    "evidence_file_removed": Event(EventKind.DOCUMENTS, _evidence_file_removed),
    # the discussion
    "comment_posted": Event(EventKind.DISCUSSION, _comment_posted),
    "comment_edited": Event(EventKind.DISCUSSION, _comment_edited),
    "comment_hidden": Event(EventKind.DISCUSSION, _comment_hidden),
    # anything else: the review's follow-up, and what concerns the whole partnership
    "good_practice_consent": Event(EventKind.OTHER, _good_practice_consent),
    "development_actions_created": Event(EventKind.OTHER, _development_actions_created),
    "survey_opened": Event(EventKind.OTHER, _survey_opened),
    "survey_answered": Event(EventKind.OTHER, _survey_answered),
    "calendar_loaded": Event(EventKind.OTHER, _calendar_loaded),
    "headline_figures_loaded": Event(EventKind.OTHER, _headline_figures_loaded),
    "external_review_loaded": Event(EventKind.OTHER, _external_review_loaded),
    "subject_access_export": Event(
        EventKind.OTHER,
        lambda actor, d, names: f"{names.actor(actor)} made a subject access export of someone's records",
    ),
    "partnership_loaded": Event(EventKind.OTHER, _fixed("{actor} loaded the partnership from its file")),
    "partnership_updated": Event(EventKind.OTHER, _partnership_updated),
    "roster_exported": Event(EventKind.OTHER, _fixed("{actor} downloaded the partnership's file (its roster)")),
    "reviews_planned": Event(EventKind.OTHER, _reviews_planned),
    "reviews_not_planned": Event(EventKind.OTHER, _reviews_not_planned),
    "cycle_planned": Event(EventKind.OTHER, _cycle_planned),
    "cycle_proposed": Event(EventKind.OTHER, _cycle_proposed),
    "proposal_answered": Event(EventKind.OTHER, _proposal_answered),
    "cycle_published": Event(EventKind.OTHER, _cycle_published),
    "strand_order_set": Event(EventKind.OTHER, _strand_order_set),
    "unavailable_added": Event(EventKind.OTHER, _unavailable_added),
    "unavailable_removed": Event(EventKind.OTHER, _unavailable_removed),
    "preferred_terms_set": Event(EventKind.OTHER, _preferred_terms_set),
    "reviewer_strands_set": Event(EventKind.OTHER, _reviewer_strands_set),
    "comment_emails_set": Event(EventKind.OTHER, _comment_emails_set),
    **{change.value: Event(EventKind.OTHER, _roster_changed) for change in RosterChange},
}


def describe(action: str, actor: str, detail: Mapping, names: Names) -> tuple[EventKind, str]:
    """An audit entry's kind of event and its sentence. An action not in EVENTS, or an entry whose detail is
    not what its sentence expects (written by older code), gets a plain sentence that shows none of the detail."""
    event = EVENTS.get(action)
    if event is not None:
        try:
            return event.kind, _capital(event.sentence(actor, detail, names))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass
    what = plain(action.replace("_", " "), names)
    return (event.kind if event else EventKind.OTHER), f"{_capital(names.actor(actor))} recorded: {what}"
