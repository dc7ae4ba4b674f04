"""`GET /metrics` scraped over HTTP from the app, on a real database with rows in it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from models import Alert, InboundMessage, OutboundMessage
from models.db import make_engine, session_scope
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.ops.metrics import Metrics, webhook_outcome
from scheduler.ops.runtime import ServiceState
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer
from scheduler.service.process import DispatchJob
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.fakes.scripted_channel import ScriptedChannel
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)
TOKEN = "tok_metrics_8d1e4b27c9a3f650"
STATUS_PATH = "/webhooks/twilio/status"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """The GROUP BY and MIN queries run on SQLite and on PostgreSQL."""
    return each_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, twilio_auth_token=TOKEN)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DAY1 + timedelta(minutes=30))


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def client(
    settings: Settings, engine: Engine, clock: SimulatedClock, metrics: Metrics
) -> Iterator[TestClient]:
    app = create_app(settings, engine, clock=clock, metrics_registry=metrics)
    with TestClient(app) as test_client:
        yield test_client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def register(engine: Engine, settings: Settings, name: str, phone: str, **extra: str) -> None:
    request = TreatmentCreate.model_validate({"name": name, "phone": phone, **extra})
    with session_scope(engine) as session:
        register_treatment(session, request, settings=settings, now=PERFORMED)


def add_alert(engine: Engine, level: str, status: str, at: datetime) -> None:
    with session_scope(engine) as session:
        reply = InboundMessage(
            channel="sms", from_address="+16135550124", body="…", received_at=at, level=level
        )
        session.add(reply)
        session.flush()
        assert reply.id is not None
        session.add(
            Alert(inbound_id=reply.id, level=level, reasons="[]", status=status, created_at=at)
        )


@pytest.fixture
def rows(engine: Engine, settings: Settings) -> None:
    """Two treatments: one by SMS, one by SMS and email; day 1 due at 10:00, and three alerts."""
    register(engine, settings, "Ana Lima", "+16135550124")
    register(
        engine, settings, "Noah Tremblay", "+15145550401", channel="both", email="n@example.com"
    )
    with Session(engine) as session:
        day1 = session.exec(select(OutboundMessage).where(col(OutboundMessage.step) == "day1"))
        assert {row.next_attempt_at for row in day1} == {DAY1}  # what the ages below rely on
    add_alert(engine, "urgent", "open", DAY1)
    add_alert(engine, "urgent", "escalated", DAY1)
    add_alert(engine, "concern", "acknowledged", DAY1)


@pytest.mark.usefixtures("rows")
def test_outbox_and_alert_gauges_come_from_the_database(client: TestClient) -> None:
    samples = scrape(client)
    assert value(samples, "aftercare_database_up") == 1
    assert value(samples, "aftercare_messages", channel="sms", status="pending") == 6
    assert value(samples, "aftercare_messages", channel="email", status="pending") == 3
    assert value(samples, "aftercare_messages", channel="sms", status="sent") == 0
    assert value(samples, "aftercare_outbox_due") == 3
    assert value(samples, "aftercare_outbox_oldest_due_seconds") == 30 * 60
    assert value(samples, "aftercare_alerts_open", level="urgent", status="open") == 1
    assert value(samples, "aftercare_alerts_open", level="urgent", status="escalated") == 1
    assert value(samples, "aftercare_alerts_open", level="concern", status="open") == 0
    alert_series = {dict(labels)["status"] for name, labels in samples if "alerts_open" in name}
    assert alert_series == {"open", "escalated"}  # acknowledged alerts are not counted


@pytest.mark.usefixtures("rows")
def test_a_dispatch_pass_moves_the_gauges_and_is_timed(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    renderer: MessageRenderer,
    clock: SimulatedClock,
    metrics: Metrics,
) -> None:
    channel = ScriptedChannel()
    dispatcher = Dispatcher(
        engine, settings, {"sms": channel, "email": channel}, renderer, clock=clock
    )
    DispatchJob(dispatcher, ServiceState(running=True), clock, metrics)()
    samples = scrape(client)
    assert value(samples, "aftercare_dispatch_pass_seconds_count") == 1
    assert value(samples, "aftercare_dispatch_pass_seconds_sum") > 0
    assert value(samples, "aftercare_dispatch_outcomes_total", outcome="sent") == 3
    assert value(samples, "aftercare_messages", channel="sms", status="sent") == 2
    assert value(samples, "aftercare_messages", channel="email", status="sent") == 1
    assert value(samples, "aftercare_messages", channel="sms", status="pending") == 4
    assert value(samples, "aftercare_outbox_due") == 0
    assert value(samples, "aftercare_outbox_oldest_due_seconds") == 0


def test_an_empty_database_reports_zeros(client: TestClient) -> None:
    samples = scrape(client)
    assert value(samples, "aftercare_outbox_due") == 0
    assert value(samples, "aftercare_messages", channel="email", status="failed") == 0
    assert value(samples, "aftercare_alerts_open", level="urgent", status="open") == 0
    assert value(samples, "aftercare_webhook_requests_total", endpoint="sms", outcome="ok") == 0


def signed(settings: Settings, params: dict[str, str]) -> dict[str, str]:
    url = settings.public_base_url + STATUS_PATH
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params)}


def test_status_webhook_requests_are_counted_by_outcome(
    client: TestClient, settings: Settings
) -> None:
    report = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    partial = {"MessageSid": "SM" + "2" * 32}
    assert client.post(STATUS_PATH, data=report).status_code == 403
    assert client.post(STATUS_PATH, data=report, headers={"X-Twilio-Signature": "x"}).is_error
    response = client.post(STATUS_PATH, data=partial, headers=signed(settings, partial))
    assert response.status_code == 400
    for _ in range(2):
        response = client.post(STATUS_PATH, data=report, headers=signed(settings, report))
        assert response.status_code == 204
    samples = scrape(client)

    def count(outcome: str) -> float:
        return value(
            samples, "aftercare_webhook_requests_total", endpoint="status", outcome=outcome
        )

    assert (count("forbidden"), count("bad_request"), count("ok")) == (2, 1, 2)
    assert count("too_large") == count("duplicate") == 0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (204, "ok"),
        (400, "bad_request"),
        (411, "bad_request"),
        (403, "forbidden"),
        (413, "too_large"),
    ],
)
def test_webhook_outcome_of_a_status_code(status: int, outcome: str) -> None:
    assert webhook_outcome(status) == outcome


def test_a_database_outage_still_scrapes(clock: SimulatedClock) -> None:
    url = "sqlite:////nonexistent/dir/aftercare.db"
    settings, broken = make_settings(url), make_engine(url)
    metrics = Metrics()
    metrics.failed_passes.inc()
    with TestClient(create_app(settings, broken, clock=clock, metrics_registry=metrics)) as client:
        samples = scrape(client)
    assert value(samples, "aftercare_database_up") == 0
    assert value(samples, "aftercare_dispatch_pass_errors_total") == 1
    assert not any(name == "aftercare_messages" for name, _ in samples)
