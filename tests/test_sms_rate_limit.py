"""SMS end to end against FakeTwilio, in real time: the rate limit and concurrent sends."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fakes.twilio_server import FakeTwilio, FaultMode, max_in_window
from sms_support import (
    ACCOUNT,
    TOKEN,
    Harness,
    MakeHarness,
    harness_factory,
    new_fake,
    phone,
    sms_settings,
)
from sqlalchemy import Engine

from models import OutboxStatus
from scheduler.render import MessageRenderer


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with new_fake() as server:
        yield server


@pytest.fixture
def make_harness(
    engine: Engine, database_url: str, fake: FakeTwilio, renderer: MessageRenderer
) -> Iterator[MakeHarness]:
    with harness_factory(engine, database_url, fake, renderer) as build:
        yield build


class InFlightTwilio(FakeTwilio):
    """FakeTwilio that also records when each create call started and finished."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.intervals: list[tuple[float, float]] = []
        self._in_flight = 0
        self.peak_in_flight = 0
        self._meter = threading.Lock()

    def handle_create(
        self, params: dict[str, str], auth_ok: bool
    ) -> tuple[int, Any, FaultMode | None]:
        started = time.monotonic()
        with self._meter:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            return super().handle_create(params, auth_ok)
        finally:
            with self._meter:
                self._in_flight -= 1
                self.intervals.append((started, time.monotonic()))


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end at t comes before a start at t)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def assert_each_sent_once(h: Harness, fake: FakeTwilio, count: int) -> None:
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == count
    assert all(r.status == 201 for r in posts)
    per_number = Counter(r.params["To"] for r in posts)
    assert set(per_number) == {phone(i) for i in range(count)}
    assert set(per_number.values()) == {1}
    day1 = [r for r in h.rows() if r.step == "day1"]
    assert {r.status for r in day1} == {OutboxStatus.SENT}
    assert sorted(r.provider_id or "" for r in day1) == sorted(fake.messages)


@pytest.mark.slow
def test_rate_limit_holds_in_every_one_second_window(
    make_harness: MakeHarness, fake: FakeTwilio
) -> None:
    h = make_harness(sms_rate_per_second=10.0, sms_concurrency=4)
    h.register(40)
    report = h.run_pass()
    assert (report.claimed, report.sent) == (40, 40)
    assert_each_sent_once(h, fake, 40)
    arrivals = [r.at for r in fake.requests]
    peak = max_in_window(arrivals)
    print(f"\nrate 10/s, concurrency 4: max requests in any 1 s window = {peak}")
    assert peak <= 10


def test_window_count_catches_an_unlimited_burst(
    make_harness: MakeHarness, fake: FakeTwilio
) -> None:
    # Control for the test above: without pacing the same measurement exceeds 10.
    h = make_harness(sms_rate_per_second=1000.0, sms_concurrency=4)
    h.register(20)
    assert h.run_pass().sent == 20
    assert fake.max_per_second() > 10


@pytest.fixture
def metered() -> Iterator[InFlightTwilio]:
    server = InFlightTwilio(account_sid=ACCOUNT, auth_token=TOKEN, slow_seconds=0.3)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize(("concurrency", "low", "high"), [(4, 3, 4), (1, 1, 1)])
def test_concurrency_overlaps_slow_requests(
    engine: Engine,
    database_url: str,
    renderer: MessageRenderer,
    metered: InFlightTwilio,
    concurrency: int,
    low: int,
    high: int,
) -> None:
    settings = sms_settings(
        database_url, metered, sms_rate_per_second=10.0, sms_concurrency=concurrency
    )
    h = Harness(engine, settings, renderer)
    try:
        h.register(12)
        for i in range(12):
            metered.rules[phone(i)] = "slow"
        started = time.monotonic()
        assert h.run_pass().sent == 12
        elapsed = time.monotonic() - started
    finally:
        h.close()
    assert_each_sent_once(h, metered, 12)
    overlap = max_overlap(metered.intervals)
    print(
        f"\nconcurrency {concurrency}: max in flight = {overlap} "
        f"(live peak {metered.peak_in_flight}), 12 slow sends in {elapsed:.2f} s"
    )
    assert overlap == metered.peak_in_flight
    assert low <= overlap <= high
