"""Moving a reply to the right patient: a shared phone's reply first goes to the current one.

Only to another patient reached at the address the reply came from; its alert and its photos
follow it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models import Alert, InboundMessage, Patient, ReplyMedia, Treatment
from models.vocabulary import Medium, TreatmentStatus


class MoveError(ValueError):
    """The reply cannot go to that patient; the text says why."""


def patients_at(session: Session, reply: InboundMessage) -> list[Patient]:
    """Every patient reached at the address this reply came from (the ones it may go to)."""
    if reply.channel == Medium.SMS:
        where = col(Patient.phone) == reply.from_address
    else:
        where = func.lower(col(Patient.email)) == reply.from_address.casefold()
    return list(session.exec(select(Patient).where(where).order_by(col(Patient.id))).all())


def move_reply(session: Session, reply_id: int, to_patient_id: int) -> tuple[int | None, int]:
    """Attach the reply (and its alert) to another patient sharing its address; no commit.

    Returns (from patient id, to patient id).
    """
    reply = session.get(InboundMessage, reply_id)
    if reply is None:
        raise LookupError(f"no reply with id {reply_id}")
    if to_patient_id not in {p.id for p in patients_at(session, reply)}:
        raise MoveError(f"patient {to_patient_id} does not use the address this reply came from")
    treatment = session.exec(
        select(Treatment)
        .where(Treatment.patient_id == to_patient_id)
        .order_by(
            (col(Treatment.status) == TreatmentStatus.ACTIVE).desc(),
            col(Treatment.performed_at).desc(),
        )
    ).first()
    before = reply.patient_id
    reply.patient_id = to_patient_id
    reply.treatment_id = treatment.id if treatment else None
    reply.shared_phone = False  # staff have said whose it is
    session.add(reply)
    alert = session.exec(select(Alert).where(Alert.inbound_id == reply_id)).first()
    if alert is not None:
        alert.patient_id = to_patient_id
        alert.treatment_id = reply.treatment_id
        alert.practitioner_id = treatment.practitioner_id if treatment else None
        session.add(alert)
    # Its photos are the new patient's too; one that had joined the other patient's urgent
    # alert (photo_rules) leaves it for the reply's own alert, if any.
    session.execute(
        update(ReplyMedia)
        .where(col(ReplyMedia.inbound_id) == reply_id)
        .values(patient_id=to_patient_id, alert_id=alert.id if alert else None)
    )
    session.flush()
    return before, to_patient_id
