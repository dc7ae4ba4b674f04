"""Webhook benchmark data: the seeded database and the signed requests that refer to it.

Both sides must agree on numbering (patient i's phone, outbound row n's Twilio SID), so they
live together: a request for a patient or a message that was not seeded would take the cheap
"unknown" path and flatter the figures.
"""

from __future__ import annotations

from random import Random
from urllib.parse import urlencode

from sqlalchemy import Engine, func, select, update
from sqlmodel import col
from twilio.request_validator import RequestValidator

from bench._common import Seeder
from models import InboundMessage, OutboundMessage, OutboxStatus

TOKEN = "bench-twilio-auth-token"
CLINIC_NUMBER = "+16135550100"
PATIENTS = 10_000  # senders of replies; 3 sent outbox rows each (status reports' targets)
BODIES = (
    # routine, mostly; some questions, some urgent (alert + answer), some HELP (answer)
    "Thanks, all good here!",
    "Merci, tout va bien",
    "Can I wear makeup tomorrow?",
    "Still a bit of swelling and redness, is that normal?",
    "Thanks!",
    "I have a fever and there is pus on my cheek",
    "Merci beaucoup",
    "It is very painful and getting worse",
    "HELP",
    "ok thanks",
)


def patient_phone(i: int) -> str:
    """Seeder's numbering: patient i has +1613 (2,000,000 + i)."""
    return f"+1613{2_000_000 + i:07d}"


def provider_sid(row_id: int) -> str:
    return f"SM{row_id:032x}"


# --- requests ---------------------------------------------------------------------------------


def build_requests(
    endpoint: str, base_url: str, port: int, count: int, start: int, rng: Random
) -> list[bytes]:
    """`count` signed requests, each a unique MessageSid (a replayed one is the cheap path)."""
    path = f"/webhooks/twilio/{endpoint}"
    validator = RequestValidator(TOKEN)
    out = []
    for k in range(start, start + count):
        if endpoint == "sms":
            patient = 1 + k % PATIENTS
            params = {
                "MessageSid": f"SMin{k:028x}",
                "AccountSid": "AC" + "be" * 16,
                "From": patient_phone(patient),
                "To": CLINIC_NUMBER,
                "Body": rng.choice(BODIES),
                "NumMedia": "0",
            }
        else:
            row_id = 1 + k % (3 * PATIENTS)
            # sent -> delivered, then repeats (older or equal reports are dropped, still 204)
            params = {
                "MessageSid": provider_sid(row_id),
                "MessageStatus": "delivered",
                "AccountSid": "AC" + "be" * 16,
                "To": patient_phone(1 + (row_id - 1) // 3),
            }
        body = urlencode(params).encode()
        signature = validator.compute_signature(base_url + path, params)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


def seed(engine: Engine) -> None:
    """PATIENTS patients with a treatment each; their 3 messages sent, with Twilio SIDs."""
    Seeder(engine, Random(3)).add(due=3 * PATIENTS)
    with engine.begin() as conn:
        sid = (
            func.printf("SM%032x", OutboundMessage.id)
            if engine.dialect.name == "sqlite"
            else func.concat("SM", func.lpad(func.to_hex(OutboundMessage.id), 32, "0"))
        )
        conn.execute(update(OutboundMessage).values(status=OutboxStatus.SENT, provider_id=sid))
        if engine.dialect.name == "postgresql":
            # Rows were loaded with explicit ids; new rows must not collide with them.
            for name in ("patient", "treatment", "outbound_message"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
        ok = conn.execute(
            select(func.count()).where(col(OutboundMessage.provider_id) == provider_sid(2))
        ).scalar_one()
    if ok != 1:
        raise RuntimeError("seeded provider ids do not match provider_sid()")


def stored_rows(engine: Engine, endpoint: str) -> int:
    """The rows `endpoint`'s requests leave: replies stored, or messages marked delivered."""
    with engine.connect() as conn:
        if endpoint == "sms":
            return int(conn.execute(select(func.count()).select_from(InboundMessage)).scalar_one())
        return int(
            conn.execute(
                select(func.count()).where(col(OutboundMessage.delivery_status) == "delivered")
            ).scalar_one()
        )
