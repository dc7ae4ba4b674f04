"""Dispatcher -> real TwilioChannel (real `twilio` SDK) -> HTTP -> FakeTwilio, end to end."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import make_settings
from fakes.twilio_server import FakeTwilio, FaultMode
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Patient, Treatment
from models.db import session_scope
from scheduler.channels import build_channels
from scheduler.channels.base import Channel
from scheduler.clock import SimulatedClock
from scheduler.compose import message_context
from scheduler.contacts import mask_phone
from scheduler.dispatch import Dispatcher, PassReport
from scheduler.intake import TreatmentCreate
from scheduler.registration import OPTED_OUT, register_treatment
from scheduler.render import MessageRenderer
from scheduler.settings import Settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)
DAY3 = datetime(2026, 11, 27, 10, 0, tzinfo=TORONTO)
DAY7 = datetime(2026, 12, 1, 10, 0, tzinfo=TORONTO)

ACCOUNT = "AC" + "7e" * 16
TOKEN = "tok_e2e_9b1f4c7a2d6e8f03"
FROM = "+16135550100"
CALLBACK = "https://clinic.example/webhooks/twilio/status"


def phone(i: int) -> str:
    """Patient numbers, distinct from the clinic's own number (FROM)."""
    return f"+1514555{200 + i:04d}"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN, retry_after="120") as server:
        yield server


def sms_settings(sqlite_url: str, fake: FakeTwilio, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sms_channel": "twilio",
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_from_number": FROM,
        "twilio_api_base": fake.base_url,
        "twilio_timeout_seconds": 5.0,
        **overrides,
    }
    return make_settings(sqlite_url, **values)


class Harness:
    """A dispatcher wired to the real channels built from settings, on a simulated clock."""

    def __init__(self, engine: Engine, settings: Settings, renderer: MessageRenderer) -> None:
        self.engine = engine
        self.settings = settings
        self.renderer = renderer
        self.clock = SimulatedClock(DAY1)
        self.channels: dict[str, Channel] = build_channels(settings)
        self.dispatcher = Dispatcher(engine, settings, self.channels, renderer, clock=self.clock)

    def register(self, count: int = 1) -> None:
        """Patients phone(0) .. phone(count - 1), treated the day before DAY1."""
        for i in range(count):
            request = TreatmentCreate.model_validate(
                {"name": f"Camille Patient{i}", "phone": phone(i), "language": "en"}
            )
            with session_scope(self.engine) as session:
                register_treatment(session, request, settings=self.settings, now=PERFORMED)

    def run_pass(self) -> PassReport:
        return self.dispatcher.run_pass()

    def rows(self, to: str | None = None, step: str | None = None) -> list[OutboundMessage]:
        with Session(self.engine) as session:
            query = (
                select(OutboundMessage, Patient)
                .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
                .join(Patient, col(Patient.id) == Treatment.patient_id)
                .order_by(col(OutboundMessage.id))
            )
            found = session.exec(query).all()
        return [
            row
            for row, patient in found
            if (to is None or patient.phone == to) and (step is None or row.step == step)
        ]

    def row(self, to: str, step: str = "day1") -> OutboundMessage:
        [found] = self.rows(to, step)
        return found

    def patient(self, to: str) -> Patient:
        with Session(self.engine) as session:
            return session.exec(select(Patient).where(Patient.phone == to)).one()

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()


MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_harness(
    engine: Engine, sqlite_url: str, fake: FakeTwilio, renderer: MessageRenderer
) -> Iterator[MakeHarness]:
    made: list[Harness] = []

    def build(**overrides: Any) -> Harness:
        harness = Harness(engine, sms_settings(sqlite_url, fake, **overrides), renderer)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.close()


def posts_to(fake: FakeTwilio, to: str) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.params.get("To") == to)


def test_day1_sms_goes_out_over_the_wire(make_harness: MakeHarness, fake: FakeTwilio) -> None:
    h = make_harness()
    h.register()
    report = h.run_pass()
    assert (report.claimed, report.sent) == (1, 1)

    [seen] = fake.requests
    assert (seen.method, seen.status, seen.auth_ok) == ("POST", 201, True)
    assert seen.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    patient = h.patient(phone(0))
    expected = h.renderer.sms("microneedling", "day1", "en", message_context(patient, h.settings))
    assert seen.params == {
        "To": phone(0),
        "From": FROM,
        "Body": expected.text,
        "StatusCallback": CALLBACK,
    }
    assert h.settings.clinic_name in seen.params["Body"]
    assert "STOP" in seen.params["Body"]

    [sid] = fake.messages
    row = h.row(phone(0))
    assert row.status == OutboxStatus.SENT
    assert row.provider_id == sid
    assert row.segments == expected.segments.segments and row.segments >= 1
    assert (row.attempts, row.sent_at, row.error_code) == (1, DAY1, None)
    # Day 3 and day 7 are untouched until they are due.
    assert {r.status for r in h.rows(phone(0)) if r.step != "day1"} == {OutboxStatus.PENDING}


@pytest.mark.parametrize(
    ("mode", "code", "min_delay"),
    [("429", "20429", 120.0), ("500", "20500", 0.0)],
)
def test_transient_http_failures_are_retried_and_nothing_is_lost(
    make_harness: MakeHarness, fake: FakeTwilio, mode: FaultMode, code: str, min_delay: float
) -> None:
    h = make_harness()
    h.register()
    fake.fail_next(1, mode)
    assert h.run_pass().retrying == 1
    row = h.row(phone(0))
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.PENDING, 1, code)
    assert row.provider_id is None
    assert row.next_attempt_at > DAY1
    assert row.next_attempt_at - DAY1 >= timedelta(seconds=min_delay)  # Retry-After: 120

    assert h.run_pass().claimed == 0  # not before its next attempt
    assert len(fake.requests) == 1

    h.clock.set(row.next_attempt_at)
    assert h.run_pass().sent == 1
    row = h.row(phone(0))
    assert (row.status, row.attempts, row.error_code, row.last_error) == (
        OutboxStatus.SENT,
        2,
        None,
        None,
    )
    assert [r.status for r in fake.requests] == [int(mode), 201]
    [sid] = fake.messages
    assert row.provider_id == sid


def test_slow_provider_times_out_and_is_retried(
    make_harness: MakeHarness, fake: FakeTwilio
) -> None:
    fake.slow_seconds = 0.6
    h = make_harness(twilio_timeout_seconds=0.2)
    h.register()
    fake.fail_next(1, "slow")
    assert h.run_pass().retrying == 1
    row = h.row(phone(0))
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.PENDING, 1, "read-timeout")
    h.clock.set(row.next_attempt_at)
    assert h.run_pass().sent == 1
    assert h.row(phone(0)).status == OutboxStatus.SENT


def test_a_timed_out_send_that_reached_twilio_is_not_sent_twice(
    make_harness: MakeHarness, fake: FakeTwilio
) -> None:
    fake.slow_seconds = 0.4
    h = make_harness(twilio_timeout_seconds=0.1)
    h.register()
    fake.fail_next(1, "slow")
    assert h.run_pass().retrying == 1
    deadline = time.monotonic() + 5
    while not fake.messages and time.monotonic() < deadline:  # Twilio finishes creating it late
        time.sleep(0.02)
    [sid] = fake.messages
    h.clock.set(h.row(phone(0)).next_attempt_at)
    assert h.run_pass().sent == 1
    row = h.row(phone(0))
    assert (row.status, row.provider_id, row.attempts) == (OutboxStatus.SENT, sid, 2)
    assert posts_to(fake, phone(0)) == 1  # the retry looked it up instead of posting again
    assert len(fake.messages) == 1


def test_invalid_number_fails_for_good(make_harness: MakeHarness, fake: FakeTwilio) -> None:
    h = make_harness()
    h.register()
    fake.rules[phone(0)] = "21211"
    assert h.run_pass().failed == 1
    row = h.row(phone(0))
    assert (row.status, row.error_code, row.attempts) == (OutboxStatus.FAILED, "21211", 1)
    assert mask_phone(phone(0)) in (row.last_error or "")
    assert phone(0) not in (row.last_error or "")
    for _ in range(3):
        h.clock.advance(timedelta(hours=2))
        assert h.run_pass().claimed == 0
    assert posts_to(fake, phone(0)) == 1


def test_carrier_opt_out_cancels_the_patients_other_messages(
    make_harness: MakeHarness, fake: FakeTwilio
) -> None:
    h = make_harness()
    h.register(2)
    fake.rules[phone(0)] = "21610"
    report = h.run_pass()
    assert (report.sent, report.failed, report.cancelled) == (1, 1, 2)

    row = h.row(phone(0))
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "21610")
    assert h.patient(phone(0)).opted_out_at == DAY1
    later = [r for r in h.rows(phone(0)) if r.step != "day1"]
    assert [(r.status, r.error_code) for r in later] == [(OutboxStatus.CANCELLED, OPTED_OUT)] * 2
    # The other patient is untouched.
    assert h.patient(phone(1)).opted_out_at is None

    for moment in (DAY3, DAY7):
        h.clock.set(moment)
        h.run_pass()
    assert posts_to(fake, phone(0)) == 1
    assert posts_to(fake, phone(1)) == 3
    assert [r.status for r in h.rows(phone(1))] == [OutboxStatus.SENT] * 3


def test_logs_never_carry_a_full_number_or_the_token(
    make_harness: MakeHarness, fake: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.slow_seconds = 0.5
    h = make_harness(twilio_timeout_seconds=0.2)
    faults: list[FaultMode | None] = ["429", "500", "21211", "21614", "21610", "slow", None]
    h.register(len(faults))
    for i, mode in enumerate(faults):
        if mode is not None:
            fake.rules[phone(i)] = mode
    first = h.run_pass()
    assert (first.sent, first.retrying, first.failed) == (1, 3, 3)
    h.clock.advance(timedelta(hours=1))
    h.run_pass()

    numbers = [phone(i) for i in range(len(faults))]
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    # The pass did log about these recipients (masked): the check below is not vacuous.
    assert mask_phone(phone(0)) in logged and mask_phone(phone(2)) in logged
    for number in numbers:
        assert number not in logged
        assert number.removeprefix("+1") not in logged  # national digits, no formatting
    assert TOKEN not in logged
    # Nor in what is stored for staff to read.
    stored = " ".join(r.last_error or "" for r in h.rows())
    assert not any(number in stored for number in numbers)
    assert TOKEN not in stored


# --- rate limit and concurrency (real time) ---


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


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most timestamps within any half-open sliding window [t, t + window)."""
    ordered = sorted(times)
    best = 0
    lo = 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


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
    assert peak == fake.max_per_second()
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
    sqlite_url: str,
    renderer: MessageRenderer,
    metered: InFlightTwilio,
    concurrency: int,
    low: int,
    high: int,
) -> None:
    settings = sms_settings(
        sqlite_url, metered, sms_rate_per_second=10.0, sms_concurrency=concurrency
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
