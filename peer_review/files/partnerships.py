"""Partnerships (a triad or larger group of trusts), loaded from YAML and cross-checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from peer_review.domain.calendar import SchoolCalendar
from peer_review.domain.scheduling import calendar_gap, cycle_end
from peer_review.domain.surveys import ROLE_GROUPS
from peer_review.domain.text import Email, Name, Reference, Title
from peer_review.errors import UserError
from peer_review.files.frameworks import Framework, Id, resolve_framework
from peer_review.files.school_calendars import resolve_calendar
from peer_review.files.yaml_document import Document
from peer_review.resources import example


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Strict):
    name: Name
    email: Email
    digest_only: bool = Field(default=False, description="only the weekly digest, no email per task or reminder")


class Moderator(Contact):
    organisation: Name = "Learn Sheffield"
    max_reviews_per_term: int = Field(default=2, ge=1)
    conflicts: list[Reference] = Field(
        default_factory=list, description="trust ids or people's emails they must not be paired with"
    )


class Reviewer(Contact):
    role: Name
    strands: list[Reference] = Field(default_factory=list, description="strands they can review; empty means any")
    conflicts: list[Reference] = Field(
        default_factory=list, description="trust ids or people's emails they must not be paired with"
    )
    previous_employers: list[Reference] = Field(
        default_factory=list, description="trusts (ids) they worked for recently"
    )


class Respondent(Contact):
    """Someone asked only the stakeholder survey, such as a trustee; their answers are reported with their group's."""

    group: Name = Field(description="the group their answers are reported in, e.g. Trustees")
    trust: Reference | None = Field(default=None, description="the trust they belong to (its id), if any")


class Colleague(Contact):
    """Someone of a trust with no role in the reviews of others, whom the CEO may name to act for the trust
    on one of its reviews (lines of enquiry, evidence, the timetable, progress on actions)."""

    role: Name = Field(description="their job title, e.g. Director of Education")


class Trust(_Strict):
    id: Id
    name: Name
    ceo: Contact
    strand_order: list[Reference] = Field(min_length=1)
    reviewers: list[Reviewer] = Field(min_length=1)
    colleagues: list[Colleague] = Field(
        default_factory=list, description="people the CEO may name to act for the trust on one of its reviews"
    )
    conflicts: list[Reference] = Field(default_factory=list)
    term_dates: Reference | None = Field(default=None, description="the trust's own calendar, if not the partnership's")


class Cycle(_Strict):
    start: dt.date
    months: int = Field(ge=1, le=24)


class Blackout(_Strict):
    start: dt.date
    end: dt.date
    reason: Title
    trusts: list[Reference] = Field(default_factory=list, description="the trusts it applies to; empty means all")


class Deadlines(_Strict):
    """Days before the visit's first day (negative) or after its last day (positive)."""

    lines_of_enquiry: int = Field(default=-28, le=-1)
    evidence: int = Field(default=-7, le=-1)
    findings: int = Field(default=7, ge=0)
    moderation: int = Field(default=14, ge=0)
    report: int = Field(default=28, ge=0)
    feedback: int = Field(default=42, ge=0)


class Reminders(_Strict):
    """When people are reminded of a task, in days relative to its due date."""

    before: list[int] = Field(default_factory=lambda: [7, 2], description="days before the due date")
    first_overdue: int = Field(default=1, ge=0, description="days after the due date for the first overdue reminder")
    overdue_every: int = Field(default=7, ge=1, description="days between later overdue reminders")
    overdue_max: int = Field(
        default=3, ge=0, description="overdue reminders at most, then escalation to the coordinator"
    )
    digest_weekday: int = Field(default=0, ge=0, le=6, description="the weekly digest's day, 0 = Monday")


class PartnershipSpec(_Strict):
    name: Name
    framework: Reference
    cycle: Cycle
    term_dates: Reference = "sheffield"
    visit_days: int = Field(default=2, ge=1, le=3)
    peers_per_trust: int = Field(default=1, ge=1, le=3, description="peer reviewers from each other trust")
    deadlines: Deadlines = Field(default_factory=Deadlines)
    blackouts: list[Blackout] = Field(default_factory=list)
    reminders: Reminders = Field(default_factory=Reminders)
    coordinator: Contact
    moderators: list[Moderator]
    trusts: list[Trust] = Field(min_length=2)
    respondents: list[Respondent] = Field(default_factory=list, description="people asked only the stakeholder survey")


@dataclass(frozen=True)
class Stored:
    """What a stored partnership holds, for a changed file of it sent through the web: its framework and
    school calendars, by the references its file uses, stand for themselves (nothing is read from disk, and
    a trust's own term dates uploaded on the web need no file)."""

    framework: Framework
    calendars: dict[str, SchoolCalendar]  # by reference: each calendar's id, and the partnership's term_dates


@dataclass(frozen=True)
class LoadedPartnership:
    spec: PartnershipSpec
    framework: Framework
    source: Path
    calendars: dict[str, SchoolCalendar]  # by trust id


def default_partnership_path() -> Path:
    return example("sheffield-triad.yaml")


def load_partnership_file(path: str | Path, framework_override: str | Path | None = None) -> LoadedPartnership:
    """Load and cross-check a partnership; `framework_override` replaces its `framework:` key."""
    return _loaded(Document.read(path), framework_override)


def load_uploaded_partnership(
    filename: str, text: str, framework: str | None = None, stored: Stored | None = None
) -> LoadedPartnership:
    """A partnership file sent through the web, checked as a file is. It may name only bundled frameworks and
    calendars, or (for a stored partnership) those `stored` holds: a path in it would be read on the server, so
    a path is refused (and nothing is read)."""
    doc = Document(Path(Path(filename).name or "partnership.yaml"), text)
    spec = doc.validate(PartnershipSpec)
    references: list[tuple[str, tuple]] = [(spec.framework, ("framework",))] if framework is None else []
    references += [(spec.term_dates, ("term_dates",))]
    references += [(t.term_dates, ("trusts", i, "term_dates")) for i, t in enumerate(spec.trusts) if t.term_dates]
    for ref, loc in references:
        if stored is not None and (ref == stored.framework.id or ref in stored.calendars):
            continue
        if ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref:
            raise doc.error(
                f"'{ref}' names a file: a file sent through the web may name only bundled frameworks and calendars "
                "(upload a trust's own term dates on its page once the partnership is created)",
                loc,
            )
    return _loaded(doc, framework, stored)


def _loaded(doc: Document, framework_override: str | Path | None, stored: Stored | None = None) -> LoadedPartnership:
    spec = doc.validate(PartnershipSpec)
    if stored is not None and framework_override is None and spec.framework == stored.framework.id:
        framework = stored.framework
    elif framework_override is not None:
        framework = resolve_framework(str(framework_override), Path.cwd())
    else:
        try:
            framework = resolve_framework(spec.framework, doc.path.parent)
        except UserError as exc:
            if exc.place:  # the framework file itself is bad: its own message says where
                raise
            raise doc.error(str(exc), ("framework",)) from None
    cross_check(doc, spec, framework)
    calendars = {}
    for t, trust in enumerate(spec.trusts):
        ref, loc = (
            (trust.term_dates, ("trusts", t, "term_dates")) if trust.term_dates else (spec.term_dates, ("term_dates",))
        )
        known = stored.calendars.get(ref) if stored is not None else None
        calendars[trust.id] = known if known is not None else _calendar(doc, ref, loc)
    _check_cycle_in_calendars(doc, spec, calendars)
    return LoadedPartnership(spec=spec, framework=framework, source=doc.path, calendars=calendars)


def _calendar(doc: Document, ref: str, loc: tuple) -> SchoolCalendar:
    try:
        return resolve_calendar(ref, doc.path.parent)
    except UserError as exc:
        if exc.place:  # the calendar file itself is bad: its own message says where
            raise
        raise doc.error(str(exc), loc) from None


def _check_cycle_in_calendars(doc: Document, spec: PartnershipSpec, calendars: dict[str, SchoolCalendar]) -> None:
    """Refuse a cycle outside the school years its calendars cover now, naming the years to add, rather
    than at `plan`, which could only say that no day is a school day."""
    start = spec.cycle.start
    end = cycle_end(start, spec.cycle.months)
    for calendar in {c.id: c for c in calendars.values()}.values():
        gap = calendar_gap(calendar, start, end, dt.timedelta(days=spec.deadlines.report))
        if gap is not None:
            key, problem = gap
            raise doc.error(
                f"{problem} (term_dates names each trust's school calendar: a bundled one, or a .yaml file of its terms)",
                ("cycle", key),
            )


def cross_check(doc: Document, spec: PartnershipSpec, framework: Framework) -> None:
    """The rules a schema cannot express; each failure names the key that breaks it."""
    if not spec.moderators:
        raise doc.error("at least one moderator is needed: every review has an external moderator", ("moderators",))
    strands = framework.strand_ids
    valid = ", ".join(strands)
    trust_ids: dict[str, int] = {}
    for t, trust in enumerate(spec.trusts):
        if trust.id in trust_ids:
            raise doc.error(
                f"duplicate trust id '{trust.id}' (first used by trusts[{trust_ids[trust.id]}])", ("trusts", t, "id")
            )
        trust_ids[trust.id] = t
    for t, trust in enumerate(spec.trusts):
        seen: set[str] = set()
        for s, strand in enumerate(trust.strand_order):
            loc = ("trusts", t, "strand_order", s)
            if strand not in strands:
                raise doc.error(
                    f"unknown strand '{strand}' for framework '{framework.id}'; valid strands: {valid}", loc
                )
            if strand in seen:
                raise doc.error(f"strand '{strand}' is listed twice; list each strand exactly once", loc)
            seen.add(strand)
        missing = [s for s in strands if s not in seen]
        if missing:
            raise doc.error(
                f"strand_order must list every strand of '{framework.id}' exactly once; missing: {', '.join(missing)}",
                ("trusts", t, "strand_order"),
            )
        for r, reviewer in enumerate(trust.reviewers):
            for s, strand in enumerate(reviewer.strands):
                if strand not in strands:
                    raise doc.error(
                        f"unknown strand '{strand}'; valid strands: {valid}",
                        ("trusts", t, "reviewers", r, "strands", s),
                    )
        for c, other in enumerate(trust.conflicts):
            if other not in trust_ids or other == trust.id:
                choices = ", ".join(i for i in trust_ids if i != trust.id)
                raise doc.error(
                    f"conflict with unknown trust '{other}'; other trusts: {choices}", ("trusts", t, "conflicts", c)
                )
    for b, blackout in enumerate(spec.blackouts):
        if blackout.end < blackout.start:
            raise doc.error(
                f"the blackout ends ({blackout.end}) before it starts ({blackout.start})", ("blackouts", b, "end")
            )
        for i, other in enumerate(blackout.trusts):
            if other not in trust_ids:
                raise doc.error(
                    f"unknown trust '{other}'; trusts: {', '.join(trust_ids)}", ("blackouts", b, "trusts", i)
                )
    emails = _check_people(doc, spec)
    _check_person_conflicts(doc, spec, set(trust_ids), emails)


def _check_person_conflicts(doc: Document, spec: PartnershipSpec, trust_ids: set[str], emails: set[str]) -> None:
    """A person's conflicts name trusts or people that exist; previous employers name trusts."""
    places: list[tuple[tuple[str | int, ...], Moderator | Reviewer]] = [
        (("moderators", m), moderator) for m, moderator in enumerate(spec.moderators)
    ]
    places += [
        (("trusts", t, "reviewers", r), reviewer)
        for t, trust in enumerate(spec.trusts)
        for r, reviewer in enumerate(trust.reviewers)
    ]
    for loc, person in places:
        for c, entry in enumerate(person.conflicts):
            if entry not in trust_ids and entry.lower() not in emails:
                raise doc.error(
                    f"conflict with '{entry}', which is neither a trust id nor a person's email in this partnership",
                    loc + ("conflicts", c),
                )
        for e, employer in enumerate(getattr(person, "previous_employers", [])):
            if employer not in trust_ids:
                raise doc.error(
                    f"unknown trust '{employer}'; trusts: {', '.join(sorted(trust_ids))}",
                    loc + ("previous_employers", e),
                )


def _check_people(doc: Document, spec: PartnershipSpec) -> set[str]:
    """One email is one person, and a person belongs to at most one trust (or to none); returns the emails."""
    owners: dict[str, tuple[str | None, str, tuple]] = {}

    def claim(contact: Contact, trust: str | None, loc: tuple) -> None:
        if contact.email not in owners:
            owners[contact.email] = (trust, contact.name, loc)
            return
        other_trust, other_name, other_loc = owners[contact.email]
        first = doc.place(other_loc)
        if other_loc[:-1] == loc[:-1] and isinstance(loc[-1], int):
            raise doc.error(f"{contact.email} is listed twice (first at {first})", loc + ("email",))
        if other_trust != trust:
            where = lambda t: f"trust '{t}'" if t else "the coordinating body"  # noqa: E731
            raise doc.error(
                f"{contact.email} is in {where(trust)} and also in {where(other_trust)} ({first}); "
                "a person belongs to one trust, and moderators and the coordinator to none",
                loc + ("email",),
            )
        if other_name != contact.name:
            raise doc.error(
                f"{contact.email} is named '{contact.name}' here but '{other_name}' at {first}; one email is one person",
                loc + ("email",),
            )

    claim(spec.coordinator, None, ("coordinator",))
    for m, moderator in enumerate(spec.moderators):
        claim(moderator, None, ("moderators", m))
    for t, trust in enumerate(spec.trusts):
        claim(trust.ceo, trust.id, ("trusts", t, "ceo"))
        for r, reviewer in enumerate(trust.reviewers):
            claim(reviewer, trust.id, ("trusts", t, "reviewers", r))
        for c, colleague in enumerate(trust.colleagues):
            claim(colleague, trust.id, ("trusts", t, "colleagues", c))
    trust_ids = [trust.id for trust in spec.trusts]
    for r, respondent in enumerate(spec.respondents):
        if respondent.group.casefold() in {g.casefold() for g in ROLE_GROUPS.values()}:
            raise doc.error(
                f"'{respondent.group}' is the name of a group of people with a role ({', '.join(ROLE_GROUPS.values())}); "
                "give respondents a group of their own, such as Trustees",
                ("respondents", r, "group"),
            )
        if respondent.trust is not None and respondent.trust not in trust_ids:
            raise doc.error(
                f"there is no trust '{respondent.trust}'; trusts are: {', '.join(trust_ids)}",
                ("respondents", r, "trust"),
            )
        claim(respondent, respondent.trust, ("respondents", r))
    return set(owners)
