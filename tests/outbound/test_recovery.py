"""A claim left by a dead process is taken again, never re-sent blindly (outbound.recovery)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Patient, Treatment
from scheduler.channels.base import OutgoingMessage
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.outbound.claims import claim_batch, recover_stale
from scheduler.outbound.compose import compose
from scheduler.outbound.recovery import AWAITING_CHECK, UNKNOWN_OUTCOME, may_send
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.fakes.scripted_channel import ScriptedChannel
from tests.fakes.twilio_server import FakeTwilio
from tests.support.dispatch import DAY1, by_step, dispatcher, register
from tests.support.settings import make_settings
from tests.support.sms import MakeHarness, harness_factory, new_fake, phone, posts_to


@pytest.mark.parametrize(
    ("previous_error_code", "can_reconcile", "expected"),
    [
        (None, False, True),  # a first attempt
        (None, True, True),
        ("read-timeout", False, True),  # an ordinary retry: the channel handles its own codes
        ("500", True, True),
        ("interrupted", True, True),  # the channel looks it up before sending
        ("interrupted", False, False),  # may have gone out, nobody can tell: staff decide
    ],
)
def test_may_send(previous_error_code: str | None, can_reconcile: bool, expected: bool) -> None:
    assert may_send(previous_error_code, can_reconcile=can_reconcile) is expected


@pytest.mark.parametrize(
    ("overrides", "medium", "expected"),
    [
        ({}, "sms", False),
        ({}, "email", False),
        (
            {
                "sms_channel": "twilio",
                "twilio_account_sid": "AC" + "1" * 32,
                "twilio_auth_token": "token",
                "twilio_from_number": "+16135550100",
            },
            "sms",
            True,
        ),
        ({"email_channel": "smtp"}, "email", False),
    ],
)
def test_which_channels_can_reconcile(
    overrides: dict[str, str], medium: str, expected: bool
) -> None:
    channels = build_channels(make_settings("sqlite://", **overrides))  # no database is opened
    try:
        assert channels[medium].can_reconcile is expected
    finally:
        for channel in channels.values():
            channel.close()


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Everything below runs on SQLite and on PostgreSQL."""
    return each_database_url


def test_an_expired_claim_goes_back_to_the_queue_marked_interrupted(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, count=2)
    with Session(engine) as session:
        first, second = [r.id for r in session.exec(select(OutboundMessage)) if r.step == "day1"]
    with engine.begin() as connection:  # a row on its third attempt: attempts must not change
        connection.execute(
            update(OutboundMessage).where(col(OutboundMessage.id) == first).values(attempts=2)
        )
    _, claimed = claim_batch(engine, now=DAY1, limit=1)
    assert claimed == [first]
    later = DAY1 + timedelta(seconds=30)
    _, fresh = claim_batch(engine, now=later, limit=1)  # a live claim, younger than the timeout
    assert fresh == [second]

    now = DAY1 + timedelta(seconds=61)
    assert recover_stale(engine, now=now, timeout=timedelta(seconds=60)) == 1
    rows = {r.id: r for r in by_step(engine, "day1")}
    row = rows[first]
    assert (row.status, row.error_code, row.last_error) == (
        "pending",
        "interrupted",
        AWAITING_CHECK,
    )
    assert (row.claim_token, row.next_attempt_at, row.attempts) == (None, now, 2)
    assert rows[second].status == "sending" and rows[second].claim_token is not None


def test_an_interrupted_message_is_sent_when_the_channel_can_check(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    claim_batch(engine, now=DAY1, limit=10)  # then the process died
    clock = SimulatedClock(DAY1 + timedelta(seconds=settings.claim_timeout_seconds + 1))
    channel = ScriptedChannel(can_reconcile=True)
    report = dispatcher(engine, settings, renderer, clock, channel).run_pass()
    assert (report.recovered, report.sent) == (1, 1)
    [message] = channel.sent
    assert message.previous_error_code == "interrupted"  # so the channel knows to look first
    [row] = by_step(engine, "day1")
    assert (row.status, row.error_code, row.attempts) == ("sent", None, 1)


def test_an_interrupted_message_for_a_cancelled_treatment_is_not_called_cancelled(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    [treatment_id] = register(engine, settings)
    claim_batch(engine, now=DAY1, limit=10)
    with engine.begin() as connection:
        connection.execute(
            update(Treatment).where(col(Treatment.id) == treatment_id).values(status="cancelled")
        )
    clock = SimulatedClock(DAY1 + timedelta(seconds=settings.claim_timeout_seconds + 1))
    channel = ScriptedChannel(can_reconcile=False)
    dispatcher(engine, settings, renderer, clock, channel).run_pass()
    [row] = by_step(engine, "day1")
    assert (row.status, row.last_error) == ("failed", UNKNOWN_OUTCOME)
    assert channel.calls == 0


class StallingChannel(ScriptedChannel):
    """Each send takes `stall` on the simulated clock."""

    def __init__(self, clock: SimulatedClock, stall: timedelta) -> None:
        super().__init__()
        self.clock, self.stall = clock, stall

    def send(self, message: OutgoingMessage) -> str:
        self.clock.advance(self.stall)
        return super().send(message)


def test_a_pass_older_than_half_the_claim_timeout_starts_no_more_sends(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    # Another process would recover these claims at the timeout and send them too.
    register(engine, settings, count=3)
    one_at_a_time = settings.model_copy(update={"sms_concurrency": 1})
    clock = SimulatedClock(DAY1)
    channel = StallingChannel(clock, timedelta(seconds=settings.claim_timeout_seconds / 2))
    report = dispatcher(engine, one_at_a_time, renderer, clock, channel).run_pass()
    assert (report.claimed, report.sent, report.released) == (3, 1, 2)
    rows = by_step(engine, "day1")
    assert sorted(r.status for r in rows) == ["pending", "pending", "sent"]
    assert all(r.claim_token is None for r in rows)


# --- the real Twilio channel against FakeTwilio ---------------------------------------------


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


@pytest.mark.parametrize("reached_twilio", [True, False])
def test_twilio_looks_up_an_interrupted_message_before_sending_it(
    make_harness: MakeHarness, fake: FakeTwilio, renderer: MessageRenderer, reached_twilio: bool
) -> None:
    h = make_harness(claim_timeout_seconds=60)
    h.register()
    _, [row_id] = claim_batch(h.engine, now=DAY1, limit=1)  # the process that died
    sid = None
    if reached_twilio:  # it died after Twilio took the message, before recording the SID
        with Session(h.engine) as session:
            row, treatment, patient = session.exec(
                select(OutboundMessage, Treatment, Patient)
                .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
                .join(Patient, col(Patient.id) == Treatment.patient_id)
                .where(col(OutboundMessage.id) == row_id)
            ).one()
        message, _ = compose(row, treatment, patient, settings=h.settings, renderer=renderer)
        sid = h.channels["sms"].send(message)

    h.clock.set(DAY1 + timedelta(seconds=61))
    report = h.run_pass()
    assert (report.recovered, report.sent) == (1, 1)
    assert posts_to(fake, phone(0)) == 1  # one create in all: either the dead one or the retry
    assert len(fake.messages) == 1
    row = h.row(phone(0))
    assert row.status == OutboxStatus.SENT
    assert row.provider_id == (sid if reached_twilio else next(iter(fake.messages)))
