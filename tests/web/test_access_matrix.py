"""Who may open what: every page and API route, for every role and every kind of token.

The table below is written independently of the code's rules. Its keys must be exactly the
app's routes (a new route without a line here fails), each line's permission must be the one
the route declares, and every caller is then sent to every route: allowed ones must not answer
403, refused ones must answer 403 saying why, and leave a `forbidden` event in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from models import AuditEvent, OutboundMessage, ReplyMedia
from models.db import session_scope
from models.vocabulary import MediaStatus, Role, TokenScope
from scheduler.clock import SimulatedClock
from scheduler.settings import Settings
from scheduler.staff.accounts import add_staff
from scheduler.staff.api_tokens import create_token
from scheduler.staff.roles import Permission
from scheduler.web.access import flat_routes, route_permission, unguarded_routes
from scheduler.web.api.auth import CSRF_HEADER
from scheduler.web.app import create_app
from scheduler.web.pages.access import PUBLIC_PAGES
from scheduler.web.pages.rendering import SECURITY_HEADERS
from scheduler.web.session import COOKIE_NAME, encode, login_session
from tests.support.clinic import DAY1, Clinic, build_clinic
from tests.support.settings import make_settings

P = Permission
PUBLIC = "public"  # no login needed (or, for /logout, nothing to guard)

# Every route of the app and what it needs. Probes, webhooks and the unsubscribe page have
# their own protections (signatures, tokens in the link) and are listed as public.
ROUTES: dict[tuple[str, str], Permission | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/webhooks/twilio/sms"): PUBLIC,
    ("POST", "/webhooks/twilio/status"): PUBLIC,
    ("GET", "/unsubscribe/{token}"): PUBLIC,
    ("POST", "/unsubscribe/{token}"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    # the JSON API
    ("POST", "/api/treatments"): P.REGISTER,
    ("GET", "/api/treatments"): P.VIEW,
    ("GET", "/api/treatments/{treatment_id}"): P.VIEW,
    ("POST", "/api/treatments/{treatment_id}/cancel"): P.REGISTER,
    ("GET", "/api/patients"): P.VIEW,
    ("POST", "/api/patients/{patient_id}/messages"): P.CONTACT,
    ("GET", "/api/messages"): P.VIEW,
    ("POST", "/api/messages/{message_id}/resend"): P.CONTACT,
    ("GET", "/api/replies"): P.VIEW,
    ("GET", "/api/alerts"): P.VIEW,
    ("GET", "/api/photos/{media_id}"): P.VIEW,
    ("GET", "/api/photos/{media_id}/thumbnail"): P.VIEW,
    ("POST", "/api/alerts/{alert_id}/ack"): P.ACKNOWLEDGE,
    # the staff pages
    ("GET", "/"): P.VIEW,
    ("GET", "/today/live"): P.VIEW,
    ("GET", "/treatments/new"): P.REGISTER,
    ("POST", "/treatments/new/search"): P.REGISTER,
    ("POST", "/treatments/new"): P.REGISTER,
    ("GET", "/treatments/{treatment_id}"): P.VIEW,
    ("POST", "/treatments/{treatment_id}/cancel"): P.REGISTER,
    ("GET", "/patients/{patient_id}"): P.VIEW,
    ("POST", "/patients/{patient_id}/details"): P.CORRECT,
    ("POST", "/patients/{patient_id}/messages"): P.CONTACT,
    ("POST", "/patients/{patient_id}/opt-out"): P.CONTACT,
    ("POST", "/patients/{patient_id}/opt-in"): P.CONTACT,
    ("POST", "/messages/{message_id}/resend"): P.CONTACT,
    ("POST", "/replies/{reply_id}/handled"): P.CONTACT,
    ("POST", "/replies/{reply_id}/move"): P.CONTACT,
    ("GET", "/alerts/{alert_id}"): P.VIEW,
    ("GET", "/photos/{media_id}"): P.VIEW,
    ("GET", "/photos/{media_id}/thumbnail"): P.VIEW,
    ("POST", "/alerts/{alert_id}/ack"): P.ACKNOWLEDGE,
    ("GET", "/inbox"): P.VIEW,
    ("GET", "/alerts"): P.VIEW,
    ("GET", "/patients"): P.VIEW,
    ("POST", "/patients"): P.VIEW,
    ("GET", "/import"): P.REGISTER,
    ("POST", "/import"): P.REGISTER,
    ("POST", "/account/language"): P.VIEW,
    # the admin area
    ("GET", "/admin"): P.VIEW_SETTINGS,
    ("GET", "/admin/audit"): P.READ_AUDIT,
    ("GET", "/admin/staff"): P.MANAGE_STAFF,
    ("POST", "/admin/staff"): P.MANAGE_STAFF,
    ("POST", "/admin/staff/{staff_id}/role"): P.MANAGE_STAFF,
    ("POST", "/admin/staff/{staff_id}/deactivate"): P.MANAGE_STAFF,
    ("POST", "/admin/staff/{staff_id}/activate"): P.MANAGE_STAFF,
    ("POST", "/admin/staff/{staff_id}/signout"): P.MANAGE_STAFF,
    ("POST", "/admin/staff/{staff_id}/password"): P.MANAGE_STAFF,
    ("GET", "/admin/tokens"): P.MANAGE_TOKENS,
    ("POST", "/admin/tokens"): P.MANAGE_TOKENS,
    ("POST", "/admin/tokens/{token_id}/revoke"): P.MANAGE_TOKENS,
    ("GET", "/admin/patients/{patient_id}/export"): P.EXPORT,
    ("GET", "/admin/patients/{patient_id}/erase"): P.ERASE,
    ("POST", "/admin/patients/{patient_id}/erase"): P.ERASE,
}
# Documentation routes FastAPI adds; not ours to guard (API_DOCS is another issue's setting).
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}

FRONT_DESK = {P.VIEW, P.REGISTER, P.CONTACT, P.CORRECT}
ALLOWED: dict[str, set[Permission]] = {
    "admin": set(Permission),
    "front-desk": FRONT_DESK,
    "practitioner": FRONT_DESK | {P.ACKNOWLEDGE},
    "read-token": {P.VIEW},
    "write-token": {P.VIEW, P.REGISTER, P.CONTACT, P.ACKNOWLEDGE},
    "legacy-token": set(Permission),
}
ROLES = ("admin", "front-desk", "practitioner")
TOKENS = ("read-token", "write-token", "legacy-token")
LEGACY = "legacy_api_token_0123456789abcdef0123456789"


def app_routes() -> dict[tuple[str, str], Permission | None]:
    app = create_app(make_settings("sqlite://"), None)  # type: ignore[arg-type]
    found: dict[tuple[str, str], Permission | None] = {}
    for path, route in flat_routes(app.routes):
        if path in FRAMEWORK:
            continue
        for method in route.methods or ():
            found[(method, path)] = route_permission(route)
    return found


def test_every_route_has_a_line_in_the_table_and_its_rule_matches() -> None:
    found = app_routes()
    assert set(found) == set(ROUTES), "a route was added or removed: give it a line in ROUTES"
    for key, permission in found.items():
        expected = ROUTES[key]
        assert permission == (None if expected == PUBLIC else expected), key


def test_a_route_without_a_rule_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    router = APIRouter()

    @router.get("/secret-list")
    def secret_list() -> dict[str, str]:
        return {}

    assert unguarded_routes(router.routes, PUBLIC_PAGES) == ["GET /secret-list"]
    # The login pages are public only because they are listed: unlisted, the app refuses.
    monkeypatch.setattr("scheduler.web.app.PUBLIC_PAGES", ("/logout",))
    with pytest.raises(RuntimeError, match="routes without an access rule: GET /login"):
        create_app(make_settings("sqlite://"), None)  # type: ignore[arg-type]


# --- every caller against every route ------------------------------------------------------------


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, api_token=LEGACY)


@dataclass
class World:
    clinic: Clinic
    other_staff: int
    token: int
    message: int
    photo: int
    secrets: dict[str, str]


@pytest.fixture
def world(engine: Engine, settings: Settings) -> World:
    clinic = build_clinic(engine, settings)
    with session_scope(engine) as session:
        other = add_staff(session, "other@clinic.example", "correct horse battery", now=DAY1)
        read = create_token(session, "reader", TokenScope.READ, by="t", now=DAY1)
        write = create_token(session, "writer", TokenScope.WRITE, by="t", now=DAY1)
        spare = create_token(session, "spare", TokenScope.READ, by="t", now=DAY1)
        message = session.exec(
            select(OutboundMessage.id).where(OutboundMessage.treatment_id == clinic.t_marc)
        ).first()
        assert other.id is not None and spare.row.id is not None and message is not None
        photo = ReplyMedia(
            inbound_id=clinic.replies["marc_concern"],
            patient_id=clinic.marc,
            status=MediaStatus.STORED,
            content_type="image/jpeg",
            data=b"\xff\xd8 not really a jpeg",
            thumbnail=b"\xff\xd8 small",
            created_at=DAY1,
        )
        session.add(photo)
        session.flush()
        assert photo.id is not None
    secrets = {"read-token": read.secret, "write-token": write.secret, "legacy-token": LEGACY}
    return World(clinic, other.id, spare.row.id, message, photo.id, secrets)


def concrete(path: str, world: World) -> str:
    ids = {
        "{patient_id}": world.clinic.ana,
        "{treatment_id}": world.clinic.t_marc,
        "{message_id}": world.message,
        "{reply_id}": world.clinic.replies["marc_concern"],
        "{alert_id}": world.clinic.alerts["eloise_urgent_open"],
        "{media_id}": world.photo,
        "{staff_id}": world.other_staff,
        "{token_id}": world.token,
    }
    for name, value in ids.items():
        path = path.replace(name, str(value))
    return path


def in_order(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reads first, then writes; erasing last, so that every other route still has its data."""
    return sorted(keys, key=lambda k: (k[0] != "GET", "erase" in k[1], k[1], k[0]))


def forbidden_events(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(col(AuditEvent.action) == "forbidden")
        return int(session.exec(query).one())


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app: FastAPI = create_app(settings, engine, clock=SimulatedClock(DAY1 + timedelta(hours=1)))
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def sign_in_as(client: TestClient, engine: Engine, settings: Settings, role: str) -> str:
    """A fresh account of this role, its session cookie set; returns its CSRF token."""
    with session_scope(engine) as session:
        staff = add_staff(
            session, f"{role}@clinic.example", "correct horse battery", role=Role(role), now=DAY1
        )
        data = login_session(staff, now=DAY1)
    client.cookies.set(COOKIE_NAME, encode(settings, data))
    return data.csrf


def call(
    client: TestClient, method: str, path: str, *, csrf: str | None, bearer: str | None
) -> tuple[int, str, dict[str, str]]:
    headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    if method == "GET":
        response = client.get(path, headers=headers, follow_redirects=False)
    elif path.startswith("/api/"):
        if csrf is not None:
            headers[CSRF_HEADER] = csrf
        response = client.post(path, headers=headers, json={}, follow_redirects=False)
    else:
        data = {"csrf_token": csrf or ""}
        response = client.post(path, headers=headers, data=data, follow_redirects=False)
    return response.status_code, response.text, dict(response.headers)


@pytest.mark.parametrize("caller", [*ROLES, *TOKENS])
def test_every_caller_against_every_route(
    client: TestClient, engine: Engine, settings: Settings, world: World, caller: str
) -> None:
    token = caller in TOKENS
    csrf = None if token else sign_in_as(client, engine, settings, caller)
    bearer = world.secrets[caller] if token else None
    guarded = [key for key, rule in ROUTES.items() if rule != PUBLIC]
    checked = 0
    for method, template in in_order(guarded):
        if token and not template.startswith("/api/"):
            continue  # tokens are for the API; the pages want a login
        permission = ROUTES[(method, template)]
        assert isinstance(permission, Permission)
        path = concrete(template, world)
        before = forbidden_events(engine)
        status, body, headers = call(client, method, path, csrf=csrf, bearer=bearer)
        refused = forbidden_events(engine) - before
        where = (caller, method, path, status, body[:300])
        if permission in ALLOWED[caller]:
            assert status != 403 and refused == 0, where
            assert status != 401 and not headers.get("location", "").startswith("/login"), where
        else:
            assert status == 403 and refused == 1, where
            assert "may not" in body, where
            if not template.startswith("/api/"):
                # A page a person reads: it says why, with the pages' headers.
                assert "Forbidden" in body and "<html" in body, where
                assert headers["x-frame-options"] == SECURITY_HEADERS["X-Frame-Options"]
        checked += 1
    assert checked == (
        sum(1 for _m, t in guarded if t.startswith("/api/")) if token else len(guarded)
    )


def test_a_refusal_is_audited_with_who_what_and_why(
    client: TestClient, engine: Engine, settings: Settings, world: World
) -> None:
    csrf = sign_in_as(client, engine, settings, "front-desk")
    alert_id = world.clinic.alerts["eloise_urgent_open"]
    status, body, _ = call(client, "POST", f"/alerts/{alert_id}/ack", csrf=csrf, bearer=None)
    assert status == 403
    assert "A front-desk account may not acknowledge alerts" in body
    with Session(engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "forbidden")).all()
    assert event.actor == "front-desk@clinic.example"
    assert event.detail == (
        f"POST /alerts/{alert_id}/ack: A front-desk account may not acknowledge alerts "
        "(practitioners and admins do)."
    )
    status, body, _ = call(client, "GET", "/admin/audit", csrf=csrf, bearer=None)
    assert status == 403 and "read the audit log (admins do)" in body
