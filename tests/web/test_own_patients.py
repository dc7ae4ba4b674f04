"""PRACTITIONER_SEES_OWN_ONLY: a practitioner's login sees, in every list and behind every
address, only the patients with a treatment by its practitioner; front desk is unaffected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AuditEvent
from models.db import session_scope
from models.vocabulary import Role
from scheduler.clock import SimulatedClock
from scheduler.settings import Settings
from scheduler.staff.accounts import add_staff
from scheduler.web.app import create_app
from scheduler.web.session import COOKIE_NAME, encode, login_session
from tests.support.clinic import DAY1, Clinic, build_clinic
from tests.support.settings import make_settings


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, practitioner_sees_own_only=True)


@pytest.fixture
def clinic(engine: Engine, settings: Settings) -> Clinic:
    return build_clinic(engine, settings)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings, engine, clock=SimulatedClock(DAY1)), base_url="https://testserver"
    ) as test_client:
        yield test_client


def sign_in(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    role: Role,
    practitioner_id: int | None = None,
) -> None:
    with session_scope(engine) as session:
        staff = add_staff(
            session,
            f"{role}-{practitioner_id}@clinic.example",
            "correct horse battery",
            role=role,
            practitioner_id=practitioner_id,
            now=DAY1,
        )
        client.cookies.set(COOKIE_NAME, encode(settings, login_session(staff, now=DAY1)))


def patient_ids(client: TestClient, path: str) -> set[int]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    found = set()
    for item in response.json()["items"]:
        patient = item.get("patient")
        if patient is not None:
            found.add(patient["id"])
    return found


def test_dr_roys_login_sees_only_dr_roys_patients(
    client: TestClient, engine: Engine, settings: Settings, clinic: Clinic
) -> None:
    sign_in(client, engine, settings, Role.PRACTITIONER, clinic.roy)
    assert patient_ids(client, "/api/alerts") == {clinic.eloise}
    assert patient_ids(client, "/api/replies") == {clinic.eloise}  # not the unknown sender
    assert patient_ids(client, "/api/treatments") == {clinic.eloise}
    assert patient_ids(client, "/api/messages?per_page=200") == {clinic.eloise}
    assert [p["id"] for p in client.get("/api/patients").json()] == [clinic.eloise]
    pages = {path: client.get(path).text for path in ("/", "/inbox", "/alerts", "/patients")}
    for path, html in pages.items():
        assert "Marc LEFEBVRE" not in html and "Ana Lima" not in html, path
    assert "Éloïse Côté" in pages["/patients"] and "Éloïse Côté" in pages["/"]


def test_another_practitioners_patient_is_403_everywhere(
    client: TestClient, engine: Engine, settings: Settings, clinic: Clinic
) -> None:
    sign_in(client, engine, settings, Role.PRACTITIONER, clinic.roy)
    html = {"Accept": "text/html"}
    for path in (
        f"/patients/{clinic.marc}",
        f"/treatments/{clinic.t_marc}",
        f"/alerts/{clinic.alerts['marc_concern_escalated']}",
        f"/treatments/new?patient={clinic.marc}",
        f"/api/treatments/{clinic.t_marc}",
    ):
        response = client.get(path, headers=html)
        assert response.status_code == 403, path
        assert "not one of your patients" in response.text, path
    assert client.get(f"/patients/{clinic.eloise}").status_code == 200
    with Session(engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "forbidden")).all()
    assert len(refused) == 5
    assert {e.target for e in refused} == {f"patient:{clinic.marc}"}


def test_an_unlinked_practitioner_login_sees_nobody(
    client: TestClient, engine: Engine, settings: Settings, clinic: Clinic
) -> None:
    sign_in(client, engine, settings, Role.PRACTITIONER, None)
    assert patient_ids(client, "/api/alerts") == set()
    assert client.get("/api/patients").json() == []
    assert client.get(f"/patients/{clinic.eloise}").status_code == 403


def test_front_desk_sees_everyone(
    client: TestClient, engine: Engine, settings: Settings, clinic: Clinic
) -> None:
    sign_in(client, engine, settings, Role.FRONT_DESK)
    assert patient_ids(client, "/api/alerts") == {clinic.eloise, clinic.marc}
    assert client.get(f"/patients/{clinic.marc}").status_code == 200


def test_without_the_setting_a_practitioner_sees_everyone(
    database_url: str, engine: Engine, clinic: Clinic
) -> None:
    settings = make_settings(database_url)
    with TestClient(create_app(settings, engine, clock=SimulatedClock(DAY1))) as client:
        sign_in(client, engine, settings, Role.PRACTITIONER, clinic.roy)
        assert patient_ids(client, "/api/alerts") == {clinic.eloise, clinic.marc}
