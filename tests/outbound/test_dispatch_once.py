"""Dispatch passes on real SQLite files: each message exactly once, in batches, concurrently."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from models import OutboxStatus
from scheduler.clock import SimulatedClock
from scheduler.outbound.claims import claim_batch
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.fakes.scripted_channel import ScriptedChannel
from tests.support.dispatch import (
    DAY1,
    TORONTO,
    by_step,
    dispatcher,
    drain_concurrently,
    phone,
    register,
)


def test_each_message_is_sent_once_across_repeated_passes(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings, count=5)
    clock = SimulatedClock(DAY1)
    channel = ScriptedChannel()
    d = dispatcher(engine, settings, renderer, clock, channel)
    first = d.run_pass()
    assert (first.claimed, first.sent) == (5, 5)
    for _ in range(3):
        assert d.run_pass().claimed == 0
    assert len(channel.sent) == 5
    day1 = by_step(engine, "day1")
    assert {r.status for r in day1} == {OutboxStatus.SENT}
    assert all(r.provider_id and r.attempts == 1 and r.sent_at == DAY1 for r in day1)
    assert all(r.segments == 3 for r in day1)  # GSM-7 text, care tips and the 1/2/3 check-in
    assert {r.status for r in by_step(engine, "day3")} == {OutboxStatus.PENDING}
    # The text that went out is the rendered template, addressed to the patient.
    assert channel.sent[0].to == phone(100)
    assert "STOP" in channel.sent[0].text


def test_nothing_is_sent_before_its_due_time(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    channel = ScriptedChannel()
    d = dispatcher(engine, settings, renderer, SimulatedClock(DAY1 - timedelta(minutes=1)), channel)
    assert d.run_pass().claimed == 0
    assert channel.calls == 0


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


def test_concurrent_passes_never_send_a_message_twice(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings, count=60, channel="sms")
    small = settings.model_copy(update={"dispatch_batch_size": 7})
    channel = ScriptedChannel()
    clock = SimulatedClock(DAY1)
    drain_concurrently(settings.database_url, small, renderer, clock, channel)
    counts = Counter(m.outbox_id for m in channel.sent)
    assert len(counts) == 60
    assert max(counts.values()) == 1
    assert {r.status for r in by_step(engine, "day1")} == {OutboxStatus.SENT}


def test_a_pass_claims_at_most_one_batch(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings, count=25)
    small = settings.model_copy(update={"dispatch_batch_size": 10})
    channel = ScriptedChannel()
    d = dispatcher(engine, small, renderer, SimulatedClock(DAY1), channel)
    assert [d.run_pass().claimed for _ in range(4)] == [10, 10, 5, 0]
    assert len(channel.sent) == 25


def test_claim_is_a_single_conditional_update(engine: Engine, settings: Settings) -> None:
    register(engine, settings, count=3)
    _, first = claim_batch(engine, now=DAY1.astimezone(TORONTO), limit=10)
    _, second = claim_batch(engine, now=DAY1, limit=10)
    assert len(first) == 3
    assert second == []


def test_stale_claims_from_a_crash_fail_visibly_when_the_channel_cannot_check(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings)
    _, claimed = claim_batch(engine, now=DAY1, limit=10)  # a process claimed, then died
    assert len(claimed) == 1
    clock = SimulatedClock(DAY1 + timedelta(seconds=settings.claim_timeout_seconds + 1))
    channel = ScriptedChannel(can_reconcile=False)
    report = dispatcher(engine, settings, renderer, clock, channel).run_pass()
    assert (report.recovered, report.claimed, report.failed) == (1, 1, 1)
    assert channel.calls == 0
    row = by_step(engine, "day1")[0]
    assert (row.status, row.error_code) == ("failed", "interrupted")
    assert "check with the patient" in (row.last_error or "")


def test_stop_requested_releases_unsent_work(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    register(engine, settings, count=3)
    channel = ScriptedChannel()
    d = dispatcher(engine, settings, renderer, SimulatedClock(DAY1), channel)
    d.stop.set()
    report = d.run_pass()
    assert (report.claimed, report.released, report.sent) == (3, 3, 0)
    assert {r.status for r in by_step(engine, "day1")} == {"pending"}
