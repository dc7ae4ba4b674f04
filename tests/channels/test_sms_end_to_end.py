"""SMS end to end: Dispatcher -> real TwilioChannel (real `twilio` SDK) -> HTTP -> FakeTwilio.

Delivery, provider faults, retries, carrier opt-out and what the logs may carry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from models import OutboxStatus
from models.vocabulary import ErrorCode
from scheduler.contacts import mask_phone
from scheduler.outbound.compose import message_context
from scheduler.outbound.render import MessageRenderer
from tests.fakes.twilio_server import FakeTwilio, FaultMode
from tests.support.optouts import opted_out_at
from tests.support.sms import (
    ACCOUNT,
    CALLBACK,
    DAY1,
    DAY3,
    DAY7,
    FROM,
    TOKEN,
    MakeHarness,
    harness_factory,
    new_fake,
    phone,
    posts_to,
)


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
    assert opted_out_at(h.engine, "sms", phone(0)) == DAY1
    later = [r for r in h.rows(phone(0)) if r.step != "day1"]
    assert [(r.status, r.error_code) for r in later] == [
        (OutboxStatus.CANCELLED, ErrorCode.OPTED_OUT)
    ] * 2
    # The other patient is untouched.
    assert opted_out_at(h.engine, "sms", phone(1)) is None

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
