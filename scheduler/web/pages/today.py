"""The Today page: what needs a look now."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from scheduler.staff.today import today
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.pages.rendering import SECURITY_HEADERS, StaffDep, render, render_fragment

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def today_page(
    request: Request, staff: StaffDep, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    return render(request, "today.html", day=today(db, clock(), settings.zone))


@router.get("/today/live")
def today_live(
    request: Request, staff: StaffDep, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> JSONResponse:
    """The open-alerts card again, for the page's poll (static/today.js) to swap in."""
    day = today(db, clock(), settings.zone)
    html = render_fragment(request, "_today_alerts.html", day=day)
    body = {
        "open_alerts": day.open_alerts.total,
        "html": html,
        "signature": hashlib.sha256(html.encode()).hexdigest()[:16],
    }
    return JSONResponse(body, headers=SECURITY_HEADERS)
