"""Integration tokens on the API: scopes, the audit names the token, last use, revocation; the
legacy API_TOKEN still works as an admin's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from models import ApiToken
from models.db import session_scope
from models.vocabulary import TokenScope
from scheduler.clock import SimulatedClock
from scheduler.settings import Settings
from scheduler.staff.api_tokens import create_token, digest, find_token, revoke_token
from scheduler.web.app import create_app
from tests.support.api import TOKEN, audit_rows
from tests.support.clinic import DAY1, Clinic, build_clinic
from tests.support.settings import make_settings


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, api_token=TOKEN)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DAY1)


@pytest.fixture
def client(settings: Settings, engine: Engine, clock: SimulatedClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, clock=clock)) as test_client:
        yield test_client


@pytest.fixture
def clinic(engine: Engine, settings: Settings) -> Clinic:
    return build_clinic(engine, settings)


def token(engine: Engine, name: str, scope: TokenScope) -> tuple[int, str]:
    with session_scope(engine) as session:
        created = create_token(session, name, scope, by="admin@clinic.example", now=DAY1)
        assert created.row.id is not None
        return created.row.id, created.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_only_a_digest_is_stored(engine: Engine) -> None:
    token_id, secret = token(engine, "booking", TokenScope.READ)
    with Session(engine) as session:
        row = session.get(ApiToken, token_id)
        assert row is not None
        assert row.token_hash == digest(secret) and secret not in row.token_hash
        assert row.prefix == secret[:8] and len(secret) >= 40
        assert find_token(session, secret) is not None
        assert find_token(session, secret + "x") is None
        assert find_token(session, "not-a-token") is None


def test_a_read_token_reads_and_may_not_write(
    client: TestClient, engine: Engine, clinic: Clinic
) -> None:
    _id, secret = token(engine, "dashboard", TokenScope.READ)
    assert client.get("/api/alerts", headers=bearer(secret)).status_code == 200
    alert_id = clinic.alerts["eloise_urgent_open"]
    response = client.post(f"/api/alerts/{alert_id}/ack", headers=bearer(secret))
    assert response.status_code == 403
    assert response.json() == {"detail": "A read token may not acknowledge alerts "
                               "(practitioners and admins do)."}  # fmt: skip
    events = [(e.actor, e.action) for e in audit_rows(engine)]
    assert events == [("token:dashboard", "list_alerts"), ("token:dashboard", "forbidden")]


def test_a_write_token_registers_and_acknowledges(
    client: TestClient, engine: Engine, clinic: Clinic
) -> None:
    _id, secret = token(engine, "booking-system", TokenScope.WRITE)
    body = {"name": "Ana Lima", "phone": "613-555-0124", "patient": "new"}
    assert client.post("/api/treatments", json=body, headers=bearer(secret)).status_code == 201
    alert_id = clinic.alerts["eloise_urgent_open"]
    acked = client.post(f"/api/alerts/{alert_id}/ack", headers=bearer(secret))
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "token:booking-system"


def test_the_last_use_is_recorded_once_a_minute(
    client: TestClient, engine: Engine, clock: SimulatedClock
) -> None:
    token_id, secret = token(engine, "poller", TokenScope.READ)

    def last_used() -> object:
        with Session(engine) as session:
            row = session.get(ApiToken, token_id)
            assert row is not None
            return row.last_used_at

    assert last_used() is None
    client.get("/api/alerts", headers=bearer(secret))
    assert last_used() == DAY1
    clock.advance(timedelta(seconds=30))
    client.get("/api/alerts", headers=bearer(secret))
    assert last_used() == DAY1
    clock.advance(timedelta(seconds=31))
    client.get("/api/alerts", headers=bearer(secret))
    assert last_used() == DAY1 + timedelta(seconds=61)


def test_a_revoked_token_is_refused_at_once(client: TestClient, engine: Engine) -> None:
    token_id, secret = token(engine, "old-kiosk", TokenScope.WRITE)
    assert client.get("/api/alerts", headers=bearer(secret)).status_code == 200
    with session_scope(engine) as session:
        revoke_token(session, token_id, by="admin@clinic.example", now=DAY1)
    response = client.get("/api/alerts", headers=bearer(secret))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_legacy_token_is_an_admins(client: TestClient, engine: Engine, clinic: Clinic) -> None:
    alert_id = clinic.alerts["eloise_urgent_open"]
    response = client.post(f"/api/alerts/{alert_id}/ack", headers=bearer(TOKEN))
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "api-token"
