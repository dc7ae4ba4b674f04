"""Helpers for the JSON API tests: the token, the audit log, a logged-in staff cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditEvent
from models.db import session_scope
from models.vocabulary import Role
from scheduler.settings import Settings
from scheduler.staff.accounts import add_staff
from scheduler.web.session import encode, login_session

TOKEN = "api_tok_7c1e0f5a9b2d4e86"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STAFF_EMAIL = "front@clinic.example"


def audit_rows(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def staff_cookie(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    active: bool = True,
    role: Role = Role.ADMIN,
    email: str = STAFF_EMAIL,
    practitioner_id: int | None = None,
) -> tuple[str, str]:
    """A staff account and the (cookie value, CSRF token) of its fresh login."""
    with session_scope(engine) as s:
        staff = add_staff(
            s,
            email,
            "correct horse battery",
            name="Front Desk",
            role=role,
            practitioner_id=practitioner_id,
            now=now,
        )
        staff.active = active
        s.add(staff)
        data = login_session(staff, now=now)
    return encode(settings, data), data.csrf
