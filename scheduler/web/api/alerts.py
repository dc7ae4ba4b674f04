"""The JSON API's alert routes under /api: list and acknowledge; every call audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from models.vocabulary import AlertStatus, TriageLevel
from scheduler.inbound.alerts import acknowledge_alert
from scheduler.staff import audit, queries
from scheduler.web.api import models as m
from scheduler.web.api.auth import Acknowledger, Reader, api_router
from scheduler.web.api.common import FilterId, PageDep, RowId, audit_list, not_found
from scheduler.web.deps import ClockDep, SessionDep

router = api_router()


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    caller: Reader,
    page: PageDep,
    level: Annotated[list[TriageLevel] | None, Query(description="repeatable")] = None,
    status: Annotated[list[AlertStatus] | None, Query(description="repeatable")] = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.AlertPublic]:
    """Alerts: unacknowledged first, urgent before concern, then newest."""
    filters = queries.AlertFilter(
        levels=tuple(level or ()),
        statuses=tuple(status or ()),
        practitioner_id=practitioner_id,
        scope=caller.scope,
    )
    found = queries.list_alerts(db, filters, page=page)
    shown = [row.alert.patient_id for row in found.items]
    audit_list(db, request, actor=caller.actor, action="list_alerts", shown=shown, now=clock())
    return m.page_of(found, m.alert_public)


@router.post("/alerts/{alert_id}/ack", tags=["alerts"], responses={404: {}})
def ack_alert(
    alert_id: RowId, request: Request, db: SessionDep, clock: ClockDep, caller: Acknowledger
) -> m.AlertPublic:
    """Acknowledge an alert; a second acknowledgement keeps the first one's time and author."""
    now = clock()
    found = queries.alert_row(db, alert_id)
    if found is None:
        not_found("alert", alert_id)
    target = audit.patient_target(found.patient.id if found.patient is not None else None)
    # Added first: acknowledge_alert commits, and the audit row must go with the ack.
    actor = caller.actor
    audit.record(
        db, actor=actor, action="ack_alert", target=target, detail=f"alert:{alert_id}", now=now
    )
    acknowledge_alert(db, alert_id, by=actor, now=now)
    db.commit()
    refreshed = queries.alert_row(db, alert_id)
    assert refreshed is not None
    return m.alert_public(refreshed)
