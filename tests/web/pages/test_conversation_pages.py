"""Staff pages for shared phones and conversations: the register choice, duplicates, writing to a
patient from the timeline, moving a shared phone's reply; each action audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, OutboundMessage, Patient, Treatment
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import register_treatment
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.settings import Settings
from tests.support.pages import EMAIL, Pages, audit_events, signed_in

PHONE = "+16135550124"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def pages(settings: Settings, engine: Engine) -> Iterator[Pages]:
    with signed_in(settings, engine) as found:
        yield found


def add(pages: Pages, name: str, **fields: object) -> int:
    request = TreatmentCreate.model_validate({"name": name, "phone": PHONE, **fields})
    with session_scope(pages.engine) as session:
        done = register_treatment(session, request, settings=pages.settings, now=pages.clock())
        assert done.patient.id is not None
        return done.patient.id


def form(name: str, **extra: str) -> dict[str, str]:
    return {
        "name": name,
        "phone": "613-555-0124",
        "language": "en",
        "channel": "sms",
        "consent_source": "in-clinic",
        "kind": "microneedling",
        "performed_date": "2026-11-24",
        "performed_time": "14:00",
        **extra,
    }


def test_the_register_page_asks_who_this_is_instead_of_renaming(pages: Pages) -> None:
    emily = add(pages, "Emily Chen", performed_at="2026-11-23T10:00")
    asked = pages.post("/treatments/new", form("Marc Chen"))
    assert asked.status_code == 400
    assert "Who is this?" in asked.text and "already Emily Chen" in asked.text
    with Session(pages.engine) as session:
        assert session.exec(select(Patient.name)).all() == ["Emily Chen"]
    another = pages.post("/treatments/new", form("Marc Chen", patient="new"))
    assert another.status_code == 303
    same = pages.post("/treatments/new", form("Emily Chen-Roy", patient=str(emily)))
    assert same.status_code == 303
    with Session(pages.engine) as session:
        names = session.exec(select(Patient.name).order_by(col(Patient.id))).all()
    assert names == ["Emily Chen-Roy", "Marc Chen"]


def test_a_duplicate_on_the_register_page_offers_to_force(pages: Pages) -> None:
    add(pages, "Emily Chen", performed_at="2026-11-24T09:00")
    refused = pages.post("/treatments/new", form("Emily Chen"))
    assert refused.status_code == 400
    assert "already registered for this patient" in refused.text
    assert 'name="force"' in refused.text
    assert pages.post("/treatments/new", form("Emily Chen", force="1")).status_code == 303
    with Session(pages.engine) as session:
        assert len(session.exec(select(Treatment)).all()) == 2


def test_writing_to_a_patient_from_the_timeline(pages: Pages) -> None:
    patient_id = add(pages, "Emily Chen")
    page = pages.client.get(f"/patients/{patient_id}").text
    assert "Write to Emily Chen" in page and "This is normal" in page  # a quick answer
    sent = pages.post(f"/patients/{patient_id}/messages", {"channel": "sms", "text": "Hello!"})
    assert sent.status_code == 303 and "done=message_queued" in sent.headers["location"]
    with Session(pages.engine) as session:
        row = session.exec(select(OutboundMessage).where(col(OutboundMessage.body).is_not(None)))
        message = row.one()
    assert (message.body, message.sent_by, message.channel) == ("Hello!", EMAIL, "sms")
    assert [e.detail for e in audit_events(pages.engine, "staff_message")] == [
        f"message:{message.id} by sms"
    ]
    timeline = pages.client.get(f"/patients/{patient_id}").text
    assert f"message from {EMAIL}" in timeline and "Hello!" in timeline

    empty = pages.post(f"/patients/{patient_id}/messages", {"channel": "sms", "text": "  "})
    assert empty.status_code == 400 and "Nothing was sent. text: write the message" in empty.text


def test_answering_a_reply_marks_it_answered(pages: Pages) -> None:
    patient_id = add(pages, "Emily Chen")
    with Session(pages.engine) as session:
        reply = IncomingReply(Medium.SMS, PHONE, "can I swim?", "SM" + "9a" * 16)
        reply_id = receive_reply(session, pages.settings, reply, now=pages.clock()).inbound_id
    page = pages.client.get(f"/patients/{patient_id}?reply={reply_id}").text
    assert f"Answering reply #{reply_id}" in page
    answer = {"channel": "sms", "text": "Not for 48 h.", "reply_to": str(reply_id)}
    assert pages.post(f"/patients/{patient_id}/messages", answer).status_code == 303
    with Session(pages.engine) as session:
        row = session.get(InboundMessage, reply_id)
    assert row is not None and row.answered_by == EMAIL and row.handled_by == EMAIL
    inbox = pages.client.get("/inbox?status=all").text
    assert f"answered by {EMAIL}" in inbox


def test_moving_a_shared_phone_reply_and_its_alert(pages: Pages) -> None:
    emily = add(pages, "Emily Chen", performed_at="2026-11-24T09:00")
    marc = add(pages, "Marc Chen", patient="new", performed_at="2026-11-24T10:00")
    with Session(pages.engine) as session:
        reply = IncomingReply(Medium.SMS, PHONE, "pus and fever", "SM" + "9b" * 16)
        reply_id = receive_reply(session, pages.settings, reply, now=pages.clock()).inbound_id
    timeline = pages.client.get(f"/patients/{marc}").text
    assert "shared phone" in timeline and "Move reply" in timeline
    moved = pages.post(f"/replies/{reply_id}/move", {"patient_id": str(emily)})
    assert moved.status_code == 303 and moved.headers["location"].startswith(f"/patients/{emily}")
    with Session(pages.engine) as session:
        alert = session.exec(select(Alert)).one()
    assert alert.patient_id == emily
    [event] = audit_events(pages.engine, "move_reply")
    assert event.target == f"patient:{emily}" and f"from patient:{marc}" in (event.detail or "")
    assert pages.post(f"/replies/{reply_id}/move", {"patient_id": "99999"}).status_code == 400
