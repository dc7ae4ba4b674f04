"""Every reply, SMS or email, goes through here: stored once, keywords applied, triaged, alerted."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models import Alert, InboundMessage, Patient, Practitioner, Treatment, TreatmentStatus
from scheduler.alerts import acknowledge_alert, parse_ack
from scheduler.contacts import display_phone, mask_address
from scheduler.notices import Answer, NoticeRenderer
from scheduler.optout import opt_in, opt_out
from scheduler.settings import Settings
from scheduler.triage import classify

log = logging.getLogger(__name__)

ALERT_LEVELS = ("urgent", "concern")
# Twilio caps an SMS body at 1,600 characters; an email reply is cut to a readable size.
MAX_BODY_CHARS = 10_000


@dataclass(frozen=True)
class IncomingReply:
    """A reply as a channel received it, before we know who sent it."""

    channel: Literal["sms", "email"]
    from_address: str  # E.164 phone, or a lowercased email address
    body: str
    provider_id: str | None  # Twilio MessageSid or the email's Message-ID
    to_address: str | None = None
    media_urls: tuple[str, ...] = ()
    received_at: datetime | None = None


@dataclass(frozen=True)
class ReplyOutcome:
    """What happened to one reply; `answer` is the text to send back, if any."""

    inbound_id: int
    duplicate: bool
    keyword: str | None
    level: str
    alert_id: int | None
    answer: str | None


def receive_reply(
    session: Session,
    settings: Settings,
    reply: IncomingReply,
    *,
    now: datetime,
    notices: NoticeRenderer | None = None,
) -> ReplyOutcome:
    """Store the reply (once per provider id), act on it, and commit."""
    if reply.provider_id and (seen := _by_provider_id(session, reply.provider_id)) is not None:
        return _replayed(session, seen)
    notices = notices or NoticeRenderer()
    staff_answer = _practitioner_ack(session, settings, reply, now=now, notices=notices)
    patient = None if staff_answer is not None else _find_patient(session, reply)
    treatment = _current_treatment(session, patient) if patient else None
    verdict = classify(reply.body)
    level = "routine" if staff_answer is not None else verdict.level
    row = InboundMessage(
        patient_id=patient.id if patient else None,
        treatment_id=treatment.id if treatment else None,
        channel=reply.channel,
        from_address=reply.from_address,
        to_address=reply.to_address,
        body=reply.body[:MAX_BODY_CHARS],
        media_urls=json.dumps(list(reply.media_urls)) if reply.media_urls else None,
        provider_id=reply.provider_id,
        keyword=verdict.keyword,
        level=level,
        reasons=json.dumps(list(verdict.reasons)),
        received_at=reply.received_at or now,
    )
    if staff_answer is not None:
        row.keyword, row.handled_at, row.handled_by = None, now, "system"
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # The same MessageSid arrived twice at once: the other request stored it first.
        session.rollback()
        seen = _by_provider_id(session, reply.provider_id or "")
        if seen is None:
            raise
        return _replayed(session, seen)
    assert row.id is not None

    alert_id = None
    if staff_answer is None and verdict.keyword is None and level in ALERT_LEVELS:
        alert_id = _raise_alert(session, row, treatment, level, now=now)
    answer = staff_answer or _answer_patient(
        session, settings, patient, verdict.keyword, level, now=now, notices=notices
    )
    row.auto_reply = answer
    session.add(row)
    session.commit()
    log.info(
        "reply #%s from %s: keyword=%s level=%s alert=%s",
        row.id,
        mask_address(reply.from_address),
        row.keyword,
        level,
        alert_id,
    )
    return ReplyOutcome(row.id, False, row.keyword, level, alert_id, answer)


def mark_handled(session: Session, inbound_id: int, *, by: str, now: datetime) -> InboundMessage:
    """Staff have dealt with this reply; the first marking is kept."""
    row = session.get(InboundMessage, inbound_id)
    if row is None:
        raise LookupError(f"no reply with id {inbound_id}")
    if row.handled_at is None:
        row.handled_at, row.handled_by = now, by
        session.add(row)
        session.commit()
    return row


def _by_provider_id(session: Session, provider_id: str) -> InboundMessage | None:
    return session.exec(
        select(InboundMessage).where(InboundMessage.provider_id == provider_id)
    ).first()


def _replayed(session: Session, row: InboundMessage) -> ReplyOutcome:
    """A provider retry: nothing is stored, raised or answered a second time."""
    assert row.id is not None
    alert_id = session.exec(select(Alert.id).where(Alert.inbound_id == row.id)).first()
    return ReplyOutcome(row.id, True, row.keyword, row.level or "routine", alert_id, None)


def _practitioner_ack(
    session: Session,
    settings: Settings,
    reply: IncomingReply,
    *,
    now: datetime,
    notices: NoticeRenderer,
) -> str | None:
    """`OK 12` from a practitioner's or the on-call phone acknowledges alert 12."""
    alert_id = parse_ack(reply.body)
    if alert_id is None or reply.channel != "sms":
        return None
    staff_phones = set(
        session.exec(select(Practitioner.phone).where(col(Practitioner.phone).is_not(None))).all()
    )
    if settings.oncall_phone:
        staff_phones.add(settings.oncall_phone)
    if reply.from_address not in staff_phones:
        return None
    by = _staff_name(session, reply.from_address, settings)
    try:
        acknowledge_alert(session, alert_id, by=by, now=now)
    except LookupError:
        return notices.staff("unknown_alert", alert_id)
    return notices.staff("acknowledged", alert_id)


def _staff_name(session: Session, phone: str, settings: Settings) -> str:
    name = session.exec(select(Practitioner.name).where(Practitioner.phone == phone)).first()
    if name:
        return f"{name} (SMS)"
    return "on-call (SMS)" if phone == settings.oncall_phone else f"{mask_address(phone)} (SMS)"


def _find_patient(session: Session, reply: IncomingReply) -> Patient | None:
    if reply.channel == "sms":
        return session.exec(select(Patient).where(Patient.phone == reply.from_address)).first()
    # Several patients may share a family address: take the one treated most recently.
    latest = (
        select(Patient)
        .join(Treatment, col(Treatment.patient_id) == col(Patient.id), isouter=True)
        .where(func.lower(Patient.email) == reply.from_address.lower())
        .order_by(col(Treatment.performed_at).desc())
    )
    return session.exec(latest).first()


def _current_treatment(session: Session, patient: Patient) -> Treatment | None:
    """The most recent treatment still under follow-up, else the most recent one."""
    query = (
        select(Treatment)
        .where(Treatment.patient_id == patient.id)
        .order_by(
            (col(Treatment.status) == TreatmentStatus.ACTIVE).desc(),
            col(Treatment.performed_at).desc(),
        )
    )
    return session.exec(query).first()


def _raise_alert(
    session: Session,
    row: InboundMessage,
    treatment: Treatment | None,
    level: str,
    *,
    now: datetime,
) -> int:
    alert = Alert(
        inbound_id=row.id or 0,
        patient_id=row.patient_id,
        treatment_id=treatment.id if treatment else None,
        practitioner_id=treatment.practitioner_id if treatment else None,
        level=level,
        reasons=row.reasons or "[]",
        created_at=now,
    )
    session.add(alert)
    session.flush()
    assert alert.id is not None
    return alert.id


def _answer_patient(
    session: Session,
    settings: Settings,
    patient: Patient | None,
    keyword: str | None,
    level: str,
    *,
    now: datetime,
    notices: NoticeRenderer,
) -> str | None:
    """Apply a keyword, and pick the one automatic answer the sender gets (or none)."""
    which: Answer | None = None
    if keyword == "stop":
        if patient is not None and patient.id is not None:
            opt_out(session, patient.id, now=now)
        which = "stop"
    elif keyword == "start":
        if patient is not None and patient.id is not None:
            opt_in(session, patient.id, now=now)
        which = "start"
    elif keyword == "help":
        which = "help"
    elif patient is not None and patient.opted_out_at is not None:
        # They asked for no more texts; their reply still reaches staff, unanswered.
        which = None
    elif level == "urgent":
        which = "urgent"
    elif level == "concern":
        which = "concern"
    elif settings.routine_auto_reply:
        which = "routine"
    if which is None:
        return None
    language = patient.language if patient else settings.default_language
    return notices.answer(
        which,
        language,
        clinic_name=settings.clinic_name,
        clinic_phone=display_phone(settings.clinic_phone),
    )
