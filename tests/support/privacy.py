"""One patient's whole story, through the real service functions, for the privacy tests.

Zoé has a treatment, messages (one delivered, one failed quoting her number, one staff message
naming her), two replies from her phone (one urgent, with a photo, answered automatically;
one by email, with a photo kept in the database), an acknowledged alert with a note, a
corrected name, an opted-out email and views in the audit log. A neighbour, Bob, shares
nothing with her and must come out untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from models import Alert, OutboundMessage, OutboxStatus
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.alerts import acknowledge_alert
from scheduler.inbound.photo_images import process_photo
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.outbound.optout import opt_out_address
from scheduler.outbound.staff_messages import queue_staff_message
from scheduler.privacy.correction import PatientCorrection, correct_patient
from scheduler.settings import Settings
from scheduler.staff import audit
from tests.support.photos import jpeg_with_gps

NAME = "Zoé Quintal-Brisebois"
OLD_NAME = "Zoe Quintal"
PHONE = "+16135550177"
EMAIL = "zoe.quintal@example.com"
REPLY_TEXT = "there is pus and a purple bruise shaped like Ontario"
EMAIL_TEXT = "Zanzibar-shaped redness on my chin, is that normal?"
NOTE = "Called Zoé Quintal back at 613-555-0177, seeing her tomorrow"
STAFF_TEXT = "Bonjour Zoé Quintal, your cream is ready at the desk."
# What must be nowhere in the database after her erasure.
NEEDLES = (
    "Quintal",
    "Zoé",
    "6135550177",
    "555-0177",
    "zoe.quintal",
    "shaped like Ontario",
    "Zanzibar",
    "MEDIA-ZOE",
    "<zoe-mail-1",
)


@dataclass(frozen=True)
class Story:
    zoe: int
    bob: int
    treatment: int
    urgent_reply: int
    alert: int


def register(session: Session, settings: Settings, now: datetime, **fields: Any) -> tuple[int, int]:
    done = register_treatment(
        session, TreatmentCreate.model_validate(fields), settings=settings, now=now
    )
    assert done.patient.id is not None and done.treatment.id is not None
    return done.patient.id, done.treatment.id


def build_story(engine: Engine, settings: Settings, now: datetime) -> Story:
    """Zoé's story as of `now` (her treatment two days before), and Bob's quieter one."""
    performed = now - timedelta(days=2)
    with session_scope(engine) as s:
        zoe, treatment = register(
            s,
            settings,
            now,
            name=OLD_NAME,
            phone="613-555-0177",
            email=EMAIL,
            channel="both",
            practitioner="Dr Roy",
            performed_at=performed,
        )
        bob, _ = register(
            s, settings, now, name="Bob Tremblay", phone="613-555-0190", performed_at=performed
        )
        correction = PatientCorrection(name=NAME, phone=PHONE, email=EMAIL, language="en")
        correct_patient(s, zoe, correction, by="front@clinic.example", now=now)
        messages = list(
            s.exec(
                select(OutboundMessage)
                .where(OutboundMessage.treatment_id == treatment)
                .order_by(col(OutboundMessage.id))
            )
        )
        delivered, failed = messages[0], messages[1]
        delivered.status, delivered.sent_at = OutboxStatus.DELIVERED, performed + timedelta(days=1)
        delivered.provider_id = "SM" + "a" * 32
        failed.status, failed.error_code = OutboxStatus.FAILED, "21211"
        failed.last_error = f"The 'To' number {PHONE} is not a valid phone number"
        s.add_all([delivered, failed])
    with Session(engine) as s:
        urgent = receive_reply(
            s,
            settings,
            IncomingReply(
                Medium.SMS,
                PHONE,
                REPLY_TEXT,
                "SMzoe1",
                to_address="+16135550100",
                media_urls=("https://api.twilio.com/MEDIA-ZOE.jpg",),
            ),
            now=now - timedelta(hours=3),
        )
        receive_reply(
            s,
            settings,
            IncomingReply(
                Medium.EMAIL,
                EMAIL,
                EMAIL_TEXT,
                "<zoe-mail-1@example.com>",
                photos=(process_photo(jpeg_with_gps(), max_bytes=10_000_000),),
            ),
            now=now - timedelta(hours=2),
        )
    with session_scope(engine) as s:
        alert_id = s.exec(select(Alert.id).where(Alert.inbound_id == urgent.inbound_id)).one()
        assert alert_id is not None
        acknowledge_alert(s, alert_id, by="dr.roy@clinic.example", now=now, note=NOTE)
        queue_staff_message(s, zoe, STAFF_TEXT, "sms", sent_by="front@clinic.example", now=now)
        opt_out_address(s, Medium.EMAIL, EMAIL, now=now, source="unsubscribe")
        audit.record(
            s, actor="front@clinic.example", action="view_timeline",
            target=audit.patient_target(zoe), now=now,
        )  # fmt: skip
        audit.record(
            s, actor="front@clinic.example", action="view_inbox", now=now, shown=[bob, zoe]
        )
    return Story(zoe, bob, treatment, urgent.inbound_id, int(alert_id))


def every_value(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every non-null value of every table."""
    found = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                found += [
                    (table.name, name, str(value))
                    for name, value in row.items()
                    if value is not None
                ]
    return found


def where_found(engine: Engine, needles: tuple[str, ...] = NEEDLES) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where one of the needles still appears, any case."""
    return [
        (table, column, needle)
        for table, column, value in every_value(engine)
        for needle in needles
        if needle.casefold() in value.casefold()
    ]
