"""Who sent a reply: an earlier copy of it (a provider retry), else the patient, found in one
statement for a text. A family may share a phone or email: the reply goes to whoever's
follow-up is current, flagged when several are."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, exists
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func

from models import InboundMessage, OptedOutAddress, Patient, Treatment, TreatmentStatus
from models.vocabulary import Medium

# Statements built once (SQLAlchemy caches their compiled form by this identity).
_CURRENT_FIRST = (  # the most recent treatment still under follow-up, else the most recent one
    (col(Treatment.status) == TreatmentStatus.ACTIVE).desc(),
    col(Treatment.performed_at).desc(),
)
# The id of an earlier reply with this provider id (a Twilio retry), or NULL.
_SEEN_ID = (
    core_select(col(InboundMessage.id))
    .where(col(InboundMessage.provider_id) == bindparam("provider_id"))
    .scalar_subquery()
)
# Every patient using the phone, with each of their treatments (a family shares a phone; the
# reply goes to whoever's follow-up is current), the replay check and the phone's opt-out.
_SMS_LOOKUP = (
    core_select(
        _SEEN_ID,
        col(Patient.id),
        col(Patient.language),
        exists()
        .where(
            col(OptedOutAddress.medium) == Medium.SMS,
            col(OptedOutAddress.address) == bindparam("phone"),
        )
        .label("opted_out"),
        col(Treatment.id),
        col(Treatment.practitioner_id),
        col(Treatment.status),
        col(Treatment.kind),
    )
    .join(Treatment, col(Treatment.patient_id) == col(Patient.id), isouter=True)
    .where(col(Patient.phone) == bindparam("phone"))
    .order_by(*_CURRENT_FIRST, col(Patient.id))
)
_SEEN = core_select(
    col(InboundMessage.id), col(InboundMessage.keyword), col(InboundMessage.level)
).where(col(InboundMessage.provider_id) == bindparam("provider_id"))


class Seen(NamedTuple):
    """The first copy of a reply a provider delivered again."""

    id: int
    keyword: str | None
    level: str | None


def by_provider_id(session: Session, provider_id: str) -> Seen | None:
    row = session.connection().execute(_SEEN, {"provider_id": provider_id}).first()
    return Seen(_key(row[0]), row[1], row[2]) if row is not None else None


class Sender(NamedTuple):
    """The patient a reply came from, with their current treatment (if any)."""

    patient_id: int
    language: str
    opted_out: bool  # the address the reply came from opted out (of this medium)
    treatment_id: int | None
    practitioner_id: int | None
    shared: bool = False  # several patients with an active follow-up use this address
    kind: str | None = None  # the current treatment's kind


def lookup(
    session: Session, channel: str, from_address: str, provider_id: str | None
) -> tuple[Seen | None, Sender | None]:
    """An earlier copy of this reply (a provider retry), else the patient who sent it, if known."""
    if channel == Medium.SMS:
        # One statement for a patient's text: the replay check, the patients using the phone
        # and their treatments, current first (_CURRENT_FIRST), and the phone's opt-out.
        parameters = {"phone": from_address, "provider_id": provider_id}
        rows = session.connection().execute(_SMS_LOOKUP, parameters).all()
        if rows and rows[0][0] is None:
            return None, _current([(r[1], r[2], bool(r[3]), *r[4:8]) for r in rows])
        # A replay, or a number that is no patient's (then no row carried the replay check).
        return _earlier_copy(session, provider_id), None
    seen = _earlier_copy(session, provider_id)
    return seen, None if seen is not None else _email_sender(session, from_address)


# patient id, language, opted out, treatment id, practitioner id, treatment status, kind
_Candidate = tuple[int | None, str, bool, int | None, int | None, str | None, str | None]


def _current(candidates: list[_Candidate]) -> Sender:
    """The first candidate (current treatment first), flagged when another patient at the same
    address has an active follow-up too."""
    patient_id, language, blocked, treatment_id, practitioner_id, _status, kind = candidates[0]
    active = {c[0] for c in candidates if c[5] == TreatmentStatus.ACTIVE}
    return Sender(
        _key(patient_id),
        language,
        blocked,
        treatment_id,
        practitioner_id,
        shared=len(active) > 1,
        kind=kind,
    )


def _earlier_copy(session: Session, provider_id: str | None) -> Seen | None:
    return by_provider_id(session, provider_id) if provider_id else None


def _email_sender(session: Session, from_address: str) -> Sender | None:
    address = from_address.casefold()
    blocked = exists().where(
        col(OptedOutAddress.medium) == Medium.EMAIL, col(OptedOutAddress.address) == address
    )
    query = (
        core_select(
            col(Patient.id),
            col(Patient.language),
            blocked.label("opted_out"),
            col(Treatment.id),
            col(Treatment.practitioner_id),
            col(Treatment.status),
            col(Treatment.kind),
        )
        .join(Treatment, col(Treatment.patient_id) == col(Patient.id), isouter=True)
        .where(func.lower(Patient.email) == address)
        .order_by(*_CURRENT_FIRST, col(Patient.id))
    )
    rows = session.connection().execute(query).all()
    if not rows:
        return None
    return _current([(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6]) for r in rows])


def _key(value: int | None) -> int:
    assert value is not None  # a primary key read back from the database
    return value
