"""Correcting a patient's details (name, phone, email, language), checked like a registration,
audited with the old value so that the record of who changed what is complete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from models import Patient
from models.vocabulary import LANGUAGES, Language, Medium, media_of
from scheduler.contacts import normalize_email, normalize_phone
from scheduler.staff import audit

FIELDS = ("name", "phone", "email", "language")


class CorrectionError(ValueError):
    """A correction that cannot be made; the text names the field. Nothing was changed."""


class PatientCorrection(BaseModel):
    """The details staff may correct; phone and email are read as registration reads them."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    phone: str
    email: str | None = None
    language: Language

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> object:
        if isinstance(value, str):
            return normalize_email(value) if value.strip() else None
        return value

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
        if value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r} (use {' or '.join(LANGUAGES)})")
        return value


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        return f"{self.field}: {self.before!r} -> {self.after!r}"


def _plain(value: object) -> str | None:
    return None if value is None else str(value)


def correct_patient(
    session: Session, patient_id: int, correction: PatientCorrection, *, by: str, now: datetime
) -> list[Change]:
    """Apply the changes (no commit) and audit them with their old values; [] when none."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient with id {patient_id}")
    if patient.erased_at is not None:
        raise CorrectionError("patient: this patient's data was erased")
    if correction.email is None and Medium.EMAIL in media_of(patient.preferred_channel):
        raise CorrectionError("email: required while this patient's messages go by email")
    changes = [
        Change(name, getattr(patient, name), value)
        for name in FIELDS
        # Plain strings (a Language is one): the audit shows 'fr', not its enum.
        if (value := _plain(getattr(correction, name))) != getattr(patient, name)
    ]
    if not changes:
        return []
    for change in changes:
        setattr(patient, change.field, change.after)
    session.add(patient)
    # The old values sit in this event only; erasing the patient blanks its detail too.
    audit.record(
        session,
        actor=by,
        action="correct_patient",
        target=audit.patient_target(patient_id),
        detail="; ".join(change.describe() for change in changes),
        now=now,
    )
    session.flush()
    return changes
