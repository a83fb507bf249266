"""A school calendar the coordinator sends on the web: a newer file of a calendar the partnership uses (its
provisional dates replaced by published ones, or more school years), or a trust's own term dates.

The same rules as `partnership load --update`: published dates never change under booked visits
(calendar.why_not_replaceable), the cycle must fit the calendar, and booked reviews that the new dates put
off a school day are named. A trust's own calendar is set only before the cycle is published, since the
plan's dates rest on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer_review.domain.calendar import SchoolCalendar, why_not_replaceable
from peer_review.domain.scheduling import calendar_gap, cycle_end
from peer_review.errors import BadInput, Conflict
from peer_review.service.common import audit, host_calendar
from peer_review.service.roster import visits_off_school_days
from peer_review.store.people import trusts_in
from peer_review.store.reviews import latest_cycle

if TYPE_CHECKING:
    from peer_review.store.db import Session
    from peer_review.store.tables import Partnership, Review, Trust


@dataclass(frozen=True)
class CalendarChange:
    sentence: str  # what changes, in words
    effects: list[str]  # booked reviews the new dates put off a school day


def change_calendar(
    session: Session,
    partnership: Partnership,
    calendar: SchoolCalendar,
    trust: Trust | None,
    by: str,
    dry_run: bool = False,
) -> CalendarChange:
    """Use `calendar` in the partnership: in place of the calendar of the same id, or (a new id) as `trust`'s
    own term dates, or every trust's when `trust` is None. With `dry_run` the caller rolls back: what would
    change, and what it would do, said before anything is kept."""
    stored = partnership.calendars.get(calendar.id)
    report_time = dt.timedelta(days=partnership.deadlines["report"])
    gap = calendar_gap(
        calendar, partnership.cycle_start, cycle_end(partnership.cycle_start, partnership.cycle_months), report_time
    )
    if gap is not None:
        raise BadInput(f"The calendar does not cover the cycle: {gap[1]}")
    if stored is not None:
        before = SchoolCalendar.from_dict(calendar.id, stored)
        if before.to_dict() == calendar.to_dict():
            raise BadInput(f"The file holds the '{calendar.id}' calendar exactly as it is stored: nothing to change")
        why = why_not_replaceable(before, calendar)
        if why is not None:
            raise BadInput(f"{why}; put the published dates back as they were loaded")
        sentence = f"The school calendar '{calendar.id}' now covers {calendar.years} (it covered {before.years})"
        users = [t for t in trusts_in(session, partnership.id) if t.calendar_id == calendar.id]
    else:
        if latest_cycle(session, partnership.id) is not None:
            raise Conflict(
                "The cycle has been published: a trust's own term dates can be set only before it is. A newer file "
                "of a calendar the partnership already uses may still replace its provisional dates."
            )
        users = [trust] if trust is not None else trusts_in(session, partnership.id, still_here=True)
        who = trust.name if trust is not None else "every trust"
        sentence = f"{who} now follows the school calendar '{calendar.id}' ({calendar.years})"
    partnership.calendars = {**partnership.calendars, calendar.id: calendar.to_dict()}
    if stored is None and trust is None:
        partnership.term_dates = calendar.id
    session.add(partnership)
    for user in users:
        user.calendar_id = calendar.id
        session.add(user)
    session.flush()
    effects = visits_off_school_days(session, partnership, {calendar.id}) if stored is not None else []
    if not dry_run:
        audit(
            session,
            partnership.id,
            "calendar_loaded",
            actor=by,
            calendar=calendar.id,
            trusts=[t.key for t in users],
            change=sentence,
        )
    return CalendarChange(sentence, effects)


def on_provisional_dates(session: Session, review: Review) -> bool:
    """Whether the visit rests on dates its host's calendar holds as provisional (not yet published)."""
    return host_calendar(session, review).is_provisional(review.visit_end)
