"""Composing for sending holds an SMS to its segment limit: trimmed and logged, never 7 segments."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import OutboundMessage, Patient, Treatment
from models.db import session_scope
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.outbound.compose import compose
from scheduler.outbound.render import MessageRenderer
from scheduler.outbound.segments import count_segments
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("America/Toronto"))
# Longer than any start-up check would let pass without a warning.
LONG_CLINIC = (
    "Clinique de Médecine Esthétique et de Soins de la Peau du Centre-Ville d'Ottawa-Gatineau"
)


def composed(
    engine: Engine, database_url: str, clinic_name: str, name: str
) -> tuple[str, int | None]:
    settings = make_settings(database_url, clinic_name=clinic_name)
    request = TreatmentCreate(name=name, phone="613-555-0142", language="fr")
    with session_scope(engine) as session:
        register_treatment(session, request, settings=settings, now=NOW)
    with Session(engine) as session:
        row = session.exec(select(OutboundMessage).where(OutboundMessage.step == "day1")).one()
        treatment = session.get(Treatment, row.treatment_id)
        assert treatment is not None
        patient = session.get(Patient, treatment.patient_id)
        assert patient is not None
        message, segments = compose(
            row, treatment, patient, settings=settings, renderer=MessageRenderer()
        )
    return message.text, segments


def test_a_name_with_accents_costs_what_a_plain_one_does(engine: Engine, database_url: str) -> None:
    text, segments = composed(engine, database_url, "Clinique Esthétique Ottawa", "Benoît Côté")
    assert text.startswith("Bonjour Benoit, ici Clinique Esthétique Ottawa.")
    assert count_segments(text).encoding == "GSM-7" and segments == 3


def test_an_sms_over_the_limit_is_sent_trimmed_and_logged(
    engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="scheduler.outbound.compose"):
        text, segments = composed(engine, database_url, LONG_CLINIC, "Marie-Élisabeth Roy")
    assert segments is not None and segments <= 3
    assert count_segments(text).segments == segments
    assert text.startswith(f"Bonjour Marie-Élisabeth, ici {LONG_CLINIC}.")
    assert text.endswith("ARRET pour vous désabonner.")  # the check-in is never cut
    assert "Questions? Appelez le 613-555-0100." in text
    [record] = caplog.records
    assert "over the limit of 3: sent without" in record.getMessage()
