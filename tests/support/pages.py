"""The staff pages in-process (TestClient over the real app, real SQLite), and how to sign in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditEvent, StaffUser
from models.db import session_scope
from models.vocabulary import Role
from scheduler.clock import SimulatedClock
from scheduler.settings import Settings
from scheduler.staff.accounts import add_staff
from scheduler.web.app import create_app

EMAIL = "nadia@clinic.example"
PASSWORD = "correct horse battery"
# 10:00 in Toronto: inside the send window, so day-0 arithmetic is unambiguous.
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_POST_FORM = re.compile(r'<form[^>]*method="post"')


def csrf_of(html: str) -> str:
    """The page's form token, once every POST form on it is seen to carry the same one."""
    tokens = _CSRF.findall(html)
    assert tokens, "no CSRF field on the page"
    assert len(tokens) == len(_POST_FORM.findall(html)), "a POST form without a CSRF field"
    assert len(set(tokens)) == 1 and tokens[0], f"forms disagree on the token: {tokens}"
    return str(tokens[0])


def create_staff(
    engine: Engine, email: str = EMAIL, password: str = PASSWORD, *, role: Role = Role.ADMIN
) -> StaffUser:
    """An account (an admin unless told: these tests exercise every page)."""
    with session_scope(engine) as session:
        return add_staff(session, email, password, name="Nadia Roy", role=role, now=START)


def audit_events(engine: Engine, action: str | None = None) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if action is not None:
            query = query.where(col(AuditEvent.action) == action)
        return list(session.exec(query).all())


@dataclass
class Pages:
    client: TestClient
    clock: SimulatedClock
    engine: Engine
    settings: Settings

    def login(self, email: str = EMAIL, password: str = PASSWORD) -> Response:
        token = csrf_of(self.client.get("/login").text)
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )

    def token(self, path: str = "/") -> str:
        return csrf_of(self.client.get(path).text)

    def post(self, path: str, data: dict[str, str] | None = None) -> Response:
        """A form POST carrying the session's CSRF token, as a browser would."""
        return self.client.post(
            path, data={"csrf_token": self.token(), **(data or {})}, follow_redirects=False
        )


@contextmanager
def pages_for(settings: Settings, engine: Engine) -> Iterator[Pages]:
    clock = SimulatedClock(START)
    app = create_app(settings, engine, clock=clock)
    # https, like PUBLIC_BASE_URL in the test settings: the session cookie is Secure.
    with TestClient(app, base_url="https://testserver") as client:
        yield Pages(client, clock, engine, settings)


@contextmanager
def signed_in(settings: Settings, engine: Engine, *, role: Role = Role.ADMIN) -> Iterator[Pages]:
    """`pages_for`, with a staff account created and signed in."""
    create_staff(engine, role=role)
    with pages_for(settings, engine) as found:
        assert found.login().status_code == 303
        yield found
