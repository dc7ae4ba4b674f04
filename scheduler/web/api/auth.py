"""Who may call /api: the bearer token (compared in constant time) or a staff session."""

from __future__ import annotations

import hmac
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from scheduler.web.deps import SettingsDep
from scheduler.web.session import read_session, session_staff

API_TOKEN_ACTOR = "api-token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    description="The service's API_TOKEN. A logged-in staff session (cookie) works too.",
)


def _unauthorized(detail: str) -> NoReturn:
    raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token (API disabled) never matches."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def api_actor(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Who is calling: "api-token" for the bearer token, else the logged-in staff member's email."""
    if credentials is not None:
        if token_matches(credentials.credentials, settings.api_token.get_secret_value()):
            return API_TOKEN_ACTOR
        _unauthorized("invalid API token")
    staff = session_staff(request)
    if staff is None:
        _unauthorized("send Authorization: Bearer <API_TOKEN>, or log in")
    if request.method not in SAFE_METHODS:
        # A cookie travels with requests other sites make; a header they cannot set proves
        # the call came from our own pages.
        data = read_session(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if data is None or not hmac.compare_digest(sent.encode(), data.csrf.encode()):
            raise HTTPException(status_code=403, detail=f"{CSRF_HEADER} header missing or wrong")
    return staff.email


ActorDep = Annotated[str, Depends(api_actor)]


def api_router() -> APIRouter:
    """A router under /api that lets in only callers `api_actor` accepts."""
    return APIRouter(
        prefix="/api",
        dependencies=[Depends(api_actor)],
        responses={
            401: {"description": "No or wrong API token, and no staff session"},
            403: {"description": "Staff session without its CSRF header on a write"},
        },
    )
