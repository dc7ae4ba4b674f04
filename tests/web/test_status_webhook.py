"""Signed Twilio status callbacks, on SQLite and PostgreSQL, in order, out of order and early."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from models import EarlyDeliveryReport, OutboundMessage, OutboxStatus, Patient
from models.db import session_scope
from models.vocabulary import ErrorCode
from scheduler.channels.base import OutgoingMessage
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.fakes.scripted_channel import ScriptedChannel
from tests.support.optouts import opted_out_at
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)
TOKEN = "tok_webhook_5f2a9c41d7e3b806"
PHONE = "+15145550401"
PATH = "/webhooks/twilio/status"


@pytest.fixture
def web_settings(database_url: str) -> Settings:
    return make_settings(database_url, twilio_auth_token=TOKEN)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DAY1)


@pytest.fixture
def client(web_settings: Settings, engine: Engine, clock: SimulatedClock) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings, engine, clock=clock)) as test_client:
        yield test_client


@pytest.fixture
def sid(
    web_settings: Settings, engine: Engine, renderer: MessageRenderer, clock: SimulatedClock
) -> str:
    """The provider id of a day-1 SMS that one dispatch pass sent (day 3/7 still pending)."""
    request = TreatmentCreate.model_validate({"name": "Noah Tremblay", "phone": PHONE})
    with session_scope(engine) as session:
        register_treatment(session, request, settings=web_settings, now=PERFORMED)
    channel = ScriptedChannel()
    channels = {"sms": channel, "email": channel}
    assert Dispatcher(engine, web_settings, channels, renderer, clock=clock).run_pass().sent == 1
    row = day1(engine)
    assert row.status == OutboxStatus.SENT and row.provider_id
    clock.advance(timedelta(minutes=5))
    return row.provider_id


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


def rows(engine: Engine) -> list[OutboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))))


def day1(engine: Engine) -> OutboundMessage:
    [row] = [r for r in rows(engine) if r.step == "day1"]
    return row


def snapshot(engine: Engine) -> list[dict[str, object]]:
    with Session(engine) as session:
        patients = [p.model_dump() for p in session.exec(select(Patient))]
    return [r.model_dump() for r in rows(engine)] + patients


def signature(settings: Settings, params: dict[str, str], url: str | None = None) -> str:
    target = url or settings.public_base_url + PATH
    return str(RequestValidator(TOKEN).compute_signature(target, params))


def callback(
    client: TestClient,
    settings: Settings,
    params: dict[str, str],
    *,
    url: str | None = None,
    signed: bool = True,
) -> int:
    """Post a status callback as Twilio would; returns the HTTP status code."""
    headers = {"X-Twilio-Signature": signature(settings, params, url)} if signed else {}
    return client.post(PATH, data=params, headers=headers).status_code


def status(sid: str, value: str, error_code: str | None = None) -> dict[str, str]:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+16135550100",
        "To": PHONE,
        "MessageStatus": value,
        "SmsStatus": value,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    return params


def test_statuses_in_order_end_delivered(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str
) -> None:
    seen = []
    for value in ("queued", "sent", "delivered"):
        assert callback(client, web_settings, status(sid, value)) == 204
        row = day1(engine)
        seen.append((row.status, row.delivery_status))
    assert seen == [
        (OutboxStatus.SENT, "queued"),
        (OutboxStatus.SENT, "sent"),
        (OutboxStatus.DELIVERED, "delivered"),
    ]
    row = day1(engine)
    assert row.error_code is None and row.updated_at == DAY1 + timedelta(minutes=5)


def test_late_sent_does_not_undo_delivered(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str
) -> None:
    assert callback(client, web_settings, status(sid, "delivered")) == 204
    assert callback(client, web_settings, status(sid, "sent")) == 204
    assert callback(client, web_settings, status(sid, "undelivered", "30003")) == 204
    row = day1(engine)
    assert (row.status, row.delivery_status, row.error_code) == (
        OutboxStatus.DELIVERED,
        "delivered",
        None,
    )


def test_undelivered_records_the_carrier_error(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str
) -> None:
    code = callback(client, web_settings, status(sid, "undelivered", "30003"))
    assert code == 204
    row = day1(engine)
    assert (row.status, row.delivery_status, row.error_code) == (
        OutboxStatus.UNDELIVERED,
        "undelivered",
        "30003",
    )
    assert "30003" in (row.last_error or "")
    # An undelivered report alone does not opt the patient out.
    with Session(engine) as session:
        phone = session.exec(select(Patient)).one().phone
    assert opted_out_at(engine, "sms", phone) is None
    assert {r.status for r in rows(engine) if r.step != "day1"} == {OutboxStatus.PENDING}


def test_failed_with_21610_opts_the_patient_out(
    client: TestClient,
    web_settings: Settings,
    engine: Engine,
    sid: str,
    clock: SimulatedClock,
) -> None:
    code = callback(client, web_settings, status(sid, "failed", "21610"))
    assert code == 204
    row = day1(engine)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "21610")
    with Session(engine) as session:
        phone = session.exec(select(Patient)).one().phone
    assert opted_out_at(engine, "sms", phone) == clock()
    later = [r for r in rows(engine) if r.step != "day1"]
    assert [(r.status, r.error_code) for r in later] == [
        (OutboxStatus.CANCELLED, ErrorCode.OPTED_OUT)
    ] * 2


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Twilio-Signature": ""}, id="empty"),
        pytest.param({"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, id="garbage"),
    ],
)
def test_unsigned_or_badly_signed_callbacks_are_refused(
    client: TestClient, engine: Engine, sid: str, headers: dict[str, str]
) -> None:
    before = snapshot(engine)
    response = client.post(PATH, data=status(sid, "delivered"), headers=headers)
    assert response.status_code == 403
    assert snapshot(engine) == before


def test_signature_over_other_params_or_token_is_refused(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str
) -> None:
    before = snapshot(engine)
    # Signed for "sent", but the body says "failed" with an opt-out code: tampered in transit.
    tampered = status(sid, "failed", "21610")
    header = {"X-Twilio-Signature": signature(web_settings, status(sid, "sent"))}
    assert client.post(PATH, data=tampered, headers=header).status_code == 403
    # Signed with someone else's auth token.
    params = status(sid, "delivered")
    forged = RequestValidator("another-token").compute_signature(
        web_settings.public_base_url + PATH, params
    )
    assert client.post(PATH, data=params, headers={"X-Twilio-Signature": forged}).status_code == 403
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver" + PATH,  # what the app itself sees behind the test transport
        "https://attacker.example" + PATH,
        "http://clinic.example" + PATH,  # scheme matters too
        "https://clinic.example/webhooks/twilio/other",
    ],
)
def test_signature_must_cover_the_public_url(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str, url: str
) -> None:
    before = snapshot(engine)
    code = callback(client, web_settings, status(sid, "delivered"), url=url)
    assert code == 403
    assert snapshot(engine) == before
    # The very same request signed for PUBLIC_BASE_URL is accepted.
    assert callback(client, web_settings, status(sid, "delivered")) == 204
    assert day1(engine).status == OutboxStatus.DELIVERED


def test_unknown_message_sid_is_acknowledged_and_ignored(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str
) -> None:
    before = snapshot(engine)
    unknown = "SM" + "f" * 32
    assert unknown != sid
    code = callback(client, web_settings, status(unknown, "failed", "21610"))
    assert code == 204
    assert snapshot(engine) == before


@pytest.mark.parametrize("missing", ["MessageStatus", "MessageSid"])
def test_callback_without_sid_or_status_is_a_bad_request(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str, missing: str
) -> None:
    before = snapshot(engine)
    params = status(sid, "delivered")
    del params[missing]
    del params[{"MessageStatus": "SmsStatus", "MessageSid": "SmsSid"}[missing]]
    code = callback(client, web_settings, params)
    assert code == 400
    assert snapshot(engine) == before


def test_callbacks_are_refused_when_no_auth_token_is_configured(
    database_url: str, engine: Engine, clock: SimulatedClock
) -> None:
    settings = make_settings(database_url)  # TWILIO_AUTH_TOKEN unset
    params = status("SM" + "a" * 32, "delivered")
    # Even a request "signed" with the empty token must not pass.
    forged = RequestValidator("").compute_signature(settings.public_base_url + PATH, params)
    with TestClient(create_app(settings, engine, clock=clock)) as client:
        response = client.post(PATH, data=params, headers={"X-Twilio-Signature": forged})
    assert response.status_code == 403


class CallsBackFirst:
    """A provider that delivers the status callbacks before its create call has returned."""

    can_reconcile = False

    def __init__(self, client: TestClient, settings: Settings, statuses: list[str]) -> None:
        self.client, self.settings, self.statuses = client, settings, statuses
        self.codes: list[int] = []

    def send(self, message: OutgoingMessage) -> str:
        sid = f"SM{message.outbox_id:032x}"
        for value in self.statuses:
            self.codes.append(callback(self.client, self.settings, status(sid, value)))
        return sid

    def close(self) -> None:
        return None


@pytest.mark.parametrize(
    ("statuses", "final"),
    [
        (["sent", "delivered"], "delivered"),
        (["delivered", "sent"], "delivered"),
        (["undelivered"], "undelivered"),
    ],
)
def test_reports_arriving_before_the_sid_is_recorded_are_not_lost(
    client: TestClient,
    web_settings: Settings,
    engine: Engine,
    renderer: MessageRenderer,
    clock: SimulatedClock,
    statuses: list[str],
    final: str,
) -> None:
    request = TreatmentCreate.model_validate({"name": "Noah Tremblay", "phone": PHONE})
    with session_scope(engine) as session:
        register_treatment(session, request, settings=web_settings, now=PERFORMED)
    early = CallsBackFirst(client, web_settings, statuses)
    dispatcher = Dispatcher(
        engine, web_settings, {"sms": early, "email": early}, renderer, clock=clock
    )
    assert dispatcher.run_pass().sent == 1
    assert early.codes == [204] * len(statuses)
    row = day1(engine)
    assert (row.status, row.delivery_status) == (final, final)
    with Session(engine) as session:
        assert session.exec(select(EarlyDeliveryReport)).all() == []  # replayed, then dropped


def test_a_report_for_a_message_never_recorded_is_kept_not_applied(
    client: TestClient, web_settings: Settings, engine: Engine, sid: str
) -> None:
    before = snapshot(engine)
    assert callback(client, web_settings, status("SM" + "f" * 32, "delivered")) == 204
    assert snapshot(engine) == before
    with Session(engine) as session:
        [kept] = session.exec(select(EarlyDeliveryReport)).all()
    assert (kept.provider_id, kept.status) == ("SM" + "f" * 32, "delivered")
