"""The service's dispatch job, /healthz staleness and /metrics, without starting a server."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from models.db import make_engine, session_scope
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.ops.metrics import Metrics
from scheduler.ops.runtime import ServiceState
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer
from scheduler.service.process import DispatchJob
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.fakes.scripted_channel import ScriptedChannel

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


def test_job_records_outcomes_in_metrics_and_health(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    for i in range(3):
        request = TreatmentCreate(name=f"P{i}", phone=f"+1613555{2000 + i}")
        with session_scope(engine) as session:
            register_treatment(session, request, settings=settings, now=PERFORMED)
    clock = SimulatedClock(DAY1 - timedelta(hours=1))
    channel = ScriptedChannel()
    state = ServiceState(running=True, started_at=clock(), stale_after=timedelta(minutes=5))
    metrics = Metrics()
    job = DispatchJob(
        Dispatcher(engine, settings, {"sms": channel, "email": channel}, renderer, clock=clock),
        state,
        clock,
        metrics,
    )
    client = TestClient(
        create_app(settings, engine, clock=clock, state=state, metrics_registry=metrics)
    )
    clock.set(DAY1)
    assert "aftercare_outbox_due 3.0" in client.get("/metrics").text
    job()
    assert state.last_pass_at == DAY1 and state.last_error is None
    text = client.get("/metrics").text
    assert 'aftercare_dispatch_outcomes_total{outcome="sent"} 3.0' in text
    assert "aftercare_outbox_due 0.0" in text
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"

    # No pass finished for longer than stale_after: the job is stuck, health says so.
    clock.advance(timedelta(minutes=6))
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["scheduler"].startswith("stuck")


def test_a_failing_pass_is_reported_not_fatal(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    clock = SimulatedClock(DAY1)
    state = ServiceState(running=True, started_at=clock())
    metrics = Metrics()
    channel = ScriptedChannel()
    job = DispatchJob(
        Dispatcher(engine, settings, {"sms": channel, "email": channel}, renderer, clock=clock),
        state,
        clock,
        metrics,
    )
    engine.dispose()
    # Break the database under the job: the pass raises, the job records it and survives.
    broken = settings.model_copy(update={"database_url": "sqlite:////nonexistent/dir/x.db"})
    job.dispatcher.engine = make_engine(broken.database_url)
    job()
    assert state.last_error is not None and "OperationalError" in state.last_error
    assert metrics.registry.get_sample_value("aftercare_dispatch_pass_errors_total") == 1
