"""Staff change mid-cycle: bringing a loaded partnership in line with its edited file
(`peer-review partnership load FILE --update [--dry-run]`).

The difference is worked out by `domain.roster.diff` (people matched by email, trusts by id), which refuses
whatever would rewrite history. Applying it keeps every row with records: someone who leaves is marked as
left and loses their roles, and their work is handed on:

- a place on a review's team before the visit (or a moderator's, until the report is issued) is given up
  under the decline rules: the planner's best free replacement is asked, or the coordinator chooses one;
  the replacement takes over the leaver's open tasks, which the coordinator holds until then;
- a peer who leaves after the visit keeps their place (they were there); the coordinator gets their open
  tasks, to finish on their behalf (findings stay theirs), and nobody is asked for feedback who has left;
- a new CEO (or coordinator) takes over the open tasks of the one before.

A trust's strand order changes only for its reviews not yet started (they keep their dates and teams and
take the strands in the new order); a trust that leaves has its reviews, none yet started, cancelled; a
trust that joins has its reviews planned in the time left, when the cycle has room. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.calendar import SchoolCalendar, school_year, why_not_replaceable
from peer_review.domain.lifecycle import NOT_STARTED, Stage, visit_is_past
from peer_review.domain.model import TaskKind, TaskStatus
from peer_review.domain.roster import (
    DETAILS,
    ROLES,
    Change,
    History,
    Kind,
    Member,
    Refused,
    Roster,
    TrustEntry,
    diff,
)
from peer_review.domain.scheduling import PlanInfeasible, visit_days
from peer_review.errors import UserError
from peer_review.files.partnerships import LoadedPartnership
from peer_review.files.yaml_document import Document, dotted
from peer_review.service.common import ENGINE, audit, end_task
from peer_review.service.kinds._team import leave_team
from peer_review.service.loading import add_new_person, add_new_trust, people_of
from peer_review.service.planning import plan_joining_trust
from peer_review.service.steps import hand_over, lock_review
from peer_review.store.db import Session
from peer_review.store.memberships import (
    emails_added_by_hand,
    open_reviews,
    people_with_records,
    places_of,
    reviews_with_host_keys,
)
from peer_review.store.people import (
    ceo_of_trust,
    coordinator_of,
    host_ceo,
    host_ceo_if_any,
    left_trust_keys,
    member_by_email,
    partnership_named,
    people_in,
    trust_by_key,
    trust_of,
    trusts_in,
)
from peer_review.store.records import team
from peer_review.store.reviews import hosted_reviews, latest_cycle, open_review_ids
from peer_review.store.tasks import open_tasks, open_tasks_hosted_by

if TYPE_CHECKING:
    from peer_review.store.tables import Partnership, Person, Review, Trust


@dataclass(frozen=True)
class RosterUpdate:
    partnership: str
    changes: list[Change]  # what differs between the database and the file
    effects: list[
        str
    ]  # what applying it did to the reviews: replacements, tasks handed on, reviews planned or cancelled
    applied: bool


def update_partnership(
    session: Session,
    loaded: LoadedPartnership,
    dry_run: bool = False,
    today: dt.date | None = None,
    by: str = ENGINE,
) -> RosterUpdate:
    """Apply an edited partnership file to the loaded partnership of the same name, in the caller's
    transaction; with `dry_run`, only say what would change. Refusals are UserErrors naming the file's key.
    `by` is who asked, for the audit log (the coordinator on the web; the command line knows nobody)."""
    spec = loaded.spec
    partnership = partnership_named(session, spec.name)
    if partnership is None:
        raise _refusal(
            loaded,
            f"no partnership named '{spec.name}' is loaded, so there is nothing to update; load it without --update "
            "(a partnership is known by its name, which cannot change)",
            ("name",),
        )
    _check_settings_unchanged(partnership, loaded)
    if not dry_run:  # answers and machine steps on these reviews wait until the update is done, and it sees them done
        for review_id in open_review_ids(session, partnership.id):
            lock_review(session, review_id)
    try:
        titles = {strand["id"]: strand["title"] for strand in partnership.framework["strands"]}
        changes = diff(
            stored_roster(session, partnership), file_roster(loaded), history_of(session, partnership), titles
        )
    except Refused as exc:
        raise _refusal(loaded, exc.problem, exc.loc) from None
    changes += _calendar_changes(partnership, loaded)
    if dry_run or not changes:
        return RosterUpdate(partnership.name, changes, [], applied=False)
    for change in changes:
        audit(
            session,
            partnership.id,
            change.kind.value,
            by,
            about=change.about,
            change=change.sentence,
            source=str(loaded.source),
        )
    effects = _apply(session, partnership, loaded, changes, today or clock.today())
    _check_every_review_keeps_a_peer(session, partnership, loaded)
    audit(
        session,
        partnership.id,
        "partnership_updated",
        by,
        source=str(loaded.source),
        changes=len(changes),
        effects=effects,
    )
    return RosterUpdate(partnership.name, changes, effects, applied=True)


def _check_every_review_keeps_a_peer(session: Session, partnership: Partnership, loaded: LoadedPartnership) -> None:
    """A trust that leaves takes its people's places with it, and can take a review's last peer: refused, as the
    coordinator could not give that review another peer (each peer place belongs to one trust)."""
    for review in open_reviews(session, partnership.id):
        if team(session, review)[0]:
            continue
        choosing = open_tasks(session, review_id=review.id, kind=TaskKind.CHOOSE_REPLACEMENT)
        if not any(t.subject.get("role") == "peer" for t in choosing):
            raise _refusal(
                loaded,
                f"review {review.id} ({_review_label(session, review)}) would be left without a peer: its last peer's trust leaves; "
                "let the trust leave once that review has closed",
                ("trusts",),
            )


def _refusal(loaded: LoadedPartnership, problem: str, loc: tuple) -> UserError:
    """A UserError naming the file, and the line of the key when the file can still be read."""
    try:
        return Document.read(loaded.source).error(problem, loc)
    except UserError:
        return UserError(problem, source=str(loaded.source), place=dotted(loc) or None)


# --- reading both sides ---------------------------------------------------------------------------


def stored_roster(session: Session, partnership: Partnership) -> Roster:
    """The trusts and people still in a loaded partnership."""
    trusts = trusts_in(session, partnership.id, still_here=True)
    keys = {t.id: t.key for t in trusts_in(session, partnership.id)}
    people = people_in(session, partnership.id, still_here=True)
    return Roster(
        trusts={
            t.key: TrustEntry(t.key, t.name, tuple(t.strand_order), tuple(t.conflicts), t.calendar_id) for t in trusts
        },
        people={
            p.email: Member(
                p.email,
                keys.get(p.trust_id) if p.trust_id is not None else None,
                frozenset(r for r in ROLES if getattr(p, r)),
                {k: getattr(p, k) for k in DETAILS},
            )
            for p in people
        },
    )


def file_roster(loaded: LoadedPartnership) -> Roster:
    """The trusts and people an edited partnership file describes, read as loading reads them."""
    return Roster(
        trusts={
            t.id: TrustEntry(
                t.id, t.name, tuple(t.strand_order), tuple(t.conflicts), loaded.calendars[t.id].id, ("trusts", i)
            )
            for i, t in enumerate(loaded.spec.trusts)
        },
        people={
            email: Member(email, a["trust"], frozenset(r for r in ROLES if a[r]), {k: a[k] for k in DETAILS}, a["loc"])
            for email, a in people_of(loaded.spec).items()
        },
    )


def history_of(session: Session, partnership: Partnership) -> History:
    """What has happened in a partnership that an update must keep: who has records, which reviews started."""
    pid = partnership.id
    people = people_in(session, pid)
    keys = {t.id: t.key for t in trusts_in(session, pid)}
    ids = people_with_records(session, pid)
    started: dict[str, dict[str, int]] = {}
    for review, key in reviews_with_host_keys(session, pid):
        if Stage(review.stage) not in NOT_STARTED and review.stage != Stage.CANCELLED:
            started.setdefault(key, {})[review.strand_id] = review.position
    added = emails_added_by_hand(session, pid)
    return History(
        with_records=frozenset(p.email for p in people if p.id in ids),
        added_outside_file=frozenset(email for email in added if email is not None),  # None matches no email
        started=started,
        left_people={
            p.email: keys.get(p.trust_id) if p.trust_id is not None else None for p in people if p.left_on is not None
        },
        left_trusts=frozenset(left_trust_keys(session, pid)),
    )


#: Partnership settings the plan rests on, by the file's key: `--update` changes trusts and people only.
SETTINGS = {
    "framework": lambda p, f: p.framework == f.framework.model_dump(mode="json"),
    "cycle": lambda p, f: (p.cycle_start, p.cycle_months) == (f.spec.cycle.start, f.spec.cycle.months),
    # a calendar's dates may change where they were provisional: _calendar_changes
    "term_dates": lambda p, f: p.term_dates == f.spec.term_dates,
    "visit_days": lambda p, f: p.visit_days == f.spec.visit_days,
    "peers_per_trust": lambda p, f: p.peers_per_trust == f.spec.peers_per_trust,
    "deadlines": lambda p, f: p.deadlines == f.spec.deadlines.model_dump(),
    "blackouts": lambda p, f: p.blackouts == [b.model_dump(mode="json") for b in f.spec.blackouts],
    "reminders": lambda p, f: p.reminders == f.spec.reminders.model_dump(),
}


def _calendar_changes(partnership: Partnership, loaded: LoadedPartnership) -> list[Change]:
    """A school calendar whose provisional dates the file replaces, or to which it adds school years; refused
    when a published date would change (the plan and its deadlines rest on them)."""
    changes = []
    for calendar in {c.id: c for c in loaded.calendars.values()}.values():
        stored_dict = partnership.calendars.get(calendar.id)
        if stored_dict is None or stored_dict == calendar.to_dict():
            continue
        stored = SchoolCalendar.from_dict(calendar.id, stored_dict)
        why = why_not_replaceable(stored, calendar)
        if why is not None:
            raise _refusal(loaded, f"{why}; put the published dates back as they were loaded", ("term_dates",))
        changes.append(
            Change(
                Kind.CALENDAR_CHANGED,
                calendar.id,
                f"school calendar '{calendar.id}' now covers {calendar.years}{_provisional_note(calendar)} "
                f"(it covered {stored.years}{_provisional_note(stored)})",
            )
        )
    return changes


def _provisional_note(calendar: SchoolCalendar) -> str:
    start = calendar.provisional_from
    return f", provisional from {school_year(start)}" if start else ""


def visits_off_school_days(session: Session, partnership: Partnership, calendar_ids: set[str]) -> list[str]:
    """Booked reviews whose visit days, or whose stage deadlines (the host's), a replaced calendar no longer has
    as school days: they stay as booked, and the coordinator is told, to move them if they must."""
    calendars = {cid: SchoolCalendar.from_dict(cid, partnership.calendars[cid]) for cid in calendar_ids}
    trusts = trusts_in(session, partnership.id)
    calendar_of, name_of = {t.id: t.calendar_id for t in trusts}, {t.id: t.name for t in trusts}
    today = clock.today()
    effects = []
    for review in open_reviews(session, partnership.id):
        label = f"review {review.id} ({name_of[review.host_trust_id]}, {review.strand_title})"
        if not visit_is_past(Stage(review.stage)):
            peers, _ = team(session, review)
            involved = dict.fromkeys([review.host_trust_id, *(p.trust_id for p in peers if p.trust_id)])
            off = [
                (day, calendar)
                for trust_id in involved
                if (calendar := calendars.get(calendar_of.get(trust_id, ""))) is not None
                for day in visit_days(review.visit_start, review.visit_end)
                if not calendar.is_school_day(day)
            ]
            if off:
                day, calendar = off[0]
                effects.append(
                    f"{label}: its visit on {_day_in(calendar, day)}; it stays booked: move it with `peer-review reschedule` if it must"
                )
        host = calendars.get(calendar_of.get(review.host_trust_id, ""))
        if host is None:
            continue
        deadlines = sorted((dt.date.fromisoformat(due), stage) for stage, due in review.deadlines.items())
        late = [(due, stage) for due, stage in deadlines if due >= today and not host.is_school_day(due)]
        if late:
            due, stage = late[0]
            effects.append(
                f"{label}: its {stage.replace('_', ' ')} deadline on {_day_in(host, due)}; it stays as it is"
            )
    return effects


def _day_in(calendar: SchoolCalendar, day: dt.date) -> str:
    where = (
        "outside the school years" if not calendar.known_from <= day <= calendar.known_until else "not a school day in"
    )
    return f"{day.day} {day:%B %Y} is {where} the new '{calendar.id}' calendar"


def _check_settings_unchanged(partnership: Partnership, loaded: LoadedPartnership) -> None:
    for key, same in SETTINGS.items():
        if not same(partnership, loaded):
            raise _refusal(
                loaded,
                f"'{key}' differs from the loaded partnership's, and --update changes only trusts and people "
                "(the plan, its dates and deadlines rest on the rest); put it back as it was loaded",
                (key,),
            )


# --- applying -------------------------------------------------------------------------------------


def _apply(
    session: Session, partnership: Partnership, loaded: LoadedPartnership, changes: list[Change], today: dt.date
) -> list[str]:
    of = lambda kind: [c for c in changes if c.kind == kind]  # noqa: E731
    before = {c.about: _ceo(session, partnership, c.about) for c in of(Kind.CEO_CHANGED)}
    old_coordinator = coordinator_of(session, partnership.id)
    leaving = {c.about for c in of(Kind.PERSON_LEFT)}
    giving_up = {
        c.about: c.lost & {"is_reviewer", "is_moderator"} for c in changes if c.lost & {"is_reviewer", "is_moderator"}
    }
    replaced = {c.about for c in of(Kind.CALENDAR_CHANGED)}
    trusts = _sync_trusts(session, partnership, loaded, replaced)
    _sync_people(session, partnership, loaded, trusts, leaving, giving_up, today)
    effects: list[str] = visits_off_school_days(session, partnership, replaced) if replaced else []
    for change in of(Kind.TRUST_LEFT):
        effects += _cancel_reviews(session, trusts[change.about])
    gone_trusts = {trusts[c.about].id for c in of(Kind.TRUST_LEFT)}
    for email, roles in giving_up.items():
        person = _person(session, partnership, email)
        effects += _give_up_places(
            session,
            person,
            roles,
            frozenset(giving_up),
            left=email in leaving,
            seek=person.trust_id not in gone_trusts,
            today=today,
        )
        for role in roles:
            setattr(person, role, False)
        session.add(person)
    for change in of(Kind.TRUST_LEFT):
        trusts[change.about].left_on = today
        session.add(trusts[change.about])
    session.flush()
    for change in of(Kind.CEO_CHANGED):
        effects += _hand_over_host_tasks(session, trusts[change.about], before[change.about])
    if of(Kind.COORDINATOR_CHANGED):
        effects += _hand_over_coordinator_tasks(session, partnership, old_coordinator)
    for email in leaving:
        effects += _hand_over_leavers_tasks(session, _person(session, partnership, email))
    for change in of(Kind.STRAND_ORDER_CHANGED):
        effects += _reorder_strands(session, partnership, trusts[change.about])
    for change in of(Kind.TRUST_JOINED):
        effects += _plan_joining(session, partnership, change.about, today)
    return effects


def _person(session: Session, partnership: Partnership, email: str) -> Person:
    return member_by_email(session, partnership.id, email)


def _ceo(session: Session, partnership: Partnership, trust_key: str) -> Person:
    trust = trust_by_key(session, partnership.id, trust_key)
    return ceo_of_trust(session, partnership.id, trust.id)


def _sync_trusts(
    session: Session, partnership: Partnership, loaded: LoadedPartnership, replaced: set[str]
) -> dict[str, Trust]:
    """Trust rows as the file describes them (new ones added, with their school calendars, and the calendars in
    `replaced` stored anew); by key, all of them."""
    trusts = {t.key: t for t in trusts_in(session, partnership.id)}
    calendars = dict(partnership.calendars)
    for t in loaded.spec.trusts:
        calendar = loaded.calendars[t.id]
        if calendar.id in replaced:
            calendars[calendar.id] = calendar.to_dict()
        calendars.setdefault(calendar.id, calendar.to_dict())
        trust = trusts.get(t.id)
        if trust is None:
            trust = add_new_trust(session, partnership.id, t, calendar.id)
        else:
            trust.name, trust.strand_order, trust.conflicts = t.name, list(t.strand_order), list(t.conflicts)
            session.add(trust)
        trusts[t.id] = trust
    partnership.calendars = calendars
    partnership.source = str(loaded.source)
    session.add(partnership)
    session.flush()
    return trusts


def _sync_people(
    session: Session,
    partnership: Partnership,
    loaded: LoadedPartnership,
    trusts: dict[str, Trust],
    leaving: set[str],
    giving_up: dict[str, frozenset[str]],
    today: dt.date,
) -> None:
    """Person rows as the file describes them; those who leave are marked as left. A reviewer's or moderator's
    role is kept until their places are given up (the planner still needs them there to find replacements)."""
    rows = {p.email: p for p in people_in(session, partnership.id)}
    ids = {key: t.id for key, t in trusts.items()}
    for email, attributes in people_of(loaded.spec).items():
        person = rows.get(email)
        if person is None:
            add_new_person(session, partnership.id, attributes, ids)
            continue
        for column, value in attributes.items():
            if column not in ("trust", "loc") and not (column in giving_up.get(email, ()) and not value):
                setattr(person, column, value)
        person.trust_id, person.left_on = ids.get(attributes["trust"]), None
        session.add(person)
    for email in leaving:
        person = rows[email]
        person.left_on, person.is_ceo, person.is_coordinator = today, False, False
        session.add(person)
    session.flush()


def _give_up_places(
    session: Session,
    person: Person,
    roles: frozenset[str],
    unavailable: frozenset[str],
    left: bool,
    seek: bool,
    today: dt.date,
) -> list[str]:
    """`person` no longer holds `roles`: their places on reviews still to come go under the decline rules.

    A peer keeps a place whose visit has happened (they were there), and everyone keeps their place once the
    report is issued; the places' records stay either way.
    """
    effects = []
    roles_held = {"peer": "is_reviewer", "moderator": "is_moderator"}
    for assignment, review in places_of(session, person.id):
        stage = Stage(review.stage)
        if roles_held[assignment.role] not in roles or stage in (Stage.CLOSED, Stage.CANCELLED, Stage.FEEDBACK):
            continue
        if assignment.role == "peer" and visit_is_past(stage):
            continue
        for task in open_tasks(
            session, review_id=review.id, kind=TaskKind.RESPOND_TO_ASSIGNMENT, assignee_id=person.id
        ):
            end_task(session, task, TaskStatus.DONE.value, "withdrawn")  # as good as a decline
        why = "has left the partnership" if left else f"is no longer a {assignment.role}"
        successor = leave_team(
            session, review, assignment, f"{why} ({today.isoformat()})", why, ENGINE, unavailable, seek=seek
        )
        then = (
            f"{successor.name} <{successor.email}> is asked to take it"
            if successor
            else "the coordinator is asked to choose a replacement"
            if seek
            else "the team goes ahead without a peer from their trust"
        )
        effects.append(
            f"review {review.id} ({_review_label(session, review)}): {person.name} <{person.email}> {why}, so gives up their place as {assignment.role}; {then}"
        )
    return effects


def _hand_over_host_tasks(session: Session, trust: Trust, old: Person) -> list[str]:
    """The trust's new CEO takes over the open tasks the one before had for the trust's reviews."""
    effects = []
    for task, review in open_tasks_hosted_by(session, trust.id, old.id):
        new = host_ceo(session, review)
        now_open = hand_over(session, task, new, f"{new.name} is now the CEO of {trust.name}")
        effects.append(
            f"review {review.id} ({_review_label(session, review)}): task {task.id} ({TaskKind(task.kind).title}) "
            + (
                f"moves to {new.name}, the new CEO (task {now_open.id})"
                if now_open
                else f"is cancelled: only {old.name} could give it"
            )
        )
    return effects


def _hand_over_coordinator_tasks(session: Session, partnership: Partnership, old: Person) -> list[str]:
    """The new coordinator takes over the open tasks of the one before, including those held for others."""
    effects = []
    new = coordinator_of(session, partnership.id)
    for task in open_tasks(session, assignee_id=old.id):
        now_open = hand_over(session, task, new, f"{new.name} is now the coordinator")
        effects.append(
            f"review {task.review_id}: task {task.id} ({TaskKind(task.kind).title}) "
            + (
                f"moves to {new.name}, the new coordinator (task {now_open.id})"
                if now_open
                else f"is cancelled: only {old.name} could give it"
            )
        )
    return effects


def _hand_over_leavers_tasks(session: Session, person: Person) -> list[str]:
    """Whatever work someone who left still has (a peer's after the visit): the coordinator holds it for them.
    Nobody is asked for feedback on their behalf: that task is cancelled."""
    effects = []
    for task in open_tasks(session, assignee_id=person.id):
        if task.kind == TaskKind.GIVE_FEEDBACK.value:
            end_task(session, task, TaskStatus.CANCELLED.value, "left")
            audit(
                session,
                person.partnership_id,
                "task_cancelled",
                ENGINE,
                task.review_id,
                task=task.id,
                kind=task.kind,
                reason=f"{person.email} has left the partnership",
            )
            effects.append(
                f"review {task.review_id}: {person.name}'s feedback is no longer asked for (task {task.id} cancelled)"
            )
            continue
        now_open = hand_over(session, task, person, "has left the partnership", for_=person)
        if now_open is None:  # only a task whose answer is its assignee's own is passed to nobody: feedback, above
            raise RuntimeError(f"task {task.id} ({task.kind}) was passed to nobody")
        effects.append(
            f"review {task.review_id}: task {task.id} ({TaskKind(task.kind).title}) passes to the coordinator, to do on {person.name}'s behalf (task {now_open.id})"
        )
    return effects


def _reorder_strands(session: Session, partnership: Partnership, trust: Trust) -> list[str]:
    """A trust's reviews not yet started take the strands in its new order, keeping their dates and teams (which
    meet every hard constraint: strands only steer who is preferred); started reviews keep theirs."""
    reviews = hosted_reviews(session, trust.id)
    moving = [
        (r, trust.strand_order[r.position - 1])
        for r in reviews
        if Stage(r.stage) in NOT_STARTED and r.strand_id != trust.strand_order[r.position - 1]
    ]
    titles = {s["id"]: s["title"] for s in partnership.framework["strands"]}
    for review, _strand in moving:  # out of the way first: a strand is hosted once per trust and cycle
        review.strand_id = f"~{review.id}"
        session.add(review)
    session.flush()
    effects = []
    for review, strand in moving:
        before = review.strand_title
        review.strand_id, review.strand_title = strand, titles[strand]
        review.sequence += 1
        session.add(review)
        session.flush()
        audit(
            session,
            partnership.id,
            "strand_changed",
            ENGINE,
            review.id,
            before=before,
            after=review.strand_title,
            position=review.position,
        )
        _tell(
            session,
            review,
            f'The review of {trust.name} on these dates now covers the strand "{review.strand_title}" (it was "{before}"): '
            "the trust has changed the order of its strands.",
            calendar=True,
        )
        effects.append(
            f"review {review.id} ({trust.name}, visit {review.visit_start}): strand '{before}' -> '{review.strand_title}'"
        )
    return effects


def _cancel_reviews(session: Session, trust: Trust) -> list[str]:
    """The reviews of a trust that leaves (none has started): cancelled, with their open tasks."""
    effects = []
    for review in hosted_reviews(session, trust.id):
        _tell(
            session,
            review,
            f'The review of {trust.name} ("{review.strand_title}") is cancelled: the trust has left the partnership.',
        )
        for task in open_tasks(session, review_id=review.id):
            end_task(session, task, TaskStatus.CANCELLED.value, "review_cancelled")
        audit(
            session,
            review.partnership_id,
            "review_cancelled",
            ENGINE,
            review.id,
            before=review.stage,
            reason=f"trust '{trust.key}' left the partnership",
        )
        review.stage = Stage.CANCELLED.value
        session.add(review)
        effects.append(f"review {review.id} ({trust.name}, {review.strand_title}): cancelled")
    return effects


def _plan_joining(session: Session, partnership: Partnership, trust_key: str, today: dt.date) -> list[str]:
    name = trust_by_key(session, partnership.id, trust_key).name
    if latest_cycle(session, partnership.id) is None:
        return [f"{name}: its reviews are proposed with everyone else's when the cycle is proposed"]
    try:
        reviews = plan_joining_trust(session, partnership, trust_key, today)
    except (PlanInfeasible, UserError) as exc:
        audit(session, partnership.id, "reviews_not_planned", ENGINE, trust=trust_key, reason=str(exc))
        return [
            f"{name}: its reviews cannot be planned in this cycle ({exc}); it takes part as a peer trust this cycle "
            "and hosts its reviews in the next"
        ]
    audit(session, partnership.id, "reviews_planned", ENGINE, trust=trust_key, reviews=[r.id for r in reviews])
    return [
        f"review {r.id} ({_review_label(session, r)}): planned, visit {r.visit_start} to {r.visit_end}" for r in reviews
    ]


def _tell(session: Session, review: Review, change: str, calendar: bool = False) -> None:
    """The host CEO and the review's team (those still in the partnership) hear of a change to the review."""
    from peer_review.service.calendars import reviews_calendar
    from peer_review.service.outbox import notify, review_context

    context = review_context(session, review)
    peers, moderator = team(session, review)
    ceo = host_ceo_if_any(session, review)  # none when the trust has left
    told = {p.id: p for p in [ceo, *peers, moderator] if p is not None and p.left_on is None}
    ics = reviews_calendar(session, [review], f"Peer review visit: {context['host']}") if calendar else None
    for person in told.values():
        notify(
            session,
            key=f"review_changed/{review.id}/{review.sequence}/{review.stage}/{person.id}",
            event="review_changed",
            person=person,
            review=review,
            subject=f"Review changed: {context['host']} ({context['strand']})",
            context=context | {"change": change, "calendar": calendar},
            ics=ics,
        )


def _review_label(session: Session, review: Review) -> str:
    return f"{trust_of(session, review).name}, {review.strand_title}"
