"""The pure plan of a treatment's steps: day counting in the clinic's zone, DST, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.followups.kinds import cached_catalog
from scheduler.followups.plan import plan_messages
from scheduler.outbound.timing import (
    SendWindow,
)

TORONTO = ZoneInfo("America/Toronto")
WINDOW = SendWindow(time(10), time(19))
MICRO = cached_catalog(None).require("microneedling").steps


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("performed", "expected_due_utc"),
    [
        # An ordinary week in EST (UTC-5): 10:00 local is 15:00 UTC.
        (
            local(2026, 1, 12, 14, 0),
            [utc(2026, 1, 13, 15), utc(2026, 1, 15, 15), utc(2026, 1, 19, 15)],
        ),
        # Spring forward on Sun 2026-03-08: day 1 is the change day, already EDT (UTC-4).
        (
            local(2026, 3, 7, 14, 0),
            [utc(2026, 3, 8, 14), utc(2026, 3, 10, 14), utc(2026, 3, 14, 14)],
        ),
        # Fall back on Sun 2026-11-01: day 1 is back on EST.
        (
            local(2026, 10, 31, 14, 0),
            [utc(2026, 11, 1, 15), utc(2026, 11, 3, 15), utc(2026, 11, 7, 15)],
        ),
        # Treatment in EDT, day 7 after the fall-back: every step still at 10:00 local.
        (
            local(2026, 10, 28, 11, 0),
            [utc(2026, 10, 29, 14), utc(2026, 10, 31, 14), utc(2026, 11, 4, 15)],
        ),
        # 23:30 local is already the next day in UTC; days count from the local date.
        (
            local(2026, 11, 24, 23, 30),
            [utc(2026, 11, 25, 15), utc(2026, 11, 27, 15), utc(2026, 12, 1, 15)],
        ),
        # Just after midnight local: that local date, not the previous UTC one.
        (
            local(2026, 11, 25, 0, 15),
            [utc(2026, 11, 26, 15), utc(2026, 11, 28, 15), utc(2026, 12, 2, 15)],
        ),
    ],
)
def test_due_times_are_10am_local_on_day_n(
    performed: datetime, expected_due_utc: list[datetime]
) -> None:
    planned = plan_messages(performed, TORONTO, WINDOW, MICRO)
    assert [p.step for p in planned] == ["day1", "day3", "day7"]
    assert [p.due_at for p in planned] == expected_due_utc
    for p in planned:
        assert p.due_at.tzinfo is not None and p.due_at.utcoffset() == timedelta(0)
        assert p.due_at.astimezone(TORONTO).time() == time(10)


def test_expiry_is_window_close_after_the_useful_days() -> None:
    planned = plan_messages(local(2026, 11, 24, 23, 30), TORONTO, WINDOW, MICRO)
    assert [p.expires_at.astimezone(TORONTO) for p in planned] == [
        local(2026, 11, 26, 19),
        local(2026, 11, 29, 19),
        local(2026, 12, 3, 19),
    ]
    # A step stops being useful before the next one starts.
    assert planned[0].expires_at < planned[1].due_at
    assert planned[1].expires_at < planned[2].due_at


def test_utc_input_counts_days_in_the_clinic_zone() -> None:
    # 03:00 UTC on the 25th is 22:00 on the 24th in Toronto: day 1 is the 25th.
    planned = plan_messages(utc(2026, 11, 25, 3, 0), TORONTO, WINDOW, MICRO)
    assert planned[0].due_at.astimezone(TORONTO) == local(2026, 11, 25, 10)


def test_naive_treatment_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        plan_messages(datetime(2026, 1, 1, 12), TORONTO, WINDOW, MICRO)  # noqa: DTZ001
