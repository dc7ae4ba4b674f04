"""Who may call /api, and what they may do there.

A caller is an integration's token (scope read or write), the legacy API_TOKEN (everything, as
an admin), or a signed-in staff member (their role, and their scope of patients). No valid
credentials: 401. Credentials without the route's permission: 403 in JSON, audited.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from models.tables import StaffUser
from scheduler.staff.api_tokens import find_token, touch
from scheduler.staff.roles import Permission, refusal, role_may, scope_may
from scheduler.staff.scope import EVERYONE, Scope, scope_of
from scheduler.web.access import Rule, check_scope, refuse
from scheduler.web.deps import SettingsDep
from scheduler.web.session import read_session, session_staff

API_TOKEN_ACTOR = "api-token"  # the legacy API_TOKEN in the audit log
TOKEN_ACTOR = "token:"  # an integration's token: "token:booking-system"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    description="An integration's API token (aftercare token add). A staff session works too.",
)


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: `actor` as the audit log names them, and what they may do."""

    actor: str
    staff: StaffUser | None = None
    token_scope: str | None = None  # read | write for an integration's token
    legacy: bool = False  # the API_TOKEN setting: an admin's token
    scope: Scope = EVERYONE

    def may(self, permission: Permission) -> bool:
        if self.legacy:
            return True
        if self.staff is not None:
            return role_may(self.staff.role, permission)
        return self.token_scope is not None and scope_may(self.token_scope, permission)

    @property
    def kind(self) -> str:
        """How a refusal names the caller: 'front-desk account', 'read token'."""
        if self.staff is not None:
            return f"{self.staff.role} account"
        return f"{self.token_scope} token"


def _unauthorized(detail: str) -> NoReturn:
    raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token (no legacy token) never matches."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _token_caller(request: Request, secret: str) -> Caller | None:
    state = request.app.state
    with Session(state.engine, expire_on_commit=False) as db:
        token = find_token(db, secret)
        if token is None:
            return None
        if touch(db, token, state.clock()):
            db.commit()
        return Caller(actor=TOKEN_ACTOR + token.name, token_scope=token.scope)


def api_caller(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Who is calling: a token, the legacy API_TOKEN, or the signed-in staff member; else 401."""
    if credentials is not None:
        secret = credentials.credentials
        if token_matches(secret, settings.api_token.get_secret_value()):
            return Caller(actor=API_TOKEN_ACTOR, legacy=True)
        found = _token_caller(request, secret)
        if found is None:
            _unauthorized("invalid or revoked API token")
        return found
    staff = session_staff(request)
    if staff is None:
        _unauthorized("send Authorization: Bearer <token>, or log in")
    if request.method not in SAFE_METHODS:
        # A cookie travels with requests other sites make; a header they cannot set proves
        # the call came from our own pages.
        data = read_session(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if data is None or not hmac.compare_digest(sent.encode(), data.csrf.encode()):
            raise HTTPException(status_code=403, detail=f"{CSRF_HEADER} header missing or wrong")
    own_only = settings.practitioner_sees_own_only
    return Caller(actor=staff.email, staff=staff, scope=scope_of(staff, own_only_setting=own_only))


class ApiRule(Rule):
    """A dependency that lets in a caller who may do `permission` (and, for staff, whose
    scope holds the record the path names)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, request: Request, caller: Annotated[Caller, Depends(api_caller)]) -> Caller:
        if not caller.may(self.permission):
            refuse(request, actor=caller.actor, why=refusal(caller.kind, self.permission))
        check_scope(request, actor=caller.actor, scope=caller.scope)
        return caller


Reader = Annotated[Caller, Depends(ApiRule(Permission.VIEW))]
Registrar = Annotated[Caller, Depends(ApiRule(Permission.REGISTER))]
Contact = Annotated[Caller, Depends(ApiRule(Permission.CONTACT))]
Acknowledger = Annotated[Caller, Depends(ApiRule(Permission.ACKNOWLEDGE))]


def api_router() -> APIRouter:
    """A router under /api that lets in only callers `api_caller` accepts."""
    return APIRouter(
        prefix="/api",
        dependencies=[Depends(api_caller)],
        responses={
            401: {"description": "No, wrong or revoked token, and no staff session"},
            403: {
                "description": "Not allowed to this caller's role or token scope, or a staff "
                "session's write without its CSRF header"
            },
        },
    )
