"""The outbox as staff see it: the one outbox/treatment/patient join, and sending again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Row, Select, or_, select
from sqlmodel import Session, col

from models import OutboundMessage, OutboxStatus, Patient, Treatment, TreatmentStatus
from models.vocabulary import Medium
from scheduler.channels.media import address_of
from scheduler.outbound import outbox_states
from scheduler.outbound.optout import opted_out, patient_address

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
    and walks every row with that status (bench/README.md); `status || ''` keeps it off the
    index, so the few rows are found through their own index instead.
    """
    status = col(OutboundMessage.status)
    return (status.concat("") if narrowed else status).in_(list(statuses))


def outbox_join() -> Select[OutboundMessage, Treatment, Patient]:
    """Outbox rows with their treatment and patient: the one join every outbox reader uses."""
    return (
        select(OutboundMessage, Treatment, Patient)
        .join(Treatment, col(Treatment.id) == OutboundMessage.treatment_id)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
    )


# A copy in one of these states reaches (or will reach) the address: a second is not queued.
_LIVE = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.DELIVERED)


def queued_copies(
    session: Session, medium: str, address: str, kind: str, due: Sequence[tuple[str, datetime]]
) -> dict[tuple[str, str], int]:
    """Messages of `kind` already queued to this address for these (step, due_at): a family
    sharing a phone, or a forced second registration, must not get the same text twice."""
    if not due:
        return {}
    query = outbox_join().where(
        col(OutboundMessage.channel) == medium,
        patient_address(medium) == (address.casefold() if medium == Medium.EMAIL else address),
        col(Treatment.kind) == kind,
        col(OutboundMessage.status).in_(_LIVE),
        or_(
            *(
                (col(OutboundMessage.step) == step) & (col(OutboundMessage.due_at) == due_at)
                for step, due_at in due
            )
        ),
    )
    found: dict[tuple[str, str], int] = {}
    for message, _treatment, _patient in session.execute(query).all():
        assert message.id is not None
        found.setdefault((medium, message.step), message.id)
    return found


def resend_refusal(
    message: OutboundMessage, treatment: Treatment, *, opted_out: bool
) -> str | None:
    """Why this message may not be sent again, or None when it may."""
    if message.status not in RESENDABLE:
        return f"message {message.id} is {message.status}: only failed, undelivered or expired ones"
    if treatment.status != TreatmentStatus.ACTIVE:
        return f"treatment {treatment.id} is {treatment.status}"
    if opted_out:
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
    query = outbox_join().where(col(OutboundMessage.id) == message_id)
    found: Row[OutboundMessage, Treatment, Patient] | None = session.execute(query).first()
    if found is None:
        raise MessageNotFound(f"no message with id {message_id}")
    message, treatment, patient = found
    address = address_of(patient, Medium(message.channel))
    blocked = address is not None and bool(opted_out(session, [(message.channel, address)]))
    refusal = resend_refusal(message, treatment, opted_out=blocked)
    if refusal is not None:
        raise ValueError(refusal)
    # Conditional on the status read above: a concurrent change (a late delivery report,
    # another resend) wins, and this one reports it instead of overwriting it.
    reset = session.execute(
        outbox_states.move([OutboxStatus(message.status)], OutboxStatus.PENDING)
        .where(col(OutboundMessage.id) == message_id)
        .values(
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
