"""A patient's export holds everything about them (and nothing of anyone else), as JSON or a
printable page; exporting is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AuditEvent
from models.db import session_scope
from scheduler.privacy.export import export_patient, patient_export
from scheduler.privacy.patient_data import PATIENT_DATA
from scheduler.settings import Settings
from tests.support.privacy import (
    EMAIL,
    EMAIL_TEXT,
    NAME,
    NOTE,
    OLD_NAME,
    PHONE,
    REPLY_TEXT,
    STAFF_TEXT,
    Story,
    build_story,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def story(engine: Engine, settings: Settings) -> Story:
    return build_story(engine, settings, NOW)


def test_the_export_holds_every_kind_of_data(engine: Engine, story: Story) -> None:
    with Session(engine) as session:
        found = patient_export(session, story.zoe, now=NOW)
    assert list(found) == ["format", "exported_at", *(d.section for d in PATIENT_DATA)]
    assert found["format"] == "aftercare-patient-export/1"
    patient = found["patient"]
    assert (patient["id"], patient["name"], patient["phone"], patient["email"]) == (
        story.zoe,
        NAME,
        PHONE,
        EMAIL,
    )
    [treatment] = found["treatments"]
    assert treatment["id"] == story.treatment and treatment["kind"] == "microneedling"
    messages = found["messages"]
    assert {m["status"] for m in messages} >= {"delivered", "failed", "pending"}
    assert all(m["treatment_id"] == story.treatment for m in messages)
    assert STAFF_TEXT in [m["body"] for m in messages]
    replies = {r["body"]: r for r in found["replies"]}
    assert set(replies) == {REPLY_TEXT, EMAIL_TEXT}
    assert replies[REPLY_TEXT]["level"] == "urgent" and replies[REPLY_TEXT]["auto_reply"]
    [alert] = found["alerts"]
    assert (alert["id"], alert["ack_note"]) == (story.alert, NOTE)
    # The email's photo itself is in her copy; the MMS link that was no Twilio media, refused.
    mms, kept = found["photos"]
    assert mms["status"] == "refused" and mms["photo"] is None
    assert kept["status"] == "stored" and kept["photo"].startswith("data:image/jpeg;base64,")
    assert "thumbnail" not in kept and "data" not in kept
    assert [o["address"] for o in found["opted_out_addresses"]] == [EMAIL]
    actions = [e["action"] for e in found["audit"]]
    assert "correct_patient" in actions and "view_timeline" in actions
    assert "view_inbox" in actions  # a list that showed her counts as seeing her
    inbox = next(e for e in found["audit"] if e["action"] == "view_inbox")
    assert inbox["shown"] == str(story.zoe)  # not the other patients that list showed
    corrected = next(e for e in found["audit"] if e["action"] == "correct_patient")
    assert OLD_NAME in corrected["detail"]
    # Times are UTC ISO 8601, and the whole thing is JSON.
    assert patient["created_at"].endswith("+00:00")
    json.dumps(found)


def test_nothing_of_another_patient(engine: Engine, story: Story) -> None:
    with Session(engine) as session:
        text = json.dumps(patient_export(session, story.zoe, now=NOW))
    assert "Tremblay" not in text and "6135550190" not in text


@pytest.mark.parametrize("form", ["json", "html"])
def test_exporting_is_audited(engine: Engine, story: Story, form: str) -> None:
    with session_scope(engine) as session:
        exported = export_patient(session, story.zoe, form, by="admin@x.example", now=NOW)  # type: ignore[arg-type]
    with Session(engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert (event.actor, event.target, event.detail) == (
        "admin@x.example",
        f"patient:{story.zoe}",
        form,
    )
    assert NAME in exported or NAME.replace("é", "&eacute;") in exported


def test_the_printable_page_has_a_section_per_kind_and_inline_style(
    engine: Engine, story: Story
) -> None:
    with session_scope(engine) as session:
        page = export_patient(session, story.zoe, "html", by="cli", now=NOW)
    for data in PATIENT_DATA:
        assert f'<section id="{data.section}">' in page
    assert "<style>" in page and "@media print" in page
    assert "there is pus and a purple bruise" in page
    assert '<img src="data:image/jpeg;base64,' in page  # her photo, in the page itself
    assert "<script" not in page


def test_an_unknown_patient(engine: Engine) -> None:
    with pytest.raises(LookupError), Session(engine) as session:
        patient_export(session, 42, now=NOW)
