"""Registering and cancelling treatments: the rows a registration writes into the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from models import (
    OutboundMessage,
    OutboxStatus,
    Patient,
    Practitioner,
    Treatment,
    TreatmentStatus,
)
from models.vocabulary import ErrorCode, media_of
from scheduler.channels.media import address_of
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.plan import plan_messages
from scheduler.followups.practitioners import find_practitioner
from scheduler.followups.registration_rules import (
    EarlierTreatment,
    Identity,
    KnownPatient,
    PatientDetails,
    RegistrationError,
    checked_kind,
    choose_patient,
    duplicate_error,
    duplicate_of,
    new_patient_details,
    outbox_rows,
    performed_instant,
    registration_kinds,
    updated_patient_details,
)
from scheduler.outbound import outbox_states
from scheduler.outbound.optout import opted_out_media
from scheduler.outbound.outbox import queued_copies
from scheduler.outbound.timing import SendWindow
from scheduler.settings import Settings

__all__ = [
    "Registered",
    "RegistrationError",
    "cancel_treatment",
    "register_treatment",
]


@dataclass
class Registered:
    treatment: Treatment
    patient: Patient
    messages: list[OutboundMessage]
    warnings: list[str] = field(default_factory=list)


def register_treatment(
    session: Session, request: TreatmentCreate, *, settings: Settings, now: datetime
) -> Registered:
    """Validate the cross-field rules, then write patient, treatment and outbox rows (no commit).

    Refused (RegistrationError, nothing written): an unknown kind, a phone known under another
    name without staff saying who this is, and the same treatment twice a day unless forced.
    """
    kind = checked_kind(request, registration_kinds(settings))
    performed_at = performed_instant(request, zone=settings.zone, now=now)
    treated_on = performed_at.astimezone(settings.zone).date()
    identity = choose_patient(request, _known_at(session, request.phone))
    if identity.patient_id is not None:
        earlier = _earlier_treatments(session, identity.patient_id, settings)
        twin = duplicate_of(request, treated_on, earlier)
        if twin is not None:
            existing = session.get(Patient, identity.patient_id)
            raise duplicate_error(existing.name if existing else request.name, twin)
    patient = _save_patient(session, request, identity, settings=settings, now=now)
    practitioner = _practitioner(session, request.practitioner, now=now)
    practitioner_id = _id(practitioner) if practitioner is not None else None
    treatment = Treatment(
        patient_id=_id(patient),
        practitioner_id=practitioner_id,
        kind=request.kind,
        performed_at=performed_at,
        created_at=now,
    )
    session.add(treatment)
    session.flush()

    plan = plan_messages(performed_at, settings.zone, SendWindow(*settings.window), kind.steps)
    blocked = opted_out_media(session, patient)
    queued: dict[tuple[str, str], int] = {}
    for medium in media_of(request.channel):
        address = address_of(patient, medium)
        if address is not None:
            due = [(row.step, row.due_at) for row in plan]
            queued |= queued_copies(session, medium, address, request.kind, due)
    messages = [
        OutboundMessage(
            treatment_id=_id(treatment),
            step=row.step,
            channel=row.channel,
            due_at=row.due_at,
            expires_at=row.expires_at,
            next_attempt_at=row.due_at,
            status=outbox_states.born(row.status),
            error_code=row.error_code,
            last_error=row.last_error,
            updated_at=now,
        )
        for row in outbox_rows(plan, request.channel, opted_out=blocked, queued=queued, now=now)
    ]
    session.add_all(messages)
    session.flush()

    warnings = []
    if blocked:
        warnings.append(
            f"this patient's {' and '.join(sorted(blocked))} opted out: nothing is sent there "
            "until they reply START"
        )
    if any(m.error_code == ErrorCode.DUPLICATE for m in messages):
        warnings.append(
            "some messages are already queued to this phone or email for the same day and step"
            " (another patient sharing it, or an earlier registration): they are not sent twice"
        )
    if identity.rename:
        warnings.append(f"patient {patient.id} is now named {patient.name}")
    if practitioner is not None and not (practitioner.phone or practitioner.email):
        warnings.append(
            f"{practitioner.name} has no phone or email on file: their urgent alerts go to the"
            f' on-call contact (aftercare practitioner add "{practitioner.name}" --phone ...)'
        )
    if any(m.status == OutboxStatus.EXPIRED for m in messages):
        warnings.append("some steps were already past their useful life and will not be sent")
    return Registered(treatment, patient, messages, warnings)


def _known_at(session: Session, phone: str) -> list[KnownPatient]:
    rows = session.exec(
        select(Patient.id, Patient.name).where(Patient.phone == phone).order_by(col(Patient.id))
    ).all()
    return [KnownPatient(_key(patient_id), name) for patient_id, name in rows]


def _earlier_treatments(
    session: Session, patient_id: int, settings: Settings
) -> list[EarlierTreatment]:
    rows = session.exec(
        select(Treatment.id, Treatment.kind, Treatment.performed_at).where(
            Treatment.patient_id == patient_id, Treatment.status == TreatmentStatus.ACTIVE
        )
    ).all()
    zone = settings.zone
    return [
        EarlierTreatment(_key(treatment_id), kind, performed.astimezone(zone).date())
        for treatment_id, kind, performed in rows
    ]


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
        outbox_states.move([OutboxStatus.PENDING], OutboxStatus.CANCELLED)
        .where(col(OutboundMessage.treatment_id) == treatment_id)
        .values(last_error="treatment cancelled", updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _save_patient(
    session: Session,
    request: TreatmentCreate,
    identity: Identity,
    *,
    settings: Settings,
    now: datetime,
) -> Patient:
    patient = session.get(Patient, identity.patient_id) if identity.patient_id else None
    if patient is None:
        details = new_patient_details(request, default_language=settings.default_language)
        patient = Patient(
            name=details.name,
            phone=request.phone,
            email=details.email,
            language=details.language,
            preferred_channel=details.preferred_channel,
            consent_source=request.consent_source,
            consent_at=now,
            created_at=now,
        )
    else:
        current = PatientDetails(
            patient.name, patient.email, patient.language, patient.preferred_channel
        )
        details = updated_patient_details(current, request, rename=identity.rename)
        patient.name, patient.email = details.name, details.email
        patient.language, patient.preferred_channel = details.language, details.preferred_channel
    session.add(patient)
    session.flush()
    return patient


def _practitioner(session: Session, name: str | None, *, now: datetime) -> Practitioner | None:
    if not name:
        return None
    found = find_practitioner(session, name)
    if found is None:
        found = Practitioner(name=name, created_at=now)
        session.add(found)
        session.flush()
    return found


def _id(row: Patient | Treatment | Practitioner) -> int:
    assert row.id is not None, "row must be flushed before its id is used"
    return row.id


def _key(value: int | None) -> int:
    assert value is not None  # a primary key read back from the database
    return value
