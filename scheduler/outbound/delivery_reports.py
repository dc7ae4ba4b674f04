"""Apply a provider's delivery report to the outbox row it names, even if it came first."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from models import EarlyDeliveryReport, OutboundMessage, OutboxStatus, Patient, Treatment
from models.db import session_scope
from scheduler.outbound import outbox_states
from scheduler.outbound.delivery_status import outbox_status_for, should_apply
from scheduler.outbound.optout import opt_out_address

log = logging.getLogger(__name__)
CARRIER_OPT_OUT = "21610"
# A report whose SID is still unknown after this long belongs to no message of ours (another
# app on the same Twilio account): the pass that sent ours has long recorded its SID.
EARLY_REPORT_TTL = timedelta(days=2)


def record_delivery_report(
    engine: Engine, provider_id: str, status: str, error_code: str | None, *, now: datetime
) -> None:
    """Apply the report now, or keep it until the dispatcher has recorded that message id."""
    with session_scope(engine) as session:
        if _message(session, provider_id) is not None:
            apply_delivery_report(session, provider_id, status, error_code, now=now)
            return
        # Twilio can call back before the pass that sent the message has committed its SID.
        session.add(
            EarlyDeliveryReport(
                provider_id=provider_id, status=status, error_code=error_code, received_at=now
            )
        )
    # The pass may have committed the SID and looked for early reports before this one was
    # committed; whichever side commits last sees the other, and applying twice is harmless.
    replay_early_reports(engine, provider_id, now=now)


def replay_early_reports(engine: Engine, provider_id: str, *, now: datetime) -> int:
    """Apply, then drop, the reports that came before `provider_id` was recorded."""
    with session_scope(engine) as session:
        reports = session.exec(
            select(EarlyDeliveryReport)
            .where(EarlyDeliveryReport.provider_id == provider_id)
            .order_by(col(EarlyDeliveryReport.id))
        ).all()
        if not reports or _message(session, provider_id) is None:
            return 0
        for report in reports:
            apply_delivery_report(session, provider_id, report.status, report.error_code, now=now)
        session.execute(
            delete(EarlyDeliveryReport).where(
                col(EarlyDeliveryReport.id).in_([report.id for report in reports])
            )
        )
        return len(reports)


def purge_early_reports(engine: Engine, *, now: datetime) -> int:
    """Drop early reports older than EARLY_REPORT_TTL; returns how many."""
    stmt = delete(EarlyDeliveryReport).where(
        col(EarlyDeliveryReport.received_at) < now - EARLY_REPORT_TTL
    )
    with engine.begin() as connection:
        return int(connection.execute(stmt).rowcount)


def replay_early_reports_for(engine: Engine, provider_ids: Sequence[str], *, now: datetime) -> int:
    """replay_early_reports for those of `provider_ids` that have any: one lookup per 500 ids."""
    # Early reports are rare: one query for a pass's worth of SIDs instead of a session per
    # sent message (bench/README.md).
    waiting: set[str] = set()
    with engine.connect() as connection:
        for start in range(0, len(provider_ids), 500):
            chunk = list(provider_ids[start : start + 500])
            waiting.update(
                connection.execute(
                    select(col(EarlyDeliveryReport.provider_id))
                    .where(col(EarlyDeliveryReport.provider_id).in_(chunk))
                    .distinct()
                ).scalars()
            )
    return sum(replay_early_reports(engine, pid, now=now) for pid in sorted(waiting))


def apply_delivery_report(
    session: Session, provider_id: str, status: str, error_code: str | None, *, now: datetime
) -> bool:
    """Move the row on to sent/delivered/undelivered/failed; older reports are dropped."""
    row = _message(session, provider_id)
    if row is None:
        return False
    status = status.lower()
    if not should_apply(row.delivery_status, status):
        return False
    mapped = outbox_status_for(status)
    if mapped is not None and not outbox_states.allowed(row.status, mapped):
        # e.g. a report for a message resent since: the row's own state is newer; keep it.
        log.info("delivery report %s ignored: outbox #%s is %s", status, row.id, row.status)
        return False
    row.delivery_status = status
    if mapped is not None:
        outbox_states.set_status(row, OutboxStatus(mapped))
    if error_code:
        row.error_code = error_code
        row.last_error = f"provider reported error {error_code} ({status})"
    row.updated_at = now
    session.add(row)
    if error_code == CARRIER_OPT_OUT:
        treatment = session.get(Treatment, row.treatment_id)
        patient = session.get(Patient, treatment.patient_id) if treatment else None
        if patient is not None:
            opt_out_address(session, row.channel, patient.phone, now=now, source="carrier")
    return True


def _message(session: Session, provider_id: str) -> OutboundMessage | None:
    return session.exec(
        select(OutboundMessage).where(OutboundMessage.provider_id == provider_id)
    ).first()
