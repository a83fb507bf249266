"""The visit timetable: the sessions of a visit's days, and what is wrong with them, in people's words.

The host trust (or the coordinator) builds it: for each day, sessions with their times, the activity, the school
and room, who from the host trust is there and which of the review team. `problems` says what is wrong with the
timetable as a whole, and `problems_of` with one session as it is saved. A problem is an error (the session
cannot be saved like that: a day outside the visit, an end not after its start, a reviewer who is not on the
review team) or a warning (it can be saved, and the page says so for as long as it stands: a reviewer in two
sessions at once, a room booked twice at once, a session outside the school day). Overlaps are warnings because
a host rearranging a day moves one session at a time and passes through overlaps on the way, and because a
reviewer may join part of a session on purpose; the page keeps flagging them until they are put right.

`changes` says, in sentences, how the timetable differs from the one the team was last told of.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from peer_review import clock


class Activity(StrEnum):
    """What a session is for: the usual parts of a review visit, and "other" with a description."""

    MEETING = "meeting"
    LEARNING_WALK = "learning_walk"
    DOCUMENT_SCRUTINY = "document_scrutiny"
    PUPIL_VOICE = "pupil_voice"
    STAFF_VOICE = "staff_voice"
    PARENT_VOICE = "parent_voice"
    GOVERNANCE = "governance"
    TEAM_MEETING = "team_meeting"
    FEEDBACK = "feedback"
    BREAK = "break"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ACTIVITY_LABELS[self]


ACTIVITY_LABELS: Mapping[Activity, str] = {
    Activity.MEETING: "Meeting",
    Activity.LEARNING_WALK: "Learning walk",
    Activity.DOCUMENT_SCRUTINY: "Document scrutiny",
    Activity.PUPIL_VOICE: "Pupil voice",
    Activity.STAFF_VOICE: "Staff voice",
    Activity.PARENT_VOICE: "Parent voice",
    Activity.GOVERNANCE: "Meeting with trustees or governors",
    Activity.TEAM_MEETING: "Review team meeting",
    Activity.FEEDBACK: "Feedback to the host trust",
    Activity.BREAK: "Break or lunch",
    Activity.OTHER: "Other",
}

#: The hours a session is expected to fall in; outside them it is a warning (a breakfast or evening meeting
#: happens, but a session at 3am is a typing slip).
DAY_STARTS = dt.time(7, 0)
DAY_ENDS = dt.time(19, 0)


@dataclass(frozen=True)
class TimetableSession:
    """One session of the visit. `reviewers` are the review team's person ids; `host_people` is typed text
    (names and roles of the host trust's people, who have no records of their own here). `id` is the stored
    session's id (None for one not yet saved), `sequence` how many times it has changed."""

    day: dt.date
    start: dt.time
    end: dt.time
    activity: Activity
    school: str
    description: str = ""
    room: str = ""
    host_people: str = ""
    reviewers: tuple[int, ...] = ()
    id: int | None = None
    sequence: int = 0

    @property
    def title(self) -> str:
        """The activity in words: its label, with its description when there is one ("other" is its description)."""
        if self.activity is Activity.OTHER:
            return self.description or Activity.OTHER.label
        return f"{self.activity.label}: {self.description}" if self.description else self.activity.label

    @property
    def place(self) -> str:
        return f"{self.school}, {self.room}" if self.room else self.school

    @property
    def times(self) -> str:
        return time_span(self.start, self.end)

    def overlaps(self, other: TimetableSession) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end

    def words(self) -> str:
        """The session in one sentence's worth: "Learning walk, Monday 15 January 2024, 9am to 10:30am, at ..."."""
        return f"{self.title}, {day_words(self.day)}, {self.times}, at {self.place}"

    def record(self) -> dict[str, Any]:
        """As plain data (the audit log's detail, and the timetable as the team was last told of it)."""
        return {
            "id": self.id,
            "sequence": self.sequence,
            "day": self.day.isoformat(),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "activity": self.activity.value,
            "description": self.description,
            "school": self.school,
            "room": self.room,
            "host_people": self.host_people,
            "reviewers": list(self.reviewers),
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> TimetableSession:
        return cls(
            day=dt.date.fromisoformat(data["day"]),
            start=dt.time.fromisoformat(data["start"]),
            end=dt.time.fromisoformat(data["end"]),
            activity=Activity(data["activity"]),
            school=data["school"],
            description=data.get("description", ""),
            room=data.get("room", ""),
            host_people=data.get("host_people", ""),
            reviewers=tuple(data.get("reviewers", ())),
            id=data.get("id"),
            sequence=data.get("sequence", 0),
        )


@dataclass(frozen=True)
class Visit:
    """The visit's days (consecutive, as the plan books them) and its review team, by person id."""

    first_day: dt.date
    last_day: dt.date
    team: Mapping[int, str] = field(default_factory=dict)  # person id -> name, in the team's order

    @property
    def days(self) -> list[dt.date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=i) for i in range(max(count, 0))]

    def days_words(self) -> str:
        days = [day_words(day) for day in self.days]
        return days[0] if len(days) == 1 else ", ".join(days[:-1]) + " or " + days[-1]


@dataclass(frozen=True)
class Problem:
    """Something wrong with the timetable. An error stops a session being saved like that; a warning does
    not. `field` is the form field it concerns (day, start, end, reviewers; "" for none), and `sessions` the
    stored sessions it is about."""

    message: str
    error: bool
    field: str = ""
    sessions: tuple[int, ...] = ()


# --- time in people's words -----------------------------------------------------------------------


def time_words(time: dt.time) -> str:
    """A time as GOV.UK writes it: 9am, 9:30am, midday, 2:15pm, midnight."""
    if time == dt.time(0, 0):
        return "midnight"
    if time == dt.time(12, 0):
        return "midday"
    hour = time.hour % 12 or 12
    suffix = "am" if time.hour < 12 else "pm"
    return f"{hour}{suffix}" if time.minute == 0 else f"{hour}:{time.minute:02d}{suffix}"


def time_span(start: dt.time, end: dt.time) -> str:
    return f"{time_words(start)} to {time_words(end)}"


def day_words(day: dt.date) -> str:
    """A visit's day with its weekday: "Monday 15 January 2024"."""
    return f"{day:%A} {clock.long_date(day)}"


_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
TIME_EXAMPLE = "like 9:30am or 14:00"


def parse_time(text: str, what: str) -> dt.time:
    """A time as people type it (9:30, 09:30, 9.30, 9:30am, 2pm, 14:00, midday), or ValueError saying what is
    wrong in GOV.UK's words, `what` naming the field ("the start time")."""
    typed = text.strip().lower().replace(" ", "")
    if not typed:
        raise ValueError(f"Enter {what}")
    named = {"midday": dt.time(12, 0), "noon": dt.time(12, 0), "12noon": dt.time(12, 0), "midnight": dt.time(0, 0)}
    if typed in named:
        return named[typed]
    found = _TIME.match(typed)
    real = f"{what[0].upper()}{what[1:]} must be a real time, {TIME_EXAMPLE}"
    if not found:
        raise ValueError(real)
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), (found.group(3) or "").replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(real)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(real)
    return dt.time(hour, minute)


# --- what is wrong --------------------------------------------------------------------------------


def _own_problems(s: TimetableSession, visit: Visit, names: Mapping[int, str], saving: bool) -> list[Problem]:
    """What is wrong with one session by itself. When `saving`, a reviewer not on the team is an error: the
    form offers only the team. Once saved, a reviewer who has left the team since is a warning to change it."""
    ids = (s.id,) if s.id is not None else ()
    found = []
    if s.day not in visit.days:
        found.append(
            Problem(
                f"{s.title} ({s.times}) is on {day_words(s.day)}, which is not a day of the visit: "
                f"choose {visit.days_words()}",
                True,
                "day",
                ids,
            )
        )
    if s.end <= s.start:
        found.append(
            Problem(
                f"{s.title} on {day_words(s.day)} ends at {time_words(s.end)}, which is not after it starts "
                f"({time_words(s.start)}): the end time must be after the start time",
                True,
                "end",
                ids,
            )
        )
    elif s.start < DAY_STARTS or s.end > DAY_ENDS:
        found.append(
            Problem(
                f"{s.title} on {day_words(s.day)} ({s.times}) is outside the school day "
                f"({time_words(DAY_STARTS)} to {time_words(DAY_ENDS)}): check its times",
                False,
                "start" if s.start < DAY_STARTS else "end",
                ids,
            )
        )
    for person in s.reviewers:
        if person not in visit.team:
            who = names.get(person, "Someone")
            found.append(
                Problem(
                    f"{who} is not on the review team"
                    + ("" if saving else f": change who is at {s.title} on {day_words(s.day)} ({s.times})"),
                    saving,
                    "reviewers",
                    ids,
                )
            )
    return found


def _overlaps(
    first: TimetableSession, second: TimetableSession, visit: Visit, names: Mapping[int, str]
) -> list[Problem]:
    """Warnings about two sessions at once: a reviewer in both, or one room booked for both."""
    if not first.overlaps(second):
        return []
    ids = tuple(i for i in (first.id, second.id) if i is not None)
    both = f"{first.title} ({first.times}) and {second.title} ({second.times})"
    found = []
    for person in [p for p in first.reviewers if p in second.reviewers]:
        who = visit.team.get(person) or names.get(person, "Someone")
        found.append(
            Problem(f"{who} is in two sessions at once on {day_words(first.day)}: {both}", False, "reviewers", ids)
        )
    if first.room and _same(first.room, second.room) and _same(first.school, second.school):
        found.append(
            Problem(
                f"{first.place} is booked for two sessions at once on {day_words(first.day)}: {both}",
                False,
                "room",
                ids,
            )
        )
    return found


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def problems_of(
    candidate: TimetableSession,
    others: Iterable[TimetableSession],
    visit: Visit,
    names: Mapping[int, str] | None = None,
) -> list[Problem]:
    """What is wrong with a session being saved among the timetable's other sessions (the session itself, if
    already stored, left out of `others` by its id): errors first, then warnings."""
    names = names or {}
    found = _own_problems(candidate, visit, names, saving=True)
    for other in ordered(o for o in others if candidate.id is None or o.id != candidate.id):
        found += _overlaps(candidate, other, visit, names)
    return sorted(found, key=lambda p: not p.error)


def problems(
    sessions: Iterable[TimetableSession], visit: Visit, names: Mapping[int, str] | None = None
) -> list[Problem]:
    """Every problem of the timetable as it stands, in the order of the sessions: for its page. Errors here
    are sessions that could not be saved as they are now (the visit moved since, say)."""
    names = names or {}
    sessions = ordered(sessions)
    found = []
    for i, s in enumerate(sessions):
        found += _own_problems(s, visit, names, saving=False)
        for other in sessions[i + 1 :]:
            found += _overlaps(s, other, visit, names)
    return found


def clashes(sessions: Iterable[TimetableSession], visit: Visit, names: Mapping[int, str] | None = None) -> list[str]:
    """The timetable's problems as plain sentences."""
    return [p.message for p in problems(sessions, visit, names)]


def ordered(sessions: Iterable[TimetableSession]) -> list[TimetableSession]:
    return sorted(sessions, key=lambda s: (s.day, s.start, s.end, s.id or 0))


def by_day(sessions: Iterable[TimetableSession], visit: Visit) -> list[tuple[dt.date, list[TimetableSession]]]:
    """The visit's days in order, each with its sessions, then any other day a session is on (after a move)."""
    days: dict[dt.date, list[TimetableSession]] = {day: [] for day in visit.days}
    for s in ordered(sessions):
        days.setdefault(s.day, []).append(s)
    return sorted(days.items())


# --- what changed since the team was told -----------------------------------------------------------


_FIELDS = (
    ("day", "day"),
    ("times", "time"),
    ("title", "activity"),
    ("place", "place"),
    ("host_people", "people from the host trust"),
)


def changes(told: Sequence[TimetableSession], now: Sequence[TimetableSession], team: Mapping[int, str]) -> list[str]:
    """How the timetable now differs from the one the team was told of, a sentence a session, in the order
    of the sessions: several edits of one session since are one change, and a session added and removed since
    is none."""
    before = {s.id: s for s in told}
    after = {s.id: s for s in now}
    sentences = []
    for s in ordered([*now, *(s for s in told if s.id not in after)]):
        if s.id not in before:
            sentences.append(f"Added: {s.words()}{_with(s, team)}")
        elif s.id not in after:
            sentences.append(f"Removed: {s.words()}")
        else:
            old = before[s.id]
            if replace(old, sequence=0) == replace(s, sequence=0):
                continue
            parts = []
            for attribute, label in _FIELDS:
                was, is_ = _shown(old, attribute), _shown(s, attribute)
                if was != is_:
                    parts.append(f"{label} now {is_ or 'none'} (was {was or 'none'})")
            if old.reviewers != s.reviewers:
                parts.append(f"reviewers now {_names(s.reviewers, team)} (was {_names(old.reviewers, team)})")
            sentences.append(f"Changed: {s.title}, {day_words(s.day)}, {s.times}: " + "; ".join(parts))
    return sentences


def _shown(s: TimetableSession, attribute: str) -> str:
    return day_words(s.day) if attribute == "day" else str(getattr(s, attribute))


def _names(ids: Iterable[int], team: Mapping[int, str]) -> str:
    names = [team.get(i, "someone no longer on the team") for i in ids]
    return ", ".join(names) if names else "nobody"


def _with(s: TimetableSession, team: Mapping[int, str]) -> str:
    return f", with {_names(s.reviewers, team)}" if s.reviewers else ""
