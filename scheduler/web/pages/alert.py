"""One alert: what the patient said, who was paged, and acknowledging it (confirm, then note)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from scheduler.inbound.alerts import MAX_ACK_NOTE, acknowledge_alert
from scheduler.staff import audit
from scheduler.staff.photos import photos_of_alert
from scheduler.staff.queries import alert_row
from scheduler.web.api.common import RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.pages.access import Acknowledger, Viewer
from scheduler.web.pages.rendering import render, see_other

router = APIRouter()


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(
    request: Request,
    alert_id: RowId,
    staff: Viewer,
    db: SessionDep,
    clock: ClockDep,
    done: str | None = None,
) -> Response:
    found = alert_row(db, alert_id)
    if found is None:
        raise HTTPException(status_code=404, detail="No such alert")
    patient_id = found.patient.id if found.patient is not None else None
    audit.record(
        db,
        actor=staff.email,
        action="view_alert",
        target=audit.patient_target(patient_id),
        detail=f"alert:{alert_id}",
        now=clock(),
    )
    db.commit()
    return render(
        request,
        "alert.html",
        row=found,
        photos=photos_of_alert(db, alert_id, found.alert.inbound_id),
        just_acknowledged=done == "acknowledged",
        max_note=MAX_ACK_NOTE,
    )


@router.post("/alerts/{alert_id}/ack")
def acknowledge(
    alert_id: RowId, staff: Acknowledger, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    found = alert_row(db, alert_id)
    if found is None:
        raise HTTPException(status_code=404, detail="No such alert")
    note = str(form.get("note") or "")
    now = clock()
    patient_id = found.patient.id if found.patient is not None else None
    # Added first: acknowledge_alert commits, and the audit row must go with the ack.
    audit.record(
        db,
        actor=staff.email,
        action="ack_alert",
        target=audit.patient_target(patient_id),
        detail=f"alert:{alert_id}" + (" with a note" if note.strip() else ""),
        now=now,
    )
    acknowledge_alert(db, alert_id, by=staff.email, now=now, note=note)
    return see_other(f"/alerts/{alert_id}?done=acknowledged")
