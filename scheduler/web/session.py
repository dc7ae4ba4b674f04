"""Staff sessions in a signed cookie: who is logged in, since when, and the form (CSRF) token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Engine
from sqlmodel import Session

from models.tables import StaffUser
from scheduler.clock import Clock
from scheduler.settings import Settings

COOKIE_NAME = "aftercare_session"
_SALT = "aftercare.staff-session.v1"


@dataclass(frozen=True)
class SessionData:
    """What the cookie carries; `staff_id` is None before login (the CSRF token still applies)."""

    csrf: str
    staff_id: int | None = None
    issued_at: datetime | None = None
    # Bound to the password hash and the session epoch: a password change, a sign-out or
    # `aftercare staff signout` ends every session of that account, copies of the cookie too.
    key: str | None = None


def session_key(staff: StaffUser) -> str:
    """A short digest of the stored hash and epoch, never the hash: the cookie is not secret."""
    material = f"{staff.password_hash}\n{staff.session_epoch}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=_SALT)


def encode(settings: Settings, data: SessionData) -> str:
    payload: dict[str, object] = {"c": data.csrf}
    if data.staff_id is not None and data.issued_at is not None:
        payload.update(u=data.staff_id, t=int(data.issued_at.timestamp()), k=data.key)
    return str(_serializer(settings).dumps(payload))


def decode(settings: Settings, value: str, *, now: datetime) -> SessionData | None:
    """The cookie's content if its signature holds; a login past its lifetime is dropped."""
    try:
        payload = _serializer(settings).loads(value)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
        return None
    data = SessionData(csrf=payload["c"])
    staff_id, issued, key = payload.get("u"), payload.get("t"), payload.get("k")
    if not (isinstance(staff_id, int) and isinstance(issued, int) and isinstance(key, str)):
        return data
    issued_at = datetime.fromtimestamp(issued, UTC)
    lifetime = timedelta(hours=settings.staff_session_hours)
    if not issued_at <= now < issued_at + lifetime:
        return data
    return SessionData(csrf=data.csrf, staff_id=staff_id, issued_at=issued_at, key=key)


def _app_parts(request: Request) -> tuple[Settings, Engine, Clock]:
    state = request.app.state
    return state.settings, state.engine, state.clock


def read_session(request: Request) -> SessionData | None:
    """The request's session cookie, checked (signature, lifetime); None without a valid one."""
    cached = getattr(request.state, "aftercare_session", None)
    if isinstance(cached, SessionData):
        return cached
    settings, _engine, clock = _app_parts(request)
    raw = request.cookies.get(COOKIE_NAME)
    data = decode(settings, raw, now=clock()) if raw else None
    request.state.aftercare_session = data
    return data


def session_staff(request: Request) -> StaffUser | None:
    """The logged-in, active staff member of this request, or None (no, bad or expired session)."""
    if hasattr(request.state, "aftercare_staff"):
        cached: StaffUser | None = request.state.aftercare_staff
        return cached
    staff: StaffUser | None = None
    data = read_session(request)
    if data is not None and data.staff_id is not None:
        _settings, engine, _clock = _app_parts(request)
        with Session(engine, expire_on_commit=False) as db:
            found = db.get(StaffUser, data.staff_id)
        if found is not None and found.active and session_key(found) == data.key:
            staff = found
    request.state.aftercare_staff = staff
    return staff


def write_cookie(response: Response, settings: Settings, data: SessionData) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https."""
    response.set_cookie(
        COOKIE_NAME,
        encode(settings, data),
        max_age=int(settings.staff_session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/",
    )


def login_session(staff: StaffUser, *, now: datetime) -> SessionData:
    """A fresh session for a login; a new CSRF token, so one set before login cannot be reused."""
    if staff.id is None:
        raise ValueError("staff user has no id")
    return SessionData(
        csrf=new_csrf_token(), staff_id=staff.id, issued_at=now, key=session_key(staff)
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
    )
