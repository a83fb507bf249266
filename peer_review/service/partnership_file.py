"""A stored partnership written out as its partnership file: what the coordinator downloads to edit, and what
a change made on the roster page's forms edits. Either way the edited file goes through the file's checks and
the same difference as `partnership load --update`, so a form can do nothing a file could not."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from typing import TYPE_CHECKING

import yaml

from peer_review.domain.calendar import SchoolCalendar
from peer_review.files.frameworks import Framework
from peer_review.files.partnerships import Stored
from peer_review.store.db import Session
from peer_review.store.people import people_in, trusts_in

if TYPE_CHECKING:
    from peer_review.store.tables import Partnership, Person, Trust


def stored_parts(session: Session, partnership: Partnership) -> Stored:
    """The framework and school calendars the partnership holds, by the references its file uses for them."""
    calendars = {cid: SchoolCalendar.from_dict(cid, data) for cid, data in partnership.calendars.items()}
    own = _partnership_calendar(partnership, trusts_in(session, partnership.id, still_here=True))
    if own is not None:
        calendars.setdefault(partnership.term_dates, calendars[own])
    return Stored(Framework.model_validate(partnership.framework), calendars)


def _partnership_calendar(partnership: Partnership, trusts: list[Trust]) -> str | None:
    """The id of the calendar a trust follows unless it has its own: the one term_dates names, or (when
    term_dates named a file) the one most trusts follow."""
    if partnership.term_dates in partnership.calendars:
        return partnership.term_dates
    used = Counter(t.calendar_id for t in trusts)
    return used.most_common(1)[0][0] if used else None


def partnership_file(session: Session, partnership: Partnership) -> dict:
    """The partnership as a partnership file's data: its settings, and the trusts and people still in it."""
    trusts = trusts_in(session, partnership.id, still_here=True)
    people = people_in(session, partnership.id, still_here=True)
    own_calendar = _partnership_calendar(partnership, trusts)
    keys = {t.id: t.key for t in trusts}
    coordinator = next(p for p in people if p.is_coordinator)
    data: dict = {
        "name": partnership.name,
        "framework": partnership.framework_id,
        "cycle": {"start": partnership.cycle_start, "months": partnership.cycle_months},
        "term_dates": partnership.term_dates,
        "visit_days": partnership.visit_days,
        "peers_per_trust": partnership.peers_per_trust,
        "deadlines": dict(partnership.deadlines),
        "blackouts": [_blackout(b) for b in partnership.blackouts],
        "reminders": dict(partnership.reminders),
        "coordinator": _contact(coordinator),
        "moderators": [_moderator(p) for p in people if p.is_moderator],
        "trusts": [],
        "respondents": [_respondent(p, keys) for p in people if p.survey_group],
    }
    for trust in trusts:
        ceo = next((p for p in people if p.trust_id == trust.id and p.is_ceo), None)
        entry: dict = {"id": trust.key, "name": trust.name}
        if ceo is not None:
            entry["ceo"] = _contact(ceo)
        entry["strand_order"] = list(trust.strand_order)
        entry["reviewers"] = [_reviewer(p) for p in people if p.trust_id == trust.id and p.is_reviewer]
        if colleagues := [_colleague(p) for p in people if p.trust_id == trust.id and p.is_colleague]:
            entry["colleagues"] = colleagues
        if trust.conflicts:
            entry["conflicts"] = list(trust.conflicts)
        if trust.calendar_id != own_calendar:
            entry["term_dates"] = trust.calendar_id
        data["trusts"].append(entry)
    return data


def fingerprint(partnership: Partnership, data: dict) -> str:
    """What a preview of a roster change was made against (`data`, the partnership's file as it stood): changed
    since (another change applied, a CEO's strand order saved), the preview no longer says what applying it
    would do, and would undo those changes."""
    stored = as_yaml(data) + json.dumps(partnership.calendars, sort_keys=True)
    return hashlib.sha256(stored.encode()).hexdigest()


def as_yaml(data: dict) -> str:
    """A partnership file's data as the YAML a person would write."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)


def _contact(person: Person) -> dict:
    contact: dict[str, object] = {"name": person.name, "email": person.email}
    if person.digest_only:
        contact["digest_only"] = True
    return contact


def _moderator(person: Person) -> dict:
    entry = _contact(person)
    if person.organisation:  # one the coordinator added as a replacement may have none: the file's default
        entry["organisation"] = person.organisation
    entry["max_reviews_per_term"] = person.max_reviews_per_term or 2
    if person.conflicts:
        entry["conflicts"] = list(person.conflicts)
    return entry


def _reviewer(person: Person) -> dict:
    entry = _contact(person) | {"role": person.job_title or "Reviewer"}  # a replacement's may be blank
    for key in ("strands", "conflicts", "previous_employers"):
        if getattr(person, key):
            entry[key] = list(getattr(person, key))
    return entry


def _colleague(person: Person) -> dict:
    return _contact(person) | {"role": person.job_title or "Colleague"}


def _respondent(person: Person, keys: dict[int, str]) -> dict:
    entry = _contact(person) | {"group": person.survey_group}
    if person.trust_id is not None:
        entry["trust"] = keys[person.trust_id]
    return entry


def _blackout(blackout: dict) -> dict:
    entry = dict(blackout)
    for key in ("start", "end"):
        if isinstance(entry.get(key), str):
            entry[key] = dt.date.fromisoformat(entry[key])
    if not entry.get("trusts"):
        entry.pop("trusts", None)
    return entry
