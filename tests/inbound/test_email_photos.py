"""Photos attached to email replies: real Dovecot → MailboxJob → kept (EXIF gone) or refused."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, ReplyMedia
from models.db import session_scope
from models.vocabulary import MediaStatus
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.jobs import MailboxJob
from scheduler.inbound.mailbox import DONE_KEYWORD, MAX_MAIL_BYTES
from scheduler.ops.runtime import open_database
from scheduler.settings import Settings
from tests.fakes.imap_server import DovecotServer
from tests.support import photos
from tests.support.patient_mail import AUTHSERV_ID, NOW, PASSED, PATIENT, PERFORMED
from tests.support.settings import make_settings


@pytest.fixture
def mail_settings(database_url: str, dovecot: DovecotServer) -> Settings:
    folder = f"t-{uuid.uuid4().hex[:10]}"
    dovecot.create_folder(folder)
    return make_settings(database_url, email_authserv_id=AUTHSERV_ID, **dovecot.settings(folder))


@pytest.fixture
def engine(mail_settings: Settings) -> Iterator[Engine]:
    engine = open_database(mail_settings)
    request = TreatmentCreate.model_validate(
        {"name": "Claire Bouchard", "phone": "+15145550431", "email": PATIENT, "channel": "email"}
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


def mail_with(text: str, files: list[tuple[bytes, str, str]]) -> bytes:
    """A patient's reply from a phone's mail app, with attachments (bytes, type, name)."""
    message = EmailMessage()
    message["Authentication-Results"] = PASSED
    message["From"] = "Claire Bouchard <claire.bouchard@example.com>"
    message["To"] = "clinic@clinic.example"
    message["Subject"] = "Re: Jour 1"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
    message.set_content(text)
    for body, kind, name in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(body, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def deliver(dovecot: DovecotServer, settings: Settings, job: MailboxJob, raw: bytes) -> int:
    uid = dovecot.append(raw, folder=settings.imap_folder)
    job()
    return uid


def media(engine: Engine) -> list[ReplyMedia]:
    with Session(engine) as session:
        return list(session.exec(select(ReplyMedia).order_by(col(ReplyMedia.id))))


def test_image_attachments_are_kept_and_others_refused(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob
) -> None:
    big = photos.big_jpeg(MAX_MAIL_BYTES + 200_000)  # past what a mail used to be read up to
    raw = mail_with(
        "Voici la photo de ce matin, c'est un peu rouge.",
        [
            (photos.jpeg_with_gps(), "image/jpeg", "IMG_2041.jpg"),
            (photos.heic(), "image/heic", "joue gauche.heic"),
            (photos.PDF, "image/png", "ordonnance.png"),  # a PDF pretending to be a PNG
            (big, "image/jpeg", "IMG_2042.jpg"),
        ],
    )
    uid = deliver(dovecot, mail_settings, job, raw)
    assert DONE_KEYWORD in dovecot.flags_of(uid, folder=mail_settings.imap_folder)
    jpeg, heic, pdf, large = media(engine)
    assert [m.status for m in (jpeg, heic, large)] == [MediaStatus.STORED] * 3
    assert jpeg.data is not None and not Image.open(io.BytesIO(jpeg.data)).getexif()
    assert heic.content_type == "image/jpeg" and large.size_bytes is not None
    assert pdf.status == MediaStatus.REFUSED and pdf.data is None
    assert pdf.refusal == "not an image (JPEG, PNG, WebP or HEIC only)"
    assert all(m.source is None for m in (jpeg, heic, pdf, large))  # nothing to fetch later
    with Session(engine) as session:
        [reply] = session.exec(select(InboundMessage)).all()
    assert reply.level == "routine" and "[attachments" not in reply.body
    assert {m.inbound_id for m in media(engine)} == {reply.id}


def test_a_photo_without_words_is_a_concern(
    dovecot: DovecotServer, mail_settings: Settings, engine: Engine, job: MailboxJob
) -> None:
    deliver(dovecot, mail_settings, job, mail_with("", [(photos.png(), "image/png", "a.png")]))
    with Session(engine) as session:
        [reply] = session.exec(select(InboundMessage)).all()
        [alert] = session.exec(select(Alert)).all()
    assert reply.level == "concern" and json.loads(reply.reasons or "[]") == ["photo only"]
    [photo] = media(engine)
    assert photo.status == MediaStatus.STORED and photo.alert_id == alert.id
