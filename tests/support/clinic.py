"""A small clinic's worth of rows for the read-side query and API tests.

Treatments go through the real registration; replies and alerts are inserted directly (the
reply pipeline has its own tests), with times chosen so that every ordering rule is visible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, OutboundMessage, OutboxStatus
from models.db import session_scope
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import cancel_treatment, register_treatment
from scheduler.outbound.optout import opt_out_patient
from scheduler.settings import Settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
DAY1 = datetime(2026, 11, 25, 10, 0, tzinfo=TORONTO)  # the day-1 messages are due now


@dataclass(frozen=True)
class Clinic:
    """Ids of what `build_clinic` wrote, by role."""

    eloise: int  # patient "Éloïse Côté", practitioner Dr Roy, sms
    marc: int  # patient "Marc LEFEBVRE", practitioner Dr Chen, sms + email
    ana: int  # patient "Ana Lima", no practitioner, opted out
    lee: int  # patient "Lee_Smith" (a LIKE wildcard in a name)
    leex: int  # patient "LeeXSmith"
    t_eloise: int
    t_marc: int
    t_ana: int
    t_lee: int  # cancelled
    t_leex: int
    roy: int
    chen: int
    replies: dict[str, int]
    alerts: dict[str, int]


def register(
    session: Session, settings: Settings, *, now: datetime = PERFORMED, **fields: str
) -> tuple[int, int, int | None]:
    """Register through the real service function; returns (patient, treatment, practitioner)."""
    done = register_treatment(
        session, TreatmentCreate.model_validate(fields), settings=settings, now=now
    )
    assert done.patient.id is not None and done.treatment.id is not None
    return done.patient.id, done.treatment.id, done.treatment.practitioner_id


def add_reply(
    session: Session,
    *,
    patient_id: int | None,
    treatment_id: int | None,
    body: str,
    level: str,
    received_at: datetime,
    handled: bool = False,
    from_address: str = "+16135550199",
    keyword: str | None = None,
) -> int:
    row = InboundMessage(
        patient_id=patient_id,
        treatment_id=treatment_id,
        channel="sms",
        from_address=from_address,
        body=body,
        level=level,
        keyword=keyword,
        reasons=json.dumps([f"{level} words"]),
        media_urls=json.dumps(["https://media.example/1.jpg"]) if "photo" in body else None,
        received_at=received_at,
        handled_at=received_at + timedelta(minutes=5) if handled else None,
        handled_by="front@clinic.example" if handled else None,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def add_alert(
    session: Session,
    inbound_id: int,
    *,
    level: str,
    status: str,
    created_at: datetime,
    practitioner_id: int | None,
) -> int:
    reply = session.get(InboundMessage, inbound_id)
    assert reply is not None
    alert = Alert(
        inbound_id=inbound_id,
        patient_id=reply.patient_id,
        treatment_id=reply.treatment_id,
        practitioner_id=practitioner_id,
        level=level,
        reasons=json.dumps([f"{level} words"]),
        status=status,
        created_at=created_at,
        acknowledged_at=created_at + timedelta(minutes=3) if status == "acknowledged" else None,
        acknowledged_by="dr.roy@clinic.example" if status == "acknowledged" else None,
    )
    session.add(alert)
    session.flush()
    assert alert.id is not None
    return alert.id


def build_clinic(engine: Engine, settings: Settings) -> Clinic:
    with session_scope(engine) as s:
        eloise, t_eloise, roy = register(
            s, settings, name="Éloïse Côté", phone="613-555-0101", practitioner="Dr Roy"
        )
        marc, t_marc, chen = register(
            s,
            settings,
            name="Marc LEFEBVRE",
            phone="613-555-0102",
            email="marc@example.com",
            channel="both",
            practitioner="Dr Chen",
            now=PERFORMED + timedelta(hours=1),
        )
        ana, t_ana, _ = register(
            s, settings, name="Ana Lima", phone="416-555-0103", now=PERFORMED - timedelta(days=1)
        )
        lee, t_lee, _ = register(s, settings, name="Lee_Smith", phone="613-555-0104")
        leex, t_leex, _ = register(s, settings, name="LeeXSmith", phone="613-555-0105")
        assert roy is not None and chen is not None
        cancel_treatment(s, t_lee, now=PERFORMED + timedelta(hours=2))
        opt_out_patient(s, ana, now=PERFORMED + timedelta(hours=3))

        base = DAY1 - timedelta(hours=6)
        replies = {
            "eloise_urgent": add_reply(
                s,
                patient_id=eloise,
                treatment_id=t_eloise,
                body="bleeding and fever",
                level="urgent",
                received_at=base,
            ),
            "eloise_routine": add_reply(
                s,
                patient_id=eloise,
                treatment_id=t_eloise,
                body="thanks, all fine",
                level="routine",
                received_at=base + timedelta(hours=1),
                handled=True,
            ),
            "marc_concern": add_reply(
                s,
                patient_id=marc,
                treatment_id=t_marc,
                body="a photo of the redness",
                level="concern",
                received_at=base + timedelta(hours=2),
            ),
            "marc_urgent_old": add_reply(
                s,
                patient_id=marc,
                treatment_id=t_marc,
                body="swelling near the eye",
                level="urgent",
                received_at=base - timedelta(hours=5),
                handled=True,
            ),
            "stranger": add_reply(
                s,
                patient_id=None,
                treatment_id=None,
                body="who is this?",
                level="routine",
                received_at=base + timedelta(hours=3),
                from_address="+16135550999",
            ),
        }
        alerts = {
            "eloise_urgent_open": add_alert(
                s,
                replies["eloise_urgent"],
                level="urgent",
                status="open",
                created_at=base,
                practitioner_id=roy,
            ),
            "marc_concern_escalated": add_alert(
                s,
                replies["marc_concern"],
                level="concern",
                status="escalated",
                created_at=base + timedelta(hours=2),
                practitioner_id=chen,
            ),
            "marc_urgent_acked": add_alert(
                s,
                replies["marc_urgent_old"],
                level="urgent",
                status="acknowledged",
                created_at=base - timedelta(hours=5),
                practitioner_id=chen,
            ),
        }
    return Clinic(
        eloise, marc, ana, lee, leex, t_eloise, t_marc, t_ana, t_lee, t_leex, roy, chen,
        replies, alerts,
    )  # fmt: skip


def set_status(engine: Engine, message_id: int, status: str, *, at: datetime) -> None:
    """Move one outbox row to a status, as a dispatch pass or a delivery report would have."""
    with session_scope(engine) as s:
        row = s.get(OutboundMessage, message_id)
        assert row is not None
        row.status, row.updated_at = status, at
        if status in (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED):
            row.sent_at, row.provider_id, row.attempts = at, f"SM{message_id:032x}", 1
        if status == OutboxStatus.FAILED:
            row.attempts, row.error_code, row.last_error = 5, "30003", "unreachable handset"
        s.add(row)


def messages_of(engine: Engine, treatment_id: int) -> list[OutboundMessage]:
    with Session(engine) as s:
        query = select(OutboundMessage).where(col(OutboundMessage.treatment_id) == treatment_id)
        return list(s.exec(query.order_by(col(OutboundMessage.id))).all())
