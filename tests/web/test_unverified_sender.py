"""An email nobody vouches for is shown as "unverified sender" in the API, inbox and timeline."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from models.vocabulary import Medium
from scheduler.clock import SimulatedClock
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.ops.runtime import open_database
from scheduler.settings import Settings
from scheduler.web.app import create_app
from tests.support.api import AUTH, TOKEN
from tests.support.clinic import DAY1, build_clinic
from tests.support.pages import signed_in
from tests.support.settings import make_settings


def test_unverified_email_is_marked_everywhere_staff_look(database_url: str) -> None:
    settings: Settings = make_settings(database_url, api_token=TOKEN)
    engine: Engine = open_database(settings)
    clinic = build_clinic(engine, settings)
    reply = IncomingReply(
        channel=Medium.EMAIL,
        from_address="marc@example.com",  # Marc's address, but nobody vouched for the sender
        body="STOP. Also pus and fever.",
        provider_id="forged-1@evil.example",
        sender_verified=False,
    )
    with Session(engine) as session:
        outcome = receive_reply(session, settings, reply, now=DAY1)
    assert outcome.answer is None and outcome.alert_id is None

    app = create_app(settings, engine, clock=SimulatedClock(DAY1))
    with TestClient(app, headers=AUTH) as client:
        items = client.get("/api/replies", params={"per_page": 200}).json()["items"]
    [item] = [i for i in items if i["body"] == reply.body]
    assert item["sender_verified"] is False and item["patient"]["id"] == clinic.marc
    assert all(i["sender_verified"] for i in items if i is not item)

    with signed_in(settings, engine) as pages:
        inbox = pages.client.get("/inbox").text
        timeline = pages.client.get(f"/patients/{clinic.marc}").text
    assert "unverified sender" in inbox
    assert "unverified sender" in timeline and "could not confirm" in timeline
    engine.dispose()
