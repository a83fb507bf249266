"""What each kind of submission records, and the follow-up tasks it opens (one handler per task kind;
service/kinds.py binds each to its kind). A handler runs inside `workflow.submit`'s transaction."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, select

from peer_review import clock
from peer_review.domain import inputs as inp
from peer_review.domain.lifecycle import Event, Stage
from peer_review.domain.model import PROGRESS_OCCASION, Decision, TaskKind, TaskStatus
from peer_review.domain.scheduling import replacement
from peer_review.errors import UserError
from peer_review.service import follow_up
from peer_review.service.common import (
    ENGINE,
    audit,
    coordinator_of,
    host_ceo,
    person_by_email,
)
from peer_review.service.outbox import notify, review_context
from peer_review.service.planning import problems_after, stored_plan_of
from peer_review.service.records import (
    assignments,
    findings_of,
    strand_of,
    team,
    worker,
)
from peer_review.service.steps import hand_over, move, open_task
from peer_review.store.tables import (
    ActionProgress,
    Assignment,
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
    Trust,
)


def _assignment_of(session: Session, review: Review, person_id: int) -> Assignment:
    return session.exec(
        select(Assignment).where(Assignment.review_id == review.id, Assignment.person_id == person_id)
    ).one()


def respond(session: Session, review: Review, task: Task, data: inp.RespondToAssignment, actor: Person) -> str:
    assignment = _assignment_of(session, review, task.assignee_id)
    if data.response == "accept":
        assignment.status = "accepted"
        session.add(assignment)
        move(session, review, Event.ASSIGNMENT_ACCEPTED, actor.email)
        return "accepted"
    leave_team(session, review, assignment, f"declined: {data.reason}", f"declined ({data.reason})", actor.email)
    return "declined"


def leave_team(
    session: Session,
    review: Review,
    assignment: Assignment,
    record: str,
    event: str,
    actor: str,
    unavailable: frozenset[str] = frozenset(),
    seek: bool = True,
) -> Person | None:
    """Someone gives up their place on a review's team (they decline, or leave the partnership): the planner's
    best free replacement takes it, or the coordinator is asked to choose one (with `seek` False, when their
    trust has left, the team goes ahead without them). Their unfinished work on the review passes to the
    replacement, or the coordinator holds it until someone takes the place. Returns the replacement, if any.

    `record` is kept on the assignment, `event` tells the coordinator what happened; `unavailable` people
    (others leaving at the same time) are never chosen.
    """
    leaving = session.get(Person, assignment.person_id)
    # chosen before the place is given up: the stored plan still has them
    found = find_replacement(session, review, leaving.email, unavailable) if seek else None
    assignment.status = "declined"
    assignment.reason = f"{assignment.reason}; {record}".lstrip("; ")
    session.add(assignment)
    move(session, review, Event.ASSIGNMENT_DECLINED, actor)
    if found is not None:
        return _add_member(session, review, found[0], assignment.role, found[1], actor, leaving)
    coordinator = coordinator_of(session, review.partnership_id)
    if seek:
        round_ = (
            len(
                session.exec(
                    select(Task.id).where(Task.review_id == review.id, Task.kind == TaskKind.CHOOSE_REPLACEMENT.value)
                ).all()
            )
            + 1
        )
        note = f"{leaving.name} <{leaving.email}> {event} and nobody suitable is free; choose a {assignment.role} to replace them"
        open_task(
            session,
            review,
            TaskKind.CHOOSE_REPLACEMENT,
            coordinator,
            round_,
            note=note,
            subject={"leaving": leaving.email, "role": assignment.role},
        )
        audit(
            session,
            review.partnership_id,
            "no_replacement",
            ENGINE,
            review.id,
            leaving=leaving.email,
            role=assignment.role,
        )
    else:
        audit(
            session,
            review.partnership_id,
            "team_reduced",
            actor,
            review.id,
            leaving=leaving.email,
            role=assignment.role,
            reason=record,
        )
        _share_leads(session, review, leaving)
    for task in _open_work(session, review, leaving, held=False):
        hand_over(session, task, coordinator, event, for_=leaving)
    return None


def _open_work(session: Session, review: Review, person: Person, held: bool) -> list[Task]:
    """A person's open tasks on a review, besides being asked to join or choosing a replacement; with `held`, also those the coordinator holds for them."""
    not_theirs = (
        TaskKind.RESPOND_TO_ASSIGNMENT.value,
        TaskKind.CHOOSE_REPLACEMENT.value,
    )  # being asked, and the coordinator's choosing
    tasks = session.exec(
        select(Task).where(
            Task.review_id == review.id, Task.status == TaskStatus.OPEN.value, Task.kind.not_in(not_theirs)
        )
    )
    return [t for t in tasks if t.assignee_id == person.id or (held and t.subject.get("for") == person.email)]


def find_replacement(
    session: Session, review: Review, leaving: str, unavailable: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """The planner's choice of someone to take `leaving`'s place, checked against every other review."""
    inputs, plan, index = stored_plan_of(session, review)
    visit = plan[index]
    others = plan[:index] + plan[index + 1 :]
    ever = {session.get(Person, a.person_id).email for a in assignments(session, review)}
    return replacement(
        visit, leaving, inputs.trusts_by_id[visit.trust], inputs.people, inputs.moderators, others, ever | unavailable
    )


def _add_member(
    session: Session, review: Review, email: str, role: str, reason: str, actor: str, leaving: Person | None = None
) -> Person:
    """Someone joins the team in `leaving`'s place: they are asked to accept (when the review opens, if it has
    not yet), and take over the leaver's unfinished work on the review (their open tasks, and the lines of
    enquiry they were to lead)."""
    person = person_by_email(session, review.partnership_id, email)
    session.add(Assignment(review_id=review.id, person_id=person.id, role=role, reason=reason))
    audit(session, review.partnership_id, "assigned", actor, review.id, person=email, role=role, reason=reason)
    if review.stage != Stage.SCHEDULED:
        open_task(session, review, TaskKind.RESPOND_TO_ASSIGNMENT, person)
    move(session, review, Event.MEMBER_REPLACED, actor)
    if leaving is not None:
        for task in _open_work(session, review, leaving, held=True):
            hand_over(session, task, person, f"{person.name} takes the place of {leaving.name}")
        for line in session.exec(
            select(LineOfEnquiry).where(LineOfEnquiry.review_id == review.id, LineOfEnquiry.lead_id == leaving.id)
        ):
            line.lead_id = person.id
            session.add(line)
    return person


def _share_leads(session: Session, review: Review, leaving: Person) -> None:
    """The lines of enquiry a peer who is not replaced was to lead go, in turn, to the peers who stay."""
    peers, _ = team(session, review)
    lines = session.exec(
        select(LineOfEnquiry)
        .where(LineOfEnquiry.review_id == review.id, LineOfEnquiry.lead_id == leaving.id)
        .order_by(LineOfEnquiry.id)
    ).all()
    for i, line in enumerate(lines if peers else []):
        line.lead_id = peers[i % len(peers)].id
        session.add(line)


def choose_replacement(session: Session, review: Review, task: Task, data: inp.ChooseReplacement, actor: Person) -> str:
    """The coordinator's choice, held to the same constraints as the planner's: never overridden silently."""
    role, leaving_email = task.subject["role"], task.subject["leaving"]
    leaving = person_by_email(session, review.partnership_id, leaving_email)
    if data.choice == "without":
        if role == "moderator":
            raise UserError(
                "a review cannot go ahead without a moderator: choose someone in the partnership, or add a new moderator",
                loc=("choice",),
            )
        if not team(session, review)[0]:
            raise UserError(
                f"{leaving_email} is the review's last peer, and a review needs at least one: choose someone in the partnership, "
                "or add a new reviewer",
                loc=("choice",),
            )
        audit(
            session,
            review.partnership_id,
            "team_reduced",
            actor.email,
            review.id,
            leaving=leaving_email,
            role=role,
            reason=data.reason,
        )
        _share_leads(session, review, leaving)
        return "without"
    if data.choice == "new":
        person = _new_person(session, review, data.new_person, role, leaving, actor)
        where = ("new_person", "email")
    else:
        person = person_by_email(session, review.partnership_id, data.person)
        where = ("person",)
        if person is None:
            raise UserError(f"{data.person} is not a person in this partnership", loc=where)
    if person.email in {session.get(Person, a.person_id).email for a in assignments(session, review)}:
        raise UserError(f"{person.email} is already on (or has declined) this review's team", loc=where)
    if role == "moderator" and not person.is_moderator:
        raise UserError(f"{person.email} is not a moderator", loc=where)
    if role == "peer" and (not person.is_reviewer or person.trust_id != leaving.trust_id):
        raise UserError(
            f"choose a reviewer from the same trust as {leaving_email}, so every other trust keeps a peer on the team",
            loc=where,
        )
    if role == "moderator":
        problems = problems_after(session, review, lambda visit: dataclasses.replace(visit, moderator=person.email))
    else:
        problems = problems_after(
            session, review, lambda visit: dataclasses.replace(visit, peers=(*visit.peers, person.email))
        )
    if problems:
        raise UserError(f"{person.email} cannot join review {review.id}: " + "; ".join(problems), loc=where)
    _add_member(
        session, review, person.email, role, f"{role} chosen by the coordinator: {data.reason}", actor.email, leaving
    )
    return "chosen"


def _new_person(
    session: Session, review: Review, new: inp.NewPerson, role: str, leaving: Person, actor: Person
) -> Person:
    """Add someone to the partnership to take the leaver's place: a reviewer of the leaver's trust, or a moderator."""
    if person_by_email(session, review.partnership_id, new.email) is not None:
        raise UserError(
            f"{new.email} is already in this partnership: choose them from the list instead",
            loc=("new_person", "email"),
        )
    trust = session.get(Trust, leaving.trust_id) if role == "peer" else None
    person = Person(
        partnership_id=review.partnership_id,
        email=new.email,
        name=new.name,
        job_title=new.job_title,
        organisation=new.organisation or (trust.name if trust else ""),
        trust_id=trust.id if trust else None,
        is_reviewer=role == "peer",
        is_moderator=role == "moderator",
        strands=[review.strand_id] if role == "peer" else [],
    )
    session.add(person)
    session.flush()
    audit(
        session,
        review.partnership_id,
        "person_added",
        actor.email,
        review.id,
        person=person.email,
        name=person.name,
        role=role,
        trust=trust.key if trust else None,
    )
    return person


def propose_lines(session: Session, review: Review, task: Task, data: inp.ProposeLines, actor: Person) -> str:
    prompts = set(strand_of(session, review).get("prompts", []))
    for number, line in enumerate(data.lines, start=1):
        session.add(
            LineOfEnquiry(
                review_id=review.id,
                round=task.round,
                number=number,
                title=line.title,
                from_prompt=line.title in prompts,
                self_evaluation=line.self_evaluation,
            )
        )
    _, moderator = team(session, review)
    open_task(session, review, TaskKind.AGREE_LINES, moderator, task.round)
    move(session, review, Event.LINES_PROPOSED, actor.email)
    return "proposed"


def agree_lines(session: Session, review: Review, task: Task, data: inp.AgreeLines, actor: Person) -> str:
    if data.decision == "agreed":
        review.lines_round = task.round
        session.add(review)
        return "agreed"
    open_task(session, review, TaskKind.PROPOSE_LINES, host_ceo(session, review), task.round + 1, note=data.comments)
    move(session, review, Event.LINES_CHANGES_REQUESTED, actor.email)
    return "changes_requested"


def submit_evidence(session: Session, review: Review, task: Task, data: inp.SubmitEvidence, actor: Person) -> str:
    for number, item in enumerate(data.items, start=1):
        session.add(
            EvidenceItem(
                review_id=review.id,
                ref=f"E{number}",
                title=item.title,
                type=item.type,
                location=item.location,
                lines=item.lines,
                personal_data=item.personal_data,
            )
        )
    return "submitted"


def record_findings(session: Session, review: Review, task: Task, data: inp.RecordFindings, actor: Person) -> str:
    count = len(findings_of(session, review))
    author = worker(session, task)  # the peer, even when the coordinator records them on behalf of one who left
    for entry in data.lines:
        for kind, items in (
            ("strength", entry.strengths),
            ("area_for_development", entry.areas_for_development),
            ("good_practice", entry.good_practice),
        ):
            for item in items:
                count += 1
                session.add(
                    Finding(
                        review_id=review.id,
                        ref=f"F{count}",
                        line_number=entry.line,
                        author_id=author.id,
                        kind=kind,
                        text=item.text,
                        evidence=item.evidence,
                    )
                )
    session.flush()
    move(session, review, Event.FINDINGS_RECORDED, actor.email)
    return "recorded"


def moderate(session: Session, review: Review, task: Task, data: inp.Moderate, actor: Person) -> str:
    findings = {f.ref: f for f in findings_of(session, review)}
    returned: dict[int, list[Finding]] = {}
    outcome = (
        "revisions_requested" if any(d.decision == Decision.NEEDS_REVISION for d in data.findings) else "signed_off"
    )
    moderation_round = ModerationRound(
        review_id=review.id, number=task.round, moderator_id=actor.id, outcome=outcome, completed_at=clock.now()
    )
    session.add(moderation_round)
    session.flush()
    for d in data.findings:
        finding = findings[d.finding]
        finding.status = d.decision.value
        session.add(finding)
        session.add(
            ModerationDecision(
                review_id=review.id,
                round_id=moderation_round.id,
                round=task.round,
                finding_id=finding.id,
                finding_revision=finding.revision,
                decision=d.decision.value,
                reason=d.reason,
            )
        )
        if d.decision == Decision.NEEDS_REVISION:
            returned.setdefault(finding.author_id, []).append(finding)
    for a in data.self_evaluation:  # each round's judgements are kept: the latest stands, the earlier show what changed
        session.add(
            SelfEvaluationJudgement(
                review_id=review.id,
                line_number=a.line,
                round=task.round,
                alignment=a.alignment.value,
                comment=a.comment,
            )
        )
    if not returned:
        return outcome
    for author_id, sent_back in returned.items():
        reasons = "; ".join(f"{f.ref}: {d.reason}" for f in sent_back for d in data.findings if d.finding == f.ref)
        open_task(session, review, TaskKind.REVISE_FINDINGS, session.get(Person, author_id), task.round, note=reasons)
    move(session, review, Event.REVISION_REQUESTED, actor.email)
    return outcome


def revise_findings(session: Session, review: Review, task: Task, data: inp.ReviseFindings, actor: Person) -> str:
    findings = {f.ref: f for f in findings_of(session, review)}
    for revision in data.findings:
        finding = findings[revision.finding]
        audit(
            session,
            review.partnership_id,
            "finding_revised",
            actor.email,
            review.id,
            finding=finding.ref,
            before={"text": finding.text, "evidence": finding.evidence},
            revision=finding.revision + 1,
        )
        finding.text, finding.evidence = revision.text, revision.evidence
        finding.revision += 1
        finding.status = "pending"
        session.add(finding)
    move(session, review, Event.FINDINGS_REVISED, actor.email)
    still_open = session.exec(
        select(Task).where(
            Task.review_id == review.id,
            Task.kind == TaskKind.REVISE_FINDINGS.value,
            Task.round == task.round,
            Task.status == "open",
            Task.id != task.id,
        )
    ).first()
    if still_open is None:
        _, moderator = team(session, review)
        open_task(session, review, TaskKind.MODERATE, moderator, task.round + 1)
    return "revised"


def check_report(session: Session, review: Review, task: Task, data: inp.CheckReport, actor: Person) -> str:
    host = host_ceo(session, review)
    if (
        data.share_good_practice and actor.id != host.id
    ):  # the coordinator may check the facts on the host's behalf, not give its consent
        raise UserError(
            f"only the host trust's CEO ({host.email}) can agree to share its good practice; answer false, or ask them to answer",
            loc=("share_good_practice",),
        )
    review.factual_corrections = list(data.corrections)
    review.good_practice_consent = data.share_good_practice
    session.add(review)
    audit(
        session, review.partnership_id, "good_practice_consent", actor.email, review.id, share=data.share_good_practice
    )
    _, moderator = team(session, review)
    open_task(session, review, TaskKind.ISSUE_REPORT, moderator)
    move(session, review, Event.REPORT_CHECKED, actor.email)
    return "accurate" if data.accurate else "corrections"


def issue_report(session: Session, review: Review, task: Task, data: inp.IssueReport, actor: Person) -> str:

    review.moderator_statement = data.statement
    review.next_steps = list(data.next_steps)
    review.issued_on = clock.today()
    session.add(review)
    follow_up.create_actions(session, review)  # its areas for development become actions the host trust owns
    peers, moderator = team(session, review)
    context = review_context(session, review)
    for person in [host_ceo(session, review), *peers, moderator]:
        notify(
            session,
            key=f"report_issued/{review.id}/{person.id}",
            event="report_issued",
            person=person,
            subject=f"Report issued: peer review of {context['host']} ({context['strand']})",
            context=context,
            review=review,
        )
    return "issued"


def give_feedback(session: Session, review: Review, task: Task, data: inp.GiveFeedback, actor: Person) -> str:
    person = session.get(Person, task.assignee_id)
    role = next((a.role for a in assignments(session, review) if a.person_id == person.id), "host")
    session.add(FeedbackResponse(review_id=review.id, person_id=person.id, role=role, **data.model_dump()))
    move(session, review, Event.FEEDBACK_GIVEN, actor.email)
    return "given"


def record_progress(session: Session, review: Review, task: Task, data: inp.RecordProgress, actor: Person) -> str:
    """The host's account of each action the task asks about (the validation context holds them to exactly those)."""
    occasion = task.subject.get("occasion") or PROGRESS_OCCASION[task.round]
    for entry in data.actions:
        session.add(
            ActionProgress(
                action_id=int(entry.action.removeprefix("A")),
                review_id=review.id,
                task_id=task.id,
                occasion=occasion,
                status=entry.status.value,
                evidence=entry.evidence,
                recorded_at=clock.now(),
            )
        )
    audit(
        session,
        review.partnership_id,
        "progress_recorded",
        actor.email,
        review.id,
        occasion=occasion,
        actions={entry.action: entry.status.value for entry in data.actions},
    )
    return "recorded"
