"""The audit log: who looked at or changed which patient data, and when (append-only)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.tables import AuditEvent

_ACTOR_MAX = 320
_TARGET_MAX = 100


def patient_target(patient_id: int | None) -> str | None:
    """How an event names the patient whose data it touched (None: no one patient)."""
    return f"patient:{patient_id}" if patient_id is not None else None


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    now: datetime,
) -> AuditEvent:
    """Add one event to the caller's transaction, so it is kept exactly when the action is."""
    event = AuditEvent(
        at=now,
        actor=actor[:_ACTOR_MAX],
        action=action,
        target=target[:_TARGET_MAX] if target else None,
        detail=detail,
    )
    session.add(event)
    return event


def recent(session: Session, *, limit: int = 100) -> list[AuditEvent]:
    """The latest events first."""
    query = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(query.limit(limit)).all())
