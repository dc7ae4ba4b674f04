"""Erasing a patient: pending messages cancelled, then every registered kind of their data
removed or replaced; rows, counts and statuses stay for the clinic's statistics, and the audit
log keeps who erased them and when.

Refused while one of their alerts is open (someone must act on it first) or a message to them
is being sent at this moment (try again in a minute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ScalarSelect, func, update
from sqlmodel import Session, col, select

from models import Alert, OutboundMessage, OutboxStatus, Patient, Treatment
from models.vocabulary import AlertStatus, ErrorCode
from scheduler.outbound import outbox_states
from scheduler.privacy.patient_data import PATIENT_DATA, ErasedPatient
from scheduler.staff import audit


class ErasureRefused(ValueError):
    """The patient cannot be erased now; the text says why. Nothing was changed."""


@dataclass(frozen=True)
class ErasureReport:
    patient_id: int
    cancelled: int  # pending messages that will now not be sent
    changed: dict[str, int] = field(default_factory=dict)  # per kind of data, values removed


def _treatment_ids(patient_id: int) -> ScalarSelect[int | None]:
    return select(Treatment.id).where(Treatment.patient_id == patient_id).scalar_subquery()


def _sending(session: Session, patient_id: int) -> int:
    query = select(func.count()).where(
        col(OutboundMessage.treatment_id).in_(_treatment_ids(patient_id)),
        col(OutboundMessage.status) == OutboxStatus.SENDING,
    )
    return int(session.exec(query).one())


def refusal(session: Session, patient: Patient) -> str | None:
    """Why this patient may not be erased now, or None."""
    if patient.erased_at is not None:
        return f"patient {patient.id} was already erased"
    open_alert = session.exec(
        select(Alert.id).where(
            Alert.patient_id == patient.id,
            col(Alert.status).in_([AlertStatus.OPEN, AlertStatus.ESCALATED]),
        )
    ).first()
    if open_alert is not None:
        return f"alert #{open_alert} is open: acknowledge it before erasing the patient"
    assert patient.id is not None
    if _sending(session, patient.id):
        return "a message to this patient is being sent right now; try again in a minute"
    return None


def erase_patient(
    session: Session, patient_id: int, *, by: str, now: datetime, reason: str = "on request"
) -> ErasureReport:
    """Erase the patient's data (no commit); LookupError if unknown, ErasureRefused if not now."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient with id {patient_id}")
    why = refusal(session, patient)
    if why is not None:
        raise ErasureRefused(why)
    # Claimed with one conditional UPDATE: two erasures (retention on two processes, an admin
    # and the job) never both run.
    claimed = session.execute(
        update(Patient)
        .where(col(Patient.id) == patient_id, col(Patient.erased_at).is_(None))
        .values(erased_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise ErasureRefused(f"patient {patient_id} was already erased")
    who = ErasedPatient(patient_id, patient.phone, patient.email)
    cancelled = session.execute(
        outbox_states.move([OutboxStatus.PENDING], OutboxStatus.CANCELLED)
        .where(col(OutboundMessage.treatment_id).in_(_treatment_ids(patient_id)))
        .values(error_code=ErrorCode.ERASED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    # A pass may have claimed one between the check and the cancel: its send reads the
    # address we are about to remove, so wait for it rather than race it.
    if _sending(session, patient_id):
        raise ErasureRefused(
            "a message to this patient is being sent right now; try again in a minute"
        )
    changed = {data.section: data.erase(session, who) for data in PATIENT_DATA}
    count = int(cancelled.rowcount)  # type: ignore[attr-defined]
    audit.record(
        session,
        actor=by,
        action="erase",
        target=audit.patient_target(patient_id),
        detail=f"{reason}; {count} pending message(s) cancelled",
        now=now,
    )
    session.flush()
    session.expire(patient)
    return ErasureReport(patient_id, count, changed)
