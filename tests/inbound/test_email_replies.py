"""Email replies: real Dovecot → MailboxJob → the reply pipeline → answer by real SMTP.

Hostile mail too (holes 1 and 2 of the security pass): the answer's headers were copied from
the inbound mail (header injection), and any sender could page, opt a patient out, or get
answers at a forged address (backscatter).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, Patient
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
from tests.support.optouts import opted_out_at
from tests.support.patient_mail import AUTHSERV_ID, NOW, PASSED, PATIENT, PERFORMED
from tests.support.settings import make_settings


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
        email_authserv_id=AUTHSERV_ID,
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


def raw_mail(
    body: str,
    message_id: str,
    *,
    auth: str | None = PASSED,
    sender: str = "Claire Bouchard <Claire.Bouchard@Example.com>",
    subject: str = "Re: Jour 1 après votre traitement",
) -> bytes:
    """A reply as the clinic's mailbox stores it; `auth` is the topmost Authentication-Results."""
    text = (
        (f"Authentication-Results: {auth}\n" if auth is not None else "")
        + f"From: {sender}\nTo: clinic@clinic.example\n"
        f"Subject: {subject}\nDate: Thu, 26 Nov 2026 08:40:00 -0500\n"
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


# --- hostile mail -------------------------------------------------------------------------------

URGENT = "J'ai de la fièvre et du pus sur la joue depuis hier soir.\n"


def b_word(text: str) -> str:
    """`text` as one RFC 2047 base64 encoded-word."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line[:1] not in " \t"]


def deliver(dovecot: DovecotServer, settings: Settings, job: MailboxJob, raw: bytes) -> None:
    dovecot.append(raw, folder=settings.imap_folder)
    job()


def stored(engine: Engine) -> tuple[InboundMessage, list[Alert]]:
    with Session(engine) as session:
        [reply] = session.exec(select(InboundMessage)).all()
        return reply, list(session.exec(select(Alert)).all())


# --- hole 1: the answer is built, not copied ---------------------------------------------------


def test_encoded_crlf_in_subject_and_message_id_cannot_add_headers_or_a_body(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob, smtp: SmtpSink
) -> None:
    # Decoded once on reading, the subject still holds an encoded-word; the email package
    # decoded that again when the answer's header was set, CR/LF included (Python < 3.13).
    subject = b_word("=?utf-8?q?Bonjour=0D=0ABcc:_victim@evil.example=0D=0A=0D=0A<b>Hi</b>?=")
    message_id = "<=?utf-8?q?x=0D=0ABcc:_second@evil.example?=@mail.example>"
    deliver(dovecot, mail_settings, job, raw_mail(URGENT, message_id, subject=subject))

    received = smtp.received
    assert len(received) == 1 and received[0].rcpt_tos == (PATIENT,)
    answer, raw = received[0].message, received[0].raw
    names = header_names(raw)
    assert "bcc" not in names and "cc" not in names
    assert sorted(set(names)) == sorted(names)  # no header twice
    assert "in-reply-to" not in names and "references" not in names  # not a valid msg-id
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert answer.get_content_type() == "text/plain" and b"<b>" not in body
    # The encoded-word is shown as text, its `=?` broken so that nothing can decode it again.
    subject = " ".join(str(answer["Subject"]).split())
    assert subject == "Re: =utf-8?q?Bonjour=0D=0ABcc:_victim@evil.example=0D=0A=0D=0A<b>Hi</b>?="
    assert "911" in text_content(answer)


def test_a_valid_message_id_is_threaded_and_a_useless_subject_gets_the_fixed_one(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob, smtp: SmtpSink
) -> None:
    deliver(dovecot, mail_settings, job, raw_mail(URGENT, "<r9@mail.example>", subject="RE: \t"))
    answer = smtp.only_message()
    assert answer["In-Reply-To"] == answer["References"] == "<r9@mail.example>"
    assert answer["Subject"] == "Re : votre message à Clinique Esthétique Ottawa"  # French patient


# --- hole 2: only an authenticated patient's mail is acted on ----------------------------------


def test_an_unknown_sender_is_stored_but_pages_nobody_and_gets_no_answer(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob, smtp: SmtpSink
) -> None:
    passed = f"{AUTHSERV_ID}; dkim=pass header.d=elsewhere.example"
    mail = raw_mail(URGENT, "<u1@elsewhere.example>", auth=passed, sender="x@elsewhere.example")
    deliver(dovecot, mail_settings, job, mail)
    reply, alerts = stored(engine)
    assert alerts == [] and smtp.received == [] and reply.auto_reply is None
    assert reply.level == "urgent" and reply.patient_id is None and reply.sender_verified is False


def test_a_forged_patient_address_cannot_opt_out_page_or_get_answers(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob, smtp: SmtpSink
) -> None:
    deliver(dovecot, mail_settings, job, raw_mail("STOP", "<f1@evil.example>", auth=None))
    deliver(dovecot, mail_settings, job, raw_mail(URGENT, "<f2@evil.example>", auth=None))
    with Session(engine) as session:
        replies = session.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
        [patient] = session.exec(select(Patient)).all()
        alerts = session.exec(select(Alert)).all()
    assert opted_out_at(engine, "email", patient.email or "") is None
    assert opted_out_at(engine, "sms", patient.phone) is None
    assert alerts == [] and smtp.received == []
    assert [r.keyword for r in replies] == ["stop", None]
    assert all(r.patient_id == patient.id and not r.sender_verified for r in replies)


def test_only_the_topmost_header_of_the_clinic_server_counts(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob, smtp: SmtpSink
) -> None:
    # The sender wrote a passing header with our authserv-id; our server's, on top, failed.
    forged = f"{AUTHSERV_ID}; dkim=pass header.d=example.com"
    mail = raw_mail(URGENT, "<t1@evil.example>", auth=forged)
    ours = f"Authentication-Results: {AUTHSERV_ID}; dkim=fail header.d=example.com\r\n"
    deliver(dovecot, mail_settings, job, ours.encode() + mail)
    # A header with another authserv-id on top (the server wrote none) is not ours either.
    elsewhere = "mx.elsewhere.example; dkim=pass header.d=example.com"
    other = raw_mail(URGENT, "<t2@evil.example>", auth=elsewhere)
    deliver(dovecot, mail_settings, job, other)
    with Session(engine) as session:
        replies = session.exec(select(InboundMessage)).all()
        assert session.exec(select(Alert)).all() == []
    assert smtp.received == []
    assert len(replies) == 2 and not any(r.sender_verified for r in replies)


def test_without_required_authentication_the_patient_address_is_enough(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, smtp: SmtpSink
) -> None:
    relaxed = mail_settings.model_copy(update={"email_require_auth": False})
    job = MailboxJob(engine, relaxed, build_channels(relaxed), SimulatedClock(NOW))
    deliver(dovecot, relaxed, job, raw_mail(URGENT, "<n1@mail.example>", auth=None))
    reply, alerts = stored(engine)
    assert reply.sender_verified and len(alerts) == 1 and len(smtp.received) == 1


# --- hole 5: a huge mail costs what a small one does -------------------------------------------


def test_an_8_mb_mail_is_read_and_triaged_only_up_to_its_bounds(
    dovecot: DovecotServer,
    mail_settings: Settings,
    engine: Engine,
    job: MailboxJob,
    smtp: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Triage ran on the whole body (8 MB: 20 s holding the GIL, the web server stalled)."""
    from scheduler.inbound import replies, triage

    triaged: list[int] = []

    def measured(text: str) -> triage.Triage:
        triaged.append(len(text))
        return triage.classify(text)

    monkeypatch.setattr(replies, "classify", measured)
    body = URGENT + ("pus and fever " * 10 + "\n") * 60_000  # 8.4 MB of text
    dovecot.append(raw_mail(body, "<big1@mail.example>"), folder=mail_settings.imap_folder)
    job()
    reply, alerts = stored(engine)
    assert triaged == [len(reply.body)] and len(reply.body) <= 10_000
    assert reply.level == "urgent" and len(alerts) == 1
