"""What one chunk of a CSV import must know from the database before it is written: who
each row is for (and which rows are refused), earlier treatments, opt-outs and queued copies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, or_, select
from sqlmodel import col

from models import (
    OptedOutAddress,
    OutboundMessage,
    OutboxStatus,
    Patient,
    Treatment,
    TreatmentStatus,
)
from models.vocabulary import Medium
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.plan import PlannedMessage
from scheduler.followups.registration_rules import (
    EarlierTreatment,
    Identity,
    KnownPatient,
    OutboxRow,
    PatientDetails,
    RegistrationError,
    choose_patient,
    duplicate_error,
    duplicate_of,
)
from scheduler.outbound.optout import address_key, patient_address
from scheduler.settings import Settings


class Accepted(NamedTuple):
    """A request that passed every rule, with its aware treatment instant."""

    request: TreatmentCreate
    performed_at: datetime


class ChunkPatient(NamedTuple):
    id: int
    details: PatientDetails


class ChunkIdentities:
    """Who each row of a chunk is for, decided as `register_treatment` decides, row by row:
    rows refused (the phone is someone else's, or a duplicate) are listed with the reason."""

    def __init__(self, conn: Connection, chunk: Sequence[Accepted], settings: Settings) -> None:
        phones = list(dict.fromkeys(a.request.phone for a in chunk))
        self.stored: dict[int, PatientDetails] = {}
        known: dict[str, list[KnownPatient]] = {}
        for row in conn.execute(
            select(
                col(Patient.id),
                col(Patient.phone),
                col(Patient.name),
                col(Patient.email),
                col(Patient.language),
                col(Patient.preferred_channel),
            )
            .where(col(Patient.phone).in_(phones))
            .order_by(col(Patient.id))
        ):
            patient_id = row_id(row.id)
            self.stored[patient_id] = PatientDetails(
                row.name, row.email, row.language, row.preferred_channel
            )
            known.setdefault(row.phone, []).append(KnownPatient(patient_id, row.name))
        earlier = earlier_treatments(conn, list(self.stored), settings)
        self.identity: dict[int, Identity] = {}
        self.new_key: dict[int, tuple[str, str]] = {}
        self.refused: dict[int, str] = {}
        # A patient created by an earlier row of this chunk is known to the later ones, under
        # a stand-in id until it is inserted.
        self.stand_in: dict[tuple[str, str], int] = {}
        stand_in = self.stand_in
        # A refusal naming a patient of this chunk not yet inserted: said again once it is.
        self.restate: dict[int, tuple[TreatmentCreate, list[KnownPatient]]] = {}
        self.restate_twin: dict[int, tuple[str, EarlierTreatment]] = {}
        # Each patient's name as the rows so far left it (a "same" row renames).
        current_name: dict[int, str] = {k: d.name for k, d in self.stored.items()}
        for n, accepted in enumerate(chunk):
            request = accepted.request
            candidates = known.get(request.phone, [])
            try:
                identity = choose_patient(request, candidates)
                if identity.patient_id is not None and identity.patient_id < 0:
                    # A patient an earlier row of this chunk creates: that row's key.
                    key = next(k for k, v in stand_in.items() if v == identity.patient_id)
                    identity = Identity(None, rename=identity.rename)
                else:
                    key = (request.phone, str(n))  # a patient this row creates
                who = identity.patient_id if identity.patient_id is not None else stand_in.get(key)
                treated_on = accepted.performed_at.astimezone(settings.zone).date()
                twin = duplicate_of(request, treated_on, earlier.get(who, []) if who else [])
                if twin is not None:
                    name = current_name.get(who, request.name) if who else request.name
                    if twin.id < 0:  # a treatment of this chunk: its id is known once written
                        self.restate_twin[n] = (name, twin)
                    raise duplicate_error(name, twin)
            except RegistrationError as exc:
                self.refused[n] = str(exc)
                if any(k.id < 0 for k in candidates):
                    self.restate[n] = (request, list(candidates))
                continue
            self.identity[n] = identity
            if identity.patient_id is None:
                self.new_key[n] = key
                if key not in stand_in:
                    stand_in[key] = -(len(stand_in) + 1)
                    known.setdefault(request.phone, []).append(
                        KnownPatient(stand_in[key], request.name)
                    )
                who = stand_in[key]
            else:
                who = identity.patient_id
            if identity.rename or who not in current_name:
                current_name[who] = request.name
                known[request.phone] = [
                    KnownPatient(k.id, request.name) if k.id == who else k
                    for k in known.get(request.phone, [])
                ]
            # This row's treatment counts for the duplicates of the rows after it.
            mine = EarlierTreatment(-(n + 1), request.kind, treated_on)
            earlier.setdefault(who, []).append(mine)

    def say_again(
        self,
        patients: dict[int, ChunkPatient],
        kept: list[tuple[int, Accepted]],
        treatment_ids: list[int],
    ) -> None:
        """Refusals that named a patient or treatment this chunk writes name its real id, as a
        one-by-one registration would."""
        real = {
            self.stand_in[self.new_key[n]]: patients[n].id for n, _ in kept if n in self.new_key
        }
        for n, (request, candidates) in self.restate.items():
            named = [KnownPatient(real.get(k.id, k.id), k.name) for k in candidates]
            try:
                choose_patient(request, named)
            except RegistrationError as exc:
                self.refused[n] = str(exc)
        written = {-(n + 1): t for (n, _), t in zip(kept, treatment_ids, strict=True)}
        for n, (name, twin) in self.restate_twin.items():
            found = EarlierTreatment(written[twin.id], twin.kind, twin.treated_on)
            self.refused[n] = str(duplicate_error(name, found))


def earlier_treatments(
    conn: Connection, patient_ids: list[int], settings: Settings
) -> dict[int, list[EarlierTreatment]]:
    found: dict[int, list[EarlierTreatment]] = {}
    if not patient_ids:
        return found
    query = select(
        col(Treatment.id),
        col(Treatment.patient_id),
        col(Treatment.kind),
        col(Treatment.performed_at),
    ).where(
        col(Treatment.patient_id).in_(patient_ids),
        col(Treatment.status) == TreatmentStatus.ACTIVE,
    )
    for treatment_id, patient_id, kind, performed in conn.execute(query):
        treated_on = performed.astimezone(settings.zone).date()
        found.setdefault(patient_id, []).append(
            EarlierTreatment(row_id(treatment_id), kind, treated_on)
        )
    return found


class ChunkOutbox:
    """What a chunk's rows must know about the outbox: opted-out addresses, and messages
    already queued to an address (stored, or written by an earlier row of this import)."""

    def __init__(self, conn: Connection, rows: list[tuple[ChunkPatient, Accepted]]) -> None:
        addresses = {
            address_key(medium, address)
            for patient, accepted in rows
            for medium, address in _addresses(patient, accepted.request.phone)
        }
        self.blocked = _opted_out(conn, addresses)
        self.queued = _queued(conn, addresses)

    def opted_out_media(self, patient: ChunkPatient, phone: str) -> set[str]:
        return {m for m, a in _addresses(patient, phone) if address_key(m, a) in self.blocked}

    def queued_for(
        self, patient: ChunkPatient, request: TreatmentCreate, plan: Sequence[PlannedMessage]
    ) -> set[tuple[str, str]]:
        """The (medium, step) pairs already queued to this patient's addresses, as
        `outbox.queued_copies` finds them for one registration."""
        return {
            (medium, planned.step)
            for medium, address in _addresses(patient, request.phone)
            for planned in plan
            if (*address_key(medium, address), request.kind, planned.step, planned.due_at)
            in self.queued
        }

    def now_queued(
        self, patient: ChunkPatient, request: TreatmentCreate, rows: Sequence[OutboxRow]
    ) -> None:
        """This import queued these: a later row's copy of one of them is a twin."""
        addresses = dict(_addresses(patient, request.phone))
        for row in rows:
            address = addresses.get(row.channel)
            if address is not None:
                key = (*address_key(row.channel, address), request.kind, row.step, row.due_at)
                self.queued.setdefault(key, 0)


def _addresses(patient: ChunkPatient, phone: str) -> list[tuple[str, str]]:
    found = [(Medium.SMS.value, phone)]
    if patient.details.email:
        found.append((Medium.EMAIL.value, patient.details.email))
    return found


def _opted_out(conn: Connection, addresses: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if not addresses:
        return set()
    query = select(col(OptedOutAddress.medium), col(OptedOutAddress.address)).where(
        or_(
            *(
                (col(OptedOutAddress.medium) == m) & (col(OptedOutAddress.address) == a)
                for m, a in addresses
            )
        )
    )
    return {(m, a) for m, a in conn.execute(query)}


_LIVE = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.DELIVERED)


def _queued(
    conn: Connection, addresses: set[tuple[str, str]]
) -> dict[tuple[str, str, str, str, datetime], int]:
    """Live messages to these addresses, by (medium, address, kind, step, due_at)."""
    found: dict[tuple[str, str, str, str, datetime], int] = {}
    for medium in (Medium.SMS, Medium.EMAIL):
        wanted = sorted(a for m, a in addresses if m == medium)
        if not wanted:
            continue
        column = patient_address(medium)
        query = (
            select(
                col(OutboundMessage.id),
                column,
                col(Treatment.kind),
                col(OutboundMessage.step),
                col(OutboundMessage.due_at),
            )
            .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
            .join(Patient, col(Patient.id) == Treatment.patient_id)
            .where(
                col(OutboundMessage.channel) == medium,
                col(OutboundMessage.status).in_(_LIVE),
                column.in_(wanted),
            )
        )
        for message_id, address, kind, step, due_at in conn.execute(query):
            found.setdefault((medium.value, address, kind, step, due_at), row_id(message_id))
    return found


def row_id(value: int | None) -> int:
    assert value is not None  # a primary key read back from the database
    return value
