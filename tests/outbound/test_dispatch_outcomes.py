"""Dispatch passes on real SQLite files: cancel, opt-out, expiry, quiet hours, retries, failures."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import OutboundMessage, OutboxStatus, Patient
from models.db import session_scope
from scheduler.channels.base import DeliveryError, ErrorKind
from scheduler.clock import SimulatedClock
from scheduler.followups.registration import cancel_treatment
from scheduler.outbound.optout import opt_in_patient, opt_out_patient
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.fakes.scripted_channel import ScriptedChannel
from tests.support.dispatch import (
    DAY1,
    PERFORMED,
    TORONTO,
    by_step,
    dispatcher,
    phone,
    register,
    rows,
)
from tests.support.optouts import opted_out_at


def test_cancelled_treatment_sends_nothing_more(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    [treatment_id] = register(engine, settings)
    clock = SimulatedClock(DAY1)
    channel = ScriptedChannel()
    d = dispatcher(engine, settings, renderer, clock, channel)
    d.run_pass()
    with session_scope(engine) as session:
        assert cancel_treatment(session, treatment_id, now=clock()) == 2
    clock.advance(timedelta(days=7))
    d.run_pass()
    assert len(channel.sent) == 1
    assert [r.status for r in rows(engine)] == ["sent", "cancelled", "cancelled"]


def test_cancel_after_claim_is_still_honoured(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    # A row already in flight when cancel lands is checked again against its treatment.
    [treatment_id] = register(engine, settings)
    with session_scope(engine) as session:
        cancel_treatment(session, treatment_id, now=PERFORMED)
    with Session(engine) as session:
        row = session.exec(select(OutboundMessage).where(OutboundMessage.step == "day1")).one()
        row.status = OutboxStatus.PENDING
        session.add(row)
        session.commit()
    channel = ScriptedChannel()
    report = dispatcher(engine, settings, renderer, SimulatedClock(DAY1), channel).run_pass()
    assert report.cancelled == 1
    assert channel.calls == 0


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


def test_opt_out_stops_pending_messages_and_start_revives_them(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    clock = SimulatedClock(DAY1)
    channel = ScriptedChannel()
    d = dispatcher(engine, settings, renderer, clock, channel)
    d.run_pass()
    with session_scope(engine) as session:
        patient = session.exec(select(Patient)).one()
        assert patient.id is not None
        assert opt_out_patient(session, patient.id, now=clock()) == 2
    clock.advance(timedelta(days=2))
    d.run_pass()
    assert len(channel.sent) == 1
    with session_scope(engine) as session:
        assert opt_in_patient(session, patient.id, now=clock()) == 2
    d.run_pass()
    assert [m.outbox_id for m in channel.sent][1:] == [by_step(engine, "day3")[0].id]


def test_missed_message_past_its_useful_life_expires_unsent(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    # The service was down until day 3 at 11:00: day 1 is stale, day 3 goes out.
    clock = SimulatedClock(datetime(2026, 11, 27, 11, 0, tzinfo=TORONTO))
    report = dispatcher(engine, settings, renderer, clock, channel).run_pass()
    assert (report.expired, report.sent) == (1, 1)
    assert [r.status for r in rows(engine)] == ["expired", "sent", "pending"]


def test_back_at_night_defers_to_the_morning(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    clock = SimulatedClock(datetime(2026, 11, 25, 22, 0, tzinfo=TORONTO))
    d = dispatcher(engine, settings, renderer, clock, channel)
    assert d.run_pass().deferred == 1
    day1 = by_step(engine, "day1")[0]
    assert day1.status == OutboxStatus.PENDING
    assert day1.next_attempt_at == datetime(2026, 11, 26, 10, 0, tzinfo=TORONTO)
    clock.advance(timedelta(hours=1))
    assert d.run_pass().claimed == 0  # not re-claimed every pass through the night
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=TORONTO))
    assert d.run_pass().sent == 1


def test_transient_failures_back_off_then_succeed(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    busy = DeliveryError("busy", kind=ErrorKind.TRANSIENT, code="20429", retry_after=90)
    channel.fail(phone(100), busy, DeliveryError("5xx", kind=ErrorKind.TRANSIENT, code="500"))
    clock = SimulatedClock(DAY1)
    d = dispatcher(engine, settings, renderer, clock, channel)
    assert d.run_pass().retrying == 1
    row = by_step(engine, "day1")[0]
    assert (row.status, row.attempts, row.error_code) == ("pending", 1, "20429")
    assert row.next_attempt_at - DAY1 >= timedelta(seconds=90)  # Retry-After honoured
    first_delay = row.next_attempt_at - DAY1
    assert d.run_pass().claimed == 0  # not before its next attempt
    clock.set(row.next_attempt_at)
    assert d.run_pass().retrying == 1
    row = by_step(engine, "day1")[0]
    assert row.attempts == 2
    assert row.next_attempt_at - clock() >= timedelta(seconds=settings.retry_base_seconds)
    assert first_delay >= timedelta(seconds=90)
    clock.set(row.next_attempt_at)
    assert d.run_pass().sent == 1
    row = by_step(engine, "day1")[0]
    assert (row.status, row.attempts, row.error_code, row.last_error) == ("sent", 3, None, None)


def test_retries_stop_after_max_attempts(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    limited = settings.model_copy(update={"max_attempts": 3})
    channel = ScriptedChannel()
    channel.fail(phone(100), *[DeliveryError("down", kind=ErrorKind.TRANSIENT)] * 5)
    clock = SimulatedClock(DAY1)
    d = dispatcher(engine, limited, renderer, clock, channel)
    for _ in range(6):
        d.run_pass()
        clock.advance(timedelta(hours=1))
    row = by_step(engine, "day1")[0]
    assert (row.status, row.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in (row.last_error or "")
    assert channel.calls == 3  # day 3 is not due within these six hours
    assert by_step(engine, "day3")[0].status == "pending"


def test_permanent_failure_is_final(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    channel.fail(phone(100), DeliveryError("invalid To", kind=ErrorKind.PERMANENT, code="21211"))
    clock = SimulatedClock(DAY1)
    d = dispatcher(engine, settings, renderer, clock, channel)
    assert d.run_pass().failed == 1
    clock.advance(timedelta(hours=2))
    d.run_pass()
    assert channel.calls == 1
    row = by_step(engine, "day1")[0]
    assert (row.status, row.error_code, row.attempts) == ("failed", "21211", 1)


def test_carrier_opt_out_opts_the_patient_out(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    channel.fail(
        phone(100), DeliveryError("STOP at carrier", kind=ErrorKind.OPTED_OUT, code="21610")
    )
    d = dispatcher(engine, settings, renderer, SimulatedClock(DAY1), channel)
    report = d.run_pass()
    assert (report.failed, report.cancelled) == (1, 2)
    with Session(engine) as session:
        number = session.exec(select(Patient)).one().phone
    assert opted_out_at(engine, "sms", number) == DAY1
    assert [r.status for r in rows(engine)] == ["failed", "cancelled", "cancelled"]


def test_a_channel_bug_is_retried_not_lost(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    channel.fail(phone(100), RuntimeError("boom"))
    clock = SimulatedClock(DAY1)
    d = dispatcher(engine, settings, renderer, clock, channel)
    assert d.run_pass().retrying == 1
    clock.advance(timedelta(hours=1))
    assert d.run_pass().sent == 1


def test_email_messages_carry_subject_html_and_unsubscribe_link(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings, channel="both", email="amelie@example.com", language="fr")
    channel = ScriptedChannel()
    dispatcher(engine, settings, renderer, SimulatedClock(DAY1), channel).run_pass()
    email = next(m for m in channel.sent if m.medium == "email")
    sms = next(m for m in channel.sent if m.medium == "sms")
    assert email.to == "amelie@example.com"
    assert email.subject and email.html and "ARRET" in email.text
    assert email.unsubscribe_url and email.unsubscribe_url.startswith(
        "https://clinic.example/unsubscribe/"
    )
    assert "ARRET" in sms.text and "Clinique Esthétique Ottawa" in sms.text
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(OutboundMessage)).one()
    assert total == 6


@pytest.mark.parametrize("language", ["en", "fr"])
def test_patients_get_their_own_language(
    engine: Engine, settings: Settings, renderer: MessageRenderer, language: str
) -> None:
    register(engine, settings, language=language)
    channel = ScriptedChannel()
    dispatcher(engine, settings, renderer, SimulatedClock(DAY1), channel).run_pass()
    keyword = {"en": "STOP", "fr": "ARRET"}[language]
    assert keyword in channel.sent[0].text


def test_an_unavailable_channel_does_not_spend_attempts(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    limited = settings.model_copy(update={"max_attempts": 2})
    channel = ScriptedChannel()
    bad_login = DeliveryError("535 auth failed", kind=ErrorKind.UNAVAILABLE, code="smtp-auth")
    channel.fail(phone(100), *[bad_login] * 4)
    clock = SimulatedClock(DAY1)
    d = dispatcher(engine, limited, renderer, clock, channel)
    for _ in range(4):
        assert d.run_pass().retrying == 1
        row = by_step(engine, "day1")[0]
        assert (row.status, row.attempts, row.error_code) == ("pending", 0, "smtp-auth")
        clock.set(row.next_attempt_at)
    assert d.run_pass().sent == 1  # fixed: sent, although 4 > max_attempts failures happened
    assert by_step(engine, "day1")[0].attempts == 1
