"""MMS photos end to end: a signed webhook names the media, the photo job downloads each from
the fake Twilio (Basic auth, redirect) off the request path, keeps or refuses it, retries, deletes
it at Twilio when asked, and tells the practitioner once of a photo after an urgent reply."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from models import Alert, AuditEvent, InboundMessage, ReplyMedia
from models.db import session_scope
from models.vocabulary import MediaStatus
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.photo_jobs import PhotoJob
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.fakes.twilio_server import FakeTwilio
from tests.support import photos
from tests.support.sms import DAY1, PERFORMED, TOKEN, new_fake, posts_to, sms_settings

PATIENT = "+15145550411"
DR_PHONE = "+16135550177"
URL = "https://clinic.example/webhooks/twilio/sms"
LIMIT = 200_000


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with new_fake() as server:
        yield server


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DAY1)


def settings_for(database_url: str, fake: FakeTwilio, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"media_max_bytes": LIMIT, "media_retry_seconds": 5.0}
    return sms_settings(database_url, fake, **{**values, **overrides})


@pytest.fixture
def settings(database_url: str, fake: FakeTwilio) -> Settings:
    return settings_for(database_url, fake)


@pytest.fixture(autouse=True)
def patient(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Anne Roy", phone=DR_PHONE, now=PERFORMED)
    request = TreatmentCreate.model_validate(
        {"name": "Noah Tremblay", "phone": PATIENT, "language": "en", "practitioner": "Dr Anne Roy"}
    )
    with session_scope(engine) as session:
        register_treatment(session, request, settings=settings, now=PERFORMED)


class Clinic:
    """The web app (for the webhook) and the photo job, on one simulated clock."""

    def __init__(self, engine: Engine, settings: Settings, clock: SimulatedClock) -> None:
        self.engine = engine
        self.clock = clock
        self.notifier = AlertNotifier(engine, settings, build_channels(settings))
        self.job = PhotoJob(engine, settings, clock, self.notifier)
        self.app = create_app(settings, engine, clock=clock, notifier=self.notifier)

    def text(self, client: TestClient, body: str, sid: str, urls: list[str]) -> str:
        params = {
            "MessageSid": sid,
            "From": PATIENT,
            "To": "+16135550100",
            "Body": body,
            "NumMedia": str(len(urls)),
            **{f"MediaUrl{i}": url for i, url in enumerate(urls)},
            **{f"MediaContentType{i}": "image/jpeg" for i in range(len(urls))},
        }
        response = client.post(
            "/webhooks/twilio/sms",
            content=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(URL, params),
            },
        )
        assert response.status_code == 200, response.text
        return response.text

    def media(self) -> list[ReplyMedia]:
        with Session(self.engine) as session:
            return list(session.exec(select(ReplyMedia).order_by(col(ReplyMedia.id))))

    def replies(self) -> list[InboundMessage]:
        with Session(self.engine) as session:
            return list(session.exec(select(InboundMessage).order_by(col(InboundMessage.id))))


def sid(n: int) -> str:
    return "MM" + f"{n:02x}" * 16


@pytest.fixture
def clinic(engine: Engine, settings: Settings, clock: SimulatedClock) -> Iterator[Clinic]:
    built = Clinic(engine, settings, clock)
    yield built
    for channel in built.notifier.channels.values():
        channel.close()


def test_each_kind_of_file_kept_or_refused(clinic: Clinic, fake: FakeTwilio) -> None:
    message = sid(1)
    files = [
        (photos.jpeg_with_gps(), "image/jpeg"),
        (photos.png(), "image/png"),
        (photos.heic(), "image/heic"),
        (photos.PDF, "image/jpeg"),  # the declared type is not believed
        (photos.big_jpeg(LIMIT + 1), "image/jpeg"),
    ]
    urls = [fake.add_media(body, kind, message_sid=message) for body, kind in files]
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "Here is how it looks today", message, urls)
    # Nothing was downloaded while the webhook answered: the job does it.
    assert not [r for r in fake.requests if "/Media/" in r.path]
    assert [m.status for m in clinic.media()] == [MediaStatus.PENDING] * 5
    report = clinic.job.run_pass()
    assert (report.stored, report.refused, report.retried) == (3, 2, 0)
    jpeg, png, heic, pdf, big = clinic.media()
    assert [m.content_type for m in (jpeg, png, heic)] == ["image/jpeg", "image/png", "image/jpeg"]
    assert jpeg.data is not None and jpeg.thumbnail is not None
    assert not Image.open(io.BytesIO(jpeg.data)).getexif()  # GPS, make and model gone
    assert (jpeg.width, jpeg.height) == (480, 640)
    assert heic.data is not None and Image.open(io.BytesIO(heic.data)).format == "JPEG"
    assert pdf.status == MediaStatus.REFUSED and pdf.data is None
    assert pdf.refusal == "not an image (JPEG, PNG, WebP or HEIC only)"
    assert big.status == MediaStatus.REFUSED and big.refusal == "larger than 1 MB"
    # Every download authenticated and went through Twilio's redirect; nothing was deleted.
    media_gets = [r for r in fake.requests if r.method == "GET" and "/Media/ME" in r.path]
    assert len(media_gets) == 5 and all(r.auth_ok and r.status == 307 for r in media_gets)
    # Twilio's storage is another origin: it never saw the account's credentials.
    storage = [r for r in fake.requests if r.path.startswith("/media-storage/")]
    assert len(storage) == 5 and not any(r.auth_ok for r in storage)
    assert not [r for r in fake.requests if r.method == "DELETE"]
    # Only the media SID is kept, never a URL, let alone credentials.
    assert all(
        m.source and m.source.startswith("ME") and len(m.source) == 34 for m in clinic.media()
    )
    [reply] = clinic.replies()
    assert reply.level == "routine"  # words decide; a photo beside them changes nothing


def test_a_media_url_that_is_not_twilios_is_refused_unfetched(
    clinic: Clinic, fake: FakeTwilio
) -> None:
    good = fake.add_media(photos.png(), "image/png", message_sid=sid(12))
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "", sid(12), ["https://evil.example/photo.jpg", good])
    odd, kept = clinic.media()
    assert odd.status == MediaStatus.REFUSED and odd.refusal == "not a Twilio media address"
    assert clinic.job.run_pass().stored == 1
    assert [r.path for r in fake.requests if r.method == "GET" and "evil" in r.path] == []
    assert clinic.media()[1].status == MediaStatus.STORED and kept.source is not None


def test_a_file_too_large_is_cut_off_while_streaming(clinic: Clinic, fake: FakeTwilio) -> None:
    body = photos.big_jpeg(LIMIT * 3)
    url = fake.add_media(body, message_sid=sid(2), announce_length=False)
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "", sid(2), [url])
    clinic.job.run_pass()
    [media] = clinic.media()
    assert media.status == MediaStatus.REFUSED and media.refusal == "larger than 1 MB"


def test_a_404_is_retried_with_backoff_then_kept(
    clinic: Clinic, fake: FakeTwilio, clock: SimulatedClock
) -> None:
    url = fake.add_media(photos.png(), "image/png", message_sid=sid(3), fail_first=2)
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "photo", sid(3), [url])
    assert clinic.job.run_pass().retried == 1
    [media] = clinic.media()
    assert media.status == MediaStatus.PENDING and media.attempts == 1
    assert media.next_attempt_at == clock() + timedelta(seconds=5)
    assert clinic.job.run_pass().retried == 0  # not due yet: nothing fetched
    clock.advance(timedelta(seconds=5))
    assert clinic.job.run_pass().retried == 1  # second 404; the wait doubles
    [media] = clinic.media()
    assert media.next_attempt_at == clock() + timedelta(seconds=10)
    clock.advance(timedelta(seconds=10))
    assert clinic.job.run_pass().stored == 1
    [media] = clinic.media()
    assert media.status == MediaStatus.STORED and media.content_type == "image/png"


def test_deleted_at_twilio_once_kept_when_asked(
    engine: Engine, database_url: str, fake: FakeTwilio, clock: SimulatedClock
) -> None:
    clinic = Clinic(engine, settings_for(database_url, fake, twilio_delete_media=True), clock)
    ok = fake.add_media(photos.png(), "image/png", message_sid=sid(4))
    refused = fake.add_media(photos.PDF, "application/pdf", message_sid=sid(4))
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "", sid(4), [ok, refused])
    clinic.job.run_pass()
    deletes = [r for r in fake.requests if r.method == "DELETE"]
    assert len(deletes) == 2 and all(r.auth_ok and r.status == 204 for r in deletes)
    assert all(m.deleted for m in fake.media.values())
    assert all(m.provider_deleted_at == clock() for m in clinic.media())


def test_a_photo_alone_is_a_concern(clinic: Clinic, fake: FakeTwilio) -> None:
    url = fake.add_media(photos.png(), "image/png", message_sid=sid(5))
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "  ", sid(5), [url])
    [reply] = clinic.replies()
    assert reply.level == "concern" and json.loads(reply.reasons or "[]") == ["photo only"]
    with Session(clinic.engine) as session:
        [alert] = session.exec(select(Alert)).all()
    assert alert.level == "concern" and alert.inbound_id == reply.id
    assert reply.auto_reply and "911" in reply.auto_reply  # a concern's answer, with the net
    [media] = clinic.media()
    assert media.alert_id == alert.id


def test_a_photo_after_an_urgent_reply_joins_its_alert_and_the_practitioner_hears_once(
    clinic: Clinic, fake: FakeTwilio, clock: SimulatedClock
) -> None:
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "there's pus and I have a fever", sid(6), [])
        pages = posts_to(fake, DR_PHONE)
        assert pages == 1  # the urgent page itself
        clock.advance(timedelta(minutes=12))
        first = fake.add_media(photos.jpeg_with_gps(), message_sid=sid(7))
        clinic.text(client, "", sid(7), [first])
        clock.advance(timedelta(minutes=5))
        second = fake.add_media(photos.png(), "image/png", message_sid=sid(8))
        clinic.text(client, "", sid(8), [second])
    with Session(clinic.engine) as session:
        [alert] = session.exec(select(Alert)).all()  # no alert of their own
    assert [m.alert_id for m in clinic.media()] == [alert.id, alert.id]
    # The urgent answer (safety net included) went out with the words; a "during clinic hours"
    # concern answer to each photo would contradict it.
    urgent, *photo_only = clinic.replies()
    assert urgent.auto_reply and "911" in urgent.auto_reply
    assert [r.auto_reply for r in photo_only] == [None, None]
    report = clinic.job.run_pass()
    assert report.stored == 2 and report.told == [alert.id]
    assert posts_to(fake, DR_PHONE) == pages + 1
    told = [r for r in fake.requests if r.params.get("To") == DR_PHONE][-1].params["Body"]
    assert "sent a photo" in told and f"/alerts/{alert.id}" in told
    assert clinic.job.run_pass().told == []  # once
    assert posts_to(fake, DR_PHONE) == pages + 1


def test_a_photo_long_after_the_urgent_reply_is_its_own_concern(
    clinic: Clinic, fake: FakeTwilio, clock: SimulatedClock
) -> None:
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "there's pus and I have a fever", sid(9), [])
        clock.advance(timedelta(minutes=31))
        url = fake.add_media(photos.png(), "image/png", message_sid=sid(10))
        clinic.text(client, "", sid(10), [url])
    with Session(clinic.engine) as session:
        urgent, concern = session.exec(select(Alert).order_by(col(Alert.id))).all()
    assert (urgent.level, concern.level) == ("urgent", "concern")
    assert [m.alert_id for m in clinic.media()] == [concern.id]
    assert clinic.job.run_pass().told == []


def test_no_audit_noise_from_the_job(clinic: Clinic, fake: FakeTwilio) -> None:
    url = fake.add_media(photos.png(), "image/png", message_sid=sid(11))
    with TestClient(clinic.app, base_url="http://internal:8000") as client:
        clinic.text(client, "", sid(11), [url])
    clinic.job.run_pass()
    with Session(clinic.engine) as session:
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "view_photo")).all()
