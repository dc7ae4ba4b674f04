"""Every table that holds a patient's data, registered once: what their export shows of it, and
what erasing them does to it.

Adding a table (patient photos, say) is one entry in `PATIENT_DATA`, usually built by
`table_data`: the rows that are the patient's, and the columns erasure overwrites (plus, if
the rows point at files, a function that deletes those). The erasure test searches every text
column of every table for the patient's name, phone, email and words, so a table holding
patient data without an entry here fails it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, delete, func, literal, or_, update
from sqlmodel import Session, SQLModel, col, select

from models import (
    Alert,
    AuditEvent,
    InboundMessage,
    OptedOutAddress,
    OutboundMessage,
    Patient,
    ReplyMedia,
    Treatment,
)
from models.vocabulary import MediaStatus, Medium
from scheduler.staff import audit

ERASED = "[erased]"  # what replaces a text that must not stay, where the column needs a value

Row = dict[str, Any]
Owner = Callable[[int], ColumnElement[bool]]  # SQL: the rows of patient N


@dataclass(frozen=True)
class ErasedPatient:
    """Who is being erased, as they were just before: what other tables are searched for."""

    id: int
    phone: str
    email: str | None


@dataclass(frozen=True)
class PatientData:
    """One kind of the patient's data: `export` lists it, `erase` removes it (rows changed)."""

    section: str  # its key in the export
    export: Callable[[Session, int], list[Row]]
    erase: Callable[[Session, ErasedPatient], int]
    single: bool = False  # the export shows one object, not a list (the patient themselves)


def json_value(value: object) -> object:
    """A column value as JSON holds it: times in UTC ISO 8601, the rest as is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def as_row(record: SQLModel) -> Row:
    """Every column of a table row, in the table's order, JSON-ready."""
    table = getattr(type(record), "__table__")  # noqa: B009 (SQLModel's typing hides it)
    return {column.name: json_value(getattr(record, column.name)) for column in table.columns}


def table_data(
    section: str,
    table: type[SQLModel],
    owner: Owner,
    scrub: Mapping[str, object],
    *,
    order_by: Sequence[str] = ("id",),
    after_erase: Callable[[Session, list[Any]], None] | None = None,
    single: bool = False,
) -> PatientData:
    """The usual entry: the patient's rows of `table`, and each column erasure overwrites with
    its value (a constant, or an SQL expression) wherever the column holds something; erasing
    returns the number of the patient's rows it went over.

    `after_erase` gets the rows as they were (e.g. to delete the files they point at).
    """

    def rows(session: Session, patient_id: int) -> list[Any]:
        ordering = [getattr(table, name) for name in order_by]
        return list(session.exec(select(table).where(owner(patient_id)).order_by(*ordering)))

    def export(session: Session, patient_id: int) -> list[Row]:
        return [as_row(record) for record in rows(session, patient_id)]

    def erase(session: Session, patient: ErasedPatient) -> int:
        before = rows(session, patient.id) if after_erase is not None else []
        if not scrub:
            return 0
        # One UPDATE for the table; a column with nothing in it stays empty (NULL stays NULL).
        values = {
            name: case((col(getattr(table, name)).is_(None), None), else_=value)
            for name, value in scrub.items()
        }
        result = session.execute(
            update(table)
            .where(owner(patient.id))
            .values(values)
            .execution_options(synchronize_session=False)
        )
        if after_erase is not None:
            after_erase(session, before)
        return int(result.rowcount)  # type: ignore[attr-defined]

    return PatientData(section, export, erase, single)


# --- the tables of Aftercare ---------------------------------------------------------------------


def _treatments_of(patient_id: int) -> ColumnElement[bool]:
    ids = select(Treatment.id).where(Treatment.patient_id == patient_id)
    return col(OutboundMessage.treatment_id).in_(ids.scalar_subquery())


# A reply's content: also what retention scrubs from replies no patient was matched to.
REPLY_SCRUB: Mapping[str, object] = {
    "body": ERASED,
    "from_address": ERASED,
    "to_address": None,
    "media_urls": None,
    "auto_reply": ERASED,
    # An email's Message-ID may carry its sender's address; Twilio's SIDs stay, so that the
    # clinic can still find (and redact) the message in Twilio's own log.
    "provider_id": case(
        (
            col(InboundMessage.channel) == Medium.EMAIL,
            literal("erased:") + cast(col(InboundMessage.id), String),
        ),
        else_=col(InboundMessage.provider_id),
    ),
}

IDENTITY = table_data(
    "patient",
    Patient,
    lambda patient_id: col(Patient.id) == patient_id,
    # An empty phone and no email: no address at all, so nothing can ever be sent to it.
    {"name": ERASED, "phone": "", "email": None},
    single=True,
)
TREATMENTS = table_data(
    "treatments",
    Treatment,
    lambda patient_id: col(Treatment.patient_id) == patient_id,
    {},  # kind, dates and status: no one's identity, kept for the clinic's counts
    order_by=("performed_at", "id"),
)
MESSAGES = table_data(
    "messages",
    OutboundMessage,
    _treatments_of,
    # A staff message's text, and provider errors, which may quote the number or the text.
    {"body": ERASED, "last_error": ERASED},
    order_by=("due_at", "id"),
)
REPLIES = table_data(
    "replies",
    InboundMessage,
    lambda patient_id: col(InboundMessage.patient_id) == patient_id,
    REPLY_SCRUB,
    order_by=("received_at", "id"),
)
ALERTS = table_data(
    "alerts",
    Alert,
    lambda patient_id: col(Alert.patient_id) == patient_id,
    # What the practitioner wrote, and paging errors (they may quote the page, which names them).
    {"ack_note": ERASED, "notify_error": ERASED},
    order_by=("created_at", "id"),
)


def _export_photos(session: Session, patient_id: int) -> list[Row]:
    """Each photo's facts, and the photo itself as a data URI (the patient's copy holds it);
    the thumbnail is left out, being only a smaller copy."""
    query = select(ReplyMedia).where(col(ReplyMedia.patient_id) == patient_id)
    rows = []
    for media in session.exec(query.order_by(col(ReplyMedia.id))):
        row = as_row(media)
        del row["thumbnail"]
        data = row.pop("data")
        row["photo"] = (
            f"data:{media.content_type};base64,{base64.b64encode(data).decode()}" if data else None
        )
        rows.append(row)
    return rows


def erase_photos(session: Session, condition: ColumnElement[bool]) -> int:
    """The photos `condition` selects lose their bytes and Twilio SID; their rows stay
    (counts), marked erased, so that no pending download fetches them again."""
    result = session.execute(
        update(ReplyMedia)
        .where(condition)
        .values(
            status=MediaStatus.ERASED,
            data=None,
            thumbnail=None,
            source=None,
            refusal=None,
            claimed_at=None,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


PHOTOS = PatientData(
    "photos",
    _export_photos,
    lambda session, patient: erase_photos(session, col(ReplyMedia.patient_id) == patient.id),
)


def _addresses(session: Session, patient_id: int) -> list[tuple[str, str]]:
    patient = session.get(Patient, patient_id)
    if patient is None:
        return []
    found = [(str(Medium.SMS), patient.phone)] if patient.phone else []
    if patient.email:
        found.append((str(Medium.EMAIL), patient.email.casefold()))
    return found


def _opt_outs_at(addresses: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    return or_(
        *(
            (col(OptedOutAddress.medium) == medium) & (col(OptedOutAddress.address) == address)
            for medium, address in addresses
        )
    )


def _export_opt_outs(session: Session, patient_id: int) -> list[Row]:
    addresses = _addresses(session, patient_id)
    if not addresses:
        return []
    query = select(OptedOutAddress).where(_opt_outs_at(addresses)).order_by(col(OptedOutAddress.id))
    return [as_row(row) for row in session.exec(query)]


def _erase_opt_outs(session: Session, patient: ErasedPatient) -> int:
    """Forget the patient's opt-outs, unless someone else still uses that phone or email (a
    family's STOP stays theirs). Someone registered again later consents again at registration."""
    addresses = [(str(Medium.SMS), patient.phone)] if patient.phone else []
    if patient.email:
        addresses.append((str(Medium.EMAIL), patient.email.casefold()))
    mine = []
    for medium, address in addresses:
        same = (
            col(Patient.phone) == address
            if medium == Medium.SMS
            else func.lower(col(Patient.email)) == address
        )
        shared = session.exec(
            select(Patient.id).where(
                same,
                col(Patient.id) != patient.id,
                col(Patient.erased_at).is_(None),
            )
        ).first()
        if shared is None:
            mine.append((medium, address))
    if not mine:
        return 0
    result = session.execute(delete(OptedOutAddress).where(_opt_outs_at(mine)))
    return int(result.rowcount)  # type: ignore[attr-defined]


OPT_OUTS = PatientData("opted_out_addresses", _export_opt_outs, _erase_opt_outs)


def _export_audit(session: Session, patient_id: int) -> list[Row]:
    """Every event about the patient; a list that showed them says so, not who else it showed."""
    rows = []
    for event in audit.patient_events(session, patient_id):
        row = as_row(event)
        if row["shown"] is not None:
            row["shown"] = str(patient_id)
        rows.append(row)
    return rows


def _erase_audit(session: Session, patient: ErasedPatient) -> int:
    """Who saw or did what stays; the details of events about the patient go (a correction's
    old name or number, a note)."""
    result = session.execute(
        update(AuditEvent)
        .where(
            col(AuditEvent.target) == audit.patient_target(patient.id),
            col(AuditEvent.detail).is_not(None),
        )
        .values(detail=ERASED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


AUDIT = PatientData("audit", _export_audit, _erase_audit)

# Export order: the person, then their story, then who looked at it.
PATIENT_DATA: tuple[PatientData, ...] = (
    IDENTITY,
    TREATMENTS,
    MESSAGES,
    REPLIES,
    PHOTOS,
    ALERTS,
    OPT_OUTS,
    AUDIT,
)
