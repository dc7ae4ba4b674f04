"""Hole 6 of the security pass: out-of-range or hostile input is a 4xx naming it, never a 5xx,
on SQLite and on PostgreSQL (NUL bytes, over-long fields); database errors carry no values."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from models import InboundMessage
from models.db import make_engine
from scheduler.clock import SimulatedClock
from scheduler.ops.runtime import open_database
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.support.api import AUTH, TOKEN
from tests.support.pages import create_staff, csrf_of
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
TWILIO = "tok_edges_3c8e1a5f9b2d7046"
BASE = "https://clinic.example"
SECRET_WORDS = "Ana Lima wrote: my cheek is hot"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def edge_settings(database_url: str) -> Settings:
    return make_settings(database_url, api_token=TOKEN, twilio_auth_token=TWILIO)


@pytest.fixture
def edge_engine(edge_settings: Settings) -> Iterator[Engine]:
    engine = open_database(edge_settings)
    yield engine
    engine.dispose()


@pytest.fixture
def client(edge_settings: Settings, edge_engine: Engine) -> Iterator[TestClient]:
    app = create_app(edge_settings, edge_engine, clock=SimulatedClock(NOW))
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as test_client:
        yield test_client


def signed(client: TestClient, path: str, params: dict[str, str]) -> int:
    signature = RequestValidator(TWILIO).compute_signature(BASE + path, params)
    response = client.post(
        path,
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )
    return response.status_code


def test_a_text_with_nul_bytes_and_long_fields_is_stored_cleaned(
    client: TestClient, edge_engine: Engine
) -> None:
    params = {
        "MessageSid": "SM" + "ab" * 16,
        "From": "+1613555\x000124",
        "To": "+1" + "6" * 400,
        "Body": "pus\x00 and\x07 fever\r\nsince monday",
        "NumMedia": "1",
        "MediaUrl0": "https://media.example/\x00x",
    }
    assert signed(client, "/webhooks/twilio/sms", params) == 200
    with Session(edge_engine) as session:
        [reply] = session.exec(select(InboundMessage)).all()
    assert reply.body == "pus and fever\nsince monday" and reply.level == "urgent"
    assert reply.to_address is not None and len(reply.to_address) == 320


@pytest.mark.parametrize(
    "extra",
    [
        {"MessageStatus": "delivered" * 5},
        {"MessageStatus": "deliv\x00ered"},
        {"MessageSid": "SM" + "x" * 300},
        {"ErrorCode": "3" * 60},
        {"ErrorCode": "30\x0003"},
    ],
)
def test_a_status_report_that_does_not_fit_is_a_400(
    client: TestClient, extra: dict[str, str]
) -> None:
    params = {"MessageSid": "SM" + "cd" * 16, "MessageStatus": "delivered", **extra}
    assert signed(client, "/webhooks/twilio/status", params) == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ana\x00Lima", "phone": "613-555-0124"}, "name"),
        ({"name": "Ana\nLima", "phone": "613-555-0124"}, "name"),
        ({"name": "Ana", "phone": "613-555-0124", "kind": {"a": 1}}, "kind"),
        ({"name": "Ana", "phone": "613-555-0124", "language": ["fr"]}, "language"),
        ({"name": "Ana", "phone": "613-555-0124", "channel": {"x": 1}}, "channel"),
        ({"name": "Ana", "phone": "613-555-0124", "practitioner": "Dr\x00Roy"}, "practitioner"),
        ({"name": "Ana", "phone": "613-555-0124", "email": "a\x00@b.example"}, "email"),
        ({"name": "Ana", "phone": "613-555-0124", "consent_source": "x" * 51}, "consent_source"),
        ({"name": "\ud800", "phone": "613-555-0124"}, "name"),
    ],
)
def test_hostile_api_fields_are_a_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    # json.dumps escapes a lone surrogate as \\ud800, as a hostile client would send it.
    headers = {**AUTH, "content-type": "application/json"}
    response = client.post("/api/treatments", content=json.dumps(body), headers=headers)
    assert response.status_code == 422, response.text
    assert field in [error["loc"][-1] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    "query",
    [
        "/api/treatments?page=99999999999999999999",
        "/api/treatments/99999999999",
        "/api/treatments?performed_from=0001-01-01T00:00:00%2B14:00",
        "/api/messages?due_to=9999-12-31T23:59:59-14:00",
        "/api/patients?q=%00",
    ],
)
def test_out_of_range_api_queries_are_4xx(client: TestClient, query: str) -> None:
    status = client.get(query, headers=AUTH).status_code
    assert 400 <= status < 500 or (query.endswith("%00") and status == 200), status


@pytest.mark.parametrize(
    "path",
    [
        "/inbox?page=99999999999999999999",
        "/alerts?page=1000001",
        "/inbox?practitioner=%C2%B2",
        "/alerts?practitioner=99999999999",
        "/patients/99999999999",
        "/treatments/99999999999",
        "/treatments/new?patient=99999999999",
    ],
)
def test_out_of_range_page_addresses_are_never_500(
    client: TestClient, edge_engine: Engine, path: str
) -> None:
    create_staff(edge_engine)
    token = csrf_of(client.get("/login").text)
    form = {"email": "nadia@clinic.example", "password": "correct horse battery"}
    client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
    status = client.get(path, headers={"accept": "text/html"}).status_code
    assert status in (200, 400, 404), (path, status)


def test_hostile_login_and_search_are_answered_not_crashed(
    client: TestClient, edge_engine: Engine
) -> None:
    token = csrf_of(client.get("/login").text)
    for email in ("nadia\x00@clinic.example", "x" * 5000 + "@clinic.example"):
        form = {"email": email, "password": "whatever it is", "csrf_token": token}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 400
    create_staff(edge_engine)
    form = {"email": "nadia@clinic.example", "password": "correct horse battery"}
    client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
    token = csrf_of(client.get("/patients").text)
    response = client.post("/patients", data={"q": "Ana\x00", "csrf_token": token})
    assert response.status_code == 200


def test_database_errors_carry_no_values(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (name VARCHAR(5) NOT NULL UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES ('x')"))
    with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:v), ('x')"), {"v": SECRET_WORDS[:5]})
    engine.dispose()
    assert SECRET_WORDS[:5] not in str(caught.value)
    with caplog.at_level(logging.ERROR):
        logging.getLogger("test").error("failed", exc_info=caught.value)
    assert SECRET_WORDS[:5] not in caplog.text
