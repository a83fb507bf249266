"""The visit timetable: reading it, adding, changing and removing a session, and telling the team.

Who: the host trust ("host" in the viewer's roles on the review, however they came by it) and the partnership's
coordinator build and change it; the review team (peers, the moderator) and the host read it; anyone else is
refused by `access.review_for` (a 404 outside their partnerships). Each change is kept in the audit log.

Telling the team: a host enters a dozen sessions in a row, and a team wants one email with the timetable, not a
dozen. So a change is saved and shown at once (on the page and in the calendar files), and the team is told
when the host presses "Tell the team": one email each to the review team who have accepted their places and
the host trust's CEO, listing what changed since they were last told (several edits of a session are one
change, a session added and removed since is none), with their own calendar entries attached. Until then the
page tells the host and coordinator what the team has not been told yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from peer_review import clock
from peer_review.domain import timetable as tt
from peer_review.domain.lifecycle import Stage, visit_is_past
from peer_review.domain.text import OptionalName, OptionalText, OptionalTitle
from peer_review.errors import BadInput, Conflict, NotFound, Refused, UserError
from peer_review.service import access
from peer_review.service.common import ENGINE, audit
from peer_review.store import timetable as rows
from peer_review.store.colleagues import colleagues_of
from peer_review.store.db import Session
from peer_review.store.people import host_ceo, names_by_id, trust_of

if TYPE_CHECKING:
    from peer_review.store.tables import Person, Review, VisitSession

EDITORS = frozenset({"host", "coordinator"})
REFUSED = "Only the host trust and the partnership's coordinator can change the visit timetable."

#: The form's fields, in the page's order (the error summary lists problems in this order).
FIELDS = ("day", "start", "end", "activity", "description", "school", "room", "host_people", "reviewers")

_ONE_LINE: TypeAdapter[str] = TypeAdapter(OptionalName)
_DESCRIPTION: TypeAdapter[str] = TypeAdapter(OptionalTitle)
_PARAGRAPH: TypeAdapter[str] = TypeAdapter(OptionalText)


@dataclass(frozen=True)
class SessionForm:
    """A session as typed on its form: every value text, the reviewers' person ids as sent."""

    day: str = ""  # ISO date, one of the visit's days
    start: str = ""
    end: str = ""
    activity: str = ""
    description: str = ""
    school: str = ""
    room: str = ""
    host_people: str = ""
    reviewers: tuple[str, ...] = ()

    @classmethod
    def of(cls, s: tt.TimetableSession) -> SessionForm:
        """A stored session as its change form starts."""
        return cls(
            day=s.day.isoformat(),
            start=tt.time_words(s.start),
            end=tt.time_words(s.end),
            activity=s.activity.value,
            description=s.description,
            school=s.school,
            room=s.room,
            host_people=s.host_people,
            reviewers=tuple(str(i) for i in s.reviewers),
        )

    def values(self) -> dict[str, Any]:
        return {name: list(getattr(self, name)) if name == "reviewers" else getattr(self, name) for name in FIELDS}


class InvalidSession(BadInput):
    """A session that cannot be saved as typed: the problems by field, in the form's order (nothing is written)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = {name: errors[name] for name in FIELDS if name in errors}
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    organisation: str
    role: str  # peer | moderator
    accepted: bool

    @property
    def label(self) -> str:
        role = "external moderator" if self.role == "moderator" else "peer reviewer"
        return f"{self.name} ({self.organisation}), {role}" if self.organisation else f"{self.name}, {role}"


@dataclass(frozen=True)
class SessionRow:
    """A session as its page shows it."""

    session: tt.TimetableSession
    reviewers: list[str]  # names
    flagged: bool  # a problem is about it


@dataclass(frozen=True)
class Timetable:
    review: Review
    host: str
    visit: tt.Visit
    team: list[Member]
    days: list[tuple[dt.date, list[SessionRow]]]
    problems: list[tt.Problem]
    may_change: bool  # the viewer may build it (host or coordinator)
    open: bool  # the visit is still to come: the timetable can change
    untold: list[str] = field(default_factory=list)  # what the team has not been told yet (for those who change it)
    told_at: dt.datetime | None = None

    @property
    def sessions(self) -> list[tt.TimetableSession]:
        return [row.session for _, day in self.days for row in day]


# --- reading ------------------------------------------------------------------------------------


value = rows.value  # a stored session as the domain's value


def team_of(session: Session, review_id: int) -> list[Member]:
    """The review team as the timetable offers it: everyone on it but those who declined, in the team's order."""
    return [
        Member(p.id, p.name, p.organisation or "", role, status == "accepted")
        for p, role, status in rows.team_places(session, review_id)
    ]


def visit_of(review: Review, team: list[Member]) -> tt.Visit:
    return tt.Visit(review.visit_start, review.visit_end, {m.id: m.name for m in team})


def _names(session: Session, sessions: list[tt.TimetableSession], team: list[Member]) -> dict[int, str]:
    """Everyone a session names, by id: the team, and anyone who has left it since."""
    named = {m.id: m.name for m in team}
    others = {i for s in sessions for i in s.reviewers} - set(named)
    return named | names_by_id(session, others)


def timetable(session: Session, viewer: access.Viewer, review_id: int) -> Timetable:
    """The timetable as this viewer may read it (refused as the review is)."""
    review, roles = access.review_for(session, viewer, review_id)
    team = team_of(session, review.id)
    visit = visit_of(review, team)
    sessions = [value(r) for r in rows.sessions_of(session, review.id)]
    names = _names(session, sessions, team)
    found = tt.problems(sessions, visit, names)
    flagged = {i for p in found for i in p.sessions}
    days = [
        (day, [SessionRow(s, [names.get(i, "someone") for i in s.reviewers], s.id in flagged) for s in day_sessions])
        for day, day_sessions in tt.by_day(sessions, visit)
    ]
    may_change = bool(roles & EDITORS)
    untold, told_at = [], None
    if may_change:
        untold, _sessions, entry, _count = _untold(session, review)
        told_at = entry.at if entry else None
    return Timetable(
        review=review,
        host=trust_of(session, review).name,
        visit=visit,
        team=team,
        days=days,
        problems=found,
        may_change=may_change,
        open=can_still_move(review),
        untold=untold,
        told_at=told_at,
    )


def can_still_move(review: Review) -> bool:
    """A timetable can change until the visit has happened (as the visit itself can move); a cancelled one never."""
    stage = Stage(review.stage)
    return stage != Stage.CANCELLED and not visit_is_past(stage)


def editable(session: Session, viewer: access.Viewer, review_id: int) -> tuple[Review, Person]:
    """A review whose timetable this viewer may change now, and their own record in its partnership."""
    review, roles = access.review_for(session, viewer, review_id)
    if not roles & EDITORS:
        raise Refused(REFUSED)
    if not can_still_move(review):
        raise UserError("The visit has happened or the review was cancelled: its timetable can no longer change.")
    return review, access.acting_person(session, viewer, review.partnership_id)


def stored_session(session: Session, review: Review, session_id: int) -> VisitSession:
    row = rows.visit_session(session, review.id, session_id)
    if row is None:
        raise NotFound(f"no session with id {session_id} in this review's timetable")
    return row


# --- checking what was typed ---------------------------------------------------------------------------


def _typed(adapter: TypeAdapter, text: str, label: str) -> tuple[str, str | None]:
    try:
        return adapter.validate_python(text), None
    except ValidationError as exc:
        error = exc.errors()[0]
    if error["type"] == "string_too_long":
        return "", f"{label} must be {error['ctx']['max_length']:,} characters or fewer"
    problem = error["msg"].removeprefix("Value error, ")
    return "", f"{label} {problem}" if problem.startswith("must") else f"{label}: {problem}"


def checked(
    form: SessionForm, visit: tt.Visit, team: list[Member], session_id: int | None = None
) -> tt.TimetableSession:
    """The session the form describes, or InvalidSession with every problem by field, in GOV.UK's words."""
    errors: dict[str, str] = {}
    day = None
    try:
        day = dt.date.fromisoformat(form.day.strip()) if form.day.strip() else None
    except ValueError:
        pass
    if day is None:
        errors["day"] = "Select the day of the session"
    elif day not in visit.days:
        errors["day"] = f"Select a day of the visit: {visit.days_words()}"
    times = {}
    for name, what in (("start", "the start time"), ("end", "the end time")):
        try:
            times[name] = tt.parse_time(getattr(form, name), what)
        except ValueError as exc:
            errors[name] = str(exc)
    if len(times) == 2 and times["end"] <= times["start"]:
        errors["end"] = "The end time must be after the start time"
    try:
        activity = tt.Activity(form.activity)
    except ValueError:
        activity = None
        errors["activity"] = "Select the activity"
    description, problem = _typed(_DESCRIPTION, form.description, "The description")
    if problem:
        errors["description"] = problem
    elif activity is tt.Activity.OTHER and not description:
        errors["description"] = "Enter what the activity is"
    school, problem = _typed(_ONE_LINE, form.school, "The school or place")
    if problem or not school:
        errors["school"] = problem or "Enter the school or place"
    room, problem = _typed(_ONE_LINE, form.room, "The room")
    if problem:
        errors["room"] = problem
    host_people, problem = _typed(_PARAGRAPH, form.host_people, "Who from the host trust")
    if problem:
        errors["host_people"] = problem
    members = {m.id for m in team}
    reviewers: list[int] = []
    for sent in form.reviewers:
        if not (sent.isascii() and sent.isdigit()) or int(sent) not in members:
            errors["reviewers"] = "Select the reviewers from the review team"
        elif int(sent) not in reviewers:
            reviewers.append(int(sent))
    if errors:
        raise InvalidSession(errors)
    assert day is not None and activity is not None  # no error, so both were read
    candidate = tt.TimetableSession(
        day=day,
        start=times["start"],
        end=times["end"],
        activity=activity,
        school=school,
        description=description,
        room=room,
        host_people=host_people,
        reviewers=tuple(sorted(reviewers, key=[m.id for m in team].index)),
        id=session_id,
    )
    refused = {p.field: p.message for p in reversed(tt.problems_of(candidate, [], visit)) if p.error}
    if refused:
        raise InvalidSession(refused)
    return candidate


def _warnings(session: Session, review: Review, candidate: tt.TimetableSession, team: list[Member]) -> list[tt.Problem]:
    others = [value(r) for r in rows.sessions_of(session, review.id)]
    return [
        p
        for p in tt.problems_of(candidate, others, visit_of(review, team), _names(session, others, team))
        if not p.error
    ]


# --- changing it -----------------------------------------------------------------------------------


def add_session(
    session: Session, viewer: access.Viewer, review_id: int, form: SessionForm
) -> tuple[VisitSession, list[tt.Problem]]:
    """A new session (refused with every problem by field, writing nothing), and the warnings it raises."""
    review, me = editable(session, viewer, review_id)
    team = team_of(session, review.id)
    candidate = checked(form, visit_of(review, team), team)
    warnings = _warnings(session, review, candidate, team)
    row = rows.add_visit_session(
        session,
        review_id=review.id,
        day=candidate.day,
        start=candidate.start,
        end=candidate.end,
        activity=candidate.activity.value,
        description=candidate.description,
        school=candidate.school,
        room=candidate.room,
        host_people=candidate.host_people,
        reviewer_ids=list(candidate.reviewers),
        by_id=me.id,
        at=clock.now(),
    )
    session.flush()  # its id, for the audit log and the calendar's UID
    audit(
        session,
        review.partnership_id,
        "timetable_session_added",
        me.email,
        review.id,
        visit_session=value(row).record(),
    )
    return row, warnings


def change_session(
    session: Session, viewer: access.Viewer, review_id: int, session_id: int, form: SessionForm, as_of: int
) -> tuple[VisitSession, list[tt.Problem]]:
    """A session changed as its form says (`as_of`: the session's sequence when the form was drawn; if someone
    changed it since, nothing is written and the person is told)."""
    review, me = editable(session, viewer, review_id)
    row = stored_session(session, review, session_id)
    if row.sequence != as_of:
        changed_by = names_by_id(session, {row.updated_by_id}).get(row.updated_by_id, "Someone")
        raise Conflict(
            f"{changed_by} changed this session on {clock.long_moment(row.updated_at)}, after you opened it. "
            "Nothing you sent was saved: open the session again to see it as it is now."
        )
    team = team_of(session, review.id)
    before = value(row)
    candidate = checked(form, visit_of(review, team), team, row.id)
    if _same(candidate, before):
        return row, _warnings(session, review, candidate, team)  # nothing changed: nothing to record or tell
    warnings = _warnings(session, review, candidate, team)
    row.day, row.start, row.end = candidate.day, candidate.start, candidate.end
    row.activity, row.description = candidate.activity.value, candidate.description
    row.school, row.room, row.host_people = candidate.school, candidate.room, candidate.host_people
    row.reviewer_ids = list(candidate.reviewers)
    row.sequence += 1
    row.updated_by_id, row.updated_at = me.id, clock.now()
    session.add(row)
    audit(
        session,
        review.partnership_id,
        "timetable_session_changed",
        me.email,
        review.id,
        before=before.record(),
        after=value(row).record(),
    )
    return row, warnings


def _same(candidate: tt.TimetableSession, stored: tt.TimetableSession) -> bool:
    return candidate.record() | {"sequence": 0} == stored.record() | {"sequence": 0}


def remove_session(session: Session, viewer: access.Viewer, review_id: int, session_id: int) -> tt.TimetableSession:
    """A session taken off the timetable (and so out of everyone's calendar file)."""
    review, me = editable(session, viewer, review_id)
    row = stored_session(session, review, session_id)
    removed = value(row)
    rows.remove_visit_session(session, row)
    audit(
        session, review.partnership_id, "timetable_session_removed", me.email, review.id, visit_session=removed.record()
    )
    return removed


def follow_the_visit(session: Session, review: Review, old_start: dt.date, old_end: dt.date, by_id: int) -> int:
    """The visit has moved (rescheduling.reschedule): each session on one of its old days moves to the same day
    of the new visit (the second day stays the second day), its calendar event's SEQUENCE up by one; a session
    already outside the old visit stays where it is, flagged. How many moved."""
    shift = review.visit_start - old_start
    moved = 0
    for row in rows.sessions_of(session, review.id):
        if old_start <= row.day <= old_end and shift:
            row.day += shift
            row.sequence += 1
            row.updated_by_id, row.updated_at = by_id, clock.now()
            session.add(row)
            moved += 1
    return moved


# --- telling the team --------------------------------------------------------------------------------


def told(session: Session, review: Review) -> list[Person]:
    """Who is told of the timetable: the review team who have accepted their places, the host trust's CEO and
    the colleagues the CEO named for the review."""
    team = [p for p, _role, status in rows.team_places(session, review.id) if status == "accepted"]
    colleagues = [p for _, p in colleagues_of(session, review.id)]
    people = {p.id: p for p in [*team, host_ceo(session, review), *colleagues]}
    return list(people.values())


def tell_team(session: Session, viewer: access.Viewer, review_id: int) -> int:
    """One email to each person told (`told`), saying what changed since they were last told, with their own
    calendar entries for the visit attached; the number of people told. Refused when nothing has changed."""
    review, me = editable(session, viewer, review_id)
    return _tell(session, review, me.name, me.email)


#: How long after the last change the daily sweep tells the team of changes the host has not told them of.
QUIET_HOURS = 2


def tell_untold(session: Session, reviews: list[Review]) -> int:
    """The daily sweep's part: for each review whose visit is still to come, the team is told of timetable
    changes nobody told them of, once nobody has changed it for QUIET_HOURS (a host who forgets to press
    "Tell the team" still has the team told, by the next morning). The number of people told."""
    told_now = 0
    quiet = clock.now() - dt.timedelta(hours=QUIET_HOURS)
    for review in reviews:
        if not can_still_move(review):
            continue
        latest = rows.last_change(session, review.id)
        if latest is None or clock.as_utc(latest) > quiet:
            continue
        if _untold(session, review)[0]:
            told_now += _tell(
                session, review, trust_of(session, review).name, ENGINE
            )  # "... has changed the timetable"
    return told_now


def _untold(session: Session, review: Review):
    """(the changes since the team was last told, in sentences; the sessions now; the last telling; how many)."""
    team = team_of(session, review.id)
    sessions = [value(r) for r in rows.sessions_of(session, review.id)]
    names = _names(session, sessions, team)
    entry, count = rows.last_told(session, review.id)
    before = [tt.TimetableSession.from_record(r) for r in entry.detail.get("sessions", [])] if entry else []
    return tt.changes(before, sessions, names), sessions, entry, count


def _tell(session: Session, review: Review, by_name: str, by_email: str) -> int:
    from peer_review.service.calendars import reviews_calendar
    from peer_review.service.outbox import notify, review_context

    changed, sessions, entry, count = _untold(session, review)
    team = team_of(session, review.id)
    names = _names(session, sessions, team)
    if not changed:
        raise BadInput(
            "There are no changes to tell the team about: add a session first"
            if entry is None
            else f"There are no changes to tell the team about since they were told on {clock.long_moment(entry.at)}"
        )
    context = review_context(session, review)
    visit = visit_of(review, team)
    clashes = [p.message for p in tt.problems(sessions, visit, names)]
    people = told(session, review)
    host_side = {host_ceo(session, review).id} | {p.id for _, p in colleagues_of(session, review.id)}
    for person in people:
        theirs = None if person.id in host_side else frozenset({person.id})  # the host's people: every session
        mine = [s for s in tt.ordered(sessions) if theirs is None or set(s.reviewers) & theirs]
        ics = reviews_calendar(session, [review], f"Peer review visit: {context['host']}", {review.id: theirs})
        notify(
            session,
            key=f"timetable_told/{review.id}/{count + 1}/{person.id}",
            event="timetable_changed",
            person=person,
            subject=(
                f"Visit timetable {'ready' if entry is None else 'changed'}: "
                f"peer review of {context['host']} ({context['strand']})"
            ),
            context=context
            | {
                "first": entry is None,
                "by": by_name,
                "changes": changed,
                "sessions": [_in_words(s, names) for s in mine],
                "everyone": theirs is None,
                "clashes": clashes,
                "web_path": f"/reviews/{review.id}/timetable",
            },
            review=review,
            ics=ics,
        )
    audit(
        session,
        review.partnership_id,
        "timetable_told",  # rows.TOLD, which rows.last_told reads
        by_email,
        review.id,
        sessions=[s.record() for s in sessions],
        changes=len(changed),
        people=len(people),
    )
    return len(people)


def _in_words(s: tt.TimetableSession, names: dict[int, str]) -> dict[str, str]:
    return {
        "when": f"{tt.day_words(s.day)}, {s.times}",
        "what": s.title,
        "where": s.place,
        "host_people": s.host_people,
        "reviewers": ", ".join(names.get(i, "someone") for i in s.reviewers),
    }
