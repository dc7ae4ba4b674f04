"""Email replies: real Dovecot → MailboxJob → the reply pipeline → answer by real SMTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Alert, InboundMessage
from models.db import session_scope
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.jobs import MailboxJob
from scheduler.inbound.mailbox import DONE_KEYWORD
from scheduler.ops.runtime import open_database
from scheduler.settings import Settings
from tests.fakes.imap_server import DovecotServer
from tests.fakes.smtp_server import SmtpSink, text_content
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TORONTO)
PATIENT = "claire.bouchard@example.com"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def mail_settings(database_url: str, dovecot: DovecotServer, smtp: SmtpSink) -> Settings:
    folder = f"t-{uuid.uuid4().hex[:10]}"
    dovecot.create_folder(folder)
    return make_settings(
        database_url,
        email_channel="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security="none",
        **dovecot.settings(folder),
    )


@pytest.fixture
def engine(mail_settings: Settings) -> Iterator[Engine]:
    engine = open_database(mail_settings)
    request = TreatmentCreate.model_validate(
        {
            "name": "Claire Bouchard",
            "phone": "+15145550431",
            "email": PATIENT,
            "language": "fr",
            "channel": "email",
        }
    )
    with session_scope(engine) as session:
        register_treatment(session, request, settings=mail_settings, now=PERFORMED)
    yield engine
    engine.dispose()


@pytest.fixture
def job(mail_settings: Settings, engine: Engine) -> Iterator[MailboxJob]:
    channels = build_channels(mail_settings)
    yield MailboxJob(engine, mail_settings, channels, SimulatedClock(NOW))
    for channel in channels.values():
        channel.close()


def raw_mail(body: str, message_id: str) -> bytes:
    text = (
        f"From: Claire Bouchard <Claire.Bouchard@Example.com>\nTo: clinic@clinic.example\n"
        f"Subject: Re: Jour 1 après votre traitement\nDate: Thu, 26 Nov 2026 08:40:00 -0500\n"
        f"Message-ID: {message_id}\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}"
    )
    return text.replace("\n", "\r\n").encode()


def test_an_urgent_email_reply_is_stored_alerted_answered_and_flagged(
    dovecot: DovecotServer,
    mail_settings: Settings,
    engine: Engine,
    job: MailboxJob,
    smtp: SmtpSink,
) -> None:
    body = (
        "Bonjour, j'ai de la fièvre et du pus sur la joue depuis hier soir.\n\n"
        "Le mer. 25 nov. 2026 à 10:00, Clinique a écrit :\n"
        "> Contactez-nous en cas de fièvre, de pus ou de rougeur qui s'étend.\n"
    )
    uid = dovecot.append(raw_mail(body, "<r1@mail.example>"), folder=mail_settings.imap_folder)
    job()
    job()  # the next poll finds nothing new

    with Session(engine) as session:
        [reply] = session.exec(select(InboundMessage)).all()
        [alert] = session.exec(select(Alert)).all()
    assert reply.channel == "email" and reply.patient_id is not None
    assert reply.provider_id == "r1@mail.example" and reply.level == "urgent"
    assert "a écrit" not in reply.body  # the quoted follow-up (which names fever and pus) is gone
    assert {"fever", "pus"} <= set(json.loads(reply.reasons or "[]"))
    assert alert.level == "urgent" and alert.inbound_id == reply.id

    answer = smtp.only_message()
    assert answer["To"] == PATIENT and answer["In-Reply-To"] == "<r1@mail.example>"
    assert answer["Subject"].startswith("Re: ") and "911" in text_content(answer)
    assert DONE_KEYWORD in dovecot.flags_of(uid, folder=mail_settings.imap_folder)


def test_a_routine_email_reply_is_stored_without_alert_or_answer(
    dovecot: DovecotServer,
    mail_settings: Settings,
    engine: Engine,
    job: MailboxJob,
    smtp: SmtpSink,
) -> None:
    dovecot.append(
        raw_mail("Merci! Un peu de rougeur, rien de grave.\n", "<r2@mail.example>"),
        folder=mail_settings.imap_folder,
    )
    job()
    with Session(engine) as session:
        [reply] = session.exec(select(InboundMessage)).all()
        assert session.exec(select(Alert)).all() == []
    assert reply.level == "routine" and reply.patient_id is not None
    assert smtp.received == []
