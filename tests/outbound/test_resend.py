"""Sending a failed, undelivered or expired message again, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from models import OutboundMessage, OutboxStatus
from models.db import session_scope
from scheduler.channels.base import DeliveryError, ErrorKind
from scheduler.clock import SimulatedClock
from scheduler.followups.registration import cancel_treatment
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.optout import opt_out_patient
from scheduler.outbound.outbox import MessageNotFound, resend_message
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.fakes.scripted_channel import ScriptedChannel
from tests.support.clinic import DAY1, PERFORMED, messages_of, register, set_status

PHONE = "+16135550142"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


@pytest.fixture
def treatment(engine: Engine, settings: Settings) -> tuple[int, int]:
    """(patient id, treatment id) of one SMS treatment performed the day before DAY1."""
    with session_scope(engine) as s:
        patient, treatment_id, _ = register(s, settings, name="Noah Tremblay", phone=PHONE)
    return patient, treatment_id


def day1(engine: Engine, treatment_id: int) -> OutboundMessage:
    return messages_of(engine, treatment_id)[0]


def resend(engine: Engine, message_id: int, now: datetime) -> OutboundMessage:
    with session_scope(engine) as s:
        return resend_message(s, message_id, now=now)


def reload(engine: Engine, message_id: int) -> OutboundMessage:
    with Session(engine) as s:
        row = s.get(OutboundMessage, message_id)
        assert row is not None
        return row


def test_resend_puts_the_message_back_in_the_queue(
    engine: Engine, treatment: tuple[int, int]
) -> None:
    rows = messages_of(engine, treatment[1])
    statuses = (OutboxStatus.FAILED, OutboxStatus.UNDELIVERED, OutboxStatus.EXPIRED)
    now = DAY1 + timedelta(hours=1)
    for row, status in zip(rows, statuses, strict=True):
        assert row.id is not None
        set_status(engine, row.id, status, at=DAY1)
        returned = resend(engine, row.id, now)
        stored = reload(engine, row.id)
        for found in (returned, stored):
            assert found.status == OutboxStatus.PENDING, status
            assert found.attempts == 0
            assert found.next_attempt_at == now
            assert (found.error_code, found.last_error, found.provider_id, found.sent_at) == (
                None,
                None,
                None,
                None,
            )
            assert found.delivery_status is None
            assert found.updated_at == now
        assert stored.due_at == row.due_at  # the plan is kept; only the next attempt moves
        assert stored.expires_at == row.expires_at  # still useful: its life is not shortened


def test_resend_after_expiry_gives_the_message_another_day(
    engine: Engine, treatment: tuple[int, int]
) -> None:
    row = day1(engine, treatment[1])
    assert row.id is not None
    later = row.expires_at + timedelta(days=3)
    set_status(engine, row.id, OutboxStatus.EXPIRED, at=row.expires_at)
    stored = resend(engine, row.id, later)
    assert stored.expires_at == later + timedelta(days=1)


def test_only_failed_undelivered_or_expired_messages_are_resent(
    engine: Engine, treatment: tuple[int, int]
) -> None:
    row = day1(engine, treatment[1])
    assert row.id is not None
    for status in (
        OutboxStatus.PENDING,
        OutboxStatus.SENDING,
        OutboxStatus.SENT,
        OutboxStatus.DELIVERED,
        OutboxStatus.CANCELLED,
    ):
        set_status(engine, row.id, status, at=DAY1)
        before = reload(engine, row.id)
        with pytest.raises(ValueError, match=f"is {status.value}"):
            resend(engine, row.id, DAY1)
        assert reload(engine, row.id).model_dump() == before.model_dump()


def test_no_resend_for_a_cancelled_treatment(engine: Engine, treatment: tuple[int, int]) -> None:
    row = day1(engine, treatment[1])
    assert row.id is not None
    set_status(engine, row.id, OutboxStatus.FAILED, at=DAY1)
    with session_scope(engine) as s:
        cancel_treatment(s, treatment[1], now=DAY1)
    with pytest.raises(ValueError, match="cancelled"):
        resend(engine, row.id, DAY1)
    assert reload(engine, row.id).status == OutboxStatus.FAILED


def test_no_resend_to_an_opted_out_patient(engine: Engine, treatment: tuple[int, int]) -> None:
    row = day1(engine, treatment[1])
    assert row.id is not None
    set_status(engine, row.id, OutboxStatus.UNDELIVERED, at=DAY1)
    with session_scope(engine) as s:
        opt_out_patient(s, treatment[0], now=DAY1)
    with pytest.raises(ValueError, match="opted out"):
        resend(engine, row.id, DAY1)
    assert reload(engine, row.id).status == OutboxStatus.UNDELIVERED


def test_unknown_message(engine: Engine) -> None:
    with pytest.raises(MessageNotFound, match="no message with id 4242") as caught:
        resend(engine, 4242, DAY1)
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, ValueError)


def test_a_resent_message_goes_out_on_the_next_pass(
    engine: Engine,
    settings: Settings,
    renderer: MessageRenderer,
    treatment: tuple[int, int],
) -> None:
    clock = SimulatedClock(DAY1)
    channel = ScriptedChannel()
    channel.fail(PHONE, DeliveryError("unknown handset", kind=ErrorKind.PERMANENT, code="30005"))
    dispatcher = Dispatcher(
        engine, settings, {"sms": channel, "email": channel}, renderer, clock=clock
    )
    try:
        assert dispatcher.run_pass().failed == 1
        row = day1(engine, treatment[1])
        assert row.id is not None and row.status == OutboxStatus.FAILED
        clock.advance(timedelta(minutes=10))
        resend(engine, row.id, clock())
        assert dispatcher.run_pass().sent == 1
    finally:
        dispatcher.close()
    sent = reload(engine, row.id)
    assert sent.status == OutboxStatus.SENT
    assert sent.attempts == 1 and sent.provider_id
    assert [m.outbox_id for m in channel.sent] == [row.id]


def test_an_expired_message_resent_in_the_window_goes_out(
    engine: Engine,
    settings: Settings,
    renderer: MessageRenderer,
    treatment: tuple[int, int],
) -> None:
    # The service was down for days: day 1 expired on the first pass after it came back.
    clock = SimulatedClock(PERFORMED + timedelta(days=4))
    channel = ScriptedChannel()
    dispatcher = Dispatcher(
        engine, settings, {"sms": channel, "email": channel}, renderer, clock=clock
    )
    try:
        assert dispatcher.run_pass().expired == 1
        row = day1(engine, treatment[1])
        assert row.id is not None and row.status == OutboxStatus.EXPIRED
        resend(engine, row.id, clock())
        report = dispatcher.run_pass()
    finally:
        dispatcher.close()
    assert report.sent == 1, report.summary()
    assert reload(engine, row.id).status == OutboxStatus.SENT
