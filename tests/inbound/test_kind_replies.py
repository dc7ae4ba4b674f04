"""A reply is triaged with the red flags and expected effects of the sender's treatment kind."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Alert
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.replies import IncomingReply, ReplyOutcome, receive_reply
from scheduler.settings import Settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=TORONTO)
FILLER_PHONE, NEEDLING_PHONE = "+16135550601", "+16135550602"
FILLER_EMAIL = "zoe@example.com"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture(autouse=True)
def patients(engine: Engine, settings: Settings) -> None:
    for name, phone, kind, email in (
        ("Zoë Gagnon", FILLER_PHONE, "dermal_filler", FILLER_EMAIL),
        ("Benoît Roy", NEEDLING_PHONE, "microneedling", None),
    ):
        request = TreatmentCreate(name=name, phone=phone, kind=kind, email=email)
        with session_scope(engine) as session:
            register_treatment(session, request, settings=settings, now=PERFORMED)


def receive(
    engine: Engine, settings: Settings, body: str, sender: str, medium: Medium = Medium.SMS
) -> ReplyOutcome:
    reply = IncomingReply(channel=medium, from_address=sender, body=body, provider_id=None)
    with Session(engine, expire_on_commit=False) as session:
        return receive_reply(session, settings, reply, now=NOW)


def alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert)))


def test_filler_skin_going_white_is_urgent_with_an_alert(
    engine: Engine, settings: Settings
) -> None:
    outcome = receive(engine, settings, "my skin went white", FILLER_PHONE)
    assert outcome.level == "urgent" and outcome.alert_id is not None
    [alert] = alerts(engine)
    assert alert.level == "urgent" and "red flag after dermal filler" in (alert.reasons or "")


def test_the_same_words_after_microneedling_follow_the_general_rules(
    engine: Engine, settings: Settings
) -> None:
    outcome = receive(engine, settings, "there is a scab on my lip", NEEDLING_PHONE)
    assert outcome.level == "routine" and outcome.alert_id is None


def test_a_small_lump_after_filler_is_expected_and_raises_no_alert(
    engine: Engine, settings: Settings
) -> None:
    outcome = receive(engine, settings, "small lump after filler", FILLER_PHONE)
    assert outcome.level == "routine" and outcome.alert_id is None
    assert alerts(engine) == []
    # After microneedling a lump is no expected effect: the general concern stands.
    assert receive(engine, settings, "small lump", NEEDLING_PHONE).level == "concern"


def test_an_email_reply_uses_the_kind_of_the_current_treatment(
    engine: Engine, settings: Settings
) -> None:
    outcome = receive(engine, settings, "Ma peau est devenue grise.", FILLER_EMAIL, Medium.EMAIL)
    assert outcome.level == "urgent" and outcome.alert_id is not None
