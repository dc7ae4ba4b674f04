"""The privacy side of the pages: lists audited with who they showed, the live poll audited
only when it shows someone new, corrections from the timeline, export and erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Alert, AuditEvent, OutboundMessage, Patient
from models.db import session_scope
from models.vocabulary import Medium, Role
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.privacy.patient_data import ERASED
from scheduler.settings import Settings
from scheduler.web.pages.rendering import SECURITY_HEADERS
from tests.support.pages import Pages, audit_events, signed_in
from tests.support.privacy import NAME, REPLY_TEXT, Story, build_story, where_found


@pytest.fixture
def pages(settings: Settings, engine: Engine) -> Iterator[Pages]:
    with signed_in(settings, engine) as found:
        yield found


@pytest.fixture
def story(pages: Pages) -> Story:
    return build_story(pages.engine, pages.settings, pages.clock())


def shown(engine: Engine, action: str) -> list[str | None]:
    return [event.shown for event in audit_events(engine, action)]


# --- lists -------------------------------------------------------------------------------------


def test_each_list_records_the_patients_it_showed(pages: Pages, story: Story) -> None:
    both = f"{story.zoe},{story.bob}" if story.zoe < story.bob else f"{story.bob},{story.zoe}"
    for path, action in (
        ("/", "view_today"),
        ("/inbox?status=all", "view_inbox"),
        ("/alerts?status=all", "view_alerts"),
        ("/patients", "view_patients"),
    ):
        assert pages.client.get(path).status_code == 200
        recorded = shown(pages.engine, action)[-1]
        assert recorded is not None, action
        assert str(story.zoe) in recorded.split(","), action
    assert shown(pages.engine, "view_patients")[-1] == both
    [inbox] = audit_events(pages.engine, "view_inbox")[-1:]
    assert inbox.detail == "status=all"


def test_a_search_keeps_its_count_never_its_words(pages: Pages, story: Story) -> None:
    response = pages.post("/patients", {"q": "Quintal"})
    assert response.status_code == 200 and NAME in response.text
    [event] = audit_events(pages.engine, "search")
    assert (event.detail, event.shown) == ("search (1 result)", str(story.zoe))


def test_the_live_poll_is_audited_only_when_it_shows_someone_new(
    pages: Pages, story: Story
) -> None:
    assert pages.client.get("/").status_code == 200  # the page: one event, everyone on it
    for _ in range(5):
        assert pages.client.get("/today/live").status_code == 200
    assert len(audit_events(pages.engine, "view_today_live")) == 0
    # Bob writes something alarming: his alert appears on the next poll, once.
    with Session(pages.engine) as session:
        reply = IncomingReply(
            Medium.SMS, "+16135550190", "fever and pus since this morning", "SMb1"
        )
        receive_reply(session, pages.settings, reply, now=pages.clock())
    for _ in range(5):
        assert pages.client.get("/today/live").status_code == 200
    [live] = audit_events(pages.engine, "view_today_live")
    assert live.shown == str(story.bob)
    assert len(audit_events(pages.engine, "view_today")) == 1


# --- correction ----------------------------------------------------------------------------------


def test_details_are_corrected_from_the_timeline(pages: Pages, story: Story) -> None:
    form = {
        "name": "Zoé Quintal",
        "phone": "613 555 0178",
        "email": "zq@example.com",
        "language": "fr",
    }
    response = pages.post(f"/patients/{story.zoe}/details", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{story.zoe}?done=corrected&n=4"
    page = pages.client.get(response.headers["location"]).text
    assert "Details corrected: 4 field(s) changed" in page
    with Session(pages.engine) as session:
        patient = session.get(Patient, story.zoe)
    assert patient is not None
    assert (patient.name, patient.phone, patient.email, patient.language) == (
        "Zoé Quintal",
        "+16135550178",
        "zq@example.com",
        "fr",
    )
    event = audit_events(pages.engine, "correct_patient")[-1]
    assert event.detail is not None and f"name: '{NAME}' -> 'Zoé Quintal'" in event.detail


def test_a_bad_correction_is_shown_by_its_field_and_changes_nothing(
    pages: Pages, story: Story
) -> None:
    form = {"name": "", "phone": "12345", "email": "zoe@", "language": "en"}
    response = pages.post(f"/patients/{story.zoe}/details", form)
    assert response.status_code == 400
    assert 'id="phone-error"' in response.text and "not a valid phone number" in response.text
    assert 'id="email-error"' in response.text and 'id="name-error"' in response.text
    assert 'value="12345"' in response.text  # what was typed stays
    with Session(pages.engine) as session:
        patient = session.get(Patient, story.zoe)
    assert patient is not None and patient.name == NAME


# --- export and erasure --------------------------------------------------------------------------


def test_an_admin_exports_a_printable_page_or_json(pages: Pages, story: Story) -> None:
    page = pages.client.get(f"/admin/patients/{story.zoe}/export")
    assert page.status_code == 200
    assert (
        REPLY_TEXT in page.text and '<link rel="stylesheet" href="/static/export.css">' in page.text
    )
    for header, value in SECURITY_HEADERS.items():
        assert page.headers[header] == value
    assert pages.client.get("/static/export.css").status_code == 200
    data = pages.client.get(f"/admin/patients/{story.zoe}/export?format=json")
    assert data.headers["content-disposition"] == f'attachment; filename="patient-{story.zoe}.json"'
    assert json.loads(data.text)["patient"]["name"] == NAME
    assert [e.detail for e in audit_events(pages.engine, "export")] == ["html", "json"]


def test_erasure_asks_first_and_is_refused_while_an_alert_is_open(
    pages: Pages, story: Story
) -> None:
    with session_scope(pages.engine) as session:
        alert = session.get(Alert, story.alert)
        assert alert is not None
        alert.status = "open"
    page = pages.client.get(f"/admin/patients/{story.zoe}/erase")
    assert page.status_code == 200 and f"alert #{story.alert} is open" in page.text
    assert "for good</button>" not in page.text
    refused = pages.post(f"/admin/patients/{story.zoe}/erase")
    assert refused.status_code == 409 and f"alert #{story.alert} is open" in refused.text
    assert where_found(pages.engine) != []

    with session_scope(pages.engine) as session:
        alert = session.get(Alert, story.alert)
        assert alert is not None
        alert.status = "acknowledged"
    page = pages.client.get(f"/admin/patients/{story.zoe}/erase")
    assert f"Erase patient #{story.zoe} for good</button>" in page.text
    done = pages.post(f"/admin/patients/{story.zoe}/erase")
    assert done.status_code == 303
    timeline = pages.client.get(done.headers["location"]).text
    assert "Patient erased" in timeline and "data was erased" in timeline
    assert "Write to" not in timeline and "Erase…" not in timeline
    assert where_found(pages.engine) == []
    [event] = audit_events(pages.engine, "erase")
    assert event.actor == "nadia@clinic.example"


def test_after_erasure_nothing_can_be_sent_or_corrected(pages: Pages, story: Story) -> None:
    pages.clock.advance(timedelta(minutes=1))
    assert pages.post(f"/admin/patients/{story.zoe}/erase").status_code == 303
    write = pages.post(f"/patients/{story.zoe}/messages", {"text": "hello", "channel": "sms"})
    assert write.status_code == 400  # no address is left to send to
    with Session(pages.engine) as session:
        assert (
            session.exec(select(OutboundMessage).where(OutboundMessage.body == "hello")).all() == []
        )
    fixed = pages.post(
        f"/patients/{story.zoe}/details",
        {"name": "X", "phone": "613-555-0124", "email": "", "language": "en"},
    )
    assert fixed.status_code == 400 and "erased" in fixed.text
    with Session(pages.engine) as session:
        patient = session.get(Patient, story.zoe)
        assert patient is not None and patient.name == ERASED
        quoting = select(AuditEvent).where(col(AuditEvent.detail).contains("Quintal"))
        assert session.exec(quoting).all() == []


def test_front_desk_sees_no_admin_buttons(settings: Settings, engine: Engine) -> None:
    with signed_in(settings, engine, role=Role.FRONT_DESK) as desk:
        story = build_story(engine, settings, desk.clock())
        page = desk.client.get(f"/patients/{story.zoe}").text
        assert "Correct name, phone" in page
        assert "/export" not in page and "Erase…" not in page and 'href="/admin"' not in page
        alert = desk.client.get(f"/alerts/{story.alert}").text
        assert "Practitioners and admins acknowledge alerts" not in alert  # already acknowledged
