"""The JSON API's message, reply and alert routes under /api; every patient-facing call audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import HTTPException, Query, Request

from models import AlertStatus, OutboxStatus
from scheduler.inbound.alerts import acknowledge_alert
from scheduler.outbound.outbox import MessageNotFound, resend_message
from scheduler.staff import audit, queries
from scheduler.web.api import models as m
from scheduler.web.api.auth import ActorDep, api_router
from scheduler.web.api.common import FilterId, PageDep, RowId, audit_call, aware, not_found
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep

Level = Literal["urgent", "concern", "routine"]
Medium = Literal["sms", "email"]

router = api_router()


# --- messages ---------------------------------------------------------------------------------


@router.get("/messages", tags=["messages"])
def list_messages(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[list[OutboxStatus] | None, Query(description="repeatable")] = None,
    channel: Medium | None = None,
    treatment_id: FilterId = None,
    patient_id: FilterId = None,
    due_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    due_to: Annotated[datetime | None, Query(description="exclusive")] = None,
) -> m.Page[m.MessageListItem]:
    """The outbox, in due order."""
    filters = queries.MessageFilter(
        statuses=tuple(status or ()),
        channel=channel,
        treatment_id=treatment_id,
        patient_id=patient_id,
        due_from=aware(due_from, settings),
        due_to=aware(due_to, settings),
    )
    found = queries.list_messages(db, filters, page=page)
    target = audit.patient_target(patient_id)
    audit_call(db, request, actor=actor, action="list_messages", target=target, now=clock())
    return m.page_of(found, m.message_item)


@router.post("/messages/{message_id}/resend", tags=["messages"], responses={404: {}, 409: {}})
def resend(
    message_id: RowId, request: Request, db: SessionDep, clock: ClockDep, actor: ActorDep
) -> m.MessagePublic:
    """Queue a failed, undelivered or expired message again, due now."""
    now = clock()
    try:
        message = resend_message(db, message_id, now=now)
    except MessageNotFound:
        db.rollback()
        not_found("message", message_id)
    except ValueError as exc:
        db.rollback()
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    found = queries.treatment_detail(db, message.treatment_id)
    assert found is not None
    audit_call(
        db,
        request,
        actor=actor,
        action="resend",
        target=audit.patient_target(found.patient.id),
        detail=f"message:{message_id}",
        now=now,
    )
    return m.message_public(message)


# --- replies and alerts -----------------------------------------------------------------------


@router.get("/replies", tags=["replies"])
def list_replies(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    level: Level | None = None,
    handled: bool | None = None,
    patient_id: FilterId = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.ReplyPublic]:
    """Patient replies, newest first."""
    filters = queries.ReplyFilter(
        level=level, handled=handled, patient_id=patient_id, practitioner_id=practitioner_id
    )
    found = queries.list_replies(db, filters, page=page)
    target = audit.patient_target(patient_id)
    audit_call(db, request, actor=actor, action="list_replies", target=target, now=clock())
    return m.page_of(found, m.reply_public)


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    level: Annotated[list[Level] | None, Query(description="repeatable")] = None,
    status: Annotated[list[AlertStatus] | None, Query(description="repeatable")] = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.AlertPublic]:
    """Alerts: unacknowledged first, urgent before concern, then newest."""
    filters = queries.AlertFilter(
        levels=tuple(level or ()), statuses=tuple(status or ()), practitioner_id=practitioner_id
    )
    found = queries.list_alerts(db, filters, page=page)
    audit_call(db, request, actor=actor, action="list_alerts", target=None, now=clock())
    return m.page_of(found, m.alert_public)


@router.post("/alerts/{alert_id}/ack", tags=["alerts"], responses={404: {}})
def ack_alert(
    alert_id: RowId, request: Request, db: SessionDep, clock: ClockDep, actor: ActorDep
) -> m.AlertPublic:
    """Acknowledge an alert; a second acknowledgement keeps the first one's time and author."""
    now = clock()
    found = queries.alert_row(db, alert_id)
    if found is None:
        not_found("alert", alert_id)
    target = audit.patient_target(found.patient.id if found.patient is not None else None)
    # Added first: acknowledge_alert commits, and the audit row must go with the ack.
    audit.record(
        db, actor=actor, action="ack_alert", target=target, detail=f"alert:{alert_id}", now=now
    )
    acknowledge_alert(db, alert_id, by=actor, now=now)
    db.commit()
    refreshed = queries.alert_row(db, alert_id)
    assert refreshed is not None
    return m.alert_public(refreshed)
