"""Erasing a patient leaves no name, number, address or word of theirs anywhere in the database,
keeps counts and statuses, and is refused while an alert is open or a send is in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import (
    Alert,
    AuditEvent,
    InboundMessage,
    OptedOutAddress,
    OutboundMessage,
    OutboxStatus,
    Patient,
    ReplyMedia,
)
from models.db import session_scope
from models.vocabulary import ErrorCode, MediaStatus
from scheduler.privacy.erasure import ErasureRefused, erase_patient
from scheduler.privacy.patient_data import ERASED
from scheduler.settings import Settings
from tests.support.privacy import NEEDLES, Story, build_story, every_value, where_found

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ADMIN = "admin@clinic.example"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def story(engine: Engine, settings: Settings) -> Story:
    return build_story(engine, settings, NOW)


def erase(engine: Engine, patient_id: int, at: datetime = NOW) -> None:
    with session_scope(engine) as session:
        erase_patient(session, patient_id, by=ADMIN, now=at)


def statuses(engine: Engine, treatment_id: int) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(
            select(OutboundMessage.status, OutboundMessage.error_code)
            .where(OutboundMessage.treatment_id == treatment_id)
            .order_by(col(OutboundMessage.id))
        )
        return list(rows)


def test_the_story_really_holds_every_needle(engine: Engine, story: Story) -> None:
    """The search is only worth something if each needle is there before the erasure."""
    found = {needle for _table, _column, needle in where_found(engine)}
    assert found == set(NEEDLES)


def test_after_erasure_nothing_of_the_patient_is_left(engine: Engine, story: Story) -> None:
    erase(engine, story.zoe)
    assert where_found(engine) == []
    with Session(engine) as session:
        zoe = session.get(Patient, story.zoe)
        assert zoe is not None
        assert (zoe.name, zoe.phone, zoe.email, zoe.erased_at) == (ERASED, "", None, NOW)
        replies = session.exec(
            select(InboundMessage).where(InboundMessage.patient_id == story.zoe)
        ).all()
        assert {r.body for r in replies} == {ERASED}
        assert {r.media_urls for r in replies} == {None}
        sms = next(r for r in replies if r.channel == "sms")
        assert sms.provider_id == "SMzoe1"  # kept: the clinic can still redact it at Twilio
        photos = session.exec(select(ReplyMedia).where(ReplyMedia.patient_id == story.zoe)).all()
        assert len(photos) == 2  # the rows stay (counts); what they held goes
        for photo in photos:
            assert photo.status == MediaStatus.ERASED
            assert (photo.data, photo.thumbnail, photo.source) == (None, None, None)


def test_erasure_keeps_counts_and_statuses(engine: Engine, story: Story) -> None:
    before = statuses(engine, story.treatment)
    erase(engine, story.zoe)
    after = statuses(engine, story.treatment)
    assert len(after) == len(before)
    for (was, _), (now, code) in zip(before, after, strict=True):
        if was == OutboxStatus.PENDING:
            assert (now, code) == (OutboxStatus.CANCELLED, ErrorCode.ERASED)
        else:
            assert now == was
    with Session(engine) as session:
        alert = session.get(Alert, story.alert)
        assert alert is not None
        assert (alert.level, alert.status, alert.ack_note) == ("urgent", "acknowledged", ERASED)
        reply = session.get(InboundMessage, story.urgent_reply)
        assert reply is not None and reply.level == "urgent" and reply.reasons


def test_the_audit_keeps_who_erased_and_when_but_no_detail(engine: Engine, story: Story) -> None:
    erase(engine, story.zoe)
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.target == f"patient:{story.zoe}")
        ).all()
    [erased] = [e for e in events if e.action == "erase"]
    assert (erased.actor, erased.at) == (ADMIN, NOW)
    assert erased.detail is not None and "cancelled" in erased.detail
    corrected = [e for e in events if e.action == "correct_patient"]
    assert corrected and all(e.detail == ERASED for e in corrected)
    assert {e.action for e in events} >= {"view_timeline", "correct_patient", "erase"}


def test_others_are_untouched(engine: Engine, story: Story) -> None:
    def bobs(engine: Engine) -> list[tuple[str, str, str]]:
        return [v for v in every_value(engine) if "Tremblay" in v[2] or "6135550190" in v[2]]

    before = bobs(engine)
    erase(engine, story.zoe)
    assert bobs(engine) == before


def test_an_opt_out_someone_else_uses_stays(
    engine: Engine, settings: Settings, story: Story
) -> None:
    from tests.support.privacy import EMAIL, register

    with session_scope(engine) as session:
        register(
            session, settings, NOW, name="Yves Quintal", phone="613-555-0191", email=EMAIL,
            performed_at=NOW - timedelta(days=1),
        )  # fmt: skip
    erase(engine, story.zoe)
    with Session(engine) as session:
        kept = session.exec(select(OptedOutAddress.address)).all()
    assert kept == [EMAIL]  # Yves still uses that address: its opt-out is his too


def test_not_while_an_alert_is_open(engine: Engine, story: Story) -> None:
    with session_scope(engine) as session:
        alert = session.get(Alert, story.alert)
        assert alert is not None
        alert.status = "open"
        session.add(alert)
    with (
        pytest.raises(ErasureRefused, match=f"alert #{story.alert} is open"),
        session_scope(engine) as session,
    ):
        erase_patient(session, story.zoe, by=ADMIN, now=NOW)
    assert {n for _t, _c, n in where_found(engine)} == set(NEEDLES)


def test_not_while_a_message_is_being_sent(engine: Engine, story: Story) -> None:
    with session_scope(engine) as session:
        message = session.exec(
            select(OutboundMessage).where(
                OutboundMessage.treatment_id == story.treatment,
                OutboundMessage.status == OutboxStatus.PENDING,
            )
        ).first()
        assert message is not None
        message.status = OutboxStatus.SENDING
        session.add(message)
    with pytest.raises(ErasureRefused, match="being sent"), session_scope(engine) as session:
        erase_patient(session, story.zoe, by=ADMIN, now=NOW)


def test_erasing_twice_or_nobody(engine: Engine, story: Story) -> None:
    erase(engine, story.zoe)
    with pytest.raises(ErasureRefused, match="already erased"), session_scope(engine) as session:
        erase_patient(session, story.zoe, by=ADMIN, now=NOW)
    with pytest.raises(LookupError), session_scope(engine) as session:
        erase_patient(session, 999, by=ADMIN, now=NOW)
    with Session(engine) as session:
        erasures = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "erase")
        ).one()
    assert erasures == 1
