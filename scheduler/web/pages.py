"""The staff web pages: one `router` for the app, and the Today page (what needs a look now)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from scheduler.today import today
from scheduler.web import pages_auth, pages_import, pages_lists, pages_patient, pages_register
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.page_render import STATIC_DIR, StaffDep, render

router = APIRouter(include_in_schema=False)
for _part in (pages_auth, pages_register, pages_patient, pages_lists, pages_import):
    router.include_router(_part.router)

STATIC_PATH = "/static"


def static_files() -> StaticFiles:
    """The pages' stylesheet, mounted by the app at `STATIC_PATH`."""
    return StaticFiles(directory=STATIC_DIR)


@router.get("/", response_class=HTMLResponse)
def today_page(
    request: Request, staff: StaffDep, db: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    return render(request, "today.html", day=today(db, clock(), settings.zone))
