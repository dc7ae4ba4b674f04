"""Apply a provider's delivery report to the outbox row it names."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from models import OutboundMessage, Patient, Treatment
from scheduler.delivery_status import outbox_status_for, should_apply
from scheduler.optout import opt_out

log = logging.getLogger(__name__)
CARRIER_OPT_OUT = "21610"


def apply_delivery_report(
    session: Session, provider_id: str, status: str, error_code: str | None, *, now: datetime
) -> bool:
    """Move the row on to sent/delivered/undelivered/failed; older reports are dropped."""
    row = session.exec(
        select(OutboundMessage).where(OutboundMessage.provider_id == provider_id)
    ).first()
    if row is None:
        log.info("delivery report for an unknown message id; ignored")
        return False
    status = status.lower()
    if not should_apply(row.delivery_status, status):
        return False
    row.delivery_status = status
    mapped = outbox_status_for(status)
    if mapped is not None:
        row.status = mapped
    if error_code:
        row.error_code = error_code
        row.last_error = f"provider reported error {error_code} ({status})"
    row.updated_at = now
    session.add(row)
    if error_code == CARRIER_OPT_OUT:
        treatment = session.get(Treatment, row.treatment_id)
        patient = session.get(Patient, treatment.patient_id) if treatment else None
        if patient is not None and patient.id is not None:
            opt_out(session, patient.id, now=now)
    return True
