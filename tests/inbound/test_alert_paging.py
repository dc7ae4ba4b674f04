"""Urgent alerts reach the practitioner by real SMS/email and escalate once (controlled clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from models import Alert, InboundMessage
from models.db import session_scope
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.inbound.alerts import AlertNotifier, acknowledge_alert, parse_ack
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.fakes.smtp_server import SmtpSink, text_content
from tests.fakes.twilio_server import FakeTwilio
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
REPLY_AT = datetime(2026, 11, 25, 21, 40, tzinfo=TORONTO)  # an evening reply, day 1
ACCOUNT = "AC" + "5d" * 16
TOKEN = "tok_alerts_7a1c9e3b5d2f8064"
URL = "https://clinic.example/webhooks/twilio/sms"
PATIENT = "+15145550421"
DR_PHONE = "+16135550177"
ONCALL_EMAIL = "oncall@clinic.example"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def mailbox() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def alert_settings(database_url: str, twilio: FakeTwilio, mailbox: SmtpSink) -> Settings:
    return make_settings(
        database_url,
        sms_channel="twilio",
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_from_number="+16135550100",
        twilio_api_base=twilio.base_url,
        email_channel="smtp",
        smtp_host=mailbox.host,
        smtp_port=mailbox.port,
        smtp_security="none",
        oncall_email=ONCALL_EMAIL,
        alert_escalate_after=timedelta(minutes=30),
    )


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(REPLY_AT)


@pytest.fixture
def engine(alert_settings: Settings) -> Iterator[Engine]:
    from scheduler.ops.runtime import open_database

    engine = open_database(alert_settings)
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Anne Roy", phone=DR_PHONE, now=PERFORMED)
    request = TreatmentCreate.model_validate(
        {"name": "Noah Tremblay", "phone": PATIENT, "practitioner": "Dr Anne Roy"}
    )
    with session_scope(engine) as session:
        register_treatment(session, request, settings=alert_settings, now=PERFORMED)
    yield engine
    engine.dispose()


@pytest.fixture
def notifier(alert_settings: Settings, engine: Engine) -> Iterator[AlertNotifier]:
    channels = build_channels(alert_settings)
    yield AlertNotifier(engine, alert_settings, channels)
    for channel in channels.values():
        channel.close()


def reply(client: TestClient, body: str, sid: str, sender: str = PATIENT) -> str:
    params = {"MessageSid": sid, "From": sender, "To": "+16135550100", "Body": body}
    response = client.post(
        "/webhooks/twilio/sms",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(URL, params),
        },
    )
    assert response.status_code == 200
    return response.text


def the_alert(engine: Engine) -> Alert:
    with Session(engine) as session:
        [alert] = session.exec(select(Alert)).all()
        return alert


def sms_to(twilio: FakeTwilio, number: str) -> list[str]:
    return [r.params["Body"] for r in twilio.requests if r.params.get("To") == number]


def test_pus_and_fever_pages_the_practitioner_answers_the_patient_and_escalates_once(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
    mailbox: SmtpSink,
) -> None:
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        answer = reply(client, "there's pus and I have a fever", "SM" + "b1" * 16)
        # The answer rides on the TwiML response; this app pages nothing itself (no notifier),
        # so it promises no page: the job below pages.
        assert "911" in answer and "flagged your message as urgent" in answer
        assert "has been paged" not in answer
        reply(client, "there's pus and I have a fever", "SM" + "b1" * 16)  # Twilio retry

    alert = the_alert(engine)
    assert alert.level == "urgent" and alert.status == "open"

    first = notifier.run_pass(now=clock())
    assert first.notified == 1 and first.escalated == 0 and not first.failed
    [page] = sms_to(twilio, DR_PHONE)
    assert f"alert {alert.id}" in page and "pus" in page and "fever" in page
    assert "Noah T." in page and "Tremblay" not in page  # minimal details leave the clinic
    assert f"/alerts/{alert.id}" in page and f"OK {alert.id}" in page
    assert "Call 514-555-0421 (English)" in page  # the callback number and language
    [request] = [r for r in twilio.requests if r.params.get("To") == DR_PHONE]
    assert "StatusCallback" not in request.params  # no outbox row for a report to land on
    assert notifier.run_pass(now=clock()).notified == 0  # paged once

    clock.advance(timedelta(minutes=29))
    assert notifier.run_pass(now=clock()).escalated == 0
    assert mailbox.received == []

    clock.advance(timedelta(minutes=2))
    assert notifier.run_pass(now=clock()).escalated == 1
    escalation = mailbox.only_message()
    assert escalation["To"] == ONCALL_EMAIL
    assert f"alert {alert.id}" in escalation["Subject"]
    body = text_content(escalation)
    assert "after 30 min" in body and "Paged: Dr Anne Roy at 21:40" in body
    assert "514-555-0421" in body
    alert = the_alert(engine)
    assert alert.status == "escalated" and alert.escalated_at == clock()

    clock.advance(timedelta(hours=2))
    assert notifier.run_pass(now=clock()).escalated == 0  # escalated once
    assert len(mailbox.received) == 1 and len(sms_to(twilio, DR_PHONE)) == 1


def test_an_acknowledged_alert_does_not_escalate(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
    mailbox: SmtpSink,
) -> None:
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        reply(client, "my lips are swelling and I have hives", "SM" + "c1" * 16)
        notifier.run_pass(now=clock())
        clock.advance(timedelta(minutes=5))
        alert_id = the_alert(engine).id
        answer = reply(client, f"OK {alert_id}", "SM" + "c2" * 16, sender=DR_PHONE)
        assert f"Alert {alert_id} acknowledged" in answer
    clock.advance(timedelta(hours=1))
    assert notifier.run_pass(now=clock()).escalated == 0
    assert mailbox.received == []
    assert the_alert(engine).acknowledged_by == "Dr Anne Roy (SMS)"


def test_a_failed_page_is_retried_on_the_next_pass(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
) -> None:
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        reply(client, "I can't breathe properly and my throat is swelling", "SM" + "d1" * 16)
    twilio.fail_next(1, "500")
    report = notifier.run_pass(now=clock())
    assert report.notified == 0 and report.failed
    assert the_alert(engine).notify_error
    clock.advance(timedelta(seconds=10))
    assert notifier.run_pass(now=clock()).notified == 1
    assert the_alert(engine).notified_at == clock()


def test_concern_alerts_wait_for_the_days_list(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
    mailbox: SmtpSink,
) -> None:
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        reply(client, "still pimples after 10 days", "SM" + "e1" * 16)
    clock.advance(timedelta(hours=3))
    report = notifier.run_pass(now=clock())
    assert report.notified == report.escalated == 0
    assert sms_to(twilio, DR_PHONE) == [] and mailbox.received == []
    assert the_alert(engine).level == "concern"


def test_acknowledging_twice_keeps_the_first(engine: Engine, clock: SimulatedClock) -> None:
    with session_scope(engine) as session:
        row = InboundMessage(channel="sms", from_address=PATIENT, body="pus", received_at=clock())
        session.add(row)
        session.flush()
        alert = Alert(inbound_id=row.id or 0, level="urgent", reasons="[]", created_at=clock())
        session.add(alert)
    with Session(engine) as session:
        alert_id = session.exec(select(Alert.id)).one()
        assert alert_id is not None
        acknowledge_alert(session, alert_id, by="anne@clinic.example", now=clock())
        later = clock() + timedelta(minutes=3)
        again = acknowledge_alert(session, alert_id, by="bob@clinic.example", now=later)
        assert again.acknowledged_by == "anne@clinic.example" and again.acknowledged_at == clock()
        with pytest.raises(LookupError):
            acknowledge_alert(session, 9999, by="x", now=clock())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OK 12", 12),
        ("ok12", 12),
        (" Ok #7. ", 7),
        ("okay 3", 3),
        ("OK", None),
        ("ok thanks", None),
    ],
)
def test_parse_ack(text: str, expected: int | None) -> None:
    assert parse_ack(text) == expected


def test_an_alert_with_nobody_to_page_is_not_retried_every_pass(
    database_url: str, clock: SimulatedClock
) -> None:
    """No practitioner contact and no on-call: the alert waits on Today, the job moves on."""
    from scheduler.inbound.alerts import MAX_NOTIFY_ATTEMPTS
    from scheduler.ops.runtime import open_database

    settings = make_settings(database_url)  # console channels, ONCALL_* unset
    engine = open_database(settings)
    with session_scope(engine) as session:
        request = TreatmentCreate(name="Noah Tremblay", phone=PATIENT)  # no practitioner
        patient_id = register_treatment(
            session, request, settings=settings, now=PERFORMED
        ).patient.id
        row = InboundMessage(
            channel="sms",
            from_address=PATIENT,
            body="pus",
            received_at=clock(),
            patient_id=patient_id,
        )
        session.add(row)
        session.flush()
        session.add(
            Alert(
                inbound_id=row.id or 0,
                patient_id=patient_id,
                level="urgent",
                reasons="[]",
                created_at=clock(),
            )
        )
    notifier = AlertNotifier(engine, settings, build_channels(settings))
    assert notifier.run_pass(now=clock()).notified == 0
    claimed = notifier._to_notify(clock() + timedelta(minutes=10))
    with Session(engine) as session:
        alert = session.exec(select(Alert)).one()
    engine.dispose()
    assert claimed == [] and alert.notify_attempts == MAX_NOTIFY_ATTEMPTS
    assert alert.notify_error == "no contact on file" and alert.status == "open"


def test_with_the_service_s_notifier_the_patient_hears_the_page_went_out(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
) -> None:
    app = create_app(alert_settings, engine, clock=clock, notifier=notifier)
    with TestClient(app) as client:
        answer = reply(client, "there's pus and I have a fever", "SM" + "f1" * 16)
    # The page left before the TwiML answer was chosen, through the real SDK.
    [page] = sms_to(twilio, DR_PHONE)
    assert "URGENT alert" in page
    assert "has been paged and will call you soon" in answer
    assert the_alert(engine).notified_at == clock()
    assert notifier.run_pass(now=clock()).notified == 0  # the job does not page it again


def test_a_page_that_fails_is_not_promised_and_the_job_pages_later(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
) -> None:
    twilio.fail_next(1, "500")
    app = create_app(alert_settings, engine, clock=clock, notifier=notifier)
    with TestClient(app) as client:
        answer = reply(client, "there's pus and I have a fever", "SM" + "f2" * 16)
    assert "has been paged" not in answer
    assert "flagged your message as urgent" in answer and "within an hour" in answer
    assert len(sms_to(twilio, DR_PHONE)) == 1  # the attempt Twilio refused with a 500
    alert = the_alert(engine)
    assert alert.notified_at is None and alert.notify_error
    clock.advance(timedelta(seconds=5))
    assert notifier.run_pass(now=clock()).notified == 1
    assert len(sms_to(twilio, DR_PHONE)) == 2


def test_a_concern_escalates_after_four_hours_of_clinic_time_once(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
    mailbox: SmtpSink,
) -> None:
    # 21:40, after hours (10:00-19:00): the four hours start at 10:00 tomorrow.
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        reply(client, "still lots of pimples after 10 days", "SM" + "f3" * 16)
    assert the_alert(engine).level == "concern"
    assert notifier.run_pass(now=clock()).notified == 0  # concerns are never paged
    clock.set(datetime(2026, 11, 26, 13, 59, tzinfo=TORONTO))
    assert notifier.run_pass(now=clock()).escalated == 0
    assert mailbox.received == []
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=TORONTO))
    assert notifier.run_pass(now=clock()).escalated == 1
    escalation = mailbox.only_message()
    assert escalation["To"] == ONCALL_EMAIL
    body = text_content(escalation)
    assert "concern alert" in body and "after 4 h of clinic hours" in body
    assert "Paged: nobody" in body
    clock.advance(timedelta(days=1))
    assert notifier.run_pass(now=clock()).escalated == 0  # once
    assert the_alert(engine).status == "escalated"


def test_an_acknowledged_concern_does_not_escalate(
    alert_settings: Settings, engine: Engine, clock: SimulatedClock, notifier: AlertNotifier
) -> None:
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        reply(client, "I'm worried, the redness is still there after 9 days", "SMf4")
    alert = the_alert(engine)
    assert alert.id is not None
    with Session(engine) as session:
        acknowledge_alert(session, alert.id, by="front@clinic.example", now=clock(), note="Called")
    clock.advance(timedelta(days=2))
    assert notifier.run_pass(now=clock()).escalated == 0
    assert the_alert(engine).ack_note == "Called"


def test_the_page_leaves_out_the_reply_unless_asked(
    alert_settings: Settings, engine: Engine, clock: SimulatedClock, twilio: FakeTwilio
) -> None:
    words = "there's pus and I have a fever since lunch"
    for include, sid in ((False, "SM" + "f5" * 16), (True, "SM" + "f6" * 16)):
        settings = alert_settings.model_copy(update={"alert_include_reply_text": include})
        channels = build_channels(settings)
        notifier = AlertNotifier(engine, settings, channels)
        with TestClient(create_app(settings, engine, clock=clock, notifier=notifier)) as client:
            reply(client, words, sid)
        page = sms_to(twilio, DR_PHONE)[-1]
        assert (words in page) is include
        assert "pus" in page and "Noah T." in page
        for channel in channels.values():
            channel.close()


def test_a_flood_of_urgent_replies_pages_up_to_the_limit_then_one_summary(
    alert_settings: Settings, engine: Engine, clock: SimulatedClock, twilio: FakeTwilio
) -> None:
    settings = alert_settings.model_copy(update={"page_limit_per_hour": 2})
    notifier = AlertNotifier(engine, settings, build_channels(settings))
    with TestClient(create_app(settings, engine, clock=clock)) as client:
        for n in range(4):
            reply(client, "there's pus and I have a fever", f"SMflood{n:026d}")
    assert notifier.run_pass(now=clock()).notified == 3  # two pages and the summary
    pages = sms_to(twilio, DR_PHONE)
    assert len(pages) == 3
    assert all("URGENT alert" in p for p in pages[:2])
    assert "paging limit (2 an hour)" in pages[2] and "4 wait unacknowledged" in pages[2]
    with Session(engine) as session:
        held = session.exec(select(Alert).where(col(Alert.notified_at).is_(None))).all()
    assert len(held) == 1 and "paging limit" in (held[0].notify_error or "")
    clock.advance(timedelta(minutes=5))
    assert notifier.run_pass(now=clock()).notified == 0  # held alerts are not retried
    assert len(sms_to(twilio, DR_PHONE)) == 3


def test_a_stranger_s_urgent_text_pages_nobody_and_never_escalates(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
    mailbox: SmtpSink,
) -> None:
    app = create_app(alert_settings, engine, clock=clock, notifier=notifier)
    with TestClient(app) as client:
        answer = reply(client, "pus and fever", "SM" + "fe" * 16, sender="+15145550999")
    assert "flagged your message as urgent" in answer  # still told what to do
    alert = the_alert(engine)
    assert alert.patient_id is None and alert.level == "urgent"
    assert notifier.run_pass(now=clock()).notified == 0
    clock.advance(timedelta(hours=2))
    assert notifier.run_pass(now=clock()).escalated == 0
    assert [r for r in twilio.requests if r.params.get("To") == DR_PHONE] == []
    assert mailbox.received == []


def test_a_french_speaking_practitioner_is_paged_and_answered_in_french(
    alert_settings: Settings,
    engine: Engine,
    clock: SimulatedClock,
    notifier: AlertNotifier,
    twilio: FakeTwilio,
    mailbox: SmtpSink,
) -> None:
    with session_scope(engine) as session:
        save_practitioner(
            session, "dr anne roy", email="anne.roy@clinic.example", language="fr", now=PERFORMED
        )
    with TestClient(create_app(alert_settings, engine, clock=clock)) as client:
        reply(client, "there's pus and I have a fever", "SM" + "f1" * 16)
        alert = the_alert(engine)
        assert notifier.run_pass(now=clock()).notified == 1
        [page] = sms_to(twilio, DR_PHONE)
        assert page.startswith(f"Clinique Esthétique Ottawa ALERTE URGENTE {alert.id} : Noah T.")
        assert "jour 1 après microaiguilletage" in page
        assert "Appelez le 514-555-0421 (anglais)" in page
        assert f"Répondez OK {alert.id}" in page
        mail = mailbox.only_message()
        assert mail["Subject"].startswith(f"[Clinique Esthétique Ottawa] Alerte urgente {alert.id}")
        assert "Veuillez appeler la patiente ou le patient maintenant" in text_content(mail)
        ack = reply(client, f"ok {alert.id}", "SM" + "f2" * 16, sender=DR_PHONE)
        assert f"Alerte {alert.id} prise en charge. Merci." in ack
    # The on-call contact reads the clinic's default language (DEFAULT_LANGUAGE, here en).
    assert the_alert(engine).status == "acknowledged"
