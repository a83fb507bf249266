"""What changes when a loaded partnership's file is edited mid-cycle: who joins, who leaves, whose roles or
details change, which trusts join or leave, whose strand order moves. Pure: no database.

People are matched by email and trusts by id (the keys the file uses), never by name. `diff` refuses, with
the reason and the file's key, any change that would rewrite what has happened: a trust leaving after one
of its reviews started, a started review changing its place in its trust's order, a person with records
changing trust or (apparently) email.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

#: The roles a person can hold, as Person's flags, with the words used for them.
ROLES = {
    "is_coordinator": "coordinator",
    "is_moderator": "moderator",
    "is_ceo": "CEO",
    "is_reviewer": "reviewer",
    "is_colleague": "colleague who may act for the trust",
}

#: What else the file says about a person, with the words used for it.
DETAILS = {
    "name": "name",
    "job_title": "job title",
    "organisation": "organisation",
    "strands": "strands",
    "conflicts": "conflicts",
    "previous_employers": "previous employers",
    "digest_only": "digest only",
    "max_reviews_per_term": "max reviews per term",
    "survey_group": "survey group",
}


@dataclass(frozen=True)
class Member:
    """One person: their trust (its id), the roles they hold and their details."""

    email: str
    trust: str | None
    roles: frozenset[str]  # keys of ROLES
    details: dict  # keys of DETAILS
    loc: tuple = field(default=(), compare=False)  # where the file lists them, for messages

    @property
    def label(self) -> str:
        return f"{self.details['name']} <{self.email}>"


@dataclass(frozen=True)
class TrustEntry:
    key: str
    name: str
    strand_order: tuple[str, ...]
    conflicts: tuple[str, ...]
    calendar: str
    loc: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class Roster:
    """A partnership's trusts and people: as stored (those still in it), or as an edited file describes them."""

    trusts: dict[str, TrustEntry]
    people: dict[str, Member]

    def ceo_of(self, trust: str) -> Member | None:
        return next((m for m in self.people.values() if m.trust == trust and "is_ceo" in m.roles), None)

    def coordinator(self) -> Member | None:
        return next((m for m in self.people.values() if "is_coordinator" in m.roles), None)


@dataclass(frozen=True)
class History:
    """What has happened, which an update must not rewrite."""

    with_records: frozenset[str] = frozenset()  # emails of people with team places, tasks or findings
    started: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # trust -> {strand: position} of its started or closed reviews
    left_people: dict[str, str | None] = field(
        default_factory=dict
    )  # email -> trust (None: no trust) of people who left earlier
    left_trusts: frozenset[str] = frozenset()  # trusts that left earlier
    added_outside_file: frozenset[str] = frozenset()  # emails of people the coordinator added as replacements


class Kind(StrEnum):
    TRUST_JOINED = "trust_joined"
    PERSON_JOINED = "person_joined"
    CEO_CHANGED = "ceo_changed"
    COORDINATOR_CHANGED = "coordinator_changed"
    ROLES_CHANGED = "roles_changed"
    DETAILS_CHANGED = "details_changed"
    TRUST_CHANGED = "trust_changed"
    STRAND_ORDER_CHANGED = "strand_order_changed"
    PERSON_LEFT = "person_left"
    TRUST_LEFT = "trust_left"
    CALENDAR_CHANGED = "calendar_changed"  # provisional dates replaced, or school years added


@dataclass(frozen=True)
class Change:
    """One difference between the stored partnership and the file, in a sentence for people."""

    kind: Kind
    about: str  # the trust id or the person's email
    sentence: str
    lost: frozenset[str] = frozenset()  # roles given up (ROLES keys), for a person leaving or changing roles


class Refused(ValueError):
    """A change that would break history; `loc` is the file's key that asks for it."""

    def __init__(self, problem: str, loc: tuple = ()):
        super().__init__(problem)
        self.problem = problem
        self.loc = loc


@dataclass(frozen=True)
class _Words:
    """Trusts and strands as people know them, by name, for the sentences (ids are the file's, not theirs)."""

    trusts: dict[str, str]
    strands: dict[str, str]

    def trust(self, key: str | None) -> str:
        return self.trusts.get(key, f"trust '{key}'") if key else "the coordinating body"

    def order(self, strands: tuple[str, ...]) -> str:
        return ", ".join(f"{n}. {self.strands.get(s, s)}" for n, s in enumerate(strands, 1))


def diff(stored: Roster, wanted: Roster, history: History, strand_titles: dict[str, str] | None = None) -> list[Change]:
    """The changes that turn `stored` into `wanted`, in the order they are applied; raises Refused."""
    words = _Words(
        {k: t.name for k, t in stored.trusts.items()} | {k: t.name for k, t in wanted.trusts.items()},
        strand_titles or {},
    )
    changes = _trust_changes(stored, wanted, history, words)
    changes += _people_changes(stored, wanted, history, words)
    order = list(Kind)
    return sorted(changes, key=lambda c: order.index(c.kind))  # stable: within a kind, the file's order


def _trust_changes(stored: Roster, wanted: Roster, history: History, words: _Words) -> list[Change]:
    changes = []
    for key, trust in wanted.trusts.items():
        if key in history.left_trusts:
            raise Refused(
                f"{trust.name} ('{key}') left the partnership during this cycle and its reviews were cancelled; it can rejoin for the next cycle",
                trust.loc + ("id",),
            )
        old = stored.trusts.get(key)
        if old is None:
            changes.append(
                Change(
                    Kind.TRUST_JOINED,
                    key,
                    f"{trust.name} joins the partnership; its reviews are planned in the time left in the cycle",
                )
            )
            continue
        if trust.calendar != old.calendar:
            raise Refused(
                f"{old.name} would change its school calendar from '{old.calendar}' to '{trust.calendar}', but its visits and "
                "deadlines were planned on it; keep term_dates as it was",
                trust.loc + ("term_dates",),
            )
        said = []
        if trust.name != old.name:
            said.append(f"name '{old.name}' -> '{trust.name}'")
        if trust.conflicts != old.conflicts:
            said.append(
                f"conflicts {_listed(map(words.trust, old.conflicts))} -> {_listed(map(words.trust, trust.conflicts))} "
                "(for choices from now on)"
            )
        if said:
            changes.append(Change(Kind.TRUST_CHANGED, key, f"{old.name}: " + "; ".join(said)))
        if trust.strand_order != old.strand_order:
            _check_started_keep_their_places(key, trust, history, words)
            changes.append(
                Change(
                    Kind.STRAND_ORDER_CHANGED,
                    key,
                    f"{trust.name}: strand order {words.order(old.strand_order)} -> "
                    f"{words.order(trust.strand_order)}; reviews not yet started take the strands in the new order, on their planned dates",
                )
            )
    for key, old in stored.trusts.items():
        if key in wanted.trusts:
            continue
        started = history.started.get(key)
        if started:
            raise Refused(
                f"{old.name} cannot leave: it has started or finished reviews ({', '.join(words.strands.get(s, s) for s in sorted(started))}), whose records stay "
                "with the partnership; keep it in the file until the cycle ends",
                ("trusts",),
            )
        changes.append(
            Change(
                Kind.TRUST_LEFT, key, f"{old.name} leaves the partnership; its reviews, none yet started, are cancelled"
            )
        )
    return changes


def _check_started_keep_their_places(key: str, trust: TrustEntry, history: History, words: _Words) -> None:
    """A started review has its place in its trust's order: the strands not yet started may move around it."""
    for strand, position in sorted(history.started.get(key, {}).items(), key=lambda item: item[1]):
        now = trust.strand_order.index(strand) + 1
        if now != position:
            raise Refused(
                f"'{words.strands.get(strand, strand)}' is review {position} of {trust.name} and has started, so it keeps place {position} "
                f"in strand_order (it is now at {now}); only the strands not yet started can move",
                trust.loc + ("strand_order",),
            )


def _people_changes(stored: Roster, wanted: Roster, history: History, words: _Words) -> list[Change]:
    changes = []
    joining = [m for e, m in wanted.people.items() if e not in stored.people]
    leaving = [m for e, m in stored.people.items() if e not in wanted.people]
    _check_no_email_changes(joining, leaving, history)
    for member in joining:
        again = " again" if member.email in history.left_people else ""
        if again and member.email in history.with_records and history.left_people[member.email] != member.trust:
            raise Refused(
                f"{member.email} left {words.trust(history.left_people[member.email])} and would come back in {words.trust(member.trust)}, but a person's "
                "trust cannot change once they have records (team places, tasks or findings name them as of their old trust); list them "
                f"under {words.trust(history.left_people[member.email])}, or with a new email address",
                member.loc + ("email",),
            )
        where = words.trust(member.trust) if member.trust else "the partnership"
        changes.append(
            Change(
                Kind.PERSON_JOINED,
                member.email,
                f"{member.label} joins {where}{again} as {_roles(member.roles, member.details)}",
            )
        )
    for email, member in wanted.people.items():
        old = stored.people.get(email)
        if old is not None:
            changes += _member_changes(old, member, wanted, history, words)
    for member in leaving:
        unlisted = (
            " (the coordinator added them as a replacement: list them in the file to keep them)"
            if member.email in history.added_outside_file
            else ""
        )
        changes.append(
            Change(
                Kind.PERSON_LEFT,
                member.email,
                f"{member.label} leaves the partnership (was {_roles(member.roles, member.details)}"
                + (f" of {words.trust(member.trust)}" if member.trust else "")
                + f"){unlisted}; their open tasks are handed on",
                lost=member.roles,
            )
        )
    for key in wanted.trusts.keys() & stored.trusts.keys():
        old, new = stored.ceo_of(key), wanted.ceo_of(key)
        if old is not None and new is not None and old.email != new.email:
            changes.append(
                Change(
                    Kind.CEO_CHANGED,
                    key,
                    f"{words.trust(key)}: CEO {old.label} -> {new.label}; the CEO's open tasks for the trust's reviews move to {new.details['name']}",
                )
            )
    old, new = stored.coordinator(), wanted.coordinator()
    if old is not None and new is not None and old.email != new.email:
        changes.append(
            Change(
                Kind.COORDINATOR_CHANGED,
                new.email,
                f"coordinator {old.label} -> {new.label}; the coordinator's open tasks move to {new.details['name']}",
            )
        )
    return changes


def _member_changes(old: Member, new: Member, wanted: Roster, history: History, words: _Words) -> list[Change]:
    changes = []
    if new.trust != old.trust:
        if old.email in history.with_records:
            raise Refused(
                f"{old.email} would move from {words.trust(old.trust)} to {words.trust(new.trust)}, but a person's trust cannot change once they have records "
                f"(team places, tasks or findings name them as of {words.trust(old.trust)}); if they now work for {words.trust(new.trust)}, list them with "
                "their new email address, and the old one leaves",
                new.loc + ("email",),
            )
    gained, lost = new.roles - old.roles, old.roles - new.roles
    shown = {"is_ceo", "is_coordinator"}  # told as the trust's or partnership's change, not the person's
    said = [f"now {ROLES[r]}" for r in sorted(gained - shown)] + [f"no longer {ROLES[r]}" for r in sorted(lost - shown)]
    if new.trust != old.trust:
        said.insert(0, f"moves from {words.trust(old.trust)} to {words.trust(new.trust)}")
    if said:
        changes.append(Change(Kind.ROLES_CHANGED, new.email, f"{new.label}: " + "; ".join(said), lost=lost))
    details = []
    for key, said_as in DETAILS.items():
        if old.details.get(key) == new.details.get(key):
            continue
        trust = wanted.trusts.get(new.trust or "")
        if key == "organisation" and trust is not None and new.details[key] == trust.name:
            continue  # follows the trust's own name
        named = {"strands": words.strands, "previous_employers": words.trusts, "conflicts": words.trusts}.get(key, {})
        before, after = (_shown(d.get(key), named) for d in (old.details, new.details))
        details.append(f"{said_as} {before} -> {after}")
    if details:
        changes.append(Change(Kind.DETAILS_CHANGED, new.email, f"{new.label}: " + "; ".join(details)))
    return changes


def _check_no_email_changes(joining: list[Member], leaving: list[Member], history: History) -> None:
    """An edited email looks like one person leaving and another joining: refused when the one leaving has records."""
    names = {m.details["name"].casefold(): m for m in leaving if m.email in history.with_records}
    for member in joining:
        old = names.get(member.details["name"].casefold())
        if old is not None:
            raise Refused(
                f"{member.email} is new, and {old.email} (also named '{old.details['name']}', with records) is no longer listed: an email "
                f"identifies a person, so this would be someone new taking over their places; if it is the same person keep {old.email}, "
                f"and if they are two people, remove {old.email} in one update and add {member.email} in the next",
                member.loc + ("email",),
            )


def _roles(roles: frozenset[str], details: dict | None = None) -> str:
    group = (details or {}).get("survey_group")
    return " and ".join(ROLES[r] for r in ROLES if r in roles) or (
        f"a survey respondent ({group})" if group else "no role"
    )


def _listed(items) -> str:
    return "[" + ", ".join(items) + "]"


def _shown(value, named: dict[str, str] | None = None) -> str:
    if isinstance(value, (list, tuple)):
        return _listed((named or {}).get(v, v) for v in value)
    return f"'{value}'" if isinstance(value, str) else str(value)
