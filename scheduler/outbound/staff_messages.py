"""Staff writing to a patient: their text queued in the outbox like any follow-up.

It goes through the same dispatch (rate limit, opt-out, delivery status). An answer to a reply
received in the last 24 h may leave outside the send window (the patient just wrote to us);
anything else waits for the window like every message.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import InboundMessage, OutboundMessage, OutboxStatus, Patient, Treatment
from models.vocabulary import Medium, TreatmentStatus
from scheduler.channels.media import address_of
from scheduler.outbound import outbox_states
from scheduler.outbound.optout import opted_out

MAX_TEXT = 1000  # characters: about 7 SMS segments at most, a short email
USEFUL_FOR = timedelta(days=3)
STEP_PREFIX = "staff-"  # steps of staff messages; follow-up steps never start so


class StaffMessageError(ValueError):
    """The message cannot be queued; the text says which field and why."""


def is_staff_step(step: str) -> bool:
    return step.startswith(STEP_PREFIX)


def clean_text(text: str) -> str:
    """The text as it is sent: no NUL or other control characters but line breaks, trimmed."""
    kept = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return "\n".join(line.rstrip() for line in kept.strip().splitlines())


def queue_staff_message(
    session: Session,
    patient_id: int,
    text: str,
    medium: str,
    *,
    sent_by: str,
    now: datetime,
    reply_to_id: int | None = None,
) -> OutboundMessage:
    """Queue the message (no commit); an answered reply is marked handled and answered."""
    body = clean_text(text)
    if not body:
        raise StaffMessageError("text: write the message first")
    if len(body) > MAX_TEXT:
        raise StaffMessageError(f"text: at most {MAX_TEXT} characters ({len(body)} given)")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient with id {patient_id}")
    try:
        chosen = Medium(medium)
    except ValueError:
        raise StaffMessageError(f"channel: unknown channel {medium!r}") from None
    address = address_of(patient, chosen)
    if address is None:
        raise StaffMessageError(f"channel: the patient has no {chosen.value} address on file")
    if opted_out(session, [(chosen, address)]):
        raise StaffMessageError(
            f"channel: this patient's {chosen.value} address opted out (they must reply START)"
        )
    treatment = session.exec(
        select(Treatment)
        .where(Treatment.patient_id == patient_id)
        .order_by(
            (col(Treatment.status) == TreatmentStatus.ACTIVE).desc(),
            col(Treatment.performed_at).desc(),
        )
    ).first()
    if treatment is None or treatment.id is None:
        raise StaffMessageError("patient: no treatment on file to write about")
    reply = _answered(session, reply_to_id, patient_id)
    message = OutboundMessage(
        treatment_id=treatment.id,
        step=STEP_PREFIX + uuid.uuid4().hex[:12],
        channel=chosen,
        due_at=now,
        expires_at=now + USEFUL_FOR,
        next_attempt_at=now,
        status=outbox_states.born(OutboxStatus.PENDING),
        updated_at=now,
        body=body,
        sent_by=sent_by,
        reply_to_id=reply.id if reply else None,
    )
    session.add(message)
    if reply is not None:
        reply.answered_at, reply.answered_by = now, sent_by
        if reply.handled_at is None:
            reply.handled_at, reply.handled_by = now, sent_by
        session.add(reply)
    session.flush()
    return message


def _answered(session: Session, reply_id: int | None, patient_id: int) -> InboundMessage | None:
    if reply_id is None:
        return None
    reply = session.get(InboundMessage, reply_id)
    if reply is None or reply.patient_id != patient_id:
        raise StaffMessageError(f"reply_to: reply {reply_id} is not this patient's")
    return reply
