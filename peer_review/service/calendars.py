"""Calendar files (RFC 5545) of the visits a person or a trust is part of.

Each visit is one event (its UID stable, its SEQUENCE up by one each time the visit moves), and once the host
has built the visit's timetable, a person's or trust's file also holds an event for each session they are at:
the host trust every session of the visits it hosts, a reviewer the sessions that name them. A session's UID is
stable too, its SEQUENCE goes up with each change, and a removed session is simply no longer in the file. The
visit's own event stays beside the sessions: it is what every visit email has already put in people's
calendars (a file without it would not take it out of them), and it keeps the days marked for someone named
in no session.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.domain.timetable import TimetableSession
from peer_review.errors import UserError
from peer_review.store import timetable as timetable_rows
from peer_review.store.db import Session
from peer_review.store.people import names_by_id, people_of_trusts, people_with_email, trust_of, trusts_with_key
from peer_review.store.records import team
from peer_review.store.reviews import get_review
from peer_review.store.task_lists import reviews_hosted_by, reviews_with_team_places_of

if TYPE_CHECKING:
    from peer_review.store.tables import Review

VISIT_HOURS = (dt.time(9, 0), dt.time(16, 0))


#: Which sessions of each review (by id) a calendar file holds: every one (None), or those naming these people.
Sessions = dict[int, frozenset[int] | None]


def _visits_for_person(session: Session, email: str, still_here: bool = False) -> tuple[list[Review], Sessions]:
    people = people_with_email(session, email, still_here=still_here)
    if not people:
        raise UserError(f"no person with email {email} in any loaded partnership")
    ids = [p.id for p in people]
    trusts = [p.trust_id for p in people if p.trust_id and p.is_ceo]
    hosted = reviews_hosted_by(session, trusts)
    found = {r.id: r for r in reviews_with_team_places_of(session, ids)} | {r.id: r for r in hosted}
    sessions: Sessions = {r.id: frozenset(ids) for r in found.values()} | {r.id: None for r in hosted}
    return sorted(found.values(), key=lambda r: (r.visit_start, r.id)), sessions


def _visits_for_trust(session: Session, key: str) -> tuple[list[Review], Sessions]:
    trusts = trusts_with_key(session, key)
    if not trusts:
        raise UserError(f"no trust with id '{key}' in any loaded partnership")
    ids = [t.id for t in trusts]
    people = [p.id for p in people_of_trusts(session, ids)]
    hosted = reviews_hosted_by(session, ids)
    found = {r.id: r for r in hosted} | {r.id: r for r in reviews_with_team_places_of(session, people)}
    sessions: Sessions = {r.id: frozenset(people) for r in found.values()} | {r.id: None for r in hosted}
    return sorted(found.values(), key=lambda r: (r.visit_start, r.id)), sessions


def visits_calendar(
    session: Session, person: str | None = None, trust: str | None = None, still_here: bool = False
) -> bytes:
    """One event per visit, and one per session of its timetable the person or trust is at; stable UIDs, and
    SEQUENCE goes up each time a visit moves or a session changes. With still_here, a person's only in the
    partnerships they have not left (a calendar address)."""
    if person is not None and trust is None:
        reviews, sessions = _visits_for_person(session, person, still_here)
    elif trust is not None and person is None:
        reviews, sessions = _visits_for_trust(session, trust)
    else:
        raise UserError("give exactly one of --person EMAIL or --trust ID")
    return reviews_calendar(session, reviews, f"Peer review visits: {person or trust}", sessions)


def reviews_calendar(session: Session, reviews: list[Review], name: str, sessions: Sessions | None = None) -> bytes:
    """An iCalendar file with one event per review's visit (also attached to visit emails), and with
    `sessions`, one per session of those reviews' timetables that it names."""
    from icalendar import (  # only where a calendar is made: commands start faster
        Calendar,
        Event,
    )

    cal = Calendar()
    cal.add("prodid", "-//peer-review//moderated MAT peer review//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", clock.TIMEZONE)
    cal.add_component(_england_timezone())
    by_review = {}
    if sessions:
        by_review = _calendar_sessions(session, sessions)
    for review in reviews:
        host = trust_of(session, review)
        peers, moderator = team(session, review)
        members = [f"{p.name} ({p.organisation}), peer reviewer" for p in peers]
        if moderator:
            members.append(f"{moderator.name} ({moderator.organisation}), external moderator")
        event = Event()
        event.add("uid", f"review-{review.id}-visit@peer-review")
        event.add("sequence", review.sequence)
        event.add("dtstamp", clock.now())
        event.add("dtstart", _london(review.visit_start, VISIT_HOURS[0]))
        event.add("dtend", _london(review.visit_end, VISIT_HOURS[1]))
        event.add("summary", f"Peer review visit: {host.name} ({review.strand_title})")
        event.add("location", host.name)
        event.add(
            "description",
            "\n".join(
                [
                    f"Strand: {review.strand_title}",
                    f"Host trust: {host.name}",
                    "Review team:",
                    *[f"- {m}" for m in members],
                ]
            ),
        )
        cal.add_component(event)
        for timetabled, reviewers in by_review.get(review.id, []):
            cal.add_component(_session_event(review, host.name, timetabled, reviewers))
    return cal.to_ical()


def _calendar_sessions(session: Session, wanted: Sessions) -> dict[int, list[tuple[TimetableSession, list[str]]]]:
    """For each review (by id), the sessions its calendar entry shows, with their reviewers' names: every
    session (None) or those naming any of these people; never one on a day outside the visit (the page flags
    those), which would send someone to a school on the wrong day."""
    found: dict[int, list[tuple[TimetableSession, list[str]]]] = {}
    for review_id, stored in timetable_rows.sessions_of_reviews(session, list(wanted)).items():
        review = get_review(session, review_id)
        people = wanted[review_id]
        sessions = [timetable_rows.value(r) for r in stored]
        names = {p.id: p.name for p, _role, _status in timetable_rows.team_places(session, review_id)}
        names |= names_by_id(session, {i for s in sessions for i in s.reviewers} - set(names))
        found[review_id] = [
            (s, [names.get(i, "someone") for i in s.reviewers])
            for s in sessions
            if review.visit_start <= s.day <= review.visit_end and (people is None or set(s.reviewers) & people)
        ]
    return found


def _session_event(review: Review, host: str, s: TimetableSession, reviewers: list[str]):
    """A session of a visit's timetable as its own event, at its school and room, in England's time."""
    from icalendar import Event

    event = Event()
    event.add("uid", f"review-{review.id}-session-{s.id}@peer-review")
    event.add("sequence", s.sequence)
    event.add("dtstamp", clock.now())
    event.add("dtstart", _london(s.day, s.start))
    event.add("dtend", _london(s.day, s.end))
    event.add("summary", f"{s.title}, {s.school}")
    event.add("location", s.place)
    lines = [f"Peer review visit: {host} ({review.strand_title})", f"{s.title}, {s.times}", f"At: {s.place}"]
    if s.host_people:
        lines.append(f"From the host trust: {s.host_people}")
    lines.append(f"Review team: {', '.join(reviewers) or 'nobody named'}")
    event.add("description", "\n".join(lines))
    return event


@functools.cache
def _england_timezone():
    """The VTIMEZONE of England's clocks, worked out from the time zone database once per process (every
    visit email carries a calendar)."""
    from icalendar import Timezone

    return Timezone.from_tzid(clock.TIMEZONE)


def _london(day: dt.date, time: dt.time) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(clock.TIMEZONE))


def review_calendar_for(session: Session, viewer, review_id: int) -> bytes:
    """One review's visit and the sessions of its timetable as this viewer's calendar has them: every session
    for the host trust and the coordinator, the sessions naming them for the review team. Refused as the
    review is (access.review_for)."""
    from peer_review.service import access

    review, roles = access.review_for(session, viewer, review_id)
    people = None if roles & {"host", "coordinator"} else frozenset(viewer.person_ids)
    return reviews_calendar(
        session, [review], f"Peer review visit: {trust_of(session, review).name}", {review.id: people}
    )
