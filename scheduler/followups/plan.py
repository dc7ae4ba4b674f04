"""Pure scheduling rules: when each step of a treatment is due, and when it stops being useful."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.outbound.timing import SendWindow, local_moment, require_aware


@dataclass(frozen=True)
class Step:
    """One follow-up message: sent on `day` after the treatment, useful for `useful_days` more."""

    name: str
    day: int
    useful_days: int


@dataclass(frozen=True)
class TreatmentKind:
    name: str
    steps: tuple[Step, ...]


# Day 1 is only worth sending the next day; later steps keep for two more days (day 3 and
# day 7 advice is still right then), never overlapping the following step.
KINDS: dict[str, TreatmentKind] = {
    "microneedling": TreatmentKind(
        "microneedling",
        (Step("day1", 1, 1), Step("day3", 3, 2), Step("day7", 7, 2)),
    ),
}


@dataclass(frozen=True)
class PlannedMessage:
    step: str
    due_at: datetime  # UTC
    expires_at: datetime  # UTC


def plan_messages(
    performed_at: datetime, zone: ZoneInfo, window: SendWindow, kind: TreatmentKind
) -> list[PlannedMessage]:
    """Due and expiry instants (UTC) of every step, counted from the local treatment date."""
    require_aware(performed_at)
    return plan_from_date(performed_at.astimezone(zone).date(), zone, window, kind)


def plan_from_date(
    treated_on: date, zone: ZoneInfo, window: SendWindow, kind: TreatmentKind
) -> list[PlannedMessage]:
    """`plan_messages` for a local treatment date: treatments on one date share their plan."""
    planned = []
    for step in kind.steps:
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
