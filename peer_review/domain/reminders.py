"""Which reminder a task is owed on a given day: before its due date, when overdue, then escalation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ReminderRules:
    before: tuple[int, ...] = (7, 2)  # days before the due date
    first_overdue: int = 1  # days after it, for the first overdue reminder
    overdue_every: int = 7  # days between later overdue reminders
    overdue_max: int = 3  # overdue reminders at most; then the coordinator is told
    digest_weekday: int = 0  # Monday

    @classmethod
    def from_dict(cls, data: dict) -> ReminderRules:
        return cls(**{**data, "before": tuple(data.get("before", cls.before))}) if data else cls()


def reminder_due(rules: ReminderRules, due: dt.date, opened: dt.date, today: dt.date) -> str | None:
    """'before-7', 'overdue-2', 'escalate' ... or None. Keyed by name, each is sent at most once per due date.

    Only the latest reminder reached counts, so a sweep that missed some days does not send a backlog;
    a 'before' reminder that would fall before the task was opened is left out (its first email says it all).
    """
    if today < due:
        reached = [
            n for n in rules.before if due - dt.timedelta(days=n) <= today and due - dt.timedelta(days=n) >= opened
        ]
        return f"before-{min(reached)}" if reached else None
    late = (today - due).days
    if late < rules.first_overdue:
        return None
    count = 1 + (late - rules.first_overdue) // rules.overdue_every
    return f"overdue-{count}" if count <= rules.overdue_max else "escalate"
