"""`GET /healthz`: database reachable, dispatch job running and not stuck."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock
from scheduler.ops.runtime import ServiceState
from scheduler.settings import Settings
from scheduler.web.app import create_app


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("America/Toronto")))


def test_healthz_reports_a_stopped_scheduler(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings, engine, state=ServiceState(running=False))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["scheduler"] == "stopped"
    assert body["database"] == "ok"
    assert body["status"] == "unhealthy"


def test_healthz_default_state_is_stopped(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings, engine)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["scheduler"] == "stopped"


def test_healthz_ok_when_running(settings: Settings, engine: Engine, clock: SimulatedClock) -> None:
    last_pass = clock() - timedelta(seconds=5)
    state = ServiceState(running=True, started_at=last_pass, last_pass_at=last_pass)
    with TestClient(create_app(settings, engine, clock=clock, state=state)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["scheduler"]) == ("ok", "ok", "running")
    assert datetime.fromisoformat(body["last_pass_at"]) == last_pass
    assert body["last_error"] is None


def test_healthz_flags_a_running_but_stuck_scheduler(
    settings: Settings, engine: Engine, clock: SimulatedClock
) -> None:
    state = ServiceState(running=True, last_pass_at=clock() - timedelta(minutes=30))
    with TestClient(create_app(settings, engine, clock=clock, state=state)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["scheduler"].startswith("stuck")
