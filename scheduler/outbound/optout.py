"""Opting out and back in, per address: STOP/ARRET, carrier 21610, the one-click link, START.

An opt-out belongs to what the law ties it to: a phone number for texts, an email address for
email. STOP from a family's shared phone stops texts to that phone for everyone using it; the
email of each of them still goes out unless that address opted out too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, ScalarSelect, case, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import OptedOutAddress, OutboundMessage, OutboxStatus, Patient, Treatment
from models.vocabulary import ErrorCode, Medium, TreatmentStatus
from scheduler.channels.media import MEDIA, address_of
from scheduler.outbound import outbox_states

Address = tuple[str, str]  # (medium, address)


def address_key(medium: str, address: str) -> Address:
    """How an address is compared: emails without case, phones as stored (E.164)."""
    return (medium, address.casefold() if medium == Medium.EMAIL else address)


def patient_address(medium: str) -> ColumnElement[str]:
    """The patient's address for `medium`, as SQL (emails lowercased like `address_key`)."""
    column = cast(ColumnElement[str], getattr(Patient, MEDIA[Medium(medium)].address_field))
    return func.lower(column) if medium == Medium.EMAIL else column


def row_opted_out() -> ColumnElement[bool]:
    """SQL: the outbox row's address (by its channel) opted out; needs Patient in the query."""
    address = case(
        *((col(OutboundMessage.channel) == m, patient_address(m)) for m in MEDIA),
        else_=None,
    )
    return exists().where(
        col(OptedOutAddress.medium) == col(OutboundMessage.channel),
        col(OptedOutAddress.address) == address,
    )


def opted_out(session: Session, addresses: Iterable[Address]) -> set[Address]:
    """Which of these (medium, address) pairs opted out; one query."""
    wanted = {address_key(m, a) for m, a in addresses if a}
    if not wanted:
        return set()
    conditions = [
        (col(OptedOutAddress.medium) == m) & (col(OptedOutAddress.address) == a) for m, a in wanted
    ]
    rows = session.exec(
        select(OptedOutAddress.medium, OptedOutAddress.address).where(or_(*conditions))
    ).all()
    return {(m, a) for m, a in rows}


def patient_addresses(patient: Patient) -> list[Address]:
    """Every (medium, address) the patient can be reached at."""
    return [
        address_key(medium, address)
        for medium in MEDIA
        if (address := address_of(patient, medium)) is not None
    ]


def opted_out_media(session: Session, patient: Patient) -> set[str]:
    """The media this patient can no longer be sent follow-ups by."""
    return {medium for medium, _ in opted_out(session, patient_addresses(patient))}


def opted_out_by_patient(session: Session, patients: Iterable[Patient]) -> dict[int, set[str]]:
    """For each patient (by id), the media their addresses opted out of; one query."""
    people = [p for p in patients if p.id is not None]
    blocked = opted_out(session, [a for p in people for a in patient_addresses(p)])
    return {
        p.id: {medium for medium, address in patient_addresses(p) if (medium, address) in blocked}
        for p in people
        if p.id is not None
    }


def opt_out_address(
    session: Session, medium: str, address: str, *, now: datetime, source: str
) -> int:
    """Record the opt-out and cancel every unsent message to that address (no commit)."""
    medium, address = address_key(medium, address)
    if not opted_out(session, [(medium, address)]):
        try:
            with session.begin_nested():
                session.add(
                    OptedOutAddress(medium=medium, address=address, opted_out_at=now, source=source)
                )
        except IntegrityError:
            pass  # a concurrent STOP recorded it first: the opt-out stands either way
    result = session.execute(
        outbox_states.move([OutboxStatus.PENDING], OutboxStatus.CANCELLED)
        .where(
            col(OutboundMessage.channel) == medium,
            col(OutboundMessage.treatment_id).in_(_treatments_at(medium, address)),
        )
        .values(error_code=ErrorCode.OPTED_OUT, last_error="patient opted out", updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def opt_in_address(session: Session, medium: str, address: str, *, now: datetime) -> int:
    """Clear the opt-out and revive the messages it stopped that are still useful (no commit)."""
    medium, address = address_key(medium, address)
    found = session.exec(
        select(OptedOutAddress).where(
            OptedOutAddress.medium == medium, OptedOutAddress.address == address
        )
    ).first()
    if found is not None:
        session.delete(found)
    result = session.execute(
        outbox_states.move([OutboxStatus.CANCELLED], OutboxStatus.PENDING)
        .where(
            col(OutboundMessage.channel) == medium,
            col(OutboundMessage.treatment_id).in_(
                _treatments_at(medium, address, active_only=True)
            ),
            col(OutboundMessage.error_code) == ErrorCode.OPTED_OUT,
            col(OutboundMessage.expires_at) > now,
        )
        .values(error_code=None, last_error=None, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def opt_out_patient(
    session: Session, patient_id: int, *, now: datetime, source: str = "staff"
) -> int:
    """Opt out every address of the patient (staff acting on their request); no commit."""
    patient = _patient(session, patient_id)
    return sum(
        opt_out_address(session, medium, address, now=now, source=source)
        for medium, address in patient_addresses(patient)
    )


def opt_in_patient(session: Session, patient_id: int, *, now: datetime) -> int:
    """Opt every address of the patient back in; no commit."""
    patient = _patient(session, patient_id)
    return sum(
        opt_in_address(session, medium, address, now=now)
        for medium, address in patient_addresses(patient)
    )


def _patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient with id {patient_id}")
    return patient


def _treatments_at(
    medium: str, address: str, *, active_only: bool = False
) -> ScalarSelect[int | None]:
    """Ids of the treatments of every patient reached at this address."""
    query = (
        select(Treatment.id)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
        .where(patient_address(medium) == address)
    )
    if active_only:
        query = query.where(Treatment.status == TreatmentStatus.ACTIVE)
    return query.scalar_subquery()
