"""One practitioner per person, however staff capitalise or space the name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Practitioner, Treatment
from models.db import session_scope
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import find_practitioner, name_key, save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.settings import Settings

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Dr Roy", "dr  roy", True),
        ("Dr Roy", " DR ROY ", True),
        ("Dre Éloïse Gagné", "dre éloïse GAGNÉ", True),
        ("Dr Roy", "Dr. Roy", False),
        ("Dr Roy", "Dr Roi", False),
    ],
)
def test_name_key_ignores_case_and_spacing_only(a: str, b: str, same: bool) -> None:
    assert (name_key(a) == name_key(b)) is same


def practitioners(engine: Engine) -> list[Practitioner]:
    with Session(engine) as session:
        return list(session.exec(select(Practitioner)).all())


def test_registration_and_contacts_find_the_same_practitioner(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        for i, spelling in enumerate(("Dre Éloïse Gagné", "dre  éloïse GAGNÉ")):
            request = TreatmentCreate(
                name=f"Pat {i}", phone=f"613-555-011{i}", practitioner=spelling
            )
            register_treatment(session, request, settings=settings, now=NOW)
    with Session(engine) as session:
        saved = save_practitioner(session, "DRE ÉLOÏSE GAGNÉ", phone="613-555-0199", now=NOW)
        saved_id = saved.id
        treated_by = {t.practitioner_id for t in session.exec(select(Treatment)).all()}
    [only] = practitioners(engine)
    assert only.name == "Dre Éloïse Gagné"  # the first spelling stays
    assert (only.phone, saved_id, treated_by) == ("+16135550199", only.id, {only.id})


def test_of_two_stored_spellings_the_oldest_is_the_one(engine: Engine) -> None:
    # Rows from before matching ignored case, or from two desks at the same instant.
    with session_scope(engine) as session:
        session.add(Practitioner(name="Dr Roy", created_at=NOW))
        session.flush()
        session.add(Practitioner(name="DR ROY", created_at=NOW))
    with Session(engine) as session:
        found = find_practitioner(session, "dr roy")
        assert found is not None and found.name == "Dr Roy"
        assert find_practitioner(session, "Dr Roi") is None
