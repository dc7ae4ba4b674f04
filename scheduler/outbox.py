"""Read-side queries over treatments and the outbox, for the CLI, API and staff pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Patient, Treatment


@dataclass(frozen=True)
class MessageRow:
    message: OutboundMessage
    treatment: Treatment
    patient: Patient


def list_messages(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    due_before: datetime | None = None,
    treatment_id: int | None = None,
    limit: int = 200,
) -> list[MessageRow]:
    """Outbox rows in due order; `due_before` keeps pending rows ready to go at that instant."""
    query = (
        select(OutboundMessage, Treatment, Patient)
        .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
    )
    if statuses:
        query = query.where(col(OutboundMessage.status).in_(list(statuses)))
    if due_before is not None:
        query = query.where(
            col(OutboundMessage.status) == OutboxStatus.PENDING,
            col(OutboundMessage.next_attempt_at) <= due_before,
        )
    if treatment_id is not None:
        query = query.where(col(OutboundMessage.treatment_id) == treatment_id)
    query = query.order_by(col(OutboundMessage.due_at), col(OutboundMessage.id)).limit(limit)
    return [MessageRow(m, t, p) for m, t, p in session.exec(query).all()]


def list_treatments(session: Session, *, limit: int = 100) -> list[tuple[Treatment, Patient]]:
    query = (
        select(Treatment, Patient)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
        .order_by(col(Treatment.performed_at).desc(), col(Treatment.id).desc())
        .limit(limit)
    )
    return [(t, p) for t, p in session.exec(query).all()]
