"""Pure scheduling rules: when each step of a treatment is due, and when it stops being useful.

The steps themselves are data: each kind's `templates/kinds/<kind>.toml` (followups/kinds.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from scheduler.outbound.timing import SendWindow, local_moment, require_aware


@dataclass(frozen=True)
class Step:
    """One follow-up message: sent on `day` after the treatment, useful for `useful_days` more."""

    name: str
    day: int
    useful_days: int

    @property
    def label(self) -> str:
        """How staff pages and the CLI name the step: 'Day 3'."""
        return f"Day {self.day}"


def overlaps(steps: Sequence[Step]) -> list[str]:
    """Steps still useful on the day the next one is sent: a patient would get both at once."""
    found = []
    for step, following in pairwise(steps):
        if step.day + step.useful_days >= following.day:
            found.append(
                f"{step.name} (day {step.day}) stays useful {step.useful_days} day(s), up to"
                f" day {step.day + step.useful_days}: not before {following.name} on day"
                f" {following.day}"
            )
    return found


@dataclass(frozen=True)
class PlannedMessage:
    step: str
    due_at: datetime  # UTC
    expires_at: datetime  # UTC


def plan_messages(
    performed_at: datetime, zone: ZoneInfo, window: SendWindow, steps: Sequence[Step]
) -> list[PlannedMessage]:
    """Due and expiry instants (UTC) of every step, counted from the local treatment date."""
    require_aware(performed_at)
    return plan_from_date(performed_at.astimezone(zone).date(), zone, window, steps)


def plan_from_date(
    treated_on: date, zone: ZoneInfo, window: SendWindow, steps: Sequence[Step]
) -> list[PlannedMessage]:
    """`plan_messages` for a local treatment date: treatments on one date share their plan."""
    planned = []
    for step in steps:
        send_day = treated_on + timedelta(days=step.day)
        last_day = send_day + timedelta(days=step.useful_days)
        planned.append(
            PlannedMessage(
                step=step.name,
                due_at=local_moment(send_day, window.start, zone),
                expires_at=local_moment(last_day, window.end, zone),
            )
        )
    return planned
