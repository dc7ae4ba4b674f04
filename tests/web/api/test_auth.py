"""Who may call /api: the bearer token (compared in constant time) or a staff session; OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock
from scheduler.settings import Settings
from scheduler.web.api import router as api
from scheduler.web.api.auth import CSRF_HEADER, token_matches
from scheduler.web.app import create_app
from scheduler.web.session import COOKIE_NAME
from tests.support.api import AUTH, STAFF_EMAIL, TOKEN, audit_rows, staff_cookie
from tests.support.clinic import DAY1, Clinic, build_clinic
from tests.support.settings import make_settings


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


def api_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the API routers, path parameters filled in."""
    found: list[tuple[str, str]] = []
    for route in [route for part in api.PARTS for route in part.router.routes]:
        assert isinstance(route, APIRoute)
        path = route.path.replace("{treatment_id}", "1").replace("{alert_id}", "1")
        path = path.replace("{message_id}", "1").replace("{patient_id}", "1")
        path = path.replace("{media_id}", "1")
        found.extend((method, path) for method in sorted(route.methods or ()))
    return found


EXPECTED_ROUTES = {
    ("POST", "/api/treatments"),
    ("GET", "/api/treatments"),
    ("GET", "/api/treatments/1"),
    ("POST", "/api/treatments/1/cancel"),
    ("GET", "/api/patients"),
    ("GET", "/api/messages"),
    ("POST", "/api/messages/1/resend"),
    ("GET", "/api/replies"),
    ("GET", "/api/photos/1"),
    ("GET", "/api/photos/1/thumbnail"),
    ("GET", "/api/alerts"),
    ("POST", "/api/alerts/1/ack"),
    ("POST", "/api/patients/1/messages"),
}


def test_the_api_has_the_documented_routes() -> None:
    assert set(api_routes()) == EXPECTED_ROUTES


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong", "longer", "shorter", "basic", "no-scheme", "empty"],
)
def test_every_route_refuses_without_the_token(
    client: TestClient, settings: Settings, engine: Engine, headers: dict[str, str]
) -> None:
    for method, path in api_routes():
        response = client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert audit_rows(engine) == []


def test_an_empty_api_token_disables_the_bearer_token(database_url: str, engine: Engine) -> None:
    settings = make_settings(database_url, api_token="")
    with TestClient(create_app(settings, engine)) as client:
        for method, path in api_routes():
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)


def test_the_token_opens_every_read_route(client: TestClient) -> None:
    for path in ("/api/treatments", "/api/patients", "/api/messages", "/api/replies"):
        assert client.get(path, headers=AUTH).status_code == 200, path
    assert client.get("/api/alerts", headers={"authorization": f"bearer {TOKEN}"}).is_success


@pytest.mark.parametrize(
    ("given", "expected", "matches"),
    [
        (TOKEN, TOKEN, True),
        (TOKEN.upper(), TOKEN, False),
        ("", "", False),  # API_TOKEN empty: the API is closed to tokens
        ("anything", "", False),
        (TOKEN[:5], TOKEN, False),
        ("tök-ünicode", TOKEN, False),
    ],
)
def test_token_matches(given: str, expected: str, matches: bool) -> None:
    assert token_matches(given, expected) is matches


# --- staff session ----------------------------------------------------------------------------


@pytest.fixture
def clinic(engine: Engine, settings: Settings) -> Clinic:
    return build_clinic(engine, settings)


def test_a_logged_in_staff_member_may_read_and_is_audited(
    client: TestClient, engine: Engine, settings: Settings, clock: SimulatedClock, clinic: Clinic
) -> None:
    cookie, _csrf = staff_cookie(engine, settings, now=clock())
    client.cookies.set(COOKIE_NAME, cookie)
    response = client.get("/api/alerts")
    assert response.status_code == 200
    assert response.json()["total"] == 3
    [event] = audit_rows(engine)
    assert (event.actor, event.action) == (STAFF_EMAIL, "list_alerts")


def test_a_staff_write_needs_the_csrf_header(
    client: TestClient, engine: Engine, settings: Settings, clock: SimulatedClock, clinic: Clinic
) -> None:
    cookie, csrf = staff_cookie(engine, settings, now=clock())
    client.cookies.set(COOKIE_NAME, cookie)
    alert_id = clinic.alerts["eloise_urgent_open"]
    for headers in ({}, {CSRF_HEADER: "forged"}):
        response = client.post(f"/api/alerts/{alert_id}/ack", headers=headers)
        assert response.status_code == 403, headers
    assert audit_rows(engine) == []
    response = client.post(f"/api/alerts/{alert_id}/ack", headers={CSRF_HEADER: csrf})
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == STAFF_EMAIL


def test_the_token_needs_no_csrf_header(client: TestClient, clinic: Clinic) -> None:
    alert_id = clinic.alerts["eloise_urgent_open"]
    assert client.post(f"/api/alerts/{alert_id}/ack", headers=AUTH).status_code == 200


def test_a_wrong_token_is_refused_even_with_a_staff_session(
    client: TestClient, engine: Engine, settings: Settings, clock: SimulatedClock
) -> None:
    cookie, _csrf = staff_cookie(engine, settings, now=clock())
    client.cookies.set(COOKIE_NAME, cookie)
    response = client.get("/api/alerts", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


@pytest.mark.parametrize("why", ["inactive", "expired", "forged"])
def test_no_access_without_a_valid_staff_session(
    client: TestClient, engine: Engine, settings: Settings, clock: SimulatedClock, why: str
) -> None:
    cookie, _csrf = staff_cookie(engine, settings, now=clock(), active=why != "inactive")
    if why == "expired":
        clock.advance(timedelta(hours=settings.staff_session_hours, seconds=1))
    if why == "forged":
        cookie = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    client.cookies.set(COOKIE_NAME, cookie)
    response = client.get("/api/alerts")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    documented = {
        (
            m,
            p.replace("{treatment_id}", "1")
            .replace("{alert_id}", "1")
            .replace("{message_id}", "1")
            .replace("{patient_id}", "1")
            .replace("{media_id}", "1"),
        )
        for m, p in paths
    }
    assert documented == EXPECTED_ROUTES
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())
    tags = {
        tag
        for path, operations in schema["paths"].items()
        if path.startswith("/api/")
        for operation in operations.values()
        for tag in operation["tags"]
    }
    assert tags == {"treatments", "patients", "messages", "replies", "alerts"}
    alerts = schema["paths"]["/api/alerts"]["get"]
    ok = alerts["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("Page_AlertPublic_")
    assert "401" in alerts["responses"]
    created = schema["paths"]["/api/treatments"]["post"]["responses"]
    assert "201" in created and "422" in created
    assert client.get("/docs").status_code == 200
