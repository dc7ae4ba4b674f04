"""API tokens in the admin area: one per integration, shown once when created, revocable, with
their last use."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from scheduler.staff import audit
from scheduler.staff.api_tokens import (
    TokenError,
    create_token,
    list_tokens,
    parse_scope,
    revoke_token,
)
from scheduler.web.api.common import RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.i18n import N_, gettext_of
from scheduler.web.pages.access import TokenAdmin
from scheduler.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: Session,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: str | None = None,
    secret: tuple[str, str] | None = None,  # (name, token), shown this once
    typed: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "admin_tokens.html",
        status_code=status_code,
        tokens=list_tokens(db),
        notice=notice,
        error=error,
        secret=secret,
        typed=typed or {"name": "", "scope": "read"},
    )


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, staff: TokenAdmin, db: SessionDep) -> Response:
    return _page(request, db)


@router.post("/admin/tokens", response_class=HTMLResponse)
def add(
    request: Request, staff: TokenAdmin, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    typed = {k: str(form.get(k) or "").strip() for k in ("name", "scope")}
    now = clock()
    try:
        scope = parse_scope(typed["scope"])
        created = create_token(db, typed["name"], scope, by=staff.email, now=now)
    except TokenError as exc:
        db.rollback()
        return _page(request, db, status_code=400, error=str(exc), typed=typed)
    audit.record(
        db,
        actor=staff.email,
        action="token_add",
        target=f"token:{created.row.id}",
        detail=f"{created.row.name} ({scope})",
        now=now,
    )
    db.commit()
    return _page(
        request,
        db,
        notice=gettext_of(request)(N_("Token %(name)s created.")) % {"name": created.row.name},
        secret=(created.row.name, created.secret),
    )


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    token_id: RowId,
    staff: TokenAdmin,
    _form: CsrfForm,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    now = clock()
    try:
        token = revoke_token(db, token_id, by=staff.email, now=now)
    except TokenError as exc:
        db.rollback()
        return _page(request, db, status_code=404, error=str(exc))
    audit.record(
        db,
        actor=staff.email,
        action="token_revoke",
        target=f"token:{token_id}",
        detail=token.name,
        now=now,
    )
    db.commit()
    notice = gettext_of(request)(N_("Token %(name)s revoked: calls with it now get 401."))
    return _page(request, db, notice=notice % {"name": token.name})
