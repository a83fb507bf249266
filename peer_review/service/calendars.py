"""Calendar files (RFC 5545) of the visits a person or a trust is part of."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from peer_review import clock
from peer_review.errors import UserError
from peer_review.store.db import Session
from peer_review.store.people import people_of_trusts, people_with_email, trust_of, trusts_with_key
from peer_review.store.records import team
from peer_review.store.task_lists import reviews_hosted_by, reviews_with_team_places_of

if TYPE_CHECKING:
    from peer_review.store.tables import Review

VISIT_HOURS = (dt.time(9, 0), dt.time(16, 0))


def _visits_for_person(session: Session, email: str) -> list[Review]:
    people = people_with_email(session, email)
    if not people:
        raise UserError(f"no person with email {email} in any loaded partnership")
    ids = [p.id for p in people]
    trusts = [p.trust_id for p in people if p.trust_id and p.is_ceo]
    found = {r.id: r for r in reviews_with_team_places_of(session, ids)} | {
        r.id: r for r in reviews_hosted_by(session, trusts)
    }
    return sorted(found.values(), key=lambda r: (r.visit_start, r.id))


def _visits_for_trust(session: Session, key: str) -> list[Review]:
    trusts = trusts_with_key(session, key)
    if not trusts:
        raise UserError(f"no trust with id '{key}' in any loaded partnership")
    ids = [t.id for t in trusts]
    people = [p.id for p in people_of_trusts(session, ids)]
    found = {r.id: r for r in reviews_hosted_by(session, ids)} | {
        r.id: r for r in reviews_with_team_places_of(session, people)
    }
    return sorted(found.values(), key=lambda r: (r.visit_start, r.id))


def visits_calendar(session: Session, person: str | None = None, trust: str | None = None) -> bytes:
    """One event per visit; stable UIDs, and SEQUENCE goes up each time a visit moves."""
    if person is not None and trust is None:
        reviews = _visits_for_person(session, person)
    elif trust is not None and person is None:
        reviews = _visits_for_trust(session, trust)
    else:
        raise UserError("give exactly one of --person EMAIL or --trust ID")
    return reviews_calendar(session, reviews, f"Peer review visits: {person or trust}")


def reviews_calendar(session: Session, reviews: list[Review], name: str) -> bytes:
    """An iCalendar file with one event per review's visit (also attached to visit emails)."""
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
    return cal.to_ical()


@functools.cache
def _england_timezone():
    """The VTIMEZONE of England's clocks, worked out from the time zone database once per process (every
    visit email carries a calendar)."""
    from icalendar import Timezone

    return Timezone.from_tzid(clock.TIMEZONE)


def _london(day: dt.date, time: dt.time) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(clock.TIMEZONE))
