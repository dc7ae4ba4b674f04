"""Every reply, SMS or email, goes through here: stored once, keywords applied, triaged, alerted."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Alert,
    AlertStatus,
    InboundMessage,
    Practitioner,
)
from models.vocabulary import ALERT_LEVELS, Medium
from scheduler.contacts import mask_address
from scheduler.followups.kinds import find_kind
from scheduler.inbound.alerts import acknowledge_alert, parse_ack
from scheduler.inbound.answers import (
    URGENT,
    AnswerKind,
    answer_context,
    answer_kind,
    is_emergency,
    settled,
    urgent_answer,
)
from scheduler.inbound.kind_signs import with_kind_signs
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.inbound.photo_images import Outcome
from scheduler.inbound.photo_rules import photo_level
from scheduler.inbound.photo_store import add_reply_media, urgent_alert_before
from scheduler.inbound.reply_senders import Seen, Sender, by_provider_id, lookup
from scheduler.inbound.triage import classify
from scheduler.outbound.optout import opt_in_address, opt_out_address
from scheduler.settings import Settings
from scheduler.text_input import clean_body

log = logging.getLogger(__name__)

# Twilio caps an SMS body at 1,600 characters; an email reply is cut to a readable size.
MAX_BODY_CHARS = 10_000

# Built once: SQLAlchemy caches a statement's compiled form by its identity.
_INSERT_INBOUND = insert(InboundMessage).returning(col(InboundMessage.id))
_INSERT_ALERT = insert(Alert).returning(col(Alert.id))


@dataclass(frozen=True)
class IncomingReply:
    """A reply as a channel received it, before we know who sent it."""

    channel: Medium
    from_address: str  # E.164 phone, or a lowercased email address
    body: str
    provider_id: str | None  # Twilio MessageSid or the email's Message-ID
    to_address: str | None = None
    media_urls: tuple[str, ...] = ()
    photos: tuple[Outcome, ...] = ()  # an email's attachments, already judged (photo_images)
    received_at: datetime | None = None
    # False for an email the clinic's mail server did not authenticate (inbound/sender_auth.py).
    sender_verified: bool = True


@dataclass(frozen=True)
class ReplyOutcome:
    """What happened to one reply; `answer` is the text to send back, if any."""

    inbound_id: int
    duplicate: bool
    keyword: str | None
    level: str
    alert_id: int | None
    answer: str | None
    paged: bool = False  # the urgent alert's page reached someone before the answer was chosen
    language: str | None = None  # the language of `answer`


# Pages an urgent alert now and says whether it reached anyone (AlertNotifier.page_now).
Pager = Callable[[int], bool]


def receive_reply(
    session: Session,
    settings: Settings,
    reply: IncomingReply,
    *,
    now: datetime,
    notices: NoticeRenderer | None = None,
    pager: Pager | None = None,
) -> ReplyOutcome:
    """Store the reply (once per provider id), act on it, commit, and choose the answer.

    An urgent reply from a known patient is paged through `pager` before its answer is chosen,
    so that the answer says what really happened.
    """
    seen, sender = lookup(session, reply.channel, reply.from_address, reply.provider_id)
    if seen is not None:
        return _replayed(session, seen)
    notices = notices or NoticeRenderer(clinic_dir=settings.clinic_templates_dir)
    staff_answer = _practitioner_ack(session, settings, reply, now=now, notices=notices)
    if staff_answer is not None:
        sender = None  # a practitioner's acknowledgement, not a patient's reply
    # Triage reads what is stored, never more: its time is bounded whatever was sent.
    body = clean_body(reply.body, max_chars=MAX_BODY_CHARS)
    # The sender's current treatment may add its own red flags and expected effects.
    treatment_kind = find_kind(settings, sender.kind) if sender and sender.kind else None
    verdict = with_kind_signs(classify(body), body, treatment_kind, classify)
    # A photo alone is a concern (someone must look at it); words are triaged as they are.
    attached = len(reply.media_urls) + len(reply.photos)
    level, photo_reason = photo_level(verdict.level, body, attached)
    if staff_answer is not None:
        level, photo_reason = "routine", None
    keyword = None if staff_answer is not None else verdict.keyword
    # An email nobody vouches for (unknown or unauthenticated sender) is stored and shown to
    # staff, and that is all: no opt-out, no alert, no answer. Staff decide.
    trusted = is_trusted(reply, sender)
    arrived = reply.received_at or now
    # A photo soon after an urgent reply joins that alert (photo_rules.PHOTO_ALERT_WINDOW).
    follows = (
        urgent_alert_before(session.connection(), sender.patient_id, arrived)
        if attached and trusted and sender is not None
        else None
    )
    # A photo alone that joins an urgent alert is part of that alert: no alert of its own, and
    # no answer (the urgent answer, with its safety net, went out minutes ago; a "during clinic
    # hours" concern answer now would contradict it).
    joins_urgent = follows is not None and photo_reason is not None
    kind = None
    if staff_answer is None and trusted and not joins_urgent:
        kind = answer_kind(
            keyword=keyword,
            level=level,
            question=verdict.question,
            opted_out=sender is not None and sender.opted_out,
            routine_auto_reply=settings.routine_auto_reply,
        )
    emergency = is_emergency(verdict.reasons)
    # Unknown senders are flagged on Today but never page anyone: nobody can be paged by a
    # stranger's message.
    page_now = pager is not None and kind == URGENT and sender is not None
    if kind == URGENT and not page_now:
        kind = urgent_answer(paged=False)
    # Rendered before the INSERT: on SQLite the write lock is held from the INSERT to the commit,
    # so only database work goes in between (concurrent replies queue on that lock). An urgent
    # answer that depends on a page waits for it.
    answer = staff_answer
    if (now_kind := settled(kind)) is not None:
        answer = _answer_text(settings, sender, now_kind, notices, emergency=emergency)
    reasons = json.dumps([*verdict.reasons, *([photo_reason] if photo_reason else [])])
    settled_by_itself = staff_answer is not None or keyword is not None
    values = {
        "patient_id": sender.patient_id if sender else None,
        "treatment_id": sender.treatment_id if sender else None,
        "shared_phone": sender.shared if sender else False,
        "channel": reply.channel,
        "from_address": reply.from_address,
        "to_address": reply.to_address,
        "body": body,
        "media_urls": json.dumps(list(reply.media_urls)) if reply.media_urls else None,
        "provider_id": reply.provider_id,
        "keyword": keyword,
        "level": level,
        "reasons": reasons,
        "auto_reply": answer,
        "received_at": reply.received_at or now,
        # An acknowledgement or a STOP/START/HELP needs nobody to mark it handled.
        "handled_at": now if settled_by_itself else None,
        "handled_by": "system" if settled_by_itself else None,
        "sender_verified": trusted,
    }
    # Core statements on the session's connection: one INSERT … RETURNING instead of the ORM's
    # flush, identity map and a second UPDATE for the answer.
    connection = session.connection()
    try:
        inbound_id = _key(connection.execute(_INSERT_INBOUND, values).scalar_one())
    except IntegrityError:
        # The same MessageSid arrived twice at once: the other request stored it first.
        session.rollback()
        seen = by_provider_id(session, reply.provider_id or "")
        if seen is None:
            raise
        return _replayed(session, seen)

    alert_id = None
    if (
        trusted
        and staff_answer is None
        and keyword is None
        and level in ALERT_LEVELS
        and not joins_urgent
    ):
        alert_id = _raise_alert(
            connection, inbound_id, sender, level, reasons, now=now, claimed=page_now
        )
    add_reply_media(
        connection,
        inbound_id=inbound_id,
        patient_id=sender.patient_id if sender else None,
        alert_id=alert_id or follows,
        media_urls=reply.media_urls,
        photos=reply.photos,
        now=now,
    )
    # STOP/START is about the address it came from: every patient using that phone or email.
    # A known patient's, or any phone's (a text's sender is the carrier's word); an email
    # from an unknown or unauthenticated address opts nobody out.
    if (
        trusted
        and keyword in ("stop", "start")
        and (sender is not None or reply.channel == Medium.SMS)
    ):
        if keyword == "stop":
            opt_out_address(session, reply.channel, reply.from_address, now=now, source="stop")
        else:
            opt_in_address(session, reply.channel, reply.from_address, now=now)
    session.commit()
    paged = False
    if page_now and alert_id is not None and pager is not None:
        paged = pager(alert_id)
        answer = _answer_text(settings, sender, urgent_answer(paged), notices, emergency=emergency)
        session.execute(
            update(InboundMessage)
            .where(col(InboundMessage.id) == inbound_id)
            .values(auto_reply=answer)
        )
        session.commit()
    log.info(
        "reply #%s from %s: keyword=%s level=%s alert=%s paged=%s",
        inbound_id,
        mask_address(reply.from_address),
        keyword,
        level,
        alert_id,
        paged,
    )
    language = sender.language if sender else settings.default_language
    return ReplyOutcome(inbound_id, False, keyword, level, alert_id, answer, paged, language)


def is_trusted(reply: IncomingReply, sender: Sender | None) -> bool:
    """Texts (signed by Twilio) always; an email only from a patient's address, authenticated."""
    return reply.channel != Medium.EMAIL or (sender is not None and reply.sender_verified)


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


def _replayed(session: Session, row: Seen) -> ReplyOutcome:
    """A provider retry: nothing is stored, raised or answered a second time."""
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
    language = (
        session.exec(
            select(Practitioner.language).where(Practitioner.phone == reply.from_address)
        ).first()
        or settings.default_language
    )
    try:
        acknowledge_alert(session, alert_id, by=by, now=now)
    except LookupError:
        return notices.staff("unknown_alert", alert_id, language)
    return notices.staff("acknowledged", alert_id, language)


def _staff_name(session: Session, phone: str, settings: Settings) -> str:
    name = session.exec(select(Practitioner.name).where(Practitioner.phone == phone)).first()
    if name:
        return f"{name} (SMS)"
    return "on-call (SMS)" if phone == settings.oncall_phone else f"{mask_address(phone)} (SMS)"


def _raise_alert(
    connection: Connection,
    inbound_id: int,
    sender: Sender | None,
    level: str,
    reasons: str,
    *,
    now: datetime,
    claimed: bool,
) -> int:
    """Insert the alert; `claimed` when this request pages it itself (the job keeps off it)."""
    values = {
        "inbound_id": inbound_id,
        "patient_id": sender.patient_id if sender else None,
        "treatment_id": sender.treatment_id if sender else None,
        "practitioner_id": sender.practitioner_id if sender else None,
        "level": level,
        "reasons": reasons,
        "status": AlertStatus.OPEN,
        "created_at": now,
        "notify_attempts": 1 if claimed else 0,
        "notify_claimed_at": now if claimed else None,
    }
    return _key(connection.execute(_INSERT_ALERT, values).scalar_one())


def _key(value: int | None) -> int:
    assert value is not None  # a primary key, read back or RETURNING from an INSERT
    return value


def _answer_text(
    settings: Settings,
    sender: Sender | None,
    kind: AnswerKind,
    notices: NoticeRenderer,
    *,
    emergency: bool,
) -> str:
    language = sender.language if sender else settings.default_language
    return notices.answer(kind, language, answer_context(settings, emergency=emergency))
