"""The admin area's front page (the settings, secrets shown only as set or not) and the audit
log with its filters: who, which patient, what, between which dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from scheduler.settings import Settings
from scheduler.staff import audit
from scheduler.staff.audit import AuditFilter, known_actions, search_events
from scheduler.staff.queries import PageRequest
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.pages.access import AuditReader, SettingsReader
from scheduler.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 100


def settings_rows(settings: Settings) -> list[tuple[str, str]]:
    """Every setting as `.env` names it, with its value; secrets only as set / not set."""
    rows = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "set" if value.get_secret_value() else "not set"
        elif name == "database_url":
            try:
                shown = make_url(value).render_as_string(hide_password=True)
            except ArgumentError:
                shown = "(not a database URL)"
        else:
            shown = str(value)
        rows.append((name.upper(), shown))
    return rows


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, staff: SettingsReader, settings: SettingsDep) -> Response:
    return render(request, "admin.html", rows=settings_rows(settings))


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    staff: AuditReader,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: str = "",
    patient: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    zone = settings.zone
    first, last = _day(since), _day(until)
    filters = AuditFilter(
        actor=actor.strip()[:320] or None,
        patient_id=int(patient) if patient.isdigit() and len(patient) < 10 else None,
        action=action or None,
        # Days are the clinic's; `until` is inclusive, so the filter ends the day after it.
        since=datetime.combine(first, time(0), tzinfo=zone) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone) if last else None,
    )
    found = search_events(db, filters, page=PageRequest(max(1, min(page, 100_000)), PER_PAGE))
    chosen = {"actor": actor, "patient": patient, "action": action, "since": since, "until": until}
    query = {k: v for k, v in chosen.items() if v}
    # Viewing the log is itself an event; its filters hold ids and dates, no patient data.
    audit.record(
        db,
        actor=staff.email,
        action="view_audit",
        detail=urlencode(query) or None,
        now=clock(),
        shown=[filters.patient_id] if filters.patient_id else (),
    )
    db.commit()

    def link(number: int) -> str:
        return "/admin/audit?" + urlencode({**query, "page": number})

    return render(
        request,
        "admin_audit.html",
        page=found,
        filters=chosen,
        actions=known_actions(db),
        prev_link=link(found.page - 1) if found.page > 1 else None,
        next_link=link(found.page + 1) if found.has_next else None,
    )
