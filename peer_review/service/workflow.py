"""Moving reviews on: the engine's machine steps, and people submitting their tasks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import ValidationError
from sqlmodel import Session, select

from peer_review import clock
from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event, Stage, next_stage
from peer_review.domain.model import (
    CLOSING_EVENT,
    Decision,
    DocumentKind,
    NextStep,
    ReviewView,
    Step,
    TaskKind,
    TaskStatus,
    TaskView,
    next_step,
    task_due,
)
from peer_review.errors import UserError
from peer_review.service.common import ENGINE, audit, coordinator_of, get_review, get_task, host_ceo, person_by_email
from peer_review.service.records import agreed_lines, assignments, findings_of, strand_of, team, validation_context
from peer_review.yamlfile import describe, dotted
from peer_review.tables import (
    Assignment,
    Partnership,
    Document,
    EvidenceItem,
    FeedbackResponse,
    Finding,
    LineOfEnquiry,
    ModerationDecision,
    ModerationRound,
    Person,
    Review,
    SelfEvaluationJudgement,
    Task,
)

# --- the engine's steps ---------------------------------------------------------------------------


def review_view(session: Session, review: Review) -> ReviewView:
    tasks = session.exec(select(Task).where(Task.review_id == review.id)).all()
    docs = session.exec(select(Document.kind).where(Document.review_id == review.id)).all()
    return ReviewView(
        stage=Stage(review.stage),
        tasks=tuple(TaskView(TaskKind(t.kind), t.round, TaskStatus(t.status), t.outcome) for t in tasks),
        documents=frozenset(DocumentKind(d) for d in docs),
    )


def pending_step(session: Session, review_id: int) -> NextStep | None:
    return next_step(review_view(session, get_review(session, review_id)))


def run_step(session: Session, review_id: int, expected: NextStep) -> bool:
    """Do one machine step if it is still the pending one (so a repeated or racing run does nothing)."""
    review = get_review(session, review_id)
    if next_step(review_view(session, review)) != expected:
        return False
    STEPS[expected.step](session, review, expected)
    return True


def advance_review(session_factory: Callable[[], Any], review_id: int) -> list[NextStep]:
    """Run machine steps, each in its own transaction, until the review waits on people."""
    done = []
    while True:
        with session_factory() as session:
            step = pending_step(session, review_id)
            if step is None:
                return done
            run_step(session, review_id, step)
        done.append(step)


def _move(session: Session, review: Review, event: Event, actor: str = ENGINE) -> None:
    before = Stage(review.stage)
    after = next_stage(before, event)
    review.stage = after.value
    session.add(review)
    if after != before:
        audit(session, review.partnership_id, "stage_changed", actor, review.id, event=event.value, before=before.value, after=after.value)


def _open_review(session: Session, review: Review, _step: NextStep) -> None:
    _move(session, review, Event.OPENED)


def open_task(session: Session, review: Review, kind: TaskKind, assignee: Person, round_: int = 1, note: str = "", subject: dict | None = None) -> Task:
    """Create a task once: the key makes a second call return the first task."""
    key = f"{review.id}/{kind.value}/{round_}/{assignee.id}"
    existing = session.exec(select(Task).where(Task.key == key)).first()
    if existing:
        return existing
    deadlines = {k: dt.date.fromisoformat(v) for k, v in review.deadlines.items()}
    task = Task(
        key=key, review_id=review.id, kind=kind.value, round=round_, assignee_id=assignee.id, due=task_due(kind, deadlines, round_),
        note=note, subject=subject or {}, created_at=clock.now(),
    )
    session.add(task)
    session.flush()
    audit(session, review.partnership_id, "task_opened", ENGINE, review.id, task=task.id, kind=kind.value, assignee=assignee.email, due=task.due.isoformat(), round=round_)
    _notify_assigned(session, review, task, assignee)
    return task


def _notify_assigned(session: Session, review: Review, task: Task, assignee: Person) -> None:
    from peer_review.service.calendars import reviews_calendar
    from peer_review.service.outbox import notify, review_context

    if assignee.digest_only:  # they hear of it in their weekly digest
        return
    kind = TaskKind(task.kind)
    context = review_context(session, review)
    invited = kind == TaskKind.RESPOND_TO_ASSIGNMENT
    intro = (
        f"You are invited to the review team for {context['host']}'s review of \"{context['strand']}\". The visit is in the attached calendar entry."
        if invited
        else f"There is a task for you in the peer review of {context['host']}."
    )
    due = clock.long_date(task.due)
    notify(
        session,
        key=f"task_assigned/{task.id}",
        event="task_assigned",
        person=assignee,
        subject=f"Action needed by {due}: {kind.title} ({context['host']}, {context['strand']})",
        context=context | {"intro": intro, "task_title": kind.title, "due": due, "note": task.note, "task_id": task.id},
        review=review,
        task=task,
        ics=reviews_calendar(session, [review], f"Peer review visit: {context['host']}") if invited else None,
    )


def _open_tasks(session: Session, review: Review, _step: NextStep) -> None:
    stage = Stage(review.stage)
    ceo = host_ceo(session, review)
    peers, moderator = team(session, review)
    match stage:
        case Stage.ASSIGNMENT:
            if not peers or moderator is None:
                raise UserError(f"review {review.id} has no review team; plan the cycle with `peer-review plan`")
            for person in [*peers, moderator]:
                open_task(session, review, TaskKind.RESPOND_TO_ASSIGNMENT, person)
        case Stage.LINES_OF_ENQUIRY:
            open_task(session, review, TaskKind.PROPOSE_LINES, ceo)
        case Stage.EVIDENCE:
            open_task(session, review, TaskKind.SUBMIT_EVIDENCE, ceo)
        case Stage.FINDINGS:
            for peer in peers:
                open_task(session, review, TaskKind.RECORD_FINDINGS, peer)
        case Stage.MODERATION:
            open_task(session, review, TaskKind.MODERATE, moderator)
        case Stage.REPORT:
            open_task(session, review, TaskKind.CHECK_REPORT, ceo)
        case Stage.FEEDBACK:
            for person in [ceo, *peers, moderator]:
                open_task(session, review, TaskKind.GIVE_FEEDBACK, person)


def _render_document(session: Session, review: Review, step: NextStep) -> None:
    from peer_review.service.documents import render_and_store

    render_and_store(session, review, step.document)


def _close_stage(session: Session, review: Review, _step: NextStep) -> None:
    stage = Stage(review.stage)
    if stage == Stage.LINES_OF_ENQUIRY:
        _allocate_leads(session, review)
    _move(session, review, Event(CLOSING_EVENT[stage]))


def _allocate_leads(session: Session, review: Review) -> None:
    """Each agreed line gets a lead peer, in turn, so every line is sure to have findings."""
    peers, _ = team(session, review)
    for i, line in enumerate(agreed_lines(session, review)):
        line.lead_id = peers[i % len(peers)].id
        session.add(line)


STEPS: dict[Step, Callable[[Session, Review, NextStep], None]] = {
    Step.OPEN_REVIEW: _open_review,
    Step.OPEN_TASKS: _open_tasks,
    Step.RENDER_DOCUMENT: _render_document,
    Step.CLOSE_STAGE: _close_stage,
}

# --- people's submissions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    task_id: int
    kind: TaskKind
    review_id: int
    outcome: str | None


def submit(session: Session, task_id: int, data: Any, as_email: str) -> Submitted:
    """Validate a task's input, record it with its follow-up tasks, and mark the task done.

    Everything happens in the caller's transaction: a refusal at any point writes nothing.
    """
    task = get_task(session, task_id)
    review = get_review(session, task.review_id)
    actor = person_by_email(session, review.partnership_id, as_email)
    if actor is None:
        raise UserError(f"{as_email} is not a person in this review's partnership")
    assignee = session.get(Person, task.assignee_id)
    if task.status != TaskStatus.OPEN:
        who = session.get(Person, task.completed_by_id) if task.completed_by_id else None
        when = f" on {task.completed_at:%Y-%m-%d}" if task.completed_at else ""
        raise UserError(f"task {task.id} is already {task.status}" + (f" (by {who.email}{when})" if who else ""))
    if actor.id != assignee.id and not actor.is_coordinator:
        raise UserError(f"task {task.id} is assigned to {assignee.email}; only they or the coordinator can submit it")
    kind = TaskKind(task.kind)
    if not isinstance(data, dict):
        raise UserError(f"the input must be a mapping of keys (see `peer-review task template {task.id}`)")
    try:
        parsed = inp.INPUT_MODELS[kind].model_validate(data, context=validation_context(session, review, task))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise UserError(describe(first), place=dotted(loc) or None, loc=loc) from None
    outcome = HANDLERS[kind](session, review, task, parsed, actor)
    task.status = TaskStatus.DONE.value
    task.outcome = outcome
    task.input = parsed.model_dump(mode="json")
    task.completed_at = clock.now()
    task.completed_by_id = actor.id
    session.add(task)
    audit(session, review.partnership_id, "task_completed", actor.email, review.id, task=task.id, kind=kind.value, outcome=outcome, on_behalf_of=assignee.email if actor.id != assignee.id else None)
    return Submitted(task.id, kind, review.id, outcome)


def _assignment_of(session: Session, review: Review, person_id: int) -> Assignment:
    return session.exec(select(Assignment).where(Assignment.review_id == review.id, Assignment.person_id == person_id)).one()


def _respond(session: Session, review: Review, task: Task, data: inp.RespondToAssignment, actor: Person) -> str:
    assignment = _assignment_of(session, review, task.assignee_id)
    if data.response == "accept":
        assignment.status = "accepted"
        session.add(assignment)
        _move(session, review, Event.ASSIGNMENT_ACCEPTED, actor.email)
        return "accepted"
    leaving = session.get(Person, task.assignee_id)
    found = find_replacement(session, review, leaving.email)  # before the decline is recorded: the plan still has them
    assignment.status = "declined"
    assignment.reason = f"{assignment.reason}; declined: {data.reason}".lstrip("; ")
    session.add(assignment)
    _move(session, review, Event.ASSIGNMENT_DECLINED, actor.email)
    if found is not None:
        _add_member(session, review, found[0], assignment.role, found[1], actor.email)
    else:
        coordinator = coordinator_of(session, review.partnership_id)
        round_ = len(session.exec(select(Task.id).where(Task.review_id == review.id, Task.kind == TaskKind.CHOOSE_REPLACEMENT.value)).all()) + 1
        note = f"{leaving.name} <{leaving.email}> declined ({data.reason}) and nobody suitable is free; choose a {assignment.role} to replace them"
        open_task(session, review, TaskKind.CHOOSE_REPLACEMENT, coordinator, round_, note=note, subject={"leaving": leaving.email, "role": assignment.role})
        audit(session, review.partnership_id, "no_replacement", ENGINE, review.id, leaving=leaving.email, role=assignment.role)
    return "declined"


def find_replacement(session: Session, review: Review, leaving: str) -> tuple[str, str] | None:
    """The planner's choice of someone to take `leaving`'s place, checked against every other review."""
    from peer_review.domain.scheduling import replacement
    from peer_review.service.planning import stored_plan_of

    inputs, plan, index = stored_plan_of(session, review)
    visit = plan[index]
    others = plan[:index] + plan[index + 1 :]
    ever = {session.get(Person, a.person_id).email for a in assignments(session, review)}
    return replacement(visit, leaving, inputs.trusts_by_id[visit.trust], inputs.people, inputs.moderators, others, ever)


def _add_member(session: Session, review: Review, email: str, role: str, reason: str, actor: str) -> None:
    person = person_by_email(session, review.partnership_id, email)
    session.add(Assignment(review_id=review.id, person_id=person.id, role=role, reason=reason))
    audit(session, review.partnership_id, "assigned", actor, review.id, person=email, role=role, reason=reason)
    open_task(session, review, TaskKind.RESPOND_TO_ASSIGNMENT, person)
    _move(session, review, Event.MEMBER_REPLACED, actor)


def _choose_replacement(session: Session, review: Review, task: Task, data: inp.ChooseReplacement, actor: Person) -> str:
    """The coordinator's choice, held to the same constraints as the planner's: never overridden silently."""
    from peer_review.service.planning import problems_after

    partnership = session.get(Partnership, review.partnership_id)
    person = person_by_email(session, partnership.id, data.person)
    role, leaving = task.subject["role"], task.subject["leaving"]
    if person is None:
        raise UserError(f"{data.person} is not a person in this partnership", loc=("person",))
    if person.email in {session.get(Person, a.person_id).email for a in assignments(session, review)}:
        raise UserError(f"{person.email} is already on (or has declined) this review's team", loc=("person",))
    leaving_person = person_by_email(session, partnership.id, leaving)
    if role == "moderator" and not person.is_moderator:
        raise UserError(f"{person.email} is not a moderator", loc=("person",))
    if role == "peer" and (not person.is_reviewer or person.trust_id != leaving_person.trust_id):
        raise UserError(f"choose a reviewer from the same trust as {leaving}, so every other trust keeps a peer on the team", loc=("person",))
    if role == "moderator":
        problems = problems_after(session, review, lambda visit: dataclasses.replace(visit, moderator=person.email))
    else:
        problems = problems_after(session, review, lambda visit: dataclasses.replace(visit, peers=(*visit.peers, person.email)))
    if problems:
        raise UserError(f"{person.email} cannot join review {review.id}: " + "; ".join(problems), loc=("person",))
    _add_member(session, review, person.email, role, f"{role} chosen by the coordinator: {data.reason}", actor.email)
    return "chosen"


def _propose_lines(session: Session, review: Review, task: Task, data: inp.ProposeLines, actor: Person) -> str:
    prompts = set(strand_of(session, review).get("prompts", []))
    for number, line in enumerate(data.lines, start=1):
        session.add(LineOfEnquiry(review_id=review.id, round=task.round, number=number, title=line.title, from_prompt=line.title in prompts, self_evaluation=line.self_evaluation))
    _, moderator = team(session, review)
    open_task(session, review, TaskKind.AGREE_LINES, moderator, task.round)
    _move(session, review, Event.LINES_PROPOSED, actor.email)
    return "proposed"


def _agree_lines(session: Session, review: Review, task: Task, data: inp.AgreeLines, actor: Person) -> str:
    if data.decision == "agreed":
        review.lines_round = task.round
        session.add(review)
        return "agreed"
    open_task(session, review, TaskKind.PROPOSE_LINES, host_ceo(session, review), task.round + 1, note=data.comments)
    _move(session, review, Event.LINES_CHANGES_REQUESTED, actor.email)
    return "changes_requested"


def _submit_evidence(session: Session, review: Review, task: Task, data: inp.SubmitEvidence, actor: Person) -> str:
    for number, item in enumerate(data.items, start=1):
        session.add(EvidenceItem(review_id=review.id, ref=f"E{number}", title=item.title, type=item.type, location=item.location, lines=item.lines, personal_data=item.personal_data))
    return "submitted"


def _record_findings(session: Session, review: Review, task: Task, data: inp.RecordFindings, actor: Person) -> str:
    count = len(findings_of(session, review))
    author = session.get(Person, task.assignee_id)
    for entry in data.lines:
        for kind, items in (("strength", entry.strengths), ("area_for_development", entry.areas_for_development), ("good_practice", entry.good_practice)):
            for item in items:
                count += 1
                session.add(Finding(review_id=review.id, ref=f"F{count}", line_number=entry.line, author_id=author.id, kind=kind, text=item.text, evidence=item.evidence))
    session.flush()
    _move(session, review, Event.FINDINGS_RECORDED, actor.email)
    return "recorded"


def _moderate(session: Session, review: Review, task: Task, data: inp.Moderate, actor: Person) -> str:
    findings = {f.ref: f for f in findings_of(session, review)}
    returned: dict[int, list[Finding]] = {}
    outcome = "revisions_requested" if any(d.decision == Decision.NEEDS_REVISION for d in data.findings) else "signed_off"
    moderation_round = ModerationRound(review_id=review.id, number=task.round, moderator_id=actor.id, outcome=outcome, completed_at=clock.now())
    session.add(moderation_round)
    session.flush()
    for d in data.findings:
        finding = findings[d.finding]
        finding.status = d.decision.value
        session.add(finding)
        session.add(ModerationDecision(review_id=review.id, round_id=moderation_round.id, round=task.round, finding_id=finding.id, finding_revision=finding.revision, decision=d.decision.value, reason=d.reason))
        if d.decision == Decision.NEEDS_REVISION:
            returned.setdefault(finding.author_id, []).append(finding)
    for a in data.self_evaluation:
        existing = session.exec(select(SelfEvaluationJudgement).where(SelfEvaluationJudgement.review_id == review.id, SelfEvaluationJudgement.line_number == a.line)).first()
        judgement = existing or SelfEvaluationJudgement(review_id=review.id, line_number=a.line, alignment="", comment="")
        judgement.alignment, judgement.comment = a.alignment.value, a.comment
        session.add(judgement)
    if not returned:
        return outcome
    for author_id, sent_back in returned.items():
        reasons = "; ".join(f"{f.ref}: {d.reason}" for f in sent_back for d in data.findings if d.finding == f.ref)
        open_task(session, review, TaskKind.REVISE_FINDINGS, session.get(Person, author_id), task.round, note=reasons)
    _move(session, review, Event.REVISION_REQUESTED, actor.email)
    return outcome


def _revise_findings(session: Session, review: Review, task: Task, data: inp.ReviseFindings, actor: Person) -> str:
    findings = {f.ref: f for f in findings_of(session, review)}
    for revision in data.findings:
        finding = findings[revision.finding]
        audit(session, review.partnership_id, "finding_revised", actor.email, review.id, finding=finding.ref, before={"text": finding.text, "evidence": finding.evidence}, revision=finding.revision + 1)
        finding.text, finding.evidence = revision.text, revision.evidence
        finding.revision += 1
        finding.status = "pending"
        session.add(finding)
    _move(session, review, Event.FINDINGS_REVISED, actor.email)
    still_open = session.exec(
        select(Task).where(Task.review_id == review.id, Task.kind == TaskKind.REVISE_FINDINGS.value, Task.round == task.round, Task.status == "open", Task.id != task.id)
    ).first()
    if still_open is None:
        _, moderator = team(session, review)
        open_task(session, review, TaskKind.MODERATE, moderator, task.round + 1)
    return "revised"


def _check_report(session: Session, review: Review, task: Task, data: inp.CheckReport, actor: Person) -> str:
    review.factual_corrections = list(data.corrections)
    session.add(review)
    _, moderator = team(session, review)
    open_task(session, review, TaskKind.ISSUE_REPORT, moderator)
    _move(session, review, Event.REPORT_CHECKED, actor.email)
    return "accurate" if data.accurate else "corrections"


def _issue_report(session: Session, review: Review, task: Task, data: inp.IssueReport, actor: Person) -> str:
    from peer_review.service.outbox import notify, review_context

    review.moderator_statement = data.statement
    review.next_steps = list(data.next_steps)
    review.issued_on = clock.today()
    session.add(review)
    peers, moderator = team(session, review)
    context = review_context(session, review)
    for person in [host_ceo(session, review), *peers, moderator]:
        notify(
            session, key=f"report_issued/{review.id}/{person.id}", event="report_issued", person=person,
            subject=f"Report issued: peer review of {context['host']} ({context['strand']})", context=context, review=review,
        )
    return "issued"


def _give_feedback(session: Session, review: Review, task: Task, data: inp.GiveFeedback, actor: Person) -> str:
    person = session.get(Person, task.assignee_id)
    role = next((a.role for a in assignments(session, review) if a.person_id == person.id), "host")
    session.add(FeedbackResponse(review_id=review.id, person_id=person.id, role=role, **data.model_dump()))
    _move(session, review, Event.FEEDBACK_GIVEN, actor.email)
    return "given"


HANDLERS: dict[TaskKind, Callable[..., str]] = {
    TaskKind.RESPOND_TO_ASSIGNMENT: _respond,
    TaskKind.CHOOSE_REPLACEMENT: _choose_replacement,
    TaskKind.PROPOSE_LINES: _propose_lines,
    TaskKind.AGREE_LINES: _agree_lines,
    TaskKind.SUBMIT_EVIDENCE: _submit_evidence,
    TaskKind.RECORD_FINDINGS: _record_findings,
    TaskKind.MODERATE: _moderate,
    TaskKind.REVISE_FINDINGS: _revise_findings,
    TaskKind.CHECK_REPORT: _check_report,
    TaskKind.ISSUE_REPORT: _issue_report,
    TaskKind.GIVE_FEEDBACK: _give_feedback,
}
