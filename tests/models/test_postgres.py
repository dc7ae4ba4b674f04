"""The same rules on a real PostgreSQL server: migrations, UTC round trips, SKIP LOCKED claims."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Treatment
from models.db import make_engine, session_scope
from models.migrate import is_up_to_date, upgrade
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import cancel_treatment, register_treatment
from scheduler.ops.runtime import StartupError, open_database
from scheduler.outbound.render import MessageRenderer
from tests.fakes.scripted_channel import ScriptedChannel
from tests.support.dispatch import drain_concurrently
from tests.support.settings import make_settings

pytestmark = pytest.mark.postgres

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 3, 7, 23, 30, tzinfo=TORONTO)  # the night before spring forward
DAY1 = datetime(2026, 3, 8, 10, 0, tzinfo=TORONTO)


def test_service_refuses_an_unmigrated_database_then_db_upgrade_fixes_it(pg_url: str) -> None:
    settings = make_settings(pg_url)
    with pytest.raises(StartupError, match="aftercare db upgrade"):
        open_database(settings)
    engine = make_engine(pg_url)
    upgrade(engine)
    assert is_up_to_date(engine)
    names = set(inspect(engine).get_table_names())
    assert {"patient", "treatment", "outbound_message", "inbound_message", "alert"} <= names
    indexes = {i["name"] for i in inspect(engine).get_indexes("outbound_message")}
    assert {"ix_outbound_status_due", "ix_outbound_status_next"} <= indexes
    engine.dispose()


def test_registration_round_trips_aware_utc_times(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    settings = make_settings(pg_url)
    request = TreatmentCreate(name="Ana Lima", phone="613-555-0124", language="fr")
    with session_scope(engine) as session:
        done = register_treatment(session, request, settings=settings, now=PERFORMED)
    with Session(engine) as session:
        rows = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()
        treatment = session.exec(select(Treatment)).one()
    assert treatment.performed_at == PERFORMED
    assert [r.due_at.astimezone(TORONTO).hour for r in rows] == [10, 10, 10]
    assert rows[0].due_at == DAY1  # 10:00 EDT on the day the clocks change
    assert str(rows[0].due_at.tzinfo) == "UTC"
    assert done.treatment.id is not None
    with session_scope(engine) as session:
        assert cancel_treatment(session, done.treatment.id, now=DAY1) == 3
    engine.dispose()


def test_concurrent_passes_skip_locked_rows_and_send_each_once(
    pg_url: str, renderer: MessageRenderer
) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    settings = make_settings(pg_url, dispatch_batch_size=5)
    for i in range(40):
        request = TreatmentCreate(name=f"P {i}", phone=f"+1613555{1000 + i}")
        with session_scope(engine) as session:
            register_treatment(session, request, settings=settings, now=PERFORMED)
    channel = ScriptedChannel()
    drain_concurrently(pg_url, settings, renderer, SimulatedClock(DAY1), channel)
    counts = Counter(m.outbox_id for m in channel.sent)
    assert len(counts) == 40 and set(counts.values()) == {1}
    with Session(engine) as session:
        statuses = Counter(
            session.exec(select(OutboundMessage.status).where(OutboundMessage.step == "day1")).all()
        )
    assert statuses == {OutboxStatus.SENT: 40}
    engine.dispose()
