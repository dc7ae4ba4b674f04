"""Opting out and back in: STOP/ARRET, carrier 21610, the email one-click link, and START."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ScalarSelect
from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Patient, Treatment, TreatmentStatus
from models.vocabulary import ErrorCode
from scheduler.outbound import outbox_states


def _patient_treatments(patient_id: int) -> ScalarSelect[int | None]:
    return select(Treatment.id).where(Treatment.patient_id == patient_id).scalar_subquery()


def opt_out(session: Session, patient_id: int, *, now: datetime) -> int:
    """Record the opt-out and cancel every unsent message; returns how many were stopped."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient with id {patient_id}")
    if patient.opted_out_at is None:
        patient.opted_out_at = now
        session.add(patient)
    result = session.execute(
        outbox_states.move([OutboxStatus.PENDING], OutboxStatus.CANCELLED)
        .where(col(OutboundMessage.treatment_id).in_(_patient_treatments(patient_id)))
        .values(
            error_code=ErrorCode.OPTED_OUT,
            last_error="patient opted out",
            updated_at=now,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def opt_in(session: Session, patient_id: int, *, now: datetime) -> int:
    """Clear the opt-out and revive messages it stopped that are still useful."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient with id {patient_id}")
    patient.opted_out_at = None
    session.add(patient)
    active = (
        select(Treatment.id)
        .where(Treatment.patient_id == patient_id, Treatment.status == TreatmentStatus.ACTIVE)
        .scalar_subquery()
    )
    result = session.execute(
        outbox_states.move([OutboxStatus.CANCELLED], OutboxStatus.PENDING)
        .where(
            col(OutboundMessage.treatment_id).in_(active),
            col(OutboundMessage.error_code) == ErrorCode.OPTED_OUT,
            col(OutboundMessage.expires_at) > now,
        )
        .values(error_code=None, last_error=None, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
