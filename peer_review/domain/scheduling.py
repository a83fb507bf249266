"""Planning a review cycle: visit dates, peer reviewers and a moderator for every review.

A deterministic list-scheduling algorithm. Reviews are placed round by round (every trust's first
priority, then every trust's second, ...), each at the earliest date in its share of the cycle
that satisfies every hard constraint, preferring dates away from the first and last week of a
half-term. Team members are chosen as they are placed, least loaded first, so the constraints that
involve people (nobody in two overlapping visits, a trust never hosting while its people visit
elsewhere that week, moderators' termly limits) are checked against real choices. When a review
cannot be placed, the error says which constraints failed on how many candidate dates, and for whom.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from peer_review.domain.calendar import SchoolCalendar, school_year

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class PlanTrust:
    id: str
    strand_order: tuple[str, ...]
    calendar: SchoolCalendar
    conflicts: frozenset[str] = frozenset()  # trusts this one must not review nor be reviewed by
    preferred_terms: frozenset[str] = frozenset()  # seasons ("autumn", ...) it would rather host in; empty: any


@dataclass(frozen=True)
class PlanPerson:
    email: str
    trust: str | None  # None for moderators
    strands: tuple[str, ...] = ()  # empty: any strand
    conflicts: frozenset[str] = frozenset()  # trusts this person must never review (declared, recent employment)
    max_per_term: int | None = None  # moderators only
    avoid: frozenset[str] = frozenset()  # people (emails) never to be on the same review team


@dataclass(frozen=True)
class Blackout:
    start: dt.date
    end: dt.date
    reason: str
    trusts: frozenset[str] = frozenset()  # empty: every trust


@dataclass(frozen=True)
class PlanSettings:
    start: dt.date
    end: dt.date
    visit_days: int = 2
    peers_per_trust: int = 1
    lead_time: dt.timedelta = dt.timedelta(
        days=63
    )  # from the cycle's start: 2 weeks to accept places, 3 to propose lines, agreed 4 weeks before the visit
    report_time: dt.timedelta = dt.timedelta(days=28)  # the report is due 4 weeks after the visit, inside the cycle
    stagger: int = 0  # groups planned together get different numbers, to spread their visits over the dates


@dataclass(frozen=True)
class PlannedVisit:
    trust: str
    strand: str
    position: int
    visit_start: dt.date
    visit_end: dt.date
    term: str
    moderator: str
    peers: tuple[str, ...]
    reasons: tuple[tuple[str, str], ...]  # (email, why this person)
    #: the dates rest on a school calendar's provisional years (not yet published): to be checked once they are
    provisional: bool = False


class PlanInfeasible(ValueError):
    pass


@dataclass
class Bookings:
    """What is already committed: shared across partnerships that share moderators."""

    busy: dict[str, set[dt.date]] = field(default_factory=lambda: defaultdict(set))  # email -> visit days
    hosting: dict[str | None, set[dt.date]] = field(
        default_factory=lambda: defaultdict(set)
    )  # trust -> Mondays of weeks it hosts
    visiting: dict[str | None, set[dt.date]] = field(
        default_factory=lambda: defaultdict(set)
    )  # trust -> Mondays of weeks its people visit
    per_term: Counter = field(default_factory=Counter)  # (moderator, term) -> reviews
    full: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # term -> moderators at their limit
    load: Counter = field(default_factory=Counter)  # email -> reviews this cycle
    by_load: list[tuple[int, str]] = field(default_factory=list)  # moderators by (load, email), least loaded first

    def know_moderators(self, moderators: list[PlanPerson]) -> None:
        listed = {email for _, email in self.by_load}
        for m in moderators:
            if m.email not in listed:
                bisect.insort(self.by_load, (self.load[m.email], m.email))

    def add_load(self, email: str) -> None:
        entry = (self.load[email], email)
        index = bisect.bisect_left(self.by_load, entry)
        if index < len(self.by_load) and self.by_load[index] == entry:
            del self.by_load[index]
            bisect.insort(self.by_load, (self.load[email] + 1, email))
        self.load[email] += 1


def cycle_end(start: dt.date, months: int) -> dt.date:
    import pendulum  # only here: month arithmetic (31 January + 1 month), and commands that never plan skip its import

    end = pendulum.Date(start.year, start.month, start.day).add(months=months)
    return dt.date(end.year, end.month, end.day)


def visit_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the week `day` is in: planning counts weeks from it."""
    return day - dt.timedelta(days=day.weekday())


def plan_partnership(
    trusts: list[PlanTrust],
    people: list[PlanPerson],
    moderators: list[PlanPerson],
    settings: PlanSettings,
    blackouts: Sequence[Blackout] = (),
    bookings: Bookings | None = None,
) -> list[PlannedVisit]:
    bookings = bookings or Bookings()
    bookings.know_moderators(moderators)
    calendars = {t.calendar.id: t.calendar for t in trusts}
    _check_calendars_cover(calendars.values(), settings)
    first = settings.start + settings.lead_time
    last = settings.end - settings.report_time
    rounds = max(len(t.strand_order) for t in trusts)
    span = (last - first).days
    if span < 7 * rounds:
        raise PlanInfeasible(
            f"the cycle from {settings.start} to {settings.end} is too short for {rounds} reviews per trust "
            f"(each needs {settings.lead_time.days} days' lead time and {settings.report_time.days} days for the report)"
        )
    by_trust = {t.id: t for t in trusts}
    previous: dict[str, dt.date] = {}
    plan: list[PlannedVisit] = []
    for k in range(rounds):
        window_start = first + dt.timedelta(days=span * k // rounds)
        window_end = first + dt.timedelta(days=span * (k + 1) // rounds)
        for trust in trusts:
            if k >= len(trust.strand_order):
                continue
            strand = trust.strand_order[k]
            earliest = max(window_start, previous.get(trust.id, first) + dt.timedelta(days=1))
            visit = _place(
                trust,
                strand,
                k + 1,
                by_trust,
                people,
                moderators,
                settings,
                blackouts,
                bookings,
                earliest,
                window_end,
                last,
            )
            previous[trust.id] = visit.visit_end
            plan.append(visit)
    return plan


def _check_calendars_cover(calendars, settings: PlanSettings) -> None:
    """Refuse, naming the school years to add, rather than squeeze a cycle into the years a calendar knows."""
    for calendar in calendars:
        gap = calendar_gap(calendar, settings.start, settings.end, settings.report_time)
        if gap is not None:
            raise PlanInfeasible(gap[1])


def calendar_gap(
    calendar: SchoolCalendar, start: dt.date, end: dt.date, report_time: dt.timedelta
) -> tuple[str, str] | None:
    """Why a cycle from `start` to `end` does not fit the school years `calendar` covers, or None if it fits.

    Returns the cycle setting to change ('start' or 'months') and a message naming the years covered and
    the years to add; without this check a cycle outside the calendar fails later, saying only that no
    candidate day is a school day.
    """
    needed_until = end - report_time  # the last day a visit could need
    covers = f"it covers the school years {calendar.years}, {calendar.first_day} to {calendar.last_day}"
    if start < calendar.known_from:
        missing_until = min(needed_until, calendar.known_from - dt.timedelta(days=1))
        return "start", (
            f"the cycle starts {start}, before the first term the '{calendar.id}' calendar knows ({covers}); "
            f"add the school years {school_year(start)} to {school_year(missing_until)} to it, or start the cycle on or after {calendar.known_from}"
        )
    if start > calendar.last_day:
        return "start", (
            f"the cycle starts {start}, after the last term the '{calendar.id}' calendar knows ({covers}); "
            f"add the school years {school_year(start)} to {school_year(max(start, needed_until))} to it"
        )
    if needed_until > calendar.known_until:
        return "months", (
            f"the cycle runs to {end}, but the '{calendar.id}' calendar knows terms only up to {calendar.last_day} ({covers}); "
            f"add the school years {school_year(calendar.known_until + dt.timedelta(days=1))} to {school_year(needed_until)} to it, or shorten the cycle"
        )
    return None


def _place(
    trust, strand, position, by_trust, people, moderators, settings, blackouts, bookings, earliest, window_end, last
) -> PlannedVisit:
    failures: Counter = Counter()
    others = [
        t for t in by_trust.values() if t.id != trust.id and t.id not in trust.conflicts and trust.id not in t.conflicts
    ]
    involved = [trust, *others]
    # the trust's own share of the cycle first, then later dates; within each, dates away from a half-term's edges
    phases = ((earliest, min(window_end, last)), (max(earliest, window_end + dt.timedelta(days=1)), last))
    ordered = (
        days
        for since, until in phases  # later dates are only looked at when the trust's own share has none
        for days in _preferred(
            _candidates(involved, settings, blackouts, since, until, failures),
            trust.calendar,
            settings.stagger,
            trust.preferred_terms,
        )
    )
    for days in ordered:
        choice = _team(trust, strand, others, days, people, moderators, bookings, failures, settings.peers_per_trust)
        if choice is None:
            continue
        peers, moderator, reasons = choice
        week = monday_of(days[0])
        term = trust.calendar.half_term_of(days[0]).term
        for email in (*peers, moderator):
            bookings.busy[email].update(days)
            bookings.add_load(email)
        bookings.per_term[(moderator, term)] += 1
        limit = next(m.max_per_term for m in moderators if m.email == moderator)
        if limit is not None and bookings.per_term[(moderator, term)] >= limit:
            bookings.full[term].add(moderator)
        bookings.hosting[trust.id].add(week)
        for other in {_trust_of(people, email) for email in peers}:
            bookings.visiting[other].add(week)
        provisional = any(t.calendar.is_provisional(days[-1]) for t in involved)
        return PlannedVisit(
            trust.id, strand, position, days[0], days[-1], term, moderator, tuple(peers), tuple(reasons), provisional
        )
    raise PlanInfeasible(_explain(trust, strand, earliest, last, failures, by_trust, settings))


def _preferred(
    candidates: list[tuple[dt.date, ...]],
    calendar: SchoolCalendar,
    stagger: int,
    preferred_terms: frozenset[str] = frozenset(),
) -> list[tuple[dt.date, ...]]:
    """Dates in the host's preferred terms first (when it has any), then the rest; within each, dates away
    from a half-term's first and last week first; with a stagger, each group starts part-way through them (by
    the golden ratio), so groups planned together do not all crowd the first dates."""

    def rotate(group: list) -> list:
        cut = int(len(group) * ((stagger * 0.6180339887) % 1))
        return group[cut:] + group[:cut]

    def in_preferred_term(days: tuple[dt.date, ...]) -> bool:
        half = calendar.half_term_of(days[0])
        return half is not None and half.term.split()[-1] in preferred_terms

    ordered = []
    for group in (
        [c for c in candidates if in_preferred_term(c)],
        [c for c in candidates if not in_preferred_term(c)],
    ):
        inner = [c for c in group if not _at_edge(calendar, c)]
        edge = [c for c in group if _at_edge(calendar, c)]
        ordered += rotate(inner) + rotate(edge)
    return ordered


def _trust_of(people: list[PlanPerson], email: str) -> str | None:
    return next(p.trust for p in people if p.email == email)


def _candidates(involved, settings, blackouts, earliest, last, failures) -> list[tuple[dt.date, ...]]:
    """Runs of `visit_days` consecutive school days within one week, school days for every trust involved."""
    found = []
    day = earliest
    while day <= last:
        if day.weekday() + settings.visit_days <= 5:
            days = tuple(day + dt.timedelta(days=i) for i in range(settings.visit_days))
            closed = next((t for t in involved for d in days if not t.calendar.is_school_day(d)), None)
            blocked = next(
                (
                    b
                    for b in blackouts
                    for d in days
                    if b.start <= d <= b.end and (not b.trusts or b.trusts & {t.id for t in involved})
                ),
                None,
            )
            if closed is not None:
                failures[("calendar", closed.calendar.id)] += 1
            elif blocked is not None:
                failures[("blackout", blocked.reason)] += 1
            else:
                found.append(days)
        day += dt.timedelta(days=1)
    return found


def _at_edge(calendar: SchoolCalendar, days: tuple[dt.date, ...]) -> bool:
    half = calendar.half_term_of(days[0])
    assert half is not None  # a candidate's days are school days, each in a half-term
    return days[0] - half.start < WEEK or half.end - days[-1] < WEEK


def _clash(person: PlanPerson, team: list[str], everyone: dict[str, PlanPerson]) -> bool:
    """Whether a declared person conflict stops `person` joining a team (either side may declare it)."""
    return any(email in person.avoid or person.email in everyone[email].avoid for email in team)


def _team(trust, strand, others, days, people, moderators, bookings, failures, wanted: int):
    week = monday_of(days[0])
    day_set = set(days)
    ours = {m.email: m for m in moderators}
    everyone = {p.email: p for p in people} | ours
    if week in bookings.visiting[trust.id]:
        failures[("host busy", trust.id)] += 1
        return None
    if week in bookings.hosting[trust.id]:
        failures[("host busy", trust.id)] += 1
        return None
    peers: list[str] = []
    reasons: list[tuple[str, str]] = []
    for other in others:
        if week in bookings.hosting[other.id]:
            failures[("trust hosting", other.id)] += 1
            return None
        pool = [
            p
            for p in people
            if p.trust == other.id
            and trust.id not in p.conflicts
            and bookings.busy[p.email].isdisjoint(day_set)
            and not _clash(p, peers, everyone)
        ]
        if len(pool) < wanted:
            failures[("no free reviewer", other.id)] += 1
            return None
        ranked = sorted(
            pool,
            key=lambda p: (not (not p.strands or strand in p.strands), bookings.load[p.email], not p.strands, p.email),
        )
        for person in ranked[:wanted]:
            matched = (
                "declared this strand"
                if strand in person.strands
                else ("any strand" if not person.strands else "no one free declared this strand")
            )
            peers.append(person.email)
            reasons.append(
                (
                    person.email,
                    f"peer from {other.id}: {matched}; {bookings.load[person.email]} review(s) before this one",
                )
            )
    term = trust.calendar.half_term_of(days[0]).term
    full = bookings.full[term]
    if ours.keys() <= full:  # the common case once a term fills up: say so quickly
        failures[("moderators", term)] += 1
        return None
    moderator = next(
        (
            m
            for m in (ours.get(email) for _, email in bookings.by_load)  # least loaded first
            if m is not None
            and m.email not in full
            and bookings.per_term[(m.email, term)] < (m.max_per_term or 10**6)
            and trust.id not in m.conflicts
            and bookings.busy[m.email].isdisjoint(day_set)
            and not _clash(m, peers, everyone)
        ),
        None,
    )
    if moderator is None:
        failures[("moderators", term)] += 1
        return None
    reasons.append(
        (
            moderator.email,
            f"moderator: {bookings.per_term[(moderator.email, term)]} of {moderator.max_per_term} reviews in {term}; {bookings.load[moderator.email]} before this one",
        )
    )
    return peers, moderator.email, reasons


def _explain(trust, strand, earliest, last, failures, by_trust, settings) -> str:
    head = f"no date for trust '{trust.id}' to host strand '{strand}' between {earliest} and {last}"
    if not failures:
        return f"{head}: the cycle has no room left for it; lengthen the cycle (at most 24 months) or start earlier"
    why = {  # each filled with whom, or the terms, it failed for
        "calendar": "the days are not school days in calendar {}",
        "blackout": "a blackout window ({})",
        "host busy": "trust {} is hosting or visiting elsewhere that week",
        "trust hosting": "the visiting trust is hosting its own review that week, so its people cannot visit ({})",
        "no free reviewer": "no reviewer is free and without a conflict from trust {}",
        "moderators": "every moderator is busy or at max_reviews_per_term in {}",
    }
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for (kind, who), count in failures.items():
        by_kind[kind][who] += count

    def named(kind: str, whos: Counter) -> str:
        return ", ".join(who if kind in ("moderators", "blackout") else f"'{who}'" for who, _ in whos.most_common())

    # every reason, most dates first: the commonest is often a fact of the calendar (holidays, the trust's
    # own other visits), and the one to act on (moderators, reviewers) comes after it
    reasons = [
        f"on {sum(whos.values())} {why[kind].format(named(kind, whos))}"
        for kind, whos in sorted(by_kind.items(), key=lambda item: -sum(item[1].values()))
    ]
    return f"{head}: of the candidate dates, " + "; ".join(reasons)


def violations(
    plan: list[PlannedVisit],
    trusts: list[PlanTrust],
    people: list[PlanPerson],
    moderators: list[PlanPerson],
    settings: PlanSettings,
    blackouts: Sequence[Blackout] = (),
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Every hard constraint a plan breaks, in words (empty for a valid plan): trusts, strands and people by
    `names` (id or email -> name) where given, dates as "25 November 2024".

    Independent of how the plan was made: used to re-check a plan after a date moves, and by tests.
    """
    names = names or {}

    def n(key: str | None) -> str:
        return names.get(key or "", key or "")

    def d(day: dt.date) -> str:
        return f"{day.day} {day:%B %Y}"

    problems: list[str] = []
    by_trust: dict[str | None, PlanTrust] = {t.id: t for t in trusts}  # looked up by a peer's trust too
    trust_of = {p.email: p.trust for p in people}
    person = {p.email: p for p in [*people, *moderators]}
    days_of = {}
    for v in plan:
        label = f"{n(v.trust)}, {n(v.strand)}"
        days = visit_days(v.visit_start, v.visit_end)
        days_of[label] = days
        if len(days) != settings.visit_days:
            problems.append(f"{label}: the visit lasts {len(days)} day(s), not {settings.visit_days}")
        if v.visit_start < settings.start or v.visit_end > settings.end:
            problems.append(f"{label}: the visit is outside the cycle, {d(settings.start)} to {d(settings.end)}")
        involved = {v.trust, *(trust_of.get(e) for e in v.peers)}
        for trust_id in involved:
            calendar = by_trust[trust_id].calendar
            for day in days:
                if not calendar.is_school_day(day):
                    problems.append(
                        f"{label}: {d(day)} is not a school day for {n(trust_id)} (calendar '{calendar.id}')"
                    )
        for blackout in blackouts:
            if any(blackout.start <= d <= blackout.end for d in days) and (
                not blackout.trusts or blackout.trusts & involved
            ):
                problems.append(f"{label}: the visit falls in the blackout '{blackout.reason}'")
        host = by_trust[v.trust]
        for email in v.peers:
            peer_trust = trust_of.get(email)
            if peer_trust == v.trust:
                problems.append(f"{label}: {n(email)} would review their own trust")
            if peer_trust in host.conflicts or v.trust in by_trust[peer_trust].conflicts:
                problems.append(
                    f"{label}: {n(email)}'s trust {n(peer_trust)} has a declared conflict with {n(v.trust)}"
                )
            if v.trust in person[email].conflicts:
                problems.append(f"{label}: {n(email)} has a conflict with {n(v.trust)}")
        if not v.moderator:  # a moderator declined or left, and the coordinator has yet to choose another
            problems.append(f"{label}: no moderator")
        elif v.trust in person[v.moderator].conflicts:
            problems.append(f"{label}: the moderator {n(v.moderator)} has a conflict with {n(v.trust)}")
        team = [email for email in (*v.peers, v.moderator) if email]
        for a in team:
            for b in team:
                if b in person[a].avoid:
                    problems.append(f"{label}: {n(a)} and {n(b)} have a declared conflict but are on the same team")
        others = {t.id for t in trusts if t.id != v.trust and t.id not in host.conflicts and v.trust not in t.conflicts}
        # one problem per trust, so a change that fills one gap of several is not taken for a new problem
        problems += [
            f"{label}: no peer from {n(missing)}" for missing in sorted(others - {trust_of.get(e) for e in v.peers})
        ]
    for trust in trusts:
        planned = sorted((v for v in plan if v.trust == trust.id), key=lambda v: v.visit_start)
        if [v.strand for v in planned] != list(trust.strand_order):
            problems.append(f"{n(trust.id)}: strands are not hosted once each in the CEO's order")
    # people in two overlapping visits; trusts hosting while their people visit elsewhere that week
    seen: dict[str, dict[dt.date, str]] = defaultdict(dict)
    host_weeks: dict[str, dict[dt.date, str]] = defaultdict(dict)
    visit_weeks: dict[str | None, dict[dt.date, str]] = defaultdict(dict)
    strand_of: dict[str, str] = {}
    per_term: Counter = Counter()
    for v in plan:
        label = f"{n(v.trust)}, {n(v.strand)}"
        strand_of[label] = n(v.strand)
        week = monday_of(v.visit_start)
        for email in (email for email in (*v.peers, v.moderator) if email):
            for day in days_of[label]:
                if day in seen[email]:
                    problems.append(f"{n(email)} would be at {seen[email][day]} and {label} on {d(day)}")
                seen[email][day] = label
        if week in host_weeks[v.trust]:
            problems.append(
                f"{n(v.trust)} would host {strand_of[host_weeks[v.trust][week]]} and {n(v.strand)} in the week of {d(week)}"
            )
        host_weeks[v.trust][week] = label
        for email in v.peers:
            visit_weeks[trust_of.get(email)][week] = label
        if v.moderator:
            per_term[(v.moderator, v.term)] += 1
    for trust_id, weeks in host_weeks.items():
        for week, label in weeks.items():
            if week in visit_weeks[trust_id]:
                problems.append(
                    f"{n(trust_id)} would host its {strand_of[label]} review in the week of {d(week)} while its people "
                    f"visit {visit_weeks[trust_id][week]}"
                )
    for (email, term), count in per_term.items():
        limit = person[email].max_per_term
        if limit is not None and count > limit:
            problems.append(
                f"the moderator {n(email)} would have {count} reviews in {term}, more than their limit of {limit} a term"
            )
    return problems


def bookings_for(plan: list[PlannedVisit], trust_of: dict[str, str | None], moderators: list[PlanPerson]) -> Bookings:
    """The commitments a stored plan makes, so one review's team can be changed against all the others."""
    bookings = Bookings()
    limits = {m.email: m.max_per_term for m in moderators}
    for v in plan:
        days = visit_days(v.visit_start, v.visit_end)
        week = monday_of(v.visit_start)
        bookings.hosting[v.trust].add(week)
        for email in v.peers:
            bookings.busy[email].update(days)
            bookings.load[email] += 1
            bookings.visiting[trust_of.get(email)].add(week)
        if v.moderator:
            bookings.busy[v.moderator].update(days)
            bookings.load[v.moderator] += 1
            bookings.per_term[(v.moderator, v.term)] += 1
            if (limit := limits.get(v.moderator)) is not None and bookings.per_term[(v.moderator, v.term)] >= limit:
                bookings.full[v.term].add(v.moderator)
    bookings.know_moderators(moderators)
    return bookings


def replacement(
    visit: PlannedVisit,
    leaving: str,
    host: PlanTrust,
    people: list[PlanPerson],
    moderators: list[PlanPerson],
    others: list[PlannedVisit],
    exclude: set[str],
) -> tuple[str, str] | None:
    """Someone to take `leaving`'s place on a review (a peer from the same trust, or another moderator).

    Checked against every other review of the plan; returns (email, why) or None when nobody fits.
    """
    everyone = {p.email: p for p in [*people, *moderators]}
    trust_of = {p.email: p.trust for p in people}
    bookings = bookings_for(others, trust_of, moderators)
    days = set(visit_days(visit.visit_start, visit.visit_end))
    week = monday_of(visit.visit_start)
    staying = [e for e in (*visit.peers, visit.moderator) if e and e != leaving]
    if leaving == visit.moderator:
        pool = [
            m
            for m in moderators
            if m.email not in exclude
            and host.id not in m.conflicts
            and bookings.per_term[(m.email, visit.term)] < (m.max_per_term or 10**6)
            and bookings.busy[m.email].isdisjoint(days)
            and not _clash(m, staying, everyone)
        ]
        if not pool:
            return None
        chosen = min(pool, key=lambda m: (bookings.load[m.email], m.email))
        return (
            chosen.email,
            f"moderator, replacing {leaving}: {bookings.per_term[(chosen.email, visit.term)]} of {chosen.max_per_term} reviews in {visit.term}",
        )
    trust = trust_of[leaving]
    pool = [
        p
        for p in people
        if p.trust == trust
        and p.email not in exclude
        and host.id not in p.conflicts
        and bookings.busy[p.email].isdisjoint(days)
        and week not in bookings.hosting[trust]
        and not _clash(p, staying, everyone)
    ]
    if not pool:
        return None
    chosen = min(
        pool,
        key=lambda p: (
            not (not p.strands or visit.strand in p.strands),
            bookings.load[p.email],
            not p.strands,
            p.email,
        ),
    )
    return (
        chosen.email,
        f"peer from {trust}, replacing {leaving}; {bookings.load[chosen.email]} review(s) before this one",
    )


def plan_trust(
    trust: PlanTrust,
    trusts: list[PlanTrust],
    people: list[PlanPerson],
    moderators: list[PlanPerson],
    settings: PlanSettings,
    blackouts: list[Blackout],
    bookings: Bookings,
    earliest: dt.date,
) -> list[PlannedVisit]:
    """Place the reviews of a trust that joins a cycle under way, around what is already booked.

    The planner's own rules, from `earliest` (time to accept places and agree lines) to the last day that
    leaves time for the report: its strands in its CEO's order, each in its share of the time left.
    """
    bookings.know_moderators(moderators)
    last = settings.end - settings.report_time
    rounds = len(trust.strand_order)
    span = (last - earliest).days
    if span < 0:
        raise PlanInfeasible(
            f"the last visit of this cycle had to be by {last} (to leave time for its report), so '{trust.id}' cannot host reviews in it"
        )
    if span < 7 * rounds:
        raise PlanInfeasible(
            f"only {max(span, 0)} days are left between {earliest} and {last} (the last visit that leaves time for its report) "
            f"for {rounds} reviews hosted by '{trust.id}'"
        )
    by_trust = {t.id: t for t in trusts} | {trust.id: trust}
    visits: list[PlannedVisit] = []
    after = earliest
    for k, strand in enumerate(trust.strand_order):
        window_end = earliest + dt.timedelta(days=span * (k + 1) // rounds)
        since = max(earliest + dt.timedelta(days=span * k // rounds), after)
        visit = _place(
            trust, strand, k + 1, by_trust, people, moderators, settings, blackouts, bookings, since, window_end, last
        )
        after = visit.visit_end + dt.timedelta(days=1)
        visits.append(visit)
    return visits


@dataclass(frozen=True)
class ReviewDates:
    """A review's dates as first planned and as they turned out (for the timeline)."""

    review_id: int
    trust: str  # the host trust's key
    host: str
    strand: str
    position: int
    stage: str
    planned_visit: tuple[dt.date, dt.date]
    planned_report: dt.date
    visit: tuple[dt.date, dt.date]
    report_due: dt.date
    issued_on: dt.date | None
