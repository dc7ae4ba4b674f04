"""The pure timing rules of a claimed message: DST wall times, quiet hours, expiry, backoff."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.outbound.timing import (
    Action,
    SendWindow,
    backoff_delay,
    clinic_deadline,
    decide,
    in_window,
    local_moment,
    next_window_opening,
)

TORONTO = ZoneInfo("America/Toronto")
WINDOW = SendWindow(time(10), time(19))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_window_opening_inside_the_spring_forward_gap_moves_just_after_it() -> None:
    # 02:30 does not exist on 2026-03-08 in Toronto.
    moment = local_moment(date(2026, 3, 8), time(2, 30), TORONTO)
    assert moment == utc(2026, 3, 8, 7, 30)
    assert moment.astimezone(TORONTO).hour == 3


def test_ambiguous_fall_back_time_is_the_first_occurrence() -> None:
    moment = local_moment(date(2026, 11, 1), time(1, 30), TORONTO)
    assert moment == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        decide(datetime(2026, 1, 1, 12), utc(2026, 1, 2), TORONTO, WINDOW)  # noqa: DTZ001


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError):
        SendWindow(time(19), time(10))


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (local(2026, 11, 25, 9, 59), False),
        (local(2026, 11, 25, 10, 0), True),
        (local(2026, 11, 25, 18, 59), True),
        (local(2026, 11, 25, 19, 0), False),
        (local(2026, 11, 25, 23, 30), False),
    ],
)
def test_in_window(moment: datetime, inside: bool) -> None:
    assert in_window(moment, TORONTO, WINDOW) is inside


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        (local(2026, 11, 25, 7, 0), local(2026, 11, 25, 10, 0)),
        (local(2026, 11, 25, 12, 0), local(2026, 11, 25, 12, 0)),
        (local(2026, 11, 25, 22, 0), local(2026, 11, 26, 10, 0)),
        # Saturday night before spring forward: next opening is Sunday 10:00 EDT.
        (local(2026, 3, 7, 21, 0), local(2026, 3, 8, 10, 0)),
    ],
)
def test_next_window_opening(moment: datetime, opening: datetime) -> None:
    assert next_window_opening(moment, TORONTO, WINDOW) == opening


def test_due_message_inside_the_window_is_sent() -> None:
    decision = decide(local(2026, 11, 26, 10, 0), local(2026, 11, 27, 19), TORONTO, WINDOW)
    assert decision.action is Action.SEND


def test_missed_day_still_useful_is_sent_when_service_returns() -> None:
    # Day 1 was due yesterday 10:00; the service comes back today at 11:00, before expiry.
    decision = decide(local(2026, 11, 27, 11, 0), local(2026, 11, 27, 19), TORONTO, WINDOW)
    assert decision.action is Action.SEND


def test_service_back_at_night_waits_for_the_window_not_sent_late() -> None:
    decision = decide(local(2026, 11, 26, 23, 0), local(2026, 11, 27, 19), TORONTO, WINDOW)
    assert decision.action is Action.DEFER
    assert decision.until == local(2026, 11, 27, 10, 0)


def test_service_back_at_night_after_the_last_useful_window_expires_it() -> None:
    decision = decide(local(2026, 11, 27, 22, 0), local(2026, 11, 27, 19), TORONTO, WINDOW)
    assert decision.action is Action.EXPIRE


def test_night_before_the_expiry_day_with_no_window_left_expires() -> None:
    # Expiry at 12:00 on the 27th is before the next opening? No: opening 10:00 < 12:00 -> defer.
    assert decide(local(2026, 11, 26, 22), local(2026, 11, 27, 12), TORONTO, WINDOW).action is (
        Action.DEFER
    )
    # Expiry at 09:00 the next day is before the next opening: expire now, never send at night.
    assert decide(local(2026, 11, 26, 22), local(2026, 11, 27, 9), TORONTO, WINDOW).action is (
        Action.EXPIRE
    )


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 6, 10])
def test_backoff_grows_exponentially_with_bounded_jitter(attempt: int) -> None:
    ceiling = min(3600.0, 30.0 * 2 ** (attempt - 1))
    delays = [
        backoff_delay(attempt, base=30, cap=3600, rng=random.Random(seed)).total_seconds()
        for seed in range(50)
    ]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len({round(d, 3) for d in delays}) > 10  # jittered, not one fixed value


def test_backoff_honours_retry_after_and_cap() -> None:
    rng = random.Random(1)
    assert backoff_delay(1, base=30, cap=3600, retry_after=120, rng=rng) >= timedelta(seconds=120)
    assert backoff_delay(20, base=30, cap=3600, rng=rng) <= timedelta(seconds=3600)
    with pytest.raises(ValueError):
        backoff_delay(0, base=30, cap=3600)


HOURS = SendWindow(time(10), time(19))


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        # Inside the hours: plain addition.
        (local(2026, 11, 25, 11, 0), 4, local(2026, 11, 25, 15, 0)),
        # Two hours left today, two tomorrow morning.
        (local(2026, 11, 25, 17, 0), 4, local(2026, 11, 26, 12, 0)),
        # After closing: the clock starts at tomorrow's opening.
        (local(2026, 11, 25, 21, 40), 4, local(2026, 11, 26, 14, 0)),
        # Before opening: starts at today's opening.
        (local(2026, 11, 25, 6, 0), 4, local(2026, 11, 25, 14, 0)),
        # Ending exactly at closing stays that day.
        (local(2026, 11, 25, 15, 0), 4, local(2026, 11, 25, 19, 0)),
        # Longer than a day of hours: 9 h a day.
        (local(2026, 11, 25, 10, 0), 20, local(2026, 11, 27, 12, 0)),
        # Across the autumn DST change (2026-11-01): wall-clock hours, UTC offsets differ.
        (local(2026, 10, 31, 18, 0), 4, local(2026, 11, 1, 13, 0)),
    ],
)
def test_clinic_deadline(start: datetime, hours: int, deadline: datetime) -> None:
    assert clinic_deadline(start, timedelta(hours=hours), HOURS, TORONTO) == deadline
