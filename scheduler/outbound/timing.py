"""When a claimed message may go: the send window, its useful life, and retry backoff (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SendWindow:
    """Local hours during which patients may be messaged (quiet hours outside it)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError("a send window must start before it ends")


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time; a time skipped by DST maps to just after."""
    # fold=0 reads a wall time skipped by spring-forward with the pre-transition offset, which
    # lands just after the gap (02:30 -> 03:30 EDT), and an ambiguous autumn time as the first one.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def in_window(moment: datetime, zone: ZoneInfo, window: SendWindow) -> bool:
    local = moment.astimezone(zone)
    start = local_moment(local.date(), window.start, zone)
    end = local_moment(local.date(), window.end, zone)
    return start <= moment < end


def next_window_opening(moment: datetime, zone: ZoneInfo, window: SendWindow) -> datetime:
    """The first instant at or after `moment` that lies inside the send window."""
    require_aware(moment)
    if in_window(moment, zone, window):
        return moment.astimezone(UTC)
    local_day = moment.astimezone(zone).date()
    today_open = local_moment(local_day, window.start, zone)
    if moment < today_open:
        return today_open
    return local_moment(local_day + timedelta(days=1), window.start, zone)


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    EXPIRE = "expire"


@dataclass(frozen=True)
class Decision:
    action: Action
    until: datetime | None = None  # set for DEFER


def decide(
    now: datetime,
    expires_at: datetime,
    zone: ZoneInfo,
    window: SendWindow,
    *,
    anytime: bool = False,
) -> Decision:
    """What to do with a claimed message at `now`: send, wait for the window, or give up.

    `anytime`: an answer to a patient who just wrote may go outside the send window.
    """
    require_aware(now)
    if now >= expires_at:
        return Decision(Action.EXPIRE)
    if anytime or in_window(now, zone, window):
        return Decision(Action.SEND)
    opening = next_window_opening(now, zone, window)
    if opening >= expires_at:
        return Decision(Action.EXPIRE)
    return Decision(Action.DEFER, opening)


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> timedelta:
    """Exponential backoff with jitter after the `attempt`-th failure; never below Retry-After."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    ceiling = min(cap, base * 2 ** (attempt - 1))
    # "Equal jitter": at least half the ceiling, so retries spread out without collapsing to zero.
    jitter = (rng or random.Random()).random()
    seconds = ceiling / 2 + jitter * ceiling / 2
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


def require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: times must carry a time zone")


def clinic_deadline(
    start: datetime, duration: timedelta, hours: SendWindow, zone: ZoneInfo
) -> datetime:
    """The instant `duration` of clinic time has passed since `start` (open hours only, daily).

    Four hours from 17:00 with hours 10:00-19:00 is 12:00 the next day: two hours that evening,
    two the next morning. DST days count their real hours.
    """
    require_aware(start)
    left = duration
    day = start.astimezone(zone).date()
    moment = start.astimezone(UTC)
    while True:
        opens = local_moment(day, hours.start, zone)
        closes = local_moment(day, hours.end, zone)
        begin = max(moment, opens)
        if begin < closes:
            if begin + left <= closes:
                return begin + left
            left -= closes - begin
        day += timedelta(days=1)
