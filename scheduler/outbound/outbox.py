"""The outbox for staff: listings for the CLI, and sending a failed message again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from models import OutboundMessage, OutboxStatus, Patient, Treatment, TreatmentStatus

RESENDABLE = (OutboxStatus.FAILED, OutboxStatus.UNDELIVERED, OutboxStatus.EXPIRED)
RESEND_USEFUL_FOR = timedelta(days=1)


class MessageNotFound(LookupError, ValueError):
    """No such outbox row (a ValueError too, so callers of resend can catch one type)."""


@dataclass(frozen=True)
class MessageRow:
    message: OutboundMessage
    treatment: Treatment
    patient: Patient


def status_in(statuses: Sequence[str], *, narrowed: bool) -> ColumnElement[bool]:
    """`status IN (...)`; `narrowed` when another filter (a treatment, a patient) picks few rows.

    Without planner statistics SQLite serves `status IN (...)` from the (status, due_at) index
    and walks every row with that status (120 ms at 300k pending rows,
    bench/scheduling_vs_jobstore); `status || ''` keeps it off the index, so the few rows are
    found through their own index instead.
    """
    status = col(OutboundMessage.status)
    return (status.concat("") if narrowed else status).in_(list(statuses))


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
        query = query.where(status_in(statuses, narrowed=treatment_id is not None))
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


def resend_refusal(message: OutboundMessage, treatment: Treatment, patient: Patient) -> str | None:
    """Why this message may not be sent again, or None when it may."""
    if message.status not in RESENDABLE:
        return f"message {message.id} is {message.status}: only failed, undelivered or expired ones"
    if treatment.status != TreatmentStatus.ACTIVE:
        return f"treatment {treatment.id} is {treatment.status}"
    if patient.opted_out_at is not None:
        return "the patient has opted out (they must reply START first)"
    return None


def resend_message(
    session: Session,
    message_id: int,
    *,
    now: datetime,
    useful_for: timedelta = RESEND_USEFUL_FOR,
) -> OutboundMessage:
    """Put a failed, undelivered or expired message back in the queue, due now (no commit).

    Attempts start again from zero; the expiry moves to at least `now + useful_for` so that
    the next dispatch pass does not expire it again (the send window still applies).
    """
    found = session.exec(
        select(OutboundMessage, Treatment, Patient)
        .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
        .where(col(OutboundMessage.id) == message_id)
    ).first()
    if found is None:
        raise MessageNotFound(f"no message with id {message_id}")
    message, treatment, patient = found
    refusal = resend_refusal(message, treatment, patient)
    if refusal is not None:
        raise ValueError(refusal)
    # Conditional on the status read above: a concurrent change (a late delivery report,
    # another resend) wins, and this one reports it instead of overwriting it.
    reset = session.execute(
        update(OutboundMessage)
        .where(
            col(OutboundMessage.id) == message_id,
            col(OutboundMessage.status) == message.status,
        )
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            expires_at=max(message.expires_at, now + useful_for),
            claim_token=None,
            claimed_at=None,
            sent_at=None,
            provider_id=None,
            delivery_status=None,
            error_code=None,
            last_error=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not reset.rowcount:  # type: ignore[attr-defined]
        raise ValueError(f"message {message_id} changed meanwhile; look again")
    session.refresh(message)
    return message
