"""Registering and cancelling treatments: the rows a registration writes into the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import (
    OutboundMessage,
    OutboxStatus,
    Patient,
    Practitioner,
    Treatment,
    TreatmentStatus,
)
from scheduler.intake import TreatmentCreate
from scheduler.plan import KINDS, SendWindow, plan_messages
from scheduler.settings import Settings

FUTURE_TOLERANCE = timedelta(hours=1)
OPTED_OUT = "opted_out"


class RegistrationError(ValueError):
    """Input that passed field validation but cannot be registered; nothing was written."""


@dataclass
class Registered:
    treatment: Treatment
    patient: Patient
    messages: list[OutboundMessage]
    warnings: list[str] = field(default_factory=list)


def register_treatment(
    session: Session, request: TreatmentCreate, *, settings: Settings, now: datetime
) -> Registered:
    """Validate the cross-field rules, then write patient, treatment and outbox rows (no commit)."""
    if request.needs_email() and not request.email:
        raise RegistrationError(f"email: required when channel is {request.channel}")
    performed_at = request.performed_at or now
    if performed_at.tzinfo is None:
        performed_at = performed_at.replace(tzinfo=settings.zone)
    if performed_at > now + FUTURE_TOLERANCE:
        raise RegistrationError("performed_at: more than an hour in the future")

    patient = _upsert_patient(session, request, settings=settings, now=now)
    practitioner_id = _practitioner_id(session, request.practitioner, now=now)
    treatment = Treatment(
        patient_id=_id(patient),
        practitioner_id=practitioner_id,
        kind=request.kind,
        performed_at=performed_at,
        created_at=now,
    )
    session.add(treatment)
    session.flush()

    window = SendWindow(*settings.window)
    mediums = ("sms", "email") if request.channel == "both" else (request.channel,)
    messages = []
    for planned in plan_messages(performed_at, settings.zone, window, KINDS[request.kind]):
        for medium in mediums:
            status, error_code, why = OutboxStatus.PENDING, None, None
            if patient.opted_out_at is not None:
                status, error_code, why = OutboxStatus.CANCELLED, OPTED_OUT, "patient opted out"
            elif planned.expires_at <= now:
                status, why = OutboxStatus.EXPIRED, "registered after this step's useful life"
            messages.append(
                OutboundMessage(
                    treatment_id=_id(treatment),
                    step=planned.step,
                    channel=medium,
                    due_at=planned.due_at,
                    expires_at=planned.expires_at,
                    next_attempt_at=planned.due_at,
                    status=status,
                    error_code=error_code,
                    last_error=why,
                    updated_at=now,
                )
            )
    session.add_all(messages)
    session.flush()

    warnings = []
    if patient.opted_out_at is not None:
        warnings.append(
            "this patient has opted out: no message will be sent until they reply START"
        )
    if any(m.status == OutboxStatus.EXPIRED for m in messages):
        warnings.append("some steps were already past their useful life and will not be sent")
    return Registered(treatment, patient, messages, warnings)


def cancel_treatment(session: Session, treatment_id: int, *, now: datetime) -> int:
    """Cancel a treatment and its unsent messages; returns how many messages were stopped."""
    treatment = session.get(Treatment, treatment_id)
    if treatment is None:
        raise RegistrationError(f"no treatment with id {treatment_id}")
    if treatment.status != TreatmentStatus.CANCELLED:
        treatment.status = TreatmentStatus.CANCELLED
        treatment.cancelled_at = now
        session.add(treatment)
    result = session.execute(
        update(OutboundMessage)
        .where(
            col(OutboundMessage.treatment_id) == treatment_id,
            col(OutboundMessage.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, last_error="treatment cancelled", updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _upsert_patient(
    session: Session, request: TreatmentCreate, *, settings: Settings, now: datetime
) -> Patient:
    # One row per phone number, so an opt-out follows the person across treatments.
    patient = session.exec(select(Patient).where(Patient.phone == request.phone)).first()
    if patient is None:
        patient = Patient(
            name=request.name,
            phone=request.phone,
            email=request.email,
            language=request.language or settings.default_language,
            preferred_channel=request.channel,
            consent_source=request.consent_source,
            consent_at=now,
            created_at=now,
        )
    else:
        patient.name = request.name
        patient.email = request.email or patient.email
        patient.language = request.language or patient.language
        patient.preferred_channel = request.channel
    session.add(patient)
    session.flush()
    return patient


def _practitioner_id(session: Session, name: str | None, *, now: datetime) -> int | None:
    if not name:
        return None
    found = session.exec(select(Practitioner).where(Practitioner.name == name)).first()
    if found is None:
        found = Practitioner(name=name, created_at=now)
        session.add(found)
        session.flush()
    return _id(found)


def _id(row: Patient | Treatment | Practitioner) -> int:
    assert row.id is not None, "row must be flushed before its id is used"
    return row.id
