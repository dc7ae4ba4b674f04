"""What staff type: phone/email normalisation, language and channel checks, one-line errors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import OutboundMessage, OutboxStatus, Patient
from models.db import session_scope
from scheduler.contacts import display_phone, mask_email, mask_phone, normalize_phone
from scheduler.followups.intake import TreatmentCreate, describe_error
from scheduler.followups.registration import RegistrationError, register_treatment
from scheduler.outbound.optout import opt_out_patient
from scheduler.settings import Settings

TORONTO = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TORONTO)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("613-555-0124", "+16135550124"),
        ("(613) 555-0124", "+16135550124"),
        ("+1 613 555 0124", "+16135550124"),
        ("1-819-555-0188", "+18195550188"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_phone_numbers_become_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "not a valid phone number"),
        ("613-555-01244", "not a valid phone number"),
        ("800-555-1234", "does not look like a mobile"),
        ("+1 900 555 1212", "does not look like a mobile"),
        ("call me", "not a phone number"),
        ("  ", "empty"),
    ],
)
def test_untextable_numbers_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_phone(raw)


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


def test_masks_and_display() -> None:
    assert mask_phone("+16135550124") == "***0124"
    assert mask_email("marie@example.com") == "m***@example.com"
    assert display_phone("+16135550100") == "613-555-0100"
    assert display_phone("+33612345678") == "+33 6 12 34 56 78"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "12345"}, "phone: '12345' is not a valid phone number"),
        ({"email": "bad@"}, "email: 'bad@' is not a valid email address"),
        ({"language": "de"}, "language: unknown language 'de' (use en or fr)"),
        ({"channel": "fax"}, "channel: unknown channel 'fax'"),
        ({"name": ""}, "name: "),
        ({"performed_at": "yesterday"}, "performed_at: "),
        ({"colour": "blue"}, "colour: unknown field"),
    ],
)
def test_bad_fields_give_one_line_errors(fields: dict[str, str], message: str) -> None:
    base = {"name": "Ana Lima", "phone": "613-555-0124"}
    with pytest.raises(ValidationError) as caught:
        TreatmentCreate.model_validate({**base, **fields})
    text = describe_error(caught.value)
    assert text.startswith(message)
    assert "\n" not in text


def test_blank_optional_fields_take_defaults() -> None:
    request = TreatmentCreate.model_validate(
        {
            "name": " Ana ",
            "phone": "6135550124",
            "email": "",
            "language": " FR ",
            "channel": "",
            "performed_at": "",
            "practitioner": " ",
            "kind": "",
        }
    )
    assert (request.name, request.email, request.language, request.channel) == (
        "Ana",
        None,
        "fr",
        "sms",
    )
    assert (request.performed_at, request.practitioner, request.kind) == (
        None,
        None,
        "microneedling",
    )


def count(engine: Engine, model: type[Patient] | type[OutboundMessage]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_cross_field_errors_write_nothing(engine: Engine, settings: Settings) -> None:
    cases = [
        (TreatmentCreate(name="A", phone="6135550124", channel="email"), "email: required"),
        (
            TreatmentCreate(name="A", phone="6135550124", performed_at="2026-11-25T17:30"),
            "more than an hour in the future",
        ),
        # Which kinds exist is data (kinds/*.toml), so registration, not the model, refuses.
        (
            TreatmentCreate(name="A", phone="6135550124", kind=" Botox "),
            r"kind: unknown treatment kind 'botox' \(known: microneedling",
        ),
    ]
    for request, message in cases:
        with pytest.raises(RegistrationError, match=message), session_scope(engine) as session:
            register_treatment(session, request, settings=settings, now=NOW)
    assert count(engine, Patient) == 0 and count(engine, OutboundMessage) == 0


def test_naive_performed_at_is_clinic_local_and_consent_is_recorded(
    engine: Engine, settings: Settings
) -> None:
    request = TreatmentCreate(name="Ana", phone="6135550124", performed_at="2026-11-25T15:30")
    with session_scope(engine) as session:
        done = register_treatment(session, request, settings=settings, now=NOW)
    assert done.treatment.performed_at == datetime(2026, 11, 25, 15, 30, tzinfo=TORONTO)
    assert (done.patient.consent_source, done.patient.consent_at) == ("in-clinic", NOW)


def test_the_same_name_on_a_known_phone_is_that_patient_and_the_opt_out_follows(
    engine: Engine, settings: Settings
) -> None:
    first = TreatmentCreate(name="Ana Lima", phone="613-555-0124", language="fr")
    with session_scope(engine) as session:
        patient_id = register_treatment(session, first, settings=settings, now=NOW).patient.id
        assert patient_id is not None
        opt_out_patient(session, patient_id, now=NOW)
    # A second treatment the same day needs force (it would be a duplicate otherwise).
    again = TreatmentCreate(name="ana  lima", phone="+1 613 555 0124", force=True)
    with session_scope(engine) as session:
        done = register_treatment(session, again, settings=settings, now=NOW)
    assert done.patient.id == patient_id and done.patient.language == "fr"
    assert {m.status for m in done.messages} == {OutboxStatus.CANCELLED}
    assert any("opted out" in w for w in done.warnings)
    assert count(engine, Patient) == 1


def test_backdated_registration_expires_steps_already_past(
    engine: Engine, settings: Settings
) -> None:
    request = TreatmentCreate(name="Ana", phone="6135550124", performed_at="2026-11-20T12:00")
    with session_scope(engine) as session:
        done = register_treatment(session, request, settings=settings, now=NOW)
    # Day 1 (21st) and day 3 (23rd, useful to the 25th 19:00) -> day 1 expired, day 3 pending.
    assert [m.status for m in done.messages] == ["expired", "pending", "pending"]
    assert done.warnings
