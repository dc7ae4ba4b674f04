"""Many registrations at once: the rows `register_treatment` would write, a chunk per statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Insert,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import SQLModel, col

from models import (
    OutboundMessage,
    OutboxStatus,
    Patient,
    Practitioner,
    Treatment,
    TreatmentStatus,
)
from models.types import UTCDateTime
from scheduler.followups.chunk_lookups import (
    Accepted,
    ChunkIdentities,
    ChunkOutbox,
    ChunkPatient,
)
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.kinds import KindCatalog
from scheduler.followups.plan import PlannedMessage, plan_from_date
from scheduler.followups.practitioners import name_key
from scheduler.followups.registration_rules import (
    PatientDetails,
    new_patient_details,
    outbox_rows,
    updated_patient_details,
)
from scheduler.outbound import outbox_states
from scheduler.outbound.timing import SendWindow
from scheduler.settings import Settings

CHUNK_ROWS = 1_000


class _Instants:
    """Datetimes in the driver's form, each distinct one converted once.

    A file's rows share a few instants (now, each date's due times), and converting them per
    row through the column type was a third of the write time. The conversion is the column
    type's own, so what is stored is what `register_treatment` stores.
    """

    def __init__(self, dialect: Dialect) -> None:
        column_type = UTCDateTime()  # the type of every datetime column
        self._convert = column_type.dialect_impl(dialect).bind_processor(dialect)
        self._seen: dict[datetime, Any] = {}

    def __call__(self, moment: datetime) -> Any:
        found = self._seen.get(moment)
        if found is None:
            found = self._seen[moment] = self._convert(moment) if self._convert else moment
        return found


class _Converted(TypeDecorator[Any]):
    """A UTC datetime parameter that `_Instants` already converted: bound as it is."""

    impl = DateTime(timezone=True)  # still what PostgreSQL casts the parameter to
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _insert(model: type[SQLModel], instants: Sequence[str]) -> Insert:
    """INSERT whose datetime parameters `x` come as `at_x`, already converted by `_Instants`."""
    table = cast(Any, model).__table__
    return insert(table).values(
        {name: bindparam(f"at_{name}", type_=_Converted()) for name in instants}
    )


_INSERT_PATIENT = _insert(Patient, ["consent_at", "created_at"])
_INSERT_PRACTITIONER = _insert(Practitioner, ["created_at"])
_INSERT_TREATMENT = _insert(Treatment, ["performed_at", "created_at"])
_INSERT_MESSAGE = _insert(
    OutboundMessage, ["due_at", "expires_at", "next_attempt_at", "updated_at"]
)
_UPDATE_PATIENT = (
    update(Patient)
    .where(col(Patient.id) == bindparam("b_id"))
    .values(
        name=bindparam("b_name"),
        email=bindparam("b_email"),
        language=bindparam("b_language"),
        preferred_channel=bindparam("b_preferred_channel"),
    )
)


Written = int | str  # a row's treatment id, or why it was refused at write time


class BulkRegistration:
    """Writes chunks of accepted requests for one import; what it learns carries over."""

    def __init__(
        self, engine: Engine, *, settings: Settings, now: datetime, kinds: KindCatalog
    ) -> None:
        self.engine, self.settings, self.now = engine, settings, now
        self.kinds = kinds  # every request's kind was checked against these
        self.at = _Instants(engine.dialect)
        # Practitioners are few (keyed by `name_key`), and a file's treatments share a few dates.
        self.practitioners: dict[str, int] = {}
        self.plans: dict[tuple[date, str], list[PlannedMessage]] = {}

    def write(self, chunk: Sequence[Accepted]) -> list[Written]:
        """One transaction: patients, practitioners, treatments, outbox. Per row, its treatment
        id, or why it was refused (who the phone belongs to, a duplicate) with nothing written."""
        if not chunk:
            return []
        try:
            return self._write_once(chunk)
        except IntegrityError:
            # Someone registered one of these practitioners between our read and our insert;
            # the chunk rolled back whole, and reading again finds their rows.
            return self._write_once(chunk)

    def _write_once(self, chunk: Sequence[Accepted]) -> list[Written]:
        with self.engine.begin() as conn:
            chosen = ChunkIdentities(conn, chunk, self.settings)
            kept = [(n, a) for n, a in enumerate(chunk) if n not in chosen.refused]
            requests = [a.request for _, a in kept]
            patients = self._save_patients(conn, chosen, kept)
            new_practitioners = self._practitioner_ids(conn, requests)
            practitioners = {**self.practitioners, **new_practitioners}
            now = self.at(self.now)
            treatment_ids = _insert_returning_ids(
                conn,
                _INSERT_TREATMENT,
                [
                    {
                        "patient_id": patients[n].id,
                        "practitioner_id": practitioners.get(
                            name_key(a.request.practitioner or "")
                        ),
                        "kind": a.request.kind,
                        "at_performed_at": self.at(a.performed_at),
                        "status": TreatmentStatus.ACTIVE.value,
                        "at_created_at": now,
                        "cancelled_at": None,
                    }
                    for n, a in kept
                ],
            )
            chosen.say_again(patients, kept, treatment_ids)
            outbox = ChunkOutbox(conn, [(patients[n], a) for n, a in kept])
            messages = [
                {"treatment_id": treatment_id, **row}
                for (n, a), treatment_id in zip(kept, treatment_ids, strict=True)
                for row in self._outbox(a, patients[n], outbox)
            ]
            if messages:
                conn.execute(_INSERT_MESSAGE, messages)
        # Only once committed: a rolled-back chunk's practitioners do not exist.
        self.practitioners.update(new_practitioners)
        written: list[Written] = list(range(len(chunk)))
        for n, why in chosen.refused.items():
            written[n] = why
        for (n, _), treatment_id in zip(kept, treatment_ids, strict=True):
            written[n] = treatment_id
        return written

    def _plan(self, accepted: Accepted) -> list[PlannedMessage]:
        """The treatment's plan; treatments on one date share it."""
        request, zone = accepted.request, self.settings.zone
        key = (accepted.performed_at.astimezone(zone).date(), request.kind)
        plan = self.plans.get(key)
        if plan is None:
            window = SendWindow(*self.settings.window)
            plan = self.plans[key] = plan_from_date(
                key[0], zone, window, self.kinds.require(request.kind).steps
            )
        return plan

    def _outbox(
        self, accepted: Accepted, patient: ChunkPatient, outbox: ChunkOutbox
    ) -> list[dict[str, Any]]:
        """The treatment's outbox rows but its id, as `register_treatment` writes them."""
        request = accepted.request
        plan = self._plan(accepted)
        rows = outbox_rows(
            plan,
            request.channel,
            opted_out=outbox.opted_out_media(patient, request.phone),
            queued=outbox.queued_for(patient, request, plan),
            now=self.now,
        )
        outbox.now_queued(patient, request, [r for r in rows if r.status == OutboxStatus.PENDING])
        return [
            {
                "step": row.step,
                "channel": row.channel,
                "at_due_at": self.at(row.due_at),
                "at_expires_at": self.at(row.expires_at),
                "status": outbox_states.born(row.status).value,
                "attempts": 0,
                "at_next_attempt_at": self.at(row.due_at),
                "error_code": row.error_code,
                "last_error": row.last_error,
                "at_updated_at": self.at(self.now),
            }
            for row in rows
        ]

    def _save_patients(
        self, conn: Connection, chosen: ChunkIdentities, kept: list[tuple[int, Accepted]]
    ) -> dict[int, ChunkPatient]:
        """Each kept row's patient: existing ones updated as `register_treatment` would (renamed
        only on staff's word), new ones created once per (phone, name) in this chunk."""
        final: dict[int, PatientDetails] = {}  # existing patient id -> details after the chunk
        new: dict[tuple[str, str], PatientDetails] = {}
        first: dict[tuple[str, str], TreatmentCreate] = {}
        for n, accepted in kept:
            request, identity = accepted.request, chosen.identity[n]
            if identity.patient_id is not None:
                current = final.get(identity.patient_id) or chosen.stored[identity.patient_id]
                final[identity.patient_id] = updated_patient_details(
                    current, request, rename=identity.rename
                )
            else:
                key = chosen.new_key[n]
                if key in new:
                    new[key] = updated_patient_details(new[key], request, rename=identity.rename)
                else:
                    first[key] = request
                    new[key] = new_patient_details(
                        request, default_language=self.settings.default_language
                    )
        changed = [
            _patient_update(patient_id, details)
            for patient_id, details in final.items()
            if details != chosen.stored[patient_id]
        ]
        if changed:
            conn.execute(_UPDATE_PATIENT, changed)
        now = self.at(self.now)
        keys = list(first)
        new_ids = _insert_returning_ids(
            conn,
            _INSERT_PATIENT,
            [
                {
                    "phone": first[key].phone,
                    "name": new[key].name,
                    "email": new[key].email,
                    "language": new[key].language,
                    "preferred_channel": new[key].preferred_channel,
                    "consent_source": first[key].consent_source,
                    "at_consent_at": now,
                    "at_created_at": now,
                }
                for key in keys
            ],
        )
        created = dict(zip(keys, new_ids, strict=True))
        found: dict[int, ChunkPatient] = {}
        for n, _ in kept:
            identity = chosen.identity[n]
            if identity.patient_id is not None:
                found[n] = ChunkPatient(identity.patient_id, final[identity.patient_id])
            else:
                key = chosen.new_key[n]
                found[n] = ChunkPatient(created[key], new[key])
        return found

    def _practitioner_ids(
        self, conn: Connection, requests: list[TreatmentCreate]
    ) -> dict[str, int]:
        """Ids, by `name_key`, of the practitioners named here for the first time; created when
        unknown, under the first spelling met."""
        spelled: dict[str, str] = {}
        for request in requests:
            if request.practitioner:
                key = name_key(request.practitioner)
                if key not in self.practitioners:
                    spelled.setdefault(key, request.practitioner)
        if not spelled:
            return {}
        found: dict[str, int] = {}
        query = select(col(Practitioner.name), col(Practitioner.id)).order_by(col(Practitioner.id))
        for name, practitioner_id in conn.execute(query):
            assert practitioner_id is not None, "a stored row has its id"
            found.setdefault(name_key(name), practitioner_id)  # the oldest of two spellings
        found = {key: found[key] for key in spelled if key in found}
        missing = [key for key in spelled if key not in found]
        now = self.at(self.now)
        rows = [{"name": spelled[key], "active": True, "at_created_at": now} for key in missing]
        found.update(
            zip(missing, _insert_returning_ids(conn, _INSERT_PRACTITIONER, rows), strict=True)
        )
        return found


def _patient_update(patient_id: int, details: PatientDetails) -> dict[str, Any]:
    return {
        "b_id": patient_id,
        "b_name": details.name,
        "b_email": details.email,
        "b_language": details.language,
        "b_preferred_channel": details.preferred_channel,
    }


def _insert_returning_ids(
    conn: Connection, statement: Insert, rows: list[dict[str, Any]]
) -> list[int]:
    if not rows:
        return []
    table = statement.table
    returning = statement.returning(table.c.id, sort_by_parameter_order=True)
    ids = list(conn.execute(returning, rows).scalars())
    assert len(ids) == len(rows) and None not in ids, "an insert returns one id per row"
    return cast(list[int], ids)
