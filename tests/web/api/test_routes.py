"""The JSON API's routes: register, list, look up, cancel, resend, acknowledge; 404 and 422."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import OutboxStatus, Patient, Treatment
from scheduler.clock import SimulatedClock
from scheduler.outbound.optout import opt_out_patient
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.support.api import AUTH, TOKEN, audit_rows
from tests.support.clinic import DAY1, Clinic, build_clinic, messages_of, set_status
from tests.support.settings import make_settings

ANA = {"name": "Ana Lima", "phone": "613-555-0124"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, api_token=TOKEN)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DAY1)


@pytest.fixture
def client(settings: Settings, engine: Engine, clock: SimulatedClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, clock=clock), headers=AUTH) as test_client:
        yield test_client


@pytest.fixture
def clinic(engine: Engine, settings: Settings) -> Clinic:
    return build_clinic(engine, settings)


def fields_named(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [".".join(str(p) for p in error["loc"][1:]) for error in response.json()["detail"]]


def count(engine: Engine, table: type[Patient] | type[Treatment]) -> int:
    with Session(engine) as s:
        return len(s.exec(select(table)).all())


# --- POST /api/treatments ---------------------------------------------------------------------


def test_register_a_treatment(client: TestClient, engine: Engine) -> None:
    body = {
        "name": "Éloïse Côté",
        "phone": "(613) 555-0124",
        "email": "Eloise@Example.com",
        "language": "fr",
        "channel": "both",
        "performed_at": "2026-11-24T14:00:00",
        "practitioner": "Dr Roy",
        "kind": "microneedling",
        "consent_source": "web-form",
    }
    response = client.post("/api/treatments", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["patient"]["phone"] == "+16135550124"
    assert created["patient"]["email"] == "Eloise@example.com"
    assert created["patient"]["language"] == "fr"
    assert created["patient"]["consent_source"] == "web-form"
    assert created["practitioner"]["name"] == "Dr Roy"
    assert created["practitioner_id"] == created["practitioner"]["id"]
    # Without an offset, performed_at is clinic-local (14:00 EST = 19:00 UTC).
    assert created["performed_at"] == "2026-11-24T19:00:00Z"
    assert sorted((m["step"], m["channel"]) for m in created["messages"]) == sorted(
        (step, ch) for step in ("day1", "day3", "day7") for ch in ("sms", "email")
    )
    assert {m["status"] for m in created["messages"]} == {"pending"}
    # Dr Roy has no phone or email on file: the response says where their alerts go.
    assert created["warnings"] == [
        "Dr Roy has no phone or email on file: their urgent alerts go to the on-call contact"
        ' (aftercare practitioner add "Dr Roy" --phone ...)'
    ]
    [event] = audit_rows(engine)
    assert (event.actor, event.action) == ("api-token", "register")
    assert event.target == f"patient:{created['patient_id']}"
    assert event.detail == f"treatment:{created['id']}"
    assert event.at == DAY1


def test_registering_again_reuses_the_patient_and_warns_if_opted_out(
    client: TestClient, engine: Engine
) -> None:
    first = client.post("/api/treatments", json=ANA).json()
    with Session(engine) as s:
        opt_out_patient(s, first["patient_id"], now=DAY1)
        s.commit()
    # Another name on a known phone: refused, naming who the phone belongs to; nothing written.
    renamed = {**ANA, "name": "Ana Lima-Souza", "performed_at": "2026-11-23T14:00"}
    refused = client.post("/api/treatments", json=renamed)
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "phone"]
    assert f"already used by Ana Lima (patient {first['patient_id']})" in error["msg"]
    # Staff say it is the same person: renamed, and the opt-out still holds.
    second = client.post("/api/treatments", json={**renamed, "patient": "same"})
    assert second.status_code == 201
    again = second.json()
    assert again["patient_id"] == first["patient_id"]
    assert again["patient"]["name"] == "Ana Lima-Souza"
    assert again["patient"]["opted_out"] == ["sms"]  # Ana gave no email
    assert {m["status"] for m in again["messages"]} == {"cancelled"}
    assert any("opted out" in w for w in again["warnings"])
    # The same treatment again that day: refused with the existing id, unless forced.
    twice = client.post("/api/treatments", json={**renamed, "patient": "same"})
    assert twice.status_code == 422
    [error] = twice.json()["detail"]
    assert error["loc"] == ["body", "force"]
    assert f"(treatment {again['id']})" in error["msg"]
    forced = client.post("/api/treatments", json={**renamed, "patient": "same", "force": True})
    assert forced.status_code == 201


def test_every_defined_kind_is_accepted_and_an_unknown_one_names_them(
    client: TestClient, engine: Engine
) -> None:
    created = client.post("/api/treatments", json={**ANA, "kind": "ipl"})
    assert created.status_code == 201, created.text
    assert [m["step"] for m in created.json()["messages"]] == ["day1", "day3", "day10"]
    refused = client.post("/api/treatments", json={**ANA, "kind": "facelift"})
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "kind"]
    assert error["msg"] == (
        "unknown treatment kind 'facelift'"
        " (known: microneedling, chemical_peel, dermal_filler, ipl)"
    )
    assert count(engine, Treatment) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**ANA, "phone": "12345"}, ["phone"]),
        ({**ANA, "phone": "1-800-555-0199"}, ["phone"]),  # toll-free: cannot take texts
        ({**ANA, "email": "not-an-email"}, ["email"]),
        ({**ANA, "language": "de"}, ["language"]),
        ({**ANA, "channel": "fax"}, ["channel"]),
        ({**ANA, "kind": "facelift"}, ["kind"]),
        ({**ANA, "name": ""}, ["name"]),
        ({**ANA, "performed_at": "yesterday-ish"}, ["performed_at"]),
        ({**ANA, "practitioner": "x" * 201}, ["practitioner"]),
        ({**ANA, "consent_source": ""}, ["consent_source"]),
        ({**ANA, "colour": "blue"}, ["colour"]),
        ({"name": "No Phone"}, ["phone"]),
        ({"phone": "12", "email": "x", "language": "xx"}, ["name", "phone", "email", "language"]),
        # Rules checked by the service after the fields: still 422, still naming the field.
        ({**ANA, "channel": "email"}, ["email"]),
        ({**ANA, "performed_at": "2026-11-25T13:00:00-05:00"}, ["performed_at"]),
    ],
)
def test_invalid_treatments_get_422_naming_each_field(
    client: TestClient, engine: Engine, body: dict[str, str], fields: list[str]
) -> None:
    response = client.post("/api/treatments", json=body)
    assert sorted(fields_named(response)) == sorted(fields)
    for error in response.json()["detail"]:
        assert error["msg"]
    assert count(engine, Patient) == 0
    assert count(engine, Treatment) == 0
    assert audit_rows(engine) == []


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'"text"', b""])
def test_a_body_that_is_not_an_object_is_422(client: TestClient, raw: bytes) -> None:
    response = client.post(
        "/api/treatments", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


# --- GET /api/treatments, /api/treatments/{id}, cancel ----------------------------------------


def test_list_treatments_with_filters_and_pages(client: TestClient, clinic: Clinic) -> None:
    everything = client.get("/api/treatments").json()
    assert everything["total"] == 5
    assert everything["items"][0]["id"] == clinic.t_marc
    page2 = client.get("/api/treatments", params={"per_page": 2, "page": 2}).json()
    assert (page2["page"], page2["per_page"], page2["pages"], page2["total"]) == (2, 2, 3, 5)
    assert [t["id"] for t in page2["items"]] == [t["id"] for t in everything["items"][2:4]]
    cancelled = client.get("/api/treatments", params={"status": "cancelled"}).json()
    assert [t["id"] for t in cancelled["items"]] == [clinic.t_lee]
    chen = client.get("/api/treatments", params={"practitioner_id": clinic.chen}).json()
    assert [t["id"] for t in chen["items"]] == [clinic.t_marc]
    assert chen["items"][0]["practitioner"]["name"] == "Dr Chen"
    eloise = client.get("/api/treatments", params={"patient_id": clinic.eloise}).json()
    assert [t["patient"]["name"] for t in eloise["items"]] == ["Éloïse Côté"]
    # A time without an offset is clinic-local: before 14:00 on the 24th leaves Ana's only.
    before = client.get("/api/treatments", params={"performed_to": "2026-11-24T14:00"}).json()
    assert [t["id"] for t in before["items"]] == [clinic.t_ana]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 1000}, "per_page"),
        ({"status": "paused"}, "status"),
        ({"patient_id": "one"}, "patient_id"),
        ({"performed_from": "tuesday"}, "performed_from"),
    ],
)
def test_list_treatments_rejects_bad_parameters(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    assert fields_named(client.get("/api/treatments", params=params)) == [field]


@pytest.mark.parametrize(
    ("method", "path", "params", "field"),
    [
        ("GET", "/api/treatments/2147483648", {}, "treatment_id"),
        ("GET", "/api/treatments/0", {}, "treatment_id"),
        ("POST", "/api/treatments/99999999999999999999999/cancel", {}, "treatment_id"),
        ("POST", "/api/alerts/-1/ack", {}, "alert_id"),
        ("POST", "/api/messages/2147483648/resend", {}, "message_id"),
        ("GET", "/api/treatments", {"page": 10**30}, "page"),
        ("GET", "/api/messages", {"treatment_id": 2**31}, "treatment_id"),
        ("GET", "/api/replies", {"practitioner_id": -5}, "practitioner_id"),
        ("GET", "/api/alerts", {"practitioner_id": 10**20}, "practitioner_id"),
    ],
)
def test_out_of_range_numbers_are_422_not_a_database_error(
    client: TestClient, method: str, path: str, params: dict[str, int], field: str
) -> None:
    # Found by schemathesis: a number too large for the id column reached the driver (500).
    assert fields_named(client.request(method, path, params=params)) == [field]


def test_get_one_treatment(client: TestClient, engine: Engine, clinic: Clinic) -> None:
    response = client.get(f"/api/treatments/{clinic.t_marc}")
    assert response.status_code == 200
    found = response.json()
    assert found["patient"]["name"] == "Marc LEFEBVRE"
    assert found["patient"]["email"] == "marc@example.com"
    assert len(found["messages"]) == 6
    due = [m["due_at"] for m in found["messages"]]
    assert due == sorted(due)
    [event] = audit_rows(engine)
    assert (event.action, event.target) == ("view_treatment", f"patient:{clinic.marc}")


def test_unknown_treatment_is_404(client: TestClient, engine: Engine) -> None:
    response = client.get("/api/treatments/9999")
    assert response.status_code == 404
    assert response.json()["detail"] == "no treatment with id 9999"
    assert client.post("/api/treatments/9999/cancel").status_code == 404
    assert audit_rows(engine) == []
    assert fields_named(client.get("/api/treatments/abc")) == ["treatment_id"]


def test_cancel_a_treatment(client: TestClient, engine: Engine, clinic: Clinic) -> None:
    response = client.post(f"/api/treatments/{clinic.t_marc}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert body["cancelled_messages"] == 6
    assert body["treatment"]["status"] == "cancelled"
    assert body["treatment"]["cancelled_at"] == "2026-11-25T15:00:00Z"
    assert {m.status for m in messages_of(engine, clinic.t_marc)} == {OutboxStatus.CANCELLED}
    again = client.post(f"/api/treatments/{clinic.t_marc}/cancel").json()
    assert again["cancelled_messages"] == 0
    events = [(e.action, e.target) for e in audit_rows(engine)]
    assert events == [("cancel", f"patient:{clinic.marc}")] * 2


# --- patients and messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("ELOISE", ["Éloïse Côté"]),
        ("lefèbvre", ["Marc LEFEBVRE"]),
        ("416 555", ["Ana Lima"]),
        ("zzz", []),
    ],
)
def test_search_patients(
    client: TestClient, engine: Engine, clinic: Clinic, q: str, names: list[str]
) -> None:
    response = client.get("/api/patients", params={"q": q})
    assert response.status_code == 200
    assert [p["name"] for p in response.json()] == names
    [event] = audit_rows(engine)
    assert event.action == "search_patients"
    # What was typed is patient data: the log keeps the count and who was shown, by id.
    assert event.detail == f"search ({len(names)} result{'' if len(names) == 1 else 's'})"
    assert q.lower() not in (event.detail + str(event.shown)).lower()
    assert event.shown == (",".join(str(p["id"]) for p in response.json()) or None)


def test_search_patients_limit(client: TestClient, clinic: Clinic) -> None:
    assert len(client.get("/api/patients", params={"q": "555", "limit": 2}).json()) == 2
    assert len(client.get("/api/patients").json()) == 5
    assert fields_named(client.get("/api/patients", params={"limit": 0})) == ["limit"]
    assert fields_named(client.get("/api/patients", params={"limit": 101})) == ["limit"]


def test_list_messages_with_filters(client: TestClient, engine: Engine, clinic: Clinic) -> None:
    everything = client.get("/api/messages", params={"per_page": 200}).json()
    assert everything["total"] == 18
    item = everything["items"][0]
    assert set(item["patient"]) == {"id", "name"}
    repeated = client.get("/api/messages", params=[("status", "cancelled"), ("status", "failed")])
    assert repeated.json()["total"] == 6
    emails = client.get("/api/messages", params={"channel": "email"}).json()
    assert {m["treatment_id"] for m in emails["items"]} == {clinic.t_marc}
    assert emails["total"] == 3
    by_patient = client.get("/api/messages", params={"patient_id": clinic.eloise}).json()
    assert {m["patient"]["name"] for m in by_patient["items"]} == {"Éloïse Côté"}
    assert by_patient["total"] == 3
    by_treatment = client.get("/api/messages", params={"treatment_id": clinic.t_leex}).json()
    assert by_treatment["total"] == 3
    # The clinic's 25 November, given as local times without offset.
    day = {"due_from": "2026-11-25T00:00", "due_to": "2026-11-26T00:00"}
    today = client.get("/api/messages", params=day).json()
    assert {m["step"] for m in today["items"]} == {"day1"}
    assert today["total"] == 5
    paged = client.get("/api/messages", params={"per_page": 5, "page": 4}).json()
    assert (len(paged["items"]), paged["pages"]) == (3, 4)
    assert fields_named(client.get("/api/messages", params={"status": "lost"})) == ["status.0"]
    assert fields_named(client.get("/api/messages", params={"channel": "fax"})) == ["channel"]


def test_resend_a_failed_message(client: TestClient, engine: Engine, clinic: Clinic) -> None:
    row = messages_of(engine, clinic.t_eloise)[0]
    assert row.id is not None
    refused = client.post(f"/api/messages/{row.id}/resend")
    assert refused.status_code == 409
    assert "pending" in refused.json()["detail"]
    set_status(engine, row.id, OutboxStatus.FAILED, at=DAY1 - timedelta(hours=1))
    response = client.post(f"/api/messages/{row.id}/resend")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["attempts"], body["error_code"]) == ("pending", 0, None)
    assert body["next_attempt_at"] == "2026-11-25T15:00:00Z"
    assert client.post("/api/messages/424242/resend").status_code == 404
    events = [(e.action, e.target, e.detail) for e in audit_rows(engine)]
    assert events == [("resend", f"patient:{clinic.eloise}", f"message:{row.id}")]


# --- replies and alerts -----------------------------------------------------------------------


def test_list_replies(client: TestClient, engine: Engine, clinic: Clinic) -> None:
    unhandled = client.get("/api/replies", params={"handled": "false"}).json()
    assert [r["id"] for r in unhandled["items"]] == [
        clinic.replies[k] for k in ("stranger", "marc_concern", "eloise_urgent")
    ]
    stranger, concern, urgent = unhandled["items"]
    assert stranger["patient"] is None and stranger["alert_id"] is None
    assert concern["patient"]["name"] == "Marc LEFEBVRE"
    assert concern["practitioner"]["name"] == "Dr Chen"
    assert concern["media_urls"] == ["https://media.example/1.jpg"]
    assert concern["reasons"] == ["concern words"]
    assert concern["alert_id"] == clinic.alerts["marc_concern_escalated"]
    assert urgent["level"] == "urgent"
    handled = client.get("/api/replies", params={"handled": "true"}).json()
    assert {r["handled_by"] for r in handled["items"]} == {"front@clinic.example"}
    urgent_only = client.get("/api/replies", params={"level": "urgent"}).json()
    assert urgent_only["total"] == 2
    chen = client.get("/api/replies", params={"practitioner_id": clinic.chen}).json()
    assert chen["total"] == 2
    mine = client.get("/api/replies", params={"patient_id": clinic.eloise, "per_page": 1}).json()
    assert (mine["total"], mine["pages"], len(mine["items"])) == (2, 2, 1)
    assert fields_named(client.get("/api/replies", params={"level": "meh"})) == ["level"]
    assert fields_named(client.get("/api/replies", params={"handled": "maybe"})) == ["handled"]
    assert [e.action for e in audit_rows(engine)] == ["list_replies"] * 5  # not the 422s


def test_list_alerts(client: TestClient, clinic: Clinic) -> None:
    found = client.get("/api/alerts").json()
    a = clinic.alerts
    assert [x["id"] for x in found["items"]] == [
        a["eloise_urgent_open"],
        a["marc_concern_escalated"],
        a["marc_urgent_acked"],
    ]
    first = found["items"][0]
    assert first["reply_body"] == "bleeding and fever"
    assert first["patient"] == {"id": clinic.eloise, "name": "Éloïse Côté"}
    assert first["practitioner"]["name"] == "Dr Roy"
    assert first["reasons"] == ["urgent words"]
    unacked = client.get("/api/alerts", params=[("status", "open"), ("status", "escalated")])
    assert unacked.json()["total"] == 2
    urgent = client.get("/api/alerts", params={"level": "urgent"}).json()
    assert [x["id"] for x in urgent["items"]] == [a["eloise_urgent_open"], a["marc_urgent_acked"]]
    chen = client.get("/api/alerts", params={"practitioner_id": clinic.chen, "per_page": 1})
    assert (chen.json()["total"], chen.json()["pages"]) == (2, 2)
    assert fields_named(client.get("/api/alerts", params={"status": "closed"})) == ["status.0"]


def test_acknowledge_an_alert(
    client: TestClient, engine: Engine, clock: SimulatedClock, clinic: Clinic
) -> None:
    alert_id = clinic.alerts["eloise_urgent_open"]
    response = client.post(f"/api/alerts/{alert_id}/ack")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["acknowledged_by"]) == ("acknowledged", "api-token")
    assert body["acknowledged_at"] == "2026-11-25T15:00:00Z"
    clock.advance(timedelta(minutes=10))
    again = client.post(f"/api/alerts/{alert_id}/ack").json()
    assert again["acknowledged_at"] == body["acknowledged_at"]  # the first ack is kept
    listed = client.get("/api/alerts").json()["items"]
    # Acknowledged now, it goes below the one still open, and above the older acknowledged one.
    assert [x["id"] for x in listed] == [
        clinic.alerts["marc_concern_escalated"],
        alert_id,
        clinic.alerts["marc_urgent_acked"],
    ]
    events = [(e.action, e.target) for e in audit_rows(engine)]
    assert events[:2] == [("ack_alert", f"patient:{clinic.eloise}")] * 2


def test_unknown_alert_is_404(client: TestClient, engine: Engine) -> None:
    response = client.post("/api/alerts/777/ack")
    assert response.status_code == 404
    assert response.json()["detail"] == "no alert with id 777"
    assert audit_rows(engine) == []


def test_nothing_is_written_by_reads_but_the_audit_row(
    client: TestClient, engine: Engine, clinic: Clinic
) -> None:
    before = [m.model_dump() for m in messages_of(engine, clinic.t_marc)]
    for path in ("/api/treatments", "/api/messages", "/api/replies", "/api/alerts"):
        assert client.get(path).status_code == 200
    assert client.get(f"/api/treatments/{clinic.t_marc}").status_code == 200
    assert [m.model_dump() for m in messages_of(engine, clinic.t_marc)] == before
    assert [e.action for e in audit_rows(engine)] == [
        "list_treatments",
        "list_messages",
        "list_replies",
        "list_alerts",
        "view_treatment",
    ]
    assert all(e.at == DAY1 and e.actor == "api-token" for e in audit_rows(engine))


def test_write_to_a_patient_through_the_api(client: TestClient, engine: Engine) -> None:
    created = client.post("/api/treatments", json=ANA).json()
    patient_id = created["patient_id"]
    path = f"/api/patients/{patient_id}/messages"
    sent = client.post(path, json={"text": "Bonjour Ana, tout va bien?", "channel": "sms"})
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert (message["body"], message["sent_by"], message["status"]) == (
        "Bonjour Ana, tout va bien?",
        "api-token",
        "pending",
    )
    assert message["step"].startswith("staff-")
    events = [e for e in audit_rows(engine) if e.action == "staff_message"]
    assert [(e.actor, e.target) for e in events] == [("api-token", f"patient:{patient_id}")]

    for body, field in [
        ({"text": "", "channel": "sms"}, "text"),
        ({"text": "x" * 1001, "channel": "sms"}, "text"),
        ({"text": "Hi", "channel": "email"}, "channel"),  # Ana has no email
        ({"text": "Hi", "channel": "fax"}, "channel"),
    ]:
        refused = client.post(path, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["detail"][0]["loc"][-1] == field
    with Session(engine) as s:
        opt_out_patient(s, patient_id, now=DAY1)
        s.commit()
    opted_out = client.post(path, json={"text": "Hi", "channel": "sms"})
    assert opted_out.status_code == 422
    assert "opted out" in opted_out.json()["detail"][0]["msg"]
    nobody = client.post("/api/patients/999999/messages", json={"text": "Hi", "channel": "sms"})
    assert nobody.status_code == 404
