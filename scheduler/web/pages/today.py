"""The Today page: what needs a look now.

The page is audited with every patient it shows. Its live card is polled every 15 s; the poll
is audited only when it shows a patient the staff member's latest Today event did not (a new
alert): that is a new disclosure, while 240 identical rows an hour per open tab would bury the
log without saying anything more.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlmodel import Session

from scheduler.staff import audit
from scheduler.staff.photos import PhotoFacts, photos_by_alert
from scheduler.staff.today import Today, today
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.pages.access import Viewer, staff_scope
from scheduler.web.pages.rendering import SECURITY_HEADERS, render, render_fragment

router = APIRouter()

TODAY_ACTIONS = ("view_today", "view_today_live")


def shown_on_page(day: Today) -> list[int | None]:
    """Every patient the Today page names."""
    return [
        *(row.alert.patient_id for row in day.open_alerts.items),
        *(row.reply.patient_id for row in day.unhandled_replies.items),
        *(row.patient.id for row in day.failed_messages.items),
        *(row.patient.id for row in day.due_today.items),
    ]


def _alert_photos(db: Session, day: Today) -> dict[int, list[PhotoFacts]]:
    rows = day.open_alerts.items
    return photos_by_alert(db, [(row.alert.id, row.alert.inbound_id) for row in rows])


@router.get("/", response_class=HTMLResponse)
def today_page(
    request: Request, staff: Viewer, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    now = clock()
    day = today(db, now, settings.zone, scope=staff_scope(request, staff))
    audit.record(db, actor=staff.email, action="view_today", now=now, shown=shown_on_page(day))
    db.commit()
    return render(request, "today.html", day=day, photos=_alert_photos(db, day))


@router.get("/today/live")
def today_live(
    request: Request, staff: Viewer, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> JSONResponse:
    """The open-alerts card again, for the page's poll (static/today.js) to swap in."""
    now = clock()
    day = today(db, now, settings.zone, scope=staff_scope(request, staff))
    shown = {row.alert.patient_id for row in day.open_alerts.items} - {None}
    before = audit.last_shown(db, staff.email, TODAY_ACTIONS)
    if before is None or not shown <= before:
        audit.record(db, actor=staff.email, action="view_today_live", now=now, shown=shown)
        db.commit()
    html = render_fragment(request, "_today_alerts.html", day=day, photos=_alert_photos(db, day))
    body = {
        "open_alerts": day.open_alerts.total,
        "html": html,
        "signature": hashlib.sha256(html.encode()).hexdigest()[:16],
    }
    return JSONResponse(body, headers=SECURITY_HEADERS)
