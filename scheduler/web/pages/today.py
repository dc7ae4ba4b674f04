"""The Today page: what needs a look now."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from scheduler.staff.today import today
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.pages.rendering import StaffDep, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def today_page(
    request: Request, staff: StaffDep, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    return render(request, "today.html", day=today(db, clock(), settings.zone))
