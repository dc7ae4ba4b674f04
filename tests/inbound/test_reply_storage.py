"""How a reply is stored: few statements, one row per MessageSid under concurrent delivery."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, OutboundMessage, OutboxStatus
from models.db import session_scope
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.inbound.replies import IncomingReply, ReplyOutcome, receive_reply
from scheduler.settings import Settings
from scheduler.web import twilio_webhooks as webhooks
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=TORONTO)
PATIENT = "+15145550511"
DR_PHONE = "+16135550188"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def reply_settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(autouse=True)
def patient(engine: Engine, reply_settings: Settings) -> None:
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Paul Roy", phone=DR_PHONE, now=PERFORMED)
    request = TreatmentCreate.model_validate(
        {"name": "Léa Morin", "phone": PATIENT, "language": "fr", "practitioner": "Dr Paul Roy"}
    )
    with session_scope(engine) as session:
        register_treatment(session, request, settings=reply_settings, now=PERFORMED)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The first word of every SQL statement the engine sends while in the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]).split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sms(body: str, sid: str, sender: str = PATIENT) -> IncomingReply:
    return IncomingReply(channel=Medium.SMS, from_address=sender, body=body, provider_id=sid)


def store(engine: Engine, settings: Settings, reply: IncomingReply) -> ReplyOutcome:
    with Session(engine, expire_on_commit=False) as session:
        return receive_reply(session, settings, reply, now=NOW, notices=NoticeRenderer())


def stored(engine: Engine) -> list[InboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(InboundMessage).order_by(col(InboundMessage.id))))


def test_a_patients_reply_is_one_lookup_and_one_insert(
    engine: Engine, reply_settings: Settings
) -> None:
    with statements(engine) as sent:
        outcome = store(engine, reply_settings, sms("Merci, tout va bien", "SM" + "11" * 16))
    # replay check, patient and current treatment in one SELECT; the row, its answer included
    assert sent == ["SELECT", "INSERT"]
    [row] = stored(engine)
    assert row.id == outcome.inbound_id and row.level == "routine" and row.treatment_id
    assert row.patient_id is not None and row.auto_reply is None


def test_an_urgent_reply_adds_only_the_alert_and_keeps_its_answer(
    engine: Engine, reply_settings: Settings
) -> None:
    reply = sms("j'ai de la fièvre et du pus", "SM" + "12" * 16)
    with statements(engine) as sent:
        outcome = store(engine, reply_settings, reply)
    assert sent == ["SELECT", "INSERT", "INSERT"]  # no UPDATE for the answer
    [row] = stored(engine)
    assert outcome.answer and "911" in outcome.answer and row.auto_reply == outcome.answer
    with Session(engine) as session:
        [alert] = session.exec(select(Alert)).all()
    assert alert.id == outcome.alert_id and alert.inbound_id == row.id
    assert alert.practitioner_id is not None and alert.treatment_id == row.treatment_id
    assert alert.status == "open" and alert.notify_attempts == 0 and alert.created_at == NOW


def test_stop_stores_the_reply_and_cancels_in_the_same_commit(
    engine: Engine, reply_settings: Settings
) -> None:
    outcome = store(engine, reply_settings, sms("ARRET", "SM" + "13" * 16))
    assert outcome.keyword == "stop" and outcome.answer and "COMMENCER" in outcome.answer
    with Session(engine) as session:
        statuses = {row.status for row in session.exec(select(OutboundMessage))}
    assert statuses == {OutboxStatus.CANCELLED}
    [row] = stored(engine)
    assert row.keyword == "stop" and row.auto_reply == outcome.answer


def test_an_acknowledgement_is_stored_handled_without_keyword_or_alert(
    engine: Engine, reply_settings: Settings
) -> None:
    first = store(engine, reply_settings, sms("fièvre et pus", "SM" + "14" * 16))
    ack = store(engine, reply_settings, sms(f"ok {first.alert_id}", "SM" + "15" * 16, DR_PHONE))
    assert ack.alert_id is None and ack.keyword is None and ack.level == "routine"
    assert ack.answer and f"Alert {first.alert_id} acknowledged" in ack.answer
    row = stored(engine)[-1]
    assert row.handled_by == "system" and row.handled_at == NOW and row.patient_id is None


@pytest.mark.parametrize("sender", [PATIENT, "+14165550999"], ids=["patient", "unknown number"])
def test_a_replay_is_answered_from_the_first_copy(
    engine: Engine, reply_settings: Settings, sender: str
) -> None:
    first = store(engine, reply_settings, sms("fièvre et pus", "SM" + "17" * 16, sender))
    again = store(engine, reply_settings, sms("fièvre et pus", "SM" + "17" * 16, sender))
    assert again.duplicate and not first.duplicate and again.answer is None
    assert (again.inbound_id, again.alert_id, again.level) == (
        first.inbound_id,
        first.alert_id,
        first.level,
    )
    assert len(stored(engine)) == 1


def test_the_same_message_sid_delivered_at_once_is_stored_and_alerted_once(
    engine: Engine, reply_settings: Settings
) -> None:
    """Twilio retries can overlap: the unique provider id decides, the losers answer nothing."""
    workers = 6
    barrier = threading.Barrier(workers)
    outcomes: list[ReplyOutcome] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            outcomes.append(store(engine, reply_settings, sms("fièvre et pus", "SM" + "16" * 16)))
        except BaseException as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(outcomes) == workers
    assert sorted(o.duplicate for o in outcomes) == [False] + [True] * (workers - 1)
    assert len({o.inbound_id for o in outcomes}) == 1 and len({o.alert_id for o in outcomes}) == 1
    assert [o.answer is not None for o in outcomes].count(True) == 1
    assert len(stored(engine)) == 1
    with Session(engine) as session:
        assert len(session.exec(select(Alert)).all()) == 1


def test_webhook_dependencies_run_on_the_event_loop() -> None:
    """A plain `def` dependency costs a thread-pool hop per request (bench/webhook_load)."""
    routes = [route for route in webhooks.router.routes if isinstance(route, APIRoute)]
    assert {route.path for route in routes} >= {"/webhooks/twilio/sms", "/webhooks/twilio/status"}
    for route in routes:
        calls = [dependency.call for dependency in route.dependant.dependencies]
        assert calls, route.path
        for call in calls:
            assert inspect.iscoroutinefunction(call), f"{route.path}: {call} is not async"
