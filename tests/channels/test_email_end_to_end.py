"""Dispatcher -> real SmtpChannel -> SMTP -> SmtpSink, and the unsubscribe link it carries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Patient
from models.db import session_scope
from models.vocabulary import ErrorCode
from scheduler.channels.base import Channel
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.contacts import mask_email
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.outbound.compose import message_context
from scheduler.outbound.dispatch import Dispatcher, PassReport
from scheduler.outbound.render import MessageRenderer, RenderedEmail
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.fakes.scripted_channel import ScriptedChannel
from tests.fakes.smtp_server import SmtpSink, text_content
from tests.support.optouts import opted_out_at
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)
DAY3 = datetime(2026, 11, 27, 10, 0, tzinfo=TORONTO)

NAME = "Élodie Bérubé-Gagné"
FIRST = "Élodie"
EMAIL = "elodie.berube@patients.example"
PHONE = "+15145550301"
FROM = "Clinique Esthétique Ottawa <soins@clinique.example>"
MAILTO = "desabonnement@clinique.example"


class Harness:
    """A dispatcher with the real SMTP channel (SMS goes to a scripted stand-in)."""

    def __init__(
        self, engine: Engine, settings: Settings, renderer: MessageRenderer, channel: str
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.renderer = renderer
        self.clock = SimulatedClock(DAY1)
        self.sms = ScriptedChannel()
        self.email: Channel = build_channels(settings)["email"]
        channels: dict[str, Channel] = {"sms": self.sms, "email": self.email}
        self.dispatcher = Dispatcher(engine, settings, channels, renderer, clock=self.clock)
        request = TreatmentCreate.model_validate(
            {"name": NAME, "phone": PHONE, "email": EMAIL, "language": "fr", "channel": channel}
        )
        with session_scope(engine) as session:
            done = register_treatment(session, request, settings=settings, now=PERFORMED)
            assert done.patient.id is not None
            self.patient_id = done.patient.id

    def run_pass(self) -> PassReport:
        return self.dispatcher.run_pass()

    def rows(self, medium: str | None = None) -> list[OutboundMessage]:
        with Session(self.engine) as session:
            found = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()
        return [r for r in found if medium is None or r.channel == medium]

    def row(self, step: str = "day1", medium: str = "email") -> OutboundMessage:
        [found] = [r for r in self.rows(medium) if r.step == step]
        return found

    def patient(self) -> Patient:
        with Session(self.engine) as session:
            found = session.get(Patient, self.patient_id)
            assert found is not None
            return found

    def expected(self, step: str = "day1") -> RenderedEmail:
        context = message_context(self.patient(), self.settings)
        return self.renderer.email("microneedling", step, "fr", context)


MakeHarness = Callable[..., Harness]


def email_settings(database_url: str, sink: SmtpSink, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "email_channel": "smtp",
        "smtp_host": sink.host,
        "smtp_port": sink.port,
        "smtp_security": "none",
        "smtp_timeout_seconds": 3.0,
        "email_from": FROM,
        "unsubscribe_mailto": MAILTO,
        **overrides,
    }
    return make_settings(database_url, **values)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def make_harness(
    engine: Engine, database_url: str, renderer: MessageRenderer
) -> Iterator[MakeHarness]:
    made: list[Harness] = []

    def build(sink: SmtpSink, channel: str = "email", **overrides: Any) -> Harness:
        settings = email_settings(database_url, sink, **overrides)
        harness = Harness(engine, settings, renderer, channel)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.email.close()


def body(part: EmailMessage | None) -> str:
    assert part is not None
    assert part.get_content_charset() == "utf-8"
    return text_content(part)


def list_unsubscribe_urls(message: EmailMessage) -> list[str]:
    return re.findall(r"<([^<>]+)>", str(message["List-Unsubscribe"]))


@pytest.mark.parametrize("channel", ["both", "email"])
def test_french_day1_email_arrives_as_proper_mime(
    make_harness: MakeHarness, sink: SmtpSink, channel: str
) -> None:
    h = make_harness(sink, channel)
    report = h.run_pass()
    assert report.sent == (2 if channel == "both" else 1)
    assert len(h.sms.sent) == (1 if channel == "both" else 0)

    got = sink.received
    assert len(got) == 1
    assert got[0].rcpt_tos == (EMAIL,)
    assert got[0].mail_from == "soins@clinique.example"
    assert got[0].raw.isascii()  # 7-bit on the wire; accents survive via encodings
    msg = got[0].message
    expected = h.expected()
    assert msg.get_content_type() == "multipart/alternative"
    plain = body(msg.get_body(preferencelist=("plain",)))  # type: ignore[arg-type]
    html = body(msg.get_body(preferencelist=("html",)))  # type: ignore[arg-type]
    for part in (plain, html):
        assert h.settings.clinic_name in part  # "Clinique Esthétique Ottawa", accent intact
        assert FIRST in part
        assert "ARRET" in part
    assert "À QUOI VOUS ATTENDRE" in plain and "À quoi vous attendre" in html
    assert "<p" in html and "<p" not in plain
    assert plain.strip() == expected.text.strip()
    assert str(msg["Subject"]).strip()
    assert msg["Subject"] == expected.subject
    assert "Esthétique" in msg["Subject"]

    row = h.row()
    assert row.status == OutboxStatus.SENT and row.provider_id
    assert "<" not in row.provider_id
    assert msg["Message-ID"] == f"<{row.provider_id}>"

    urls = list_unsubscribe_urls(msg)
    assert f"mailto:{MAILTO}?subject=unsubscribe" in urls
    [https] = [u for u in urls if u.startswith("https://")]
    assert https.startswith(h.settings.public_base_url + "/unsubscribe/")
    assert https in plain  # the footer link is the same one-click URL
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_link_from_the_email_works_end_to_end(
    make_harness: MakeHarness, sink: SmtpSink
) -> None:
    h = make_harness(sink, "both")
    h.run_pass()
    [https] = [u for u in list_unsubscribe_urls(sink.only_message()) if u.startswith("https://")]
    path = urlsplit(https).path
    token = path.rsplit("/", 1)[1]

    with TestClient(create_app(h.settings, h.engine, clock=h.clock)) as client:
        # A mail scanner (or the patient) opening the link only sees a confirmation page.
        page = client.get(path)
        assert page.status_code == 200
        assert 'lang="fr"' in page.text
        assert "Ne plus recevoir les messages de suivi" in page.text
        assert h.settings.clinic_name in page.text
        assert '<form method="post">' in page.text
        assert opted_out_at(h.engine, "email", h.patient().email or "") is None
        assert {r.status for r in h.rows() if r.step != "day1"} == {OutboxStatus.PENDING}

        # Tampered tokens name nobody, for either verb.
        flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
        other_id = f"{h.patient_id + 1}.{token.split('.', 1)[1]}"
        for bad in (flipped, other_id, token + "x", "not-a-token"):
            assert client.get(f"/unsubscribe/{bad}").status_code == 404
            refused = client.post(f"/unsubscribe/{bad}", data={"List-Unsubscribe": "One-Click"})
            assert refused.status_code == 404
        assert opted_out_at(h.engine, "email", h.patient().email or "") is None

        # RFC 8058 one-click: the mail provider POSTs the form body to the https URL.
        h.clock.advance(timedelta(hours=2))
        done = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert "Vous êtes désabonné(e)" in done.text

    assert opted_out_at(h.engine, "email", h.patient().email or "") == h.clock()
    # The link stops email to this address; the texts to the phone go on (STOP stops those).
    later = {(r.step, r.channel): (r.status, r.error_code) for r in h.rows() if r.step != "day1"}
    stopped = (OutboxStatus.CANCELLED, ErrorCode.OPTED_OUT)
    assert later == {
        ("day3", "email"): stopped,
        ("day7", "email"): stopped,
        ("day3", "sms"): (OutboxStatus.PENDING, None),
        ("day7", "sms"): (OutboxStatus.PENDING, None),
    }
    assert opted_out_at(h.engine, "sms", h.patient().phone) is None
    assert {r.status for r in h.rows() if r.step == "day1"} == {OutboxStatus.SENT}

    h.clock.set(DAY3)
    assert h.run_pass().claimed == 1  # the day-3 text, not the email
    assert len(sink.received) == 1
    assert len(h.sms.sent) == 2


def test_temporary_smtp_refusal_is_retried_then_delivered(
    make_harness: MakeHarness, sink: SmtpSink
) -> None:
    h = make_harness(sink)
    sink.fault = "rcpt-451"
    assert h.run_pass().retrying == 1
    row = h.row()
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.PENDING, 1, "smtp-451")
    assert row.next_attempt_at > DAY1
    assert sink.received == []

    sink.fault = None
    assert h.run_pass().claimed == 0  # waits for its backoff
    h.clock.set(row.next_attempt_at)
    assert h.run_pass().sent == 1
    row = h.row()
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.SENT, 2, None)
    assert sink.only_message()["Message-ID"] == f"<{row.provider_id}>"


def test_permanent_smtp_refusal_fails_for_good(make_harness: MakeHarness, sink: SmtpSink) -> None:
    h = make_harness(sink)
    sink.fault = "rcpt-550"
    assert h.run_pass().failed == 1
    row = h.row()
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.FAILED, 1, "smtp-550")
    assert EMAIL not in (row.last_error or "")  # the relay echoed it; we store it masked
    assert mask_email(EMAIL) in (row.last_error or "")

    sink.fault = None
    for _ in range(3):
        h.clock.advance(timedelta(hours=2))
        assert h.run_pass().claimed == 0
    assert sink.received == []
    assert h.row().status == OutboxStatus.FAILED


def test_relay_down_is_transient_and_nothing_is_lost(make_harness: MakeHarness) -> None:
    sink = SmtpSink()  # has its port, but nothing listens there yet
    h = make_harness(sink)
    try:
        assert h.run_pass().retrying == 1
        row = h.row()
        assert (row.status, row.attempts, row.error_code) == (
            OutboxStatus.PENDING,
            1,
            "smtp-connection",
        )
        # Exponential backoff with equal jitter: at least half the base delay.
        assert row.next_attempt_at - DAY1 >= timedelta(seconds=h.settings.retry_base_seconds / 2)

        sink.start()
        h.clock.set(row.next_attempt_at)
        assert h.run_pass().sent == 1
        assert h.row().status == OutboxStatus.SENT
        assert len(sink.received) == 1
    finally:
        sink.stop()
