"""One patient's story: their treatments, and their messages, replies and alerts in time order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, func, select

from models import Alert, InboundMessage, OutboundMessage, Patient, Treatment
from scheduler.outbound.optout import opted_out_media
from scheduler.staff.queries import TreatmentRow, treatment_rows


class EntryKind(StrEnum):
    MESSAGE = "message"
    REPLY = "reply"
    ALERT = "alert"


@dataclass(frozen=True)
class TimelineEntry:
    """One event; `item` is an OutboundMessage, InboundMessage or Alert, as `kind` says."""

    kind: EntryKind
    at: datetime
    item: OutboundMessage | InboundMessage | Alert


@dataclass(frozen=True)
class PatientTimeline:
    patient: Patient
    treatments: list[TreatmentRow]
    entries: list[TimelineEntry] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)  # media whose address opted out
    # Other patients reached at this one's phone or email: where a reply may be moved.
    sharing: list[Patient] = field(default_factory=list)

    def kind_of(self, treatment_id: int) -> str:
        """The kind of one of this patient's treatments (a message's step is named by it)."""
        return next(
            (r.treatment.kind for r in self.treatments if r.treatment.id == treatment_id), ""
        )


_KIND_ORDER = {EntryKind.MESSAGE: 0, EntryKind.REPLY: 1, EntryKind.ALERT: 2}


def message_moment(message: OutboundMessage) -> datetime:
    """When a message went out, or when it is (or was) due if it never did."""
    return message.sent_at or message.due_at


def merge_timeline(
    messages: Sequence[OutboundMessage],
    replies: Sequence[InboundMessage],
    alerts: Sequence[Alert],
) -> list[TimelineEntry]:
    """Every event in time order; at the same instant a message precedes the reply it drew."""
    entries = [TimelineEntry(EntryKind.MESSAGE, message_moment(m), m) for m in messages]
    entries += [TimelineEntry(EntryKind.REPLY, r.received_at, r) for r in replies]
    entries += [TimelineEntry(EntryKind.ALERT, a.created_at, a) for a in alerts]
    return sorted(entries, key=lambda e: (e.at, _KIND_ORDER[e.kind], e.item.id or 0))


def patient_timeline(session: Session, patient_id: int) -> PatientTimeline | None:
    """A patient, their treatments, and their messages, replies and alerts in time order."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        return None
    treatments = session.execute(
        treatment_rows()
        .where(col(Treatment.patient_id) == patient_id)
        .order_by(col(Treatment.performed_at), col(Treatment.id))
    ).all()
    messages = session.exec(
        select(OutboundMessage)
        .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
        .where(col(Treatment.patient_id) == patient_id)
    ).all()
    replies = session.exec(
        select(InboundMessage).where(col(InboundMessage.patient_id) == patient_id)
    ).all()
    alerts = session.exec(select(Alert).where(col(Alert.patient_id) == patient_id)).all()
    same_address = col(Patient.phone) == patient.phone
    if patient.email:
        same_address = same_address | (func.lower(col(Patient.email)) == patient.email.casefold())
    sharing = session.exec(
        select(Patient).where(same_address, col(Patient.id) != patient_id).order_by(col(Patient.id))
    ).all()
    return PatientTimeline(
        patient,
        [TreatmentRow(t, p, pr) for t, p, pr in treatments],
        merge_timeline(messages, replies, alerts),
        opted_out_media(session, patient),
        list(sharing),
    )
