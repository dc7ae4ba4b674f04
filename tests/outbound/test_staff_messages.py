"""Staff writing to a patient: through the outbox, the real SDK and SMTP, opt-outs respected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import InboundMessage, OutboundMessage, Patient
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.outbound.delivery_reports import record_delivery_report
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.optout import opt_out_address
from scheduler.outbound.render import MessageRenderer
from scheduler.outbound.staff_messages import MAX_TEXT, StaffMessageError, queue_staff_message
from scheduler.settings import Settings
from tests.fakes.smtp_server import SmtpSink, text_content
from tests.fakes.twilio_server import FakeTwilio
from tests.support.settings import make_settings
from tests.support.sms import ACCOUNT, FROM, TOKEN

TORONTO = ZoneInfo("America/Toronto")
TREATED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
EVENING = datetime(2026, 11, 25, 21, 30, tzinfo=TORONTO)  # outside the 10:00-19:00 window
PHONE = "+15145550777"
EMAIL = "lea.morin@example.com"
STAFF = "nadia@clinic.example"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture
def settings(database_url: str, twilio: FakeTwilio, sink: SmtpSink) -> Settings:
    return make_settings(
        database_url,
        sms_channel="twilio",
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_from_number=FROM,
        twilio_api_base=twilio.base_url,
        email_channel="smtp",
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_security="none",
    )


@pytest.fixture
def patient_id(engine: Engine, settings: Settings) -> int:
    request = TreatmentCreate(
        name="Léa Morin", phone=PHONE, email=EMAIL, language="fr", channel="both"
    )
    with session_scope(engine) as session:
        done = register_treatment(session, request, settings=settings, now=TREATED)
        assert done.patient.id is not None
        return done.patient.id


def dispatcher(engine: Engine, settings: Settings, clock: SimulatedClock) -> Dispatcher:
    return Dispatcher(engine, settings, build_channels(settings), MessageRenderer(), clock=clock)


def queue(
    engine: Engine, patient_id: int, text: str, medium: str, reply_to_id: int | None = None
) -> int:
    with session_scope(engine) as session:
        message = queue_staff_message(
            session, patient_id, text, medium, sent_by=STAFF, now=EVENING, reply_to_id=reply_to_id
        )
        assert message.id is not None
        return message.id


def test_a_staff_answer_to_a_fresh_reply_goes_at_once_and_its_status_is_recorded(
    engine: Engine, settings: Settings, patient_id: int, twilio: FakeTwilio, sink: SmtpSink
) -> None:
    reply = IncomingReply(Medium.SMS, PHONE, "Est-ce normal que ça pique?", "SM" + "7a" * 16)
    with Session(engine, expire_on_commit=False) as session:
        reply_id = receive_reply(session, settings, reply, now=EVENING).inbound_id
    text = "Oui, c'est normal les premiers jours.\nÉvitez de gratter."
    sms_id = queue(engine, patient_id, text, "sms", reply_to_id=reply_id)
    email_id = queue(engine, patient_id, "Bonjour! Une photo nous aiderait.", "email")

    clock = SimulatedClock(EVENING + timedelta(seconds=5))
    report = dispatcher(engine, settings, clock).run_pass()
    # The answer to a reply from the last 24 h leaves in the evening; the rest (the new message,
    # the day-1 follow-ups) waits for the window.
    assert report.sent == 1
    with Session(engine) as session:
        waiting = session.get(OutboundMessage, email_id)
    assert waiting is not None and waiting.status == "pending"
    [request] = [r for r in twilio.requests if r.params.get("To") == PHONE]
    body = request.params["Body"]
    assert body.startswith(settings.clinic_name) and "Évitez de gratter." in body
    with Session(engine) as session:
        sent = session.get(OutboundMessage, sms_id)
        answered = session.get(InboundMessage, reply_id)
    assert sent is not None and sent.status == "sent" and sent.sent_by == STAFF
    assert answered is not None and (answered.answered_by, answered.handled_by) == (STAFF, STAFF)
    assert sent.provider_id is not None
    record_delivery_report(engine, sent.provider_id, "delivered", None, now=clock())
    with Session(engine) as session:
        delivered = session.get(OutboundMessage, sms_id)
    assert delivered is not None and delivered.status == "delivered"

    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=TORONTO))  # the window opens
    assert dispatcher(engine, settings, clock).run_pass().sent >= 1
    [mail] = [r.message for r in sink.received if "message de votre" in r.message["Subject"]]
    assert "un message de votre équipe de soins" in mail["Subject"]
    plain = mail.get_body(preferencelist=("plain",))
    assert isinstance(plain, EmailMessage)
    content = text_content(plain)
    assert "Une photo nous aiderait." in content and "Bonjour Léa" in content
    assert "désabonnez-vous" in content  # the footer every email carries
    with Session(engine) as session:
        emailed = session.get(OutboundMessage, email_id)
    assert emailed is not None and emailed.status == "sent"


def test_an_answer_to_an_old_reply_waits_for_the_window(
    engine: Engine, settings: Settings, patient_id: int, twilio: FakeTwilio
) -> None:
    reply = IncomingReply(Medium.SMS, PHONE, "merci", "SM" + "7b" * 16)
    with Session(engine, expire_on_commit=False) as session:
        old = receive_reply(session, settings, reply, now=EVENING - timedelta(days=2))
    staff_id = queue(engine, patient_id, "Bonne nouvelle!", "sms", reply_to_id=old.inbound_id)
    report = dispatcher(engine, settings, SimulatedClock(EVENING)).run_pass()
    assert report.sent == 0 and twilio.requests == []
    with Session(engine) as session:
        row = session.get(OutboundMessage, staff_id)
    assert row is not None and row.status == "pending" and row.next_attempt_at > EVENING


@pytest.mark.parametrize(
    ("text", "medium", "message"),
    [
        ("", "sms", "text: write the message first"),
        ("  \x00 ", "sms", "text: write the message first"),
        ("x" * (MAX_TEXT + 1), "sms", f"text: at most {MAX_TEXT} characters"),
        ("Bonjour", "fax", "channel: unknown channel"),
    ],
)
def test_what_cannot_be_sent_is_refused(
    engine: Engine, patient_id: int, text: str, medium: str, message: str
) -> None:
    with pytest.raises(StaffMessageError, match=message):
        queue(engine, patient_id, text, medium)


def test_an_opted_out_address_is_refused_and_the_other_still_works(
    engine: Engine, patient_id: int
) -> None:
    with session_scope(engine) as session:
        opt_out_address(session, "sms", PHONE, now=EVENING, source="stop")
    with pytest.raises(StaffMessageError, match="channel: this patient's sms address opted out"):
        queue(engine, patient_id, "Bonjour", "sms")
    assert queue(engine, patient_id, "Bonjour", "email") > 0


def test_a_reply_of_another_patient_cannot_be_answered(
    engine: Engine, settings: Settings, patient_id: int
) -> None:
    with session_scope(engine) as session:
        other = register_treatment(
            session,
            TreatmentCreate(name="Sam Other", phone="613-555-0188"),
            settings=settings,
            now=TREATED,
        ).patient
    reply = IncomingReply(Medium.SMS, other.phone, "thanks", "SM" + "7c" * 16)
    with Session(engine, expire_on_commit=False) as session:
        theirs = receive_reply(session, settings, reply, now=EVENING).inbound_id
    with pytest.raises(StaffMessageError, match="reply_to"):
        queue(engine, patient_id, "Bonjour", "sms", reply_to_id=theirs)
    with Session(engine) as session:
        assert session.exec(select(Patient)).all()
