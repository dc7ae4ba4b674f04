"""Registering treatments and reading the outbox for the dispatch tests (real SQLite files)."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import OutboundMessage
from models.db import make_engine, session_scope
from scheduler.channels.base import Channel
from scheduler.clock import Clock, SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.fakes.scripted_channel import ScriptedChannel

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)


def phone(i: int) -> str:
    return f"+1613555{i:04d}"


def register(engine: Engine, settings: Settings, count: int = 1, **fields: str) -> list[int]:
    ids = []
    for i in range(count):
        request = TreatmentCreate.model_validate(
            {"name": f"Patient {i}", "phone": phone(100 + i), **fields}
        )
        with session_scope(engine) as session:
            done = register_treatment(session, request, settings=settings, now=PERFORMED)
            assert done.treatment.id is not None
            ids.append(done.treatment.id)
    return ids


def dispatcher(
    engine: Engine,
    settings: Settings,
    renderer: MessageRenderer,
    clock: SimulatedClock,
    channel: ScriptedChannel,
) -> Dispatcher:
    return Dispatcher(engine, settings, {"sms": channel, "email": channel}, renderer, clock=clock)


def rows(engine: Engine) -> list[OutboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))))


def by_step(engine: Engine, step: str) -> list[OutboundMessage]:
    return [r for r in rows(engine) if r.step == step]


def drain_concurrently(
    database_url: str,
    settings: Settings,
    renderer: MessageRenderer,
    clock: Clock,
    channel: Channel,
    *,
    workers: int = 4,
) -> None:
    """Several dispatchers, each on its own engine (like separate processes), started together
    and passing until nothing is left to claim."""
    barrier = threading.Barrier(workers)

    def work() -> None:
        own = make_engine(database_url)
        dispatcher = Dispatcher(
            own, settings, {"sms": channel, "email": channel}, renderer, clock=clock
        )
        barrier.wait()
        while dispatcher.run_pass().claimed:
            pass
        own.dispose()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
