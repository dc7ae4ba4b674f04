"""Signed inbound SMS: stored once, keywords honoured, triaged, answered in TwiML, on both DBs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from models import Alert, InboundMessage, OutboundMessage, OutboxStatus, Patient
from models.db import session_scope
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=TORONTO)
TOKEN = "tok_inbound_3c8e1a5f9b2d7046"
URL = "https://clinic.example/webhooks/twilio/sms"
CLINIC = "+16135550100"
EN_PATIENT = "+15145550411"
FR_PATIENT = "+15145550412"
DR_PHONE = "+16135550177"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def web_settings(database_url: str) -> Settings:
    return make_settings(database_url, twilio_auth_token=TOKEN)


@pytest.fixture
def client(web_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(web_settings, engine, clock=SimulatedClock(NOW))
    with TestClient(app, base_url="http://internal:8000") as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def patients(engine: Engine, web_settings: Settings) -> None:
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Anne Roy", phone=DR_PHONE, now=PERFORMED)
    for name, phone, language in (
        ("Noah Tremblay", EN_PATIENT, "en"),
        ("Marie-Josée Gagnon", FR_PATIENT, "fr"),
    ):
        request = TreatmentCreate.model_validate(
            {"name": name, "phone": phone, "language": language, "practitioner": "Dr Anne Roy"}
        )
        with session_scope(engine) as session:
            register_treatment(session, request, settings=web_settings, now=PERFORMED)


def form(
    body: str, sender: str = EN_PATIENT, sid: str = "SM" + "a1" * 16, **extra: str
) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "7e" * 16,
        "From": sender,
        "To": CLINIC,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def post(client: TestClient, params: dict[str, str], *, signature: str | None = None) -> Response:
    signed = RequestValidator(TOKEN).compute_signature(URL, params)
    return client.post(
        "/webhooks/twilio/sms",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signed if signature is None else signature,
        },
    )


def inbound(engine: Engine) -> list[InboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(InboundMessage).order_by(col(InboundMessage.id))))


def alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).order_by(col(Alert.id))))


def pending(engine: Engine, phone: str) -> int:
    with Session(engine) as session:
        patient = session.exec(select(Patient).where(Patient.phone == phone)).one()
        rows = session.exec(select(OutboundMessage)).all()
        return sum(
            1 for r in rows if r.status == OutboxStatus.PENDING and _owner(session, r) == patient.id
        )


def _owner(session: Session, row: OutboundMessage) -> int:
    from models import Treatment

    treatment = session.get(Treatment, row.treatment_id)
    assert treatment is not None
    return treatment.patient_id


def test_an_urgent_reply_is_stored_alerted_and_answered(client: TestClient, engine: Engine) -> None:
    response = post(client, form("there's pus and I have a fever"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    twiml = response.text
    assert "<Message>" in twiml and "911" in twiml and "811" in twiml
    [reply] = inbound(engine)
    assert reply.level == "urgent" and reply.patient_id is not None and reply.treatment_id
    assert {"pus", "fever"} <= set(json.loads(reply.reasons or "[]"))
    assert reply.auto_reply and "911" in reply.auto_reply
    [alert] = alerts(engine)
    assert alert.level == "urgent" and alert.status == "open"
    assert alert.inbound_id == reply.id and alert.practitioner_id is not None


def test_a_replayed_message_sid_is_stored_and_alerted_once(
    client: TestClient, engine: Engine
) -> None:
    params = form("swelling of my lips and hives")
    first, second = post(client, params), post(client, params)
    assert first.status_code == second.status_code == 200
    assert "<Message>" not in second.text
    assert len(inbound(engine)) == 1 and len(alerts(engine)) == 1


@pytest.mark.parametrize(
    ("case", "headers_sig"),
    [("unsigned", ""), ("forged", "bm90LWEtc2lnbmF0dXJl"), ("other token", "other")],
)
def test_forged_or_unsigned_requests_are_refused_and_write_nothing(
    client: TestClient, engine: Engine, case: str, headers_sig: str
) -> None:
    params = form("there's pus")
    signature = headers_sig
    if case == "other token":
        signature = RequestValidator("not-our-token").compute_signature(URL, params)
    assert post(client, params, signature=signature).status_code == 403
    assert inbound(engine) == [] and alerts(engine) == []


def test_a_signature_for_another_url_is_refused(client: TestClient, engine: Engine) -> None:
    params = form("there's pus")
    elsewhere = RequestValidator(TOKEN).compute_signature("https://evil.example/x", params)
    assert post(client, params, signature=elsewhere).status_code == 403
    assert inbound(engine) == []


def test_a_tampered_body_is_refused(client: TestClient, engine: Engine) -> None:
    params = form("all good thanks")
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    params["Body"] = "STOP"
    assert post(client, params, signature=signature).status_code == 403
    assert inbound(engine) == []


def test_oversized_requests_are_refused_before_reading(client: TestClient, engine: Engine) -> None:
    params = form("x" * 70_000)
    assert post(client, params).status_code == 413
    assert inbound(engine) == []


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"\xff\xfe\x00garbage=%zz&&=", "application/x-www-form-urlencoded"),
        (b'{"Body": "hi"}', "application/json"),
        (b"", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
    ],
)
def test_malformed_requests_never_cause_a_server_error(
    client: TestClient, engine: Engine, content: bytes, content_type: str
) -> None:
    response = client.post(
        "/webhooks/twilio/sms",
        content=content,
        headers={"Content-Type": content_type, "X-Twilio-Signature": "abc"},
    )
    assert 400 <= response.status_code < 500
    assert inbound(engine) == []


def test_signed_but_incomplete_forms_are_bad_requests(client: TestClient, engine: Engine) -> None:
    without_sid = {k: v for k, v in form("hi").items() if k != "MessageSid"}
    assert post(client, without_sid).status_code == 400
    assert post(client, form("hi", NumMedia="many")).status_code == 400
    assert inbound(engine) == []


def test_photos_are_kept_with_the_reply(client: TestClient, engine: Engine) -> None:
    media = "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1"
    post(client, form("is this normal? photo attached", NumMedia="1", MediaUrl0=media))
    [reply] = inbound(engine)
    assert json.loads(reply.media_urls or "[]") == [media]


def test_an_unknown_sender_is_stored_not_dropped(client: TestClient, engine: Engine) -> None:
    response = post(client, form("who is this?", sender="+14165550999"))
    assert response.status_code == 200
    [reply] = inbound(engine)
    assert reply.patient_id is None and reply.from_address == "+14165550999"


@pytest.mark.parametrize(
    "word", ["STOP", " stop ", "Arrêt.", "ARRET", "désabonner", "Unsubscribe!"]
)
def test_stop_words_opt_out_and_cancel_what_is_pending(
    client: TestClient, engine: Engine, word: str
) -> None:
    assert pending(engine, FR_PATIENT) == 3
    response = post(client, form(word, sender=FR_PATIENT))
    assert "COMMENCER" in response.text  # French confirmation
    assert pending(engine, FR_PATIENT) == 0
    [reply] = inbound(engine)
    assert reply.keyword == "stop" and alerts(engine) == []


def test_start_opts_back_in(client: TestClient, engine: Engine) -> None:
    post(client, form("STOP", sid="SM" + "01" * 16))
    assert pending(engine, EN_PATIENT) == 0
    response = post(client, form("start", sid="SM" + "02" * 16))
    assert "back on" in response.text
    assert pending(engine, EN_PATIENT) == 3


@pytest.mark.parametrize(("word", "sender"), [("HELP", EN_PATIENT), ("aide", FR_PATIENT)])
def test_help_gives_the_clinic_name_and_phone(
    client: TestClient, web_settings: Settings, word: str, sender: str
) -> None:
    text = post(client, form(word, sender=sender)).text
    assert web_settings.clinic_name in text and "613-555-0100" in text


def test_a_sentence_containing_stop_is_a_reply_not_an_opt_out(
    client: TestClient, engine: Engine
) -> None:
    post(client, form("please don't stop the texts, they help"))
    assert pending(engine, EN_PATIENT) == 3
    [reply] = inbound(engine)
    assert reply.keyword is None


def test_a_routine_reply_gets_no_answer_by_default(client: TestClient, engine: Engine) -> None:
    response = post(client, form("Thanks! Just a bit of redness, like a mild sunburn"))
    assert "<Message>" not in response.text
    [reply] = inbound(engine)
    assert reply.level == "routine" and alerts(engine) == []


def test_a_concern_raises_an_alert_and_promises_a_call(client: TestClient, engine: Engine) -> None:
    text = post(client, form("still lots of pimples after 10 days", sender=FR_PATIENT)).text
    [alert] = alerts(engine)
    assert alert.level == "concern"
    assert "heures d'ouverture (10:00-19:00)" in text  # in the patient's language


def test_the_practitioner_acknowledges_by_texting_ok_and_the_number(
    client: TestClient, engine: Engine
) -> None:
    post(client, form("my cheek is hot and there are red streaks", sid="SM" + "03" * 16))
    [alert] = alerts(engine)
    answer = post(client, form(f"ok {alert.id}", sender=DR_PHONE, sid="SM" + "04" * 16))
    assert f"Alert {alert.id} acknowledged" in answer.text
    [alert] = alerts(engine)
    assert alert.status == "acknowledged" and alert.acknowledged_by == "Dr Anne Roy (SMS)"
    assert alert.acknowledged_at == NOW
    # The same text from a patient's phone acknowledges nothing.
    assert len(alerts(engine)) == 1


def test_ok_from_a_patient_is_just_a_reply(client: TestClient, engine: Engine) -> None:
    post(client, form("there's pus", sid="SM" + "05" * 16))
    [alert] = alerts(engine)
    post(client, form(f"OK {alert.id}", sid="SM" + "06" * 16))
    assert alerts(engine)[0].status == "open"


def test_an_unknown_alert_number_is_explained(client: TestClient) -> None:
    text = post(client, form("OK 999", sender=DR_PHONE)).text
    assert "No open alert 999" in text


def test_a_proxy_in_front_does_not_break_signatures(web_settings: Settings, engine: Engine) -> None:
    """Twilio signs the public https URL; we are reached over plain http on another host."""
    app = create_app(web_settings, engine, clock=SimulatedClock(NOW + timedelta(minutes=1)))
    with TestClient(app, base_url="http://10.0.0.5:8000") as behind_proxy:
        assert post(behind_proxy, form("thanks")).status_code == 200
