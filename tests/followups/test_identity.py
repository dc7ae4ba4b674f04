"""A patient is a person, not a phone: no silent rename, shared phones, duplicates (both DBs)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, OutboundMessage, Patient, ReplyMedia, Treatment
from models.db import session_scope
from models.vocabulary import ErrorCode, Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import register_treatment
from scheduler.followups.registration_rules import (
    DuplicateTreatment,
    KnownPatient,
    PhoneInUse,
    RegistrationError,
    choose_patient,
)
from scheduler.inbound.replies import IncomingReply, receive_reply
from scheduler.inbound.reply_moves import MoveError, move_reply
from scheduler.settings import Settings
from tests.support import photos
from tests.support.optouts import opted_out_at
from tests.support.photos import add_photo

TORONTO = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TORONTO)
YESTERDAY = "2026-11-24T14:00"
SHARED = "+16135550124"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


def register(engine: Engine, settings: Settings, **fields: object) -> int:
    request = TreatmentCreate.model_validate({"phone": SHARED, "performed_at": YESTERDAY, **fields})
    with session_scope(engine) as session:
        done = register_treatment(session, request, settings=settings, now=NOW)
        assert done.patient.id is not None
        return done.patient.id


def count(engine: Engine, table: type[Patient] | type[Treatment] | type[OutboundMessage]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def names(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Patient.name).order_by(col(Patient.id))).all())


# --- the pure rule ----------------------------------------------------------------------------

EMILY = KnownPatient(7, "Emily Chen")
MARC = KnownPatient(9, "Marc Chen")


@pytest.mark.parametrize(
    ("name", "choice", "known", "expected"),
    [
        ("Emily Chen", None, [], (None, False)),  # a new phone: a new patient
        ("emily  chen", None, [EMILY], (7, False)),  # the same name: that patient
        ("Emily Chen-Roy", "same", [EMILY], (7, True)),  # staff say she is: renamed
        ("Marc Chen", "new", [EMILY], (None, False)),  # another person sharing the phone
        ("Marc Chen", None, [EMILY, MARC], (9, False)),
        ("M. Chen", "9", [EMILY, MARC], (9, True)),  # a patient id: that one
    ],
)
def test_choose_patient(
    name: str, choice: str | None, known: list[KnownPatient], expected: tuple[int | None, bool]
) -> None:
    request = TreatmentCreate(name=name, phone=SHARED, patient=choice)
    identity = choose_patient(request, known)
    assert (identity.patient_id, identity.rename) == expected


@pytest.mark.parametrize(
    ("name", "choice", "known", "message"),
    [
        ("Marc Chen", None, [EMILY], "phone: already used by Emily Chen (patient 7)"),
        ("Zoe Chen", "same", [EMILY, MARC], "2 patients use this phone"),
        ("Zoe Chen", "12", [EMILY], "patient 12 does not use this phone"),
    ],
)
def test_choose_patient_refuses_to_guess(
    name: str, choice: str | None, known: list[KnownPatient], message: str
) -> None:
    with pytest.raises(RegistrationError, match=re.escape(message)):
        choose_patient(TreatmentCreate(name=name, phone=SHARED, patient=choice), known)


# --- on the databases ---------------------------------------------------------------------------


def test_another_name_on_a_known_phone_is_refused_and_nothing_is_written(
    engine: Engine, settings: Settings
) -> None:
    emily = register(engine, settings, name="Emily Chen")
    before = (count(engine, Patient), count(engine, Treatment), count(engine, OutboundMessage))
    with pytest.raises(PhoneInUse) as refused:
        register(engine, settings, name="Marc Chen")
    assert f"Emily Chen (patient {emily})" in str(refused.value)
    assert refused.value.known == [KnownPatient(emily, "Emily Chen")]
    assert (count(engine, Patient), count(engine, Treatment), count(engine, OutboundMessage)) == (
        before
    )
    assert names(engine) == ["Emily Chen"]  # nobody renamed, on her alert neither


def test_same_renames_and_new_adds_a_person_sharing_the_phone(
    engine: Engine, settings: Settings
) -> None:
    emily = register(engine, settings, name="Emily Chen")
    assert register(engine, settings, name="Emily Chen-Roy", patient="same", force=True) == emily
    marc = register(engine, settings, name="Marc Chen", patient="new", performed_at=NOW)
    assert marc != emily
    assert names(engine) == ["Emily Chen-Roy", "Marc Chen"]


def test_a_duplicate_is_refused_then_forced_without_a_second_copy(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, name="Emily Chen", channel="both", email="emily@example.com")
    with Session(engine) as session:
        first_id = session.exec(select(Treatment.id)).one()
    with pytest.raises(DuplicateTreatment, match=f"treatment {first_id}"):
        register(engine, settings, name="Emily Chen")
    register(
        engine, settings, name="Emily Chen", channel="both", email="emily@example.com", force=True
    )
    with Session(engine) as session:
        rows = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()
    first, second = rows[:6], rows[6:]
    assert {m.status for m in first} == {"pending"}
    # The forced treatment exists, but no address gets the same step twice.
    assert {(m.status, m.error_code) for m in second} == {("cancelled", ErrorCode.DUPLICATE)}
    assert count(engine, Treatment) == 2


def test_two_people_sharing_a_phone_the_same_day_get_one_text_per_step(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, name="Emily Chen")
    register(engine, settings, name="Marc Chen", patient="new")
    with Session(engine) as session:
        rows = session.exec(
            select(OutboundMessage.status, Patient.name)
            .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
            .join(Patient, col(Patient.id) == Treatment.patient_id)
        ).all()
    assert sorted(rows) == [("cancelled", "Marc Chen")] * 3 + [("pending", "Emily Chen")] * 3


def sms(engine: Engine, settings: Settings, body: str, sid: str) -> int:
    reply = IncomingReply(channel=Medium.SMS, from_address=SHARED, body=body, provider_id=sid)
    with Session(engine, expire_on_commit=False) as session:
        return receive_reply(session, settings, reply, now=NOW).inbound_id


def test_a_shared_phone_s_reply_goes_to_the_current_follow_up_flagged_and_can_be_moved(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Roy", phone="+16135550177", now=NOW)
        save_practitioner(session, "Dr Gagnon", phone="+16135550178", now=NOW)
    emily = register(engine, settings, name="Emily Chen", practitioner="Dr Roy")
    marc = register(
        engine,
        settings,
        name="Marc Chen",
        patient="new",
        performed_at=NOW,
        practitioner="Dr Gagnon",
    )
    reply_id = sms(engine, settings, "there's pus and a fever", "SM" + "5a" * 16)
    with Session(engine) as session:
        reply = session.get(InboundMessage, reply_id)
        alert = session.exec(select(Alert)).one()
        gagnon = session.exec(select(Treatment.practitioner_id).where(Treatment.patient_id == marc))
        gagnon_id = gagnon.one()
    assert reply is not None and reply.patient_id == marc  # the most recent follow-up
    assert reply.shared_phone  # both have an active follow-up on this phone
    assert alert.patient_id == marc and alert.practitioner_id == gagnon_id
    photo = add_photo(engine, reply_id, marc, photos.png(), alert_id=alert.id, now=NOW)

    with session_scope(engine) as session:
        assert move_reply(session, reply_id, emily) == (marc, emily)
    with Session(engine) as session:
        moved = session.get(InboundMessage, reply_id)
        alert = session.exec(select(Alert)).one()
        emily_treatment = session.exec(select(Treatment).where(Treatment.patient_id == emily))
        treatment = emily_treatment.one()
    assert moved is not None and (moved.patient_id, moved.shared_phone) == (emily, False)
    assert (alert.patient_id, alert.treatment_id) == (emily, treatment.id)
    assert alert.practitioner_id == treatment.practitioner_id  # Dr Roy now
    with Session(engine) as session:
        moved_photo = session.get(ReplyMedia, photo)
    assert moved_photo is not None and moved_photo.patient_id == emily  # the photo follows
    assert moved_photo.alert_id == alert.id

    stranger = register(engine, settings, name="Ana Lima", phone="613-555-0199")
    with session_scope(engine) as session, pytest.raises(MoveError):
        move_reply(session, reply_id, stranger)


def test_stop_from_a_shared_phone_stops_texts_for_everyone_on_it_not_their_email(
    engine: Engine, settings: Settings
) -> None:
    register(engine, settings, name="Emily Chen", channel="both", email="emily@example.com")
    register(
        engine,
        settings,
        name="Marc Chen",
        patient="new",
        performed_at="2026-11-23T10:00",  # another day: his texts are not Emily's copies
    )
    sms(engine, settings, "STOP", "SM" + "5b" * 16)
    assert opted_out_at(engine, "sms", SHARED) == NOW
    with Session(engine) as session:
        rows = session.exec(
            select(OutboundMessage.channel, OutboundMessage.status, Patient.name)
            .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
            .join(Patient, col(Patient.id) == Treatment.patient_id)
            .where(col(OutboundMessage.status) != "expired")
        ).all()
    texts = {(name, status) for channel, status, name in rows if channel == "sms"}
    emails = {(name, status) for channel, status, name in rows if channel == "email"}
    assert texts == {("Emily Chen", "cancelled"), ("Marc Chen", "cancelled")}
    assert emails == {("Emily Chen", "pending")}
    sms(engine, settings, "START", "SM" + "5c" * 16)
    assert opted_out_at(engine, "sms", SHARED) is None
