"""The inbox (replies), alerts and patients lists, with filters and 50 rows a page.

Each list is audited with the ids of the patients it showed; a search keeps only its count.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from models.vocabulary import LEVELS_LOUDEST_FIRST
from scheduler.followups.practitioners import list_practitioners
from scheduler.staff import audit
from scheduler.staff.photos import photos_by_alert, photos_by_reply
from scheduler.staff.queries import (
    MAX_PAGE,
    AlertFilter,
    Page,
    PageRequest,
    ReplyFilter,
    list_alerts,
    list_replies,
    search_patients,
)
from scheduler.web.api.common import MAX_ID
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.pages.access import Viewer, staff_scope
from scheduler.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
LEVELS = tuple(level.value for level in LEVELS_LOUDEST_FIRST)
ALERT_STATUSES = {"open": ("open", "escalated"), "acknowledged": ("acknowledged",)}
REPLY_STATUSES = {"unhandled": False, "handled": True}


def _int_or_none(value: str | None) -> int | None:
    # isdigit() alone takes '²' (int() does not) and ids past PostgreSQL's integer.
    if not value or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


# A page number beyond this is a 404 page (it is a 422 in the API), never a database error.
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _page_link(path: str, filters: dict[str, str], number: int) -> str:
    # Filters are levels, statuses and a practitioner id: no patient data in these URLs.
    query = {k: v for k, v in filters.items() if v} | ({"page": str(number)} if number > 1 else {})
    return f"{path}?{urlencode(query)}" if query else path


def _audit_list(
    db: Session,
    actor: str,
    action: str,
    filters: dict[str, str],
    page: int,
    shown: list[int | None],
    now: datetime,
) -> None:
    """One event per list shown: its filters (no patient data in them) and who was on it."""
    detail = _page_link("", filters, page).lstrip("?") or None
    audit.record(db, actor=actor, action=action, detail=detail, now=now, shown=shown)
    db.commit()


def _pager(path: str, filters: dict[str, str], found: Page[Any]) -> tuple[str | None, str | None]:
    """The previous and next page links of a filtered list, None at either end."""
    return (
        _page_link(path, filters, found.page - 1) if found.page > 1 else None,
        _page_link(path, filters, found.page + 1) if found.has_next else None,
    )


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    staff: Viewer,
    db: SessionDep,
    clock: ClockDep,
    level: str = "",
    status: str = "unhandled",
    practitioner: str = "",
    page: PageNumber = 1,
) -> Response:
    filters = ReplyFilter(
        level=level if level in LEVELS else None,
        handled=REPLY_STATUSES.get(status),
        practitioner_id=_int_or_none(practitioner),
        # Replies still to handle come loudest first; history reads newest first.
        loudest_first=REPLY_STATUSES.get(status) is False,
        scope=staff_scope(request, staff),
    )
    found = list_replies(db, filters, page=PageRequest(page, PER_PAGE))
    chosen = {"level": level, "status": status, "practitioner": practitioner}
    shown = [row.reply.patient_id for row in found.items]
    _audit_list(db, staff.email, "view_inbox", chosen, found.page, shown, clock())
    prev_link, next_link = _pager("/inbox", chosen, found)
    return render(
        request,
        "inbox.html",
        page=found,
        photos=photos_by_reply(db, [row.reply.id for row in found.items]),
        filters=chosen,
        levels=LEVELS,
        statuses=("unhandled", "handled", "all"),
        practitioners=list_practitioners(db),
        prev_link=prev_link,
        next_link=next_link,
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts(
    request: Request,
    staff: Viewer,
    db: SessionDep,
    clock: ClockDep,
    level: str = "",
    status: str = "open",
    practitioner: str = "",
    page: PageNumber = 1,
) -> Response:
    filters = AlertFilter(
        levels=(level,) if level in LEVELS else (),
        statuses=ALERT_STATUSES.get(status, ()),
        practitioner_id=_int_or_none(practitioner),
        scope=staff_scope(request, staff),
    )
    found = list_alerts(db, filters, page=PageRequest(page, PER_PAGE))
    chosen = {"level": level, "status": status, "practitioner": practitioner}
    shown = [row.alert.patient_id for row in found.items]
    _audit_list(db, staff.email, "view_alerts", chosen, found.page, shown, clock())
    prev_link, next_link = _pager("/alerts", chosen, found)
    return render(
        request,
        "alerts.html",
        page=found,
        photos=photos_by_alert(db, [(r.alert.id, r.alert.inbound_id) for r in found.items]),
        filters=chosen,
        levels=LEVELS[:2],
        statuses=("open", "acknowledged", "all"),
        practitioners=list_practitioners(db),
        prev_link=prev_link,
        next_link=next_link,
    )


@router.get("/patients", response_class=HTMLResponse)
def patients(request: Request, staff: Viewer, db: SessionDep, clock: ClockDep) -> Response:
    matches = search_patients(db, "", scope=staff_scope(request, staff))
    _audit_list(db, staff.email, "view_patients", {}, 1, [p.id for p in matches], clock())
    return render(request, "patients.html", query="", matches=matches, newest=True)


@router.post("/patients", response_class=HTMLResponse)
def patients_search(
    request: Request, staff: Viewer, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    # POSTed so that names and numbers never sit in URLs, browser history or access logs.
    query = str(form.get("q") or "").strip()
    matches = search_patients(db, query, scope=staff_scope(request, staff))
    audit.record(
        db,
        actor=staff.email,
        action="search",
        detail=audit.search_detail(len(matches)),
        now=clock(),
        shown=[p.id for p in matches],
    )
    db.commit()
    return render(request, "patients.html", query=query, matches=matches, newest=not query)
