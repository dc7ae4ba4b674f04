"""Staff accounts in the admin area: add (a temporary password shown once), role and
practitioner, deactivate or activate, a new temporary password, sign out everywhere.

Each change is one audited transaction through the same functions as `aftercare staff`.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from models.tables import StaffUser
from scheduler.clock import Clock
from scheduler.followups.practitioners import list_practitioners
from scheduler.staff import audit
from scheduler.staff.accounts import (
    StaffError,
    add_staff,
    end_sessions,
    get_staff,
    list_staff,
    set_active,
    set_password,
    set_role,
    temporary_password,
)
from scheduler.staff.roles import ROLE_LABELS, parse_role
from scheduler.web.api.common import RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.i18n import N_, gettext_of
from scheduler.web.pages.access import StaffAdmin
from scheduler.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: Session,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    secret: tuple[str, str] | None = None,  # (email, temporary password), shown this once
    typed: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "admin_staff.html",
        status_code=status_code,
        accounts=list_staff(db),
        practitioners=list_practitioners(db),
        roles=ROLE_LABELS,
        notice=notice,
        error=error,
        secret=secret,
        typed=typed or {"email": "", "name": "", "role": "front-desk", "practitioner": ""},
        own_only=request.app.state.settings.practitioner_sees_own_only,
    )


@router.get("/admin/staff", response_class=HTMLResponse)
def staff_page(request: Request, staff: StaffAdmin, db: SessionDep) -> Response:
    return _page(request, db)


def _practitioner(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


@router.post("/admin/staff", response_class=HTMLResponse)
def add(
    request: Request, staff: StaffAdmin, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    typed = {k: str(form.get(k) or "").strip() for k in ("email", "name", "role", "practitioner")}
    password = temporary_password()
    try:
        role = parse_role(typed["role"])
        created = add_staff(
            db,
            typed["email"],
            password,
            name=typed["name"],
            role=role,
            practitioner_id=_practitioner(typed["practitioner"]),
            now=clock(),
        )
    except (StaffError, ValueError) as exc:
        db.rollback()
        return _page(request, db, status_code=400, error=str(exc), typed=typed)
    audit.record(
        db,
        actor=staff.email,
        action="staff_add",
        target=f"staff:{created.id}",
        detail=f"role {role}",
        now=clock(),
    )
    db.commit()
    notice = gettext_of(request)(N_("Account created for %(email)s.")) % {"email": created.email}
    return _page(request, db, notice=notice, secret=(created.email, password))


def _change(
    request: Request,
    db: Session,
    actor: str,
    action: str,
    staff_id: RowId,
    change: Callable[[StaffUser], StaffUser],
    done: str,
    clock: Clock,
    detail: str | None = None,
    role: str = "",
) -> Response:
    """One account change and its audit event, or the page again saying why not; `done` is
    a msgid with %(email)s (and %(role)s)."""
    try:
        changed = change(get_staff(db, staff_id))
    except (StaffError, ValueError) as exc:
        db.rollback()
        return _page(request, db, status_code=400, error=str(exc))
    audit.record(
        db, actor=actor, action=action, target=f"staff:{staff_id}", detail=detail, now=clock()
    )
    db.commit()
    gettext = gettext_of(request)
    return _page(request, db, notice=gettext(done) % {"email": changed.email, "role": role})


@router.post("/admin/staff/{staff_id}/role", response_class=HTMLResponse)
def change_role(
    request: Request,
    staff_id: RowId,
    staff: StaffAdmin,
    form: CsrfForm,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    try:
        role = parse_role(str(form.get("role") or ""))
    except ValueError as exc:
        return _page(request, db, status_code=400, error=str(exc))
    linked = _practitioner(str(form.get("practitioner") or ""))
    return _change(
        request,
        db,
        staff.email,
        "staff_role",
        staff_id,
        lambda account: set_role(db, account.email, role, practitioner_id=linked),
        N_("%(email)s is now %(role)s."),
        clock,
        detail=f"role {role}",
        role=gettext_of(request)(ROLE_LABELS[role]).lower(),
    )


@router.post("/admin/staff/{staff_id}/deactivate", response_class=HTMLResponse)
def deactivate(
    request: Request, staff_id: RowId, staff: StaffAdmin, _form: CsrfForm, db: SessionDep,
    clock: ClockDep,
) -> Response:  # fmt: skip
    return _change(
        request, db, staff.email, "staff_deactivate", staff_id,
        lambda account: set_active(db, account.email, active=False),
        N_("%(email)s can no longer sign in; its sessions have ended."), clock,
    )  # fmt: skip


@router.post("/admin/staff/{staff_id}/activate", response_class=HTMLResponse)
def activate(
    request: Request, staff_id: RowId, staff: StaffAdmin, _form: CsrfForm, db: SessionDep,
    clock: ClockDep,
) -> Response:  # fmt: skip
    return _change(
        request, db, staff.email, "staff_activate", staff_id,
        lambda account: set_active(db, account.email, active=True),
        N_("%(email)s can sign in again."), clock,
    )  # fmt: skip


@router.post("/admin/staff/{staff_id}/signout", response_class=HTMLResponse)
def sign_out(
    request: Request, staff_id: RowId, staff: StaffAdmin, _form: CsrfForm, db: SessionDep,
    clock: ClockDep,
) -> Response:  # fmt: skip
    def end(account: StaffUser) -> StaffUser:
        end_sessions(db, account)
        return account

    return _change(
        request, db, staff.email, "staff_signout", staff_id, end,
        N_("Every session of %(email)s has ended."), clock,
    )  # fmt: skip


@router.post("/admin/staff/{staff_id}/password", response_class=HTMLResponse)
def new_password(
    request: Request, staff_id: RowId, staff: StaffAdmin, _form: CsrfForm, db: SessionDep,
    clock: ClockDep,
) -> Response:  # fmt: skip
    password = temporary_password()
    try:
        account = set_password(db, get_staff(db, staff_id).email, password)
    except StaffError as exc:
        db.rollback()
        return _page(request, db, status_code=400, error=str(exc))
    audit.record(
        db, actor=staff.email, action="staff_password", target=f"staff:{staff_id}", now=clock()
    )
    db.commit()
    notice = gettext_of(request)(
        N_("New password for %(email)s; its sessions have ended and any lockout is lifted.")
    ) % {"email": account.email}
    return _page(request, db, notice=notice, secret=(account.email, password))
