"""Correcting a patient's details: checked like a registration, audited with the old value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AuditEvent, Patient
from models.db import session_scope
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.privacy.correction import CorrectionError, PatientCorrection, correct_patient
from scheduler.settings import Settings

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
GOOD = {"name": "Ana Lima", "phone": "613-555-0124", "email": "", "language": "fr"}


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "at least 1 character"),
        ({"phone": "12345"}, "phone", "not a valid phone number"),
        ({"phone": "1-800-555-0199"}, "phone", "does not look like a mobile"),
        ({"email": "ana@"}, "email", "not a valid email address"),
        ({"language": "de"}, "language", "unknown language 'de' (use en or fr)"),
    ],
)
def test_bad_details_are_refused_like_at_registration(
    changes: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        PatientCorrection.model_validate({**GOOD, **changes})
    [error] = caught.value.errors()
    assert error["loc"] == (field,) and message in error["msg"]


def test_details_are_normalised_like_at_registration() -> None:
    parsed = PatientCorrection.model_validate(
        {**GOOD, "email": " Ana@Example.COM ", "language": "FR"}
    )
    assert (parsed.phone, parsed.email, parsed.language) == (
        "+16135550124",
        "Ana@example.com",
        "fr",
    )
    assert PatientCorrection.model_validate(GOOD).email is None


def _patient(engine: Engine, settings: Settings, **fields: Any) -> int:
    with session_scope(engine) as session:
        request = TreatmentCreate.model_validate(
            {"name": "Ana Lim", "phone": "613-555-0124", **fields}
        )
        done = register_treatment(session, request, settings=settings, now=NOW)
        assert done.patient.id is not None
        return done.patient.id


def test_a_correction_keeps_the_old_values_in_the_audit(engine: Engine, settings: Settings) -> None:
    patient_id = _patient(engine, settings)
    correction = PatientCorrection.model_validate(
        {**GOOD, "phone": "613 555 0199", "email": "ana@example.com"}
    )
    with session_scope(engine) as session:
        changes = correct_patient(session, patient_id, correction, by="desk@x.example", now=NOW)
    assert [c.field for c in changes] == ["name", "phone", "email", "language"]
    with Session(engine) as session:
        patient = session.get(Patient, patient_id)
        [event] = session.exec(select(AuditEvent)).all()
    assert patient is not None
    assert (patient.name, patient.phone, patient.email, patient.language) == (
        "Ana Lima",
        "+16135550199",
        "ana@example.com",
        "fr",
    )
    assert (event.actor, event.action, event.target) == (
        "desk@x.example",
        "correct_patient",
        f"patient:{patient_id}",
    )
    assert event.detail == (
        "name: 'Ana Lim' -> 'Ana Lima'; phone: '+16135550124' -> '+16135550199'; "
        "email: None -> 'ana@example.com'; language: 'en' -> 'fr'"
    )


def test_no_change_no_event(engine: Engine, settings: Settings) -> None:
    patient_id = _patient(engine, settings, name="Ana Lima", language="fr")
    with session_scope(engine) as session:
        same = PatientCorrection.model_validate(GOOD)
        assert correct_patient(session, patient_id, same, by="d@x.example", now=NOW) == []
    with Session(engine) as session:
        assert session.exec(select(AuditEvent)).all() == []


def test_email_stays_while_messages_go_by_email(engine: Engine, settings: Settings) -> None:
    patient_id = _patient(engine, settings, email="ana@example.com", channel="both")
    with pytest.raises(CorrectionError, match="email: required"), session_scope(engine) as s:
        correct_patient(s, patient_id, PatientCorrection.model_validate(GOOD), by="d", now=NOW)
