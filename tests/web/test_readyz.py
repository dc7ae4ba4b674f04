"""`GET /readyz`: 200 only with the database answering, at the migration head, heartbeat fresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from models.db import make_engine
from models.migrate import head_revision, upgrade
from scheduler.clock import SimulatedClock
from scheduler.ops.runtime import ServiceState
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("America/Toronto"))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(NOW)


def fresh() -> ServiceState:
    return ServiceState(running=True, started_at=NOW - timedelta(minutes=1), last_pass_at=NOW)


def readyz(
    settings: Settings, engine: Engine, clock: SimulatedClock, state: ServiceState
) -> tuple[int, dict[str, object]]:
    with TestClient(create_app(settings, engine, clock=clock, state=state)) as client:
        response = client.get("/readyz")
    return response.status_code, response.json()


def test_ready_when_everything_holds(
    settings: Settings, engine: Engine, clock: SimulatedClock
) -> None:
    assert readyz(settings, engine, clock, fresh()) == (200, {"status": "ready", "reasons": []})


def test_a_started_service_is_ready_before_its_first_pass_finishes(
    settings: Settings, engine: Engine, clock: SimulatedClock
) -> None:
    state = ServiceState(running=True, started_at=NOW - timedelta(seconds=2))
    assert readyz(settings, engine, clock, state)[0] == 200


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (ServiceState(running=False), "scheduler stopped"),
        (
            ServiceState(running=True, last_pass_at=NOW - timedelta(minutes=6)),
            "scheduler stuck: no dispatch pass finished recently",
        ),
    ],
)
def test_not_ready_without_a_fresh_heartbeat(
    settings: Settings, engine: Engine, clock: SimulatedClock, state: ServiceState, reason: str
) -> None:
    assert readyz(settings, engine, clock, state) == (
        503,
        {"status": "not ready", "reasons": [reason]},
    )


def test_not_ready_on_an_old_schema(tmp_path: Path, clock: SimulatedClock) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0002")
    status, body = readyz(make_settings(url), engine, clock, fresh())
    engine.dispose()
    assert status == 503
    assert body["reasons"] == [f"database schema at 0002, code expects {head_revision()}"]


def test_not_ready_without_a_database(clock: SimulatedClock) -> None:
    url = "sqlite:////nonexistent/dir/aftercare.db"
    status, body = readyz(make_settings(url), make_engine(url), clock, ServiceState())
    assert status == 503
    assert body["reasons"] == ["database unreachable: OperationalError", "scheduler stopped"]


def test_both_probes_are_in_the_openapi_document(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings, engine)) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "Readiness" in paths["/readyz"]["get"]["description"]
    assert "Liveness" in paths["/healthz"]["get"]["description"]
