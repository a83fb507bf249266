"""Plain objects and rules of the review workflow: tasks, their owners, due dates, and what comes next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from peer_review.domain.calendar import OutsideCalendar, SchoolCalendar
from peer_review.domain.lifecycle import Stage


class Role(StrEnum):
    HOST = "host"  # the host trust's CEO
    PEER = "peer"
    MODERATOR = "moderator"


class TaskKind(StrEnum):
    RESPOND_TO_ASSIGNMENT = "respond_to_assignment"
    CHOOSE_REPLACEMENT = "choose_replacement"
    PROPOSE_LINES = "propose_lines"
    AGREE_LINES = "agree_lines"
    SUBMIT_EVIDENCE = "submit_evidence"
    RECORD_FINDINGS = "record_findings"
    MODERATE = "moderate"
    REVISE_FINDINGS = "revise_findings"
    CHECK_REPORT = "check_report"
    ISSUE_REPORT = "issue_report"
    GIVE_FEEDBACK = "give_feedback"
    RECORD_PROGRESS = "record_progress"

    @property
    def title(self) -> str:  # type: ignore[override]  # the kind's title, deliberately in place of str.title()
        return KIND_RULES[self].title


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class FindingKind(StrEnum):
    STRENGTH = "strength"
    AREA_FOR_DEVELOPMENT = "area_for_development"
    GOOD_PRACTICE = "good_practice"

    @property
    def label(self) -> str:
        return {
            "strength": "Strength",
            "area_for_development": "Area for development",
            "good_practice": "Good practice to share",
        }[self.value]


class Decision(StrEnum):
    SUPPORTED = "supported"
    NEEDS_REVISION = "needs_revision"

    @property
    def label(self) -> str:
        return {"supported": "Supported by the evidence", "needs_revision": "Needs revision"}[self.value]


class Alignment(StrEnum):
    """How well the host's self-evaluation of a line matched the evidence (not a grade of the trust)."""

    ALIGNED = "aligned"
    PARTLY_ALIGNED = "partly_aligned"
    NOT_ALIGNED = "not_aligned"

    @property
    def label(self) -> str:
        return {
            "aligned": "The self-evaluation matched the evidence",
            "partly_aligned": "The self-evaluation partly matched the evidence",
            "not_aligned": "The self-evaluation did not match the evidence",
        }[self.value]


class ProgressStatus(StrEnum):
    """How far the host has got with an area for development from an earlier review (formative follow-up)."""

    NOT_STARTED = "not_started"
    UNDER_WAY = "under_way"
    DONE = "done"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class DocumentKind(StrEnum):
    LINES_AGREEMENT = "lines-of-enquiry-agreement"
    MODERATION_RECORD = "moderation-record"
    REPORT_DRAFT = "review-report-draft"
    REPORT = "review-report"


# --- dates -------------------------------------------------------------------------------------

#: Stage deadlines in days relative to the visit: negative before its first day, positive after its last.
DEFAULT_DEADLINES = {
    "lines_of_enquiry": -28,
    "evidence": -7,
    "findings": 7,
    "moderation": 14,
    "report": 28,
    "feedback": 42,
}


def stage_deadlines(
    visit_start: dt.date, visit_end: dt.date, calendar: SchoolCalendar, offsets: dict[str, int] | None = None
) -> dict[str, dt.date]:
    """Each stage's deadline: its offset from the visit, moved back to a school day of the host's calendar."""
    offsets = offsets or DEFAULT_DEADLINES
    return {
        stage: calendar.school_day_on_or_before((visit_start if days < 0 else visit_end) + dt.timedelta(days=days))
        for stage, days in offsets.items()
    }


def days_overdue(due: dt.date, today: dt.date) -> int:
    """How many days past its due date an open task is (0 until then)."""
    return max(0, (today - due).days)


class Actor(StrEnum):
    """Who a kind of task goes to."""

    HOST = "host"  # the host trust's CEO
    PEERS = "peers"  # each peer on the team (for a follow-up: the peer concerned)
    MODERATOR = "moderator"
    INVITEES = "invitees"  # each person invited to the team: the peers and the moderator
    TEAM = "team"  # the host CEO, the peers and the moderator
    COORDINATOR = "coordinator"  # the partnership's coordinator


WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class KindRule:
    """The workflow rules of one kind of task. The service layer's registry (service/kinds/) adds its
    handler, web form, YAML template and what its page starts from; domain/inputs.py holds its input model."""

    title: str
    actor: Actor
    due: Callable[[dict[str, dt.date]], dt.date]  # from the review's stage deadlines
    opens_stage: Stage | None = None  # the human stage this task starts; None for follow-ups of a submission
    #: for a kind whose rounds are separate occasions rather than later tries: round -> the stage it opens in
    #: (when ReviewView.progress_due says so), due on that stage's deadline
    occasions: dict[int, Stage] = field(default_factory=dict)
    #: not empty for a kind whose answer is the assignee's own view, what only they can do ("give their own
    #: feedback"): nobody answers it on their behalf, the coordinator included (service/access.py holds them to it)
    own_answer: str = ""
    #: a host task the CEO's named colleagues may do for them (HostColleague); never the factual-accuracy check
    #: (with its consent to share) nor feedback, which stay the CEO's own
    colleagues: bool = False


KIND_RULES: dict[TaskKind, KindRule] = {
    TaskKind.RESPOND_TO_ASSIGNMENT: KindRule(
        "Accept or decline your place on the review team",
        Actor.INVITEES,
        lambda d: d["lines_of_enquiry"] - 3 * WEEK,
        Stage.ASSIGNMENT,
    ),
    TaskKind.CHOOSE_REPLACEMENT: KindRule(
        "Choose someone to replace a team member who declined",
        Actor.COORDINATOR,
        lambda d: d["lines_of_enquiry"] - 2 * WEEK,
    ),
    TaskKind.PROPOSE_LINES: KindRule(
        "Propose lines of enquiry with your self-evaluation",
        Actor.HOST,
        lambda d: d["lines_of_enquiry"] - WEEK,
        Stage.LINES_OF_ENQUIRY,
        colleagues=True,
    ),
    TaskKind.AGREE_LINES: KindRule(
        "Agree the lines of enquiry or ask for changes", Actor.MODERATOR, lambda d: d["lines_of_enquiry"]
    ),
    TaskKind.SUBMIT_EVIDENCE: KindRule(
        "Submit the evidence index", Actor.HOST, lambda d: d["evidence"], Stage.EVIDENCE, colleagues=True
    ),
    TaskKind.RECORD_FINDINGS: KindRule(
        "Record findings for the lines of enquiry", Actor.PEERS, lambda d: d["findings"], Stage.FINDINGS
    ),
    TaskKind.MODERATE: KindRule(
        "Moderate the findings against the evidence", Actor.MODERATOR, lambda d: d["moderation"], Stage.MODERATION
    ),
    TaskKind.REVISE_FINDINGS: KindRule(
        "Revise the findings the moderator sent back", Actor.PEERS, lambda d: d["moderation"]
    ),
    TaskKind.CHECK_REPORT: KindRule(
        "Check the draft report for factual accuracy", Actor.HOST, lambda d: d["report"] - 2 * WEEK, Stage.REPORT
    ),
    TaskKind.ISSUE_REPORT: KindRule("Issue the review report", Actor.MODERATOR, lambda d: d["report"]),
    TaskKind.GIVE_FEEDBACK: KindRule(
        "Give feedback on the review",
        Actor.TEAM,
        lambda d: d["feedback"],
        Stage.FEEDBACK,
        own_answer="give their own feedback",
    ),
    TaskKind.RECORD_PROGRESS: KindRule(  # at the trust's next review, and at the end of its cycle
        "Record progress on earlier areas for development",
        Actor.HOST,
        lambda d: d["lines_of_enquiry"],
        occasions={1: Stage.LINES_OF_ENQUIRY, 2: Stage.FEEDBACK},
        colleagues=True,
    ),
}

#: When the host records progress on earlier areas for development: a RECORD_PROGRESS task's round.
PROGRESS_OCCASION = {1: "next_review", 2: "end_of_cycle"}


def task_due(kind: TaskKind, deadlines: dict[str, dt.date], calendar: SchoolCalendar, round_: int = 1) -> dt.date:
    """Due date of a task; later rounds of the same step get a week more each (a round that is an occasion
    of its own is due on its stage's deadline). Weeks counted back or on from a deadline can land in a
    holiday, so the date moves back to a school day of the host's calendar."""
    rule = KIND_RULES[kind]
    if round_ in rule.occasions:
        due = deadlines[rule.occasions[round_].value]
    else:
        due = rule.due(deadlines) + (round_ - 1) * WEEK
    try:
        return calendar.school_day_on_or_before(due)
    except OutsideCalendar:  # a late round past the years the calendar knows: the engine must still open it
        return due - dt.timedelta(days=max(0, due.weekday() - 4))  # at least not at a weekend


# --- what the engine does next -----------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    kind: TaskKind
    round: int
    status: TaskStatus
    outcome: str | None = None


@dataclass(frozen=True)
class ReviewView:
    """What the workflow rules need to know about a review."""

    stage: Stage
    tasks: tuple[TaskView, ...] = ()
    documents: frozenset[DocumentKind] = field(default_factory=frozenset)
    #: the host owes a record of progress on earlier areas for development at this stage (the service layer
    #: works it out from the records: the trust's development actions, and whether this is its last review)
    progress_due: bool = False

    def tasks_of(self, kind: TaskKind) -> list[TaskView]:
        return [t for t in self.tasks if t.kind == kind and t.status != TaskStatus.CANCELLED]

    def latest(self, kind: TaskKind) -> TaskView | None:
        found = self.tasks_of(kind)
        return max(found, key=lambda t: t.round) if found else None


#: The task each human stage starts with (its follow-up tasks come from submissions).
OPENING_TASK: dict[Stage, TaskKind] = {rule.opens_stage: kind for kind, rule in KIND_RULES.items() if rule.opens_stage}
#: The stages that may also open the host's record of progress, with the round (occasion) it opens as.
PROGRESS_ROUND: dict[Stage, int] = {
    stage: round_ for round_, stage in KIND_RULES[TaskKind.RECORD_PROGRESS].occasions.items()
}
ENTRY_DOCUMENTS = {Stage.REPORT: (DocumentKind.REPORT_DRAFT,)}
EXIT_DOCUMENTS = {
    Stage.LINES_OF_ENQUIRY: (DocumentKind.LINES_AGREEMENT,),
    Stage.MODERATION: (DocumentKind.MODERATION_RECORD,),
    Stage.REPORT: (DocumentKind.REPORT,),
}


def progress_tasks(review: ReviewView) -> list[TaskView]:
    """The host's records of progress opened at the current stage (its round is the stage's occasion)."""
    round_ = PROGRESS_ROUND.get(review.stage)
    return [t for t in review.tasks_of(TaskKind.RECORD_PROGRESS) if t.round == round_]


def progress_missing(review: ReviewView) -> bool:
    """Whether the host owes a record of progress at this stage that has not been asked for yet."""
    return review.progress_due and review.stage in PROGRESS_ROUND and not progress_tasks(review)


def stage_complete(review: ReviewView) -> bool:
    """Whether people have done everything the current stage needs from them."""

    def done(kind: TaskKind, outcome: str | None = None) -> bool:
        last = review.latest(kind)
        return last is not None and last.status == TaskStatus.DONE and (outcome is None or last.outcome == outcome)

    def all_done(kind: TaskKind) -> bool:
        tasks = review.tasks_of(kind)
        return bool(tasks) and all(t.status == TaskStatus.DONE for t in tasks)

    # every decline (or departure) has led to a replacement who answered, or to the coordinator's choice: until
    # then no stage closes, whichever stage the team changed in
    team_settled = all(
        t.status == TaskStatus.DONE
        for kind in (TaskKind.RESPOND_TO_ASSIGNMENT, TaskKind.CHOOSE_REPLACEMENT)
        for t in review.tasks_of(kind)
    )
    if not team_settled:
        return False
    # a record of progress, once asked for, is part of the stage's work
    if progress_missing(review) or any(t.status != TaskStatus.DONE for t in progress_tasks(review)):
        return False
    match review.stage:
        case Stage.ASSIGNMENT:
            return all_done(TaskKind.RESPOND_TO_ASSIGNMENT)
        case Stage.LINES_OF_ENQUIRY:
            return done(TaskKind.AGREE_LINES, "agreed")
        case Stage.EVIDENCE:
            return done(TaskKind.SUBMIT_EVIDENCE)
        case Stage.FINDINGS:
            return all_done(TaskKind.RECORD_FINDINGS)
        case Stage.MODERATION:
            return done(TaskKind.MODERATE, "signed_off")
        case Stage.REPORT:
            return done(TaskKind.ISSUE_REPORT)
        case Stage.FEEDBACK:
            return all_done(TaskKind.GIVE_FEEDBACK)
    return False


class Step(StrEnum):
    """Machine steps: what the engine (not a person) does to move a review on."""

    OPEN_REVIEW = "open_review"
    OPEN_TASKS = "open_tasks"
    RENDER_DOCUMENT = "render_document"
    CLOSE_STAGE = "close_stage"


@dataclass(frozen=True)
class NextStep:
    step: Step
    document: DocumentKind | None = None


def next_step(review: ReviewView) -> NextStep | None:
    """The next machine step for a review, or None when it waits on people (or is closed)."""
    stage = review.stage
    if stage == Stage.SCHEDULED:
        return NextStep(Step.OPEN_REVIEW)
    if stage in (Stage.CLOSED, Stage.CANCELLED):
        return None
    if missing := _first_missing(ENTRY_DOCUMENTS.get(stage, ()), review):
        return NextStep(Step.RENDER_DOCUMENT, missing)
    if not review.tasks_of(OPENING_TASK[stage]) or progress_missing(review):
        return NextStep(Step.OPEN_TASKS)
    if not stage_complete(review):
        return None
    if missing := _first_missing(EXIT_DOCUMENTS.get(stage, ()), review):
        return NextStep(Step.RENDER_DOCUMENT, missing)
    return NextStep(Step.CLOSE_STAGE)


def _first_missing(documents: tuple[DocumentKind, ...], review: ReviewView) -> DocumentKind | None:
    return next((doc for doc in documents if doc not in review.documents), None)


#: The event that ends each human stage, once `stage_complete` holds.
CLOSING_EVENT = {
    Stage.ASSIGNMENT: "team_assigned",
    Stage.LINES_OF_ENQUIRY: "lines_agreed",
    Stage.EVIDENCE: "evidence_submitted",
    Stage.FINDINGS: "all_findings_recorded",
    Stage.MODERATION: "moderation_signed_off",
    Stage.REPORT: "report_issued",
    Stage.FEEDBACK: "feedback_complete",
}
