"""The SMS end-to-end harness: a Dispatcher with the real TwilioChannel, talking HTTP to FakeTwilio.

Test modules wrap `new_fake` and `harness_factory` in their own small fixtures (as the CLI tests
do with `cli_in`), so every fixture a test uses is visible in its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import OutboundMessage, Patient, Treatment
from models.db import session_scope
from scheduler.channels.base import Channel
from scheduler.channels.media import build_channels
from scheduler.clock import SimulatedClock
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.outbound.dispatch import Dispatcher, PassReport
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.fakes.twilio_server import FakeTwilio
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)
DAY3 = datetime(2026, 11, 27, 10, 0, tzinfo=TORONTO)
DAY7 = datetime(2026, 12, 1, 10, 0, tzinfo=TORONTO)

ACCOUNT = "AC" + "7e" * 16
TOKEN = "tok_e2e_9b1f4c7a2d6e8f03"
FROM = "+16135550100"
CALLBACK = "https://clinic.example/webhooks/twilio/status"


def phone(i: int) -> str:
    """Patient numbers, distinct from the clinic's own number (FROM)."""
    return f"+1514555{200 + i:04d}"


def new_fake() -> FakeTwilio:
    """The FakeTwilio behind the `fake` fixture (not started: use it as a context manager)."""
    return FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN, retry_after="120")


def sms_settings(database_url: str, fake: FakeTwilio, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sms_channel": "twilio",
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_from_number": FROM,
        "twilio_api_base": fake.base_url,
        "twilio_timeout_seconds": 5.0,
        **overrides,
    }
    return make_settings(database_url, **values)


class Harness:
    """A dispatcher wired to the real channels built from settings, on a simulated clock."""

    def __init__(self, engine: Engine, settings: Settings, renderer: MessageRenderer) -> None:
        self.engine = engine
        self.settings = settings
        self.renderer = renderer
        self.clock = SimulatedClock(DAY1)
        self.channels: dict[str, Channel] = build_channels(settings)
        self.dispatcher = Dispatcher(engine, settings, self.channels, renderer, clock=self.clock)

    def register(self, count: int = 1) -> None:
        """Patients phone(0) .. phone(count - 1), treated the day before DAY1."""
        for i in range(count):
            request = TreatmentCreate.model_validate(
                {"name": f"Camille Patient{i}", "phone": phone(i), "language": "en"}
            )
            with session_scope(self.engine) as session:
                register_treatment(session, request, settings=self.settings, now=PERFORMED)

    def run_pass(self) -> PassReport:
        return self.dispatcher.run_pass()

    def rows(self, to: str | None = None, step: str | None = None) -> list[OutboundMessage]:
        with Session(self.engine) as session:
            query = (
                select(OutboundMessage, Patient)
                .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
                .join(Patient, col(Patient.id) == Treatment.patient_id)
                .order_by(col(OutboundMessage.id))
            )
            found = session.exec(query).all()
        return [
            row
            for row, patient in found
            if (to is None or patient.phone == to) and (step is None or row.step == step)
        ]

    def row(self, to: str, step: str = "day1") -> OutboundMessage:
        [found] = self.rows(to, step)
        return found

    def patient(self, to: str) -> Patient:
        with Session(self.engine) as session:
            return session.exec(select(Patient).where(Patient.phone == to)).one()

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()


MakeHarness = Callable[..., Harness]


@contextmanager
def harness_factory(
    engine: Engine, database_url: str, fake: FakeTwilio, renderer: MessageRenderer
) -> Iterator[MakeHarness]:
    """What the `make_harness` fixture yields: builds harnesses on `fake`, closes them after."""
    made: list[Harness] = []

    def build(**overrides: Any) -> Harness:
        harness = Harness(engine, sms_settings(database_url, fake, **overrides), renderer)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.close()


def posts_to(fake: FakeTwilio, to: str) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.params.get("To") == to)
