"""The admin area through the real app: staff accounts, API tokens, the audit log, settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import StaffUser
from models.db import session_scope
from scheduler.settings import Settings
from scheduler.staff import audit
from scheduler.staff.accounts import find_staff
from tests.support.pages import EMAIL, Pages, audit_events, csrf_of, pages_for, signed_in
from tests.support.settings import make_settings

SECRET_SHOWN = re.compile(r'<code class="secret">([^<]+)</code>')


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, twilio_auth_token="tw-secret-value", api_token="")


@pytest.fixture
def pages(settings: Settings, engine: Engine) -> Iterator[Pages]:
    with signed_in(settings, engine) as found:
        yield found


def account(engine: Engine, email: str) -> StaffUser:
    with Session(engine) as session:
        found = find_staff(session, email)
    assert found is not None
    return found


def add_account(pages: Pages, email: str, role: str = "front-desk") -> str:
    """Add through the page; returns the temporary password it showed."""
    response = pages.post("/admin/staff", {"email": email, "name": "", "role": role})
    assert response.status_code == 200, response.text
    [password] = SECRET_SHOWN.findall(response.text)
    return str(password)


def test_an_added_account_signs_in_with_the_password_shown_once(
    pages: Pages, settings: Settings, engine: Engine
) -> None:
    password = add_account(pages, "Maya@Clinic.example", role="practitioner")
    assert len(password) >= 16
    maya = account(engine, "maya@clinic.example")
    assert maya.role == "practitioner" and password not in maya.password_hash
    listing = pages.client.get("/admin/staff").text
    assert "maya@clinic.example" in listing and password not in listing
    with pages_for(settings, engine) as other:
        assert other.login("maya@clinic.example", password).status_code == 303
        assert other.client.get("/admin/staff").status_code == 403
    [event] = audit_events(engine, "staff_add")
    assert (event.actor, event.target, event.detail) == (
        EMAIL,
        f"staff:{maya.id}",
        "role practitioner",
    )


def test_role_practitioner_link_and_the_last_admin(pages: Pages, engine: Engine) -> None:
    add_account(pages, "desk@clinic.example")
    desk = account(engine, "desk@clinic.example")
    me = account(engine, EMAIL)
    with session_scope(engine) as session:
        from scheduler.followups.practitioners import save_practitioner

        roy = save_practitioner(session, "Dr Roy", phone=None, email=None, now=datetime.now(UTC))
    response = pages.post(
        f"/admin/staff/{desk.id}/role", {"role": "practitioner", "practitioner": str(roy.id)}
    )
    assert response.status_code == 200 and "is now practitioner" in response.text
    changed = account(engine, "desk@clinic.example")
    assert (changed.role, changed.practitioner_id) == ("practitioner", roy.id)
    # The only admin may not stop being one, nor be deactivated.
    refused = pages.post(f"/admin/staff/{me.id}/role", {"role": "front-desk"})
    assert refused.status_code == 400 and "last active admin" in refused.text
    refused = pages.post(f"/admin/staff/{me.id}/deactivate")
    assert refused.status_code == 400 and "last active admin" in refused.text
    assert account(engine, EMAIL).role == "admin"


def test_deactivate_new_password_and_sign_out(
    pages: Pages, settings: Settings, engine: Engine
) -> None:
    first = add_account(pages, "desk@clinic.example")
    desk = account(engine, "desk@clinic.example")
    with pages_for(settings, engine) as other:
        assert other.login("desk@clinic.example", first).status_code == 303
        assert other.client.get("/").status_code == 200
        assert pages.post(f"/admin/staff/{desk.id}/signout").status_code == 200
        assert other.client.get("/", follow_redirects=False).status_code == 303  # signed out
        reset = pages.post(f"/admin/staff/{desk.id}/password")
        [second] = SECRET_SHOWN.findall(reset.text)
        assert second != first
        assert other.login("desk@clinic.example", first).status_code == 400
        assert other.login("desk@clinic.example", second).status_code == 303
        assert pages.post(f"/admin/staff/{desk.id}/deactivate").status_code == 200
        assert other.client.get("/", follow_redirects=False).status_code == 303
        assert other.login("desk@clinic.example", second).status_code == 400
    assert pages.post(f"/admin/staff/{desk.id}/activate").status_code == 200
    actions = [e.action for e in audit_events(engine) if e.target == f"staff:{desk.id}"]
    assert actions == [
        "staff_add",
        "staff_signout",
        "staff_password",
        "staff_deactivate",
        "staff_activate",
    ]


def test_a_bad_account_says_why_and_adds_nothing(pages: Pages, engine: Engine) -> None:
    response = pages.post("/admin/staff", {"email": "not-an-email", "role": "front-desk"})
    assert response.status_code == 400 and "Nothing was changed" in response.text
    response = pages.post("/admin/staff", {"email": "x@clinic.example", "role": "owner"})
    assert response.status_code == 400 and "unknown role" in response.text
    with Session(engine) as session:
        assert len(session.exec(select(StaffUser)).all()) == 1


def test_a_token_is_shown_once_and_revoked_from_the_page(pages: Pages, engine: Engine) -> None:
    response = pages.post("/admin/tokens", {"name": "booking-system", "scope": "write"})
    assert response.status_code == 200
    [secret] = SECRET_SHOWN.findall(response.text)
    listing = pages.client.get("/admin/tokens").text
    assert "booking-system" in listing and secret not in listing and secret[:8] in listing
    assert "never" in listing
    api = {"Authorization": f"Bearer {secret}"}
    assert pages.client.get("/api/alerts", headers=api).status_code == 200
    assert "never" not in pages.client.get("/admin/tokens").text.split("booking-system")[1]
    token_id = re.search(r'id="token-(\d+)"', listing)
    assert token_id is not None
    revoked = pages.post(f"/admin/tokens/{token_id.group(1)}/revoke")
    assert revoked.status_code == 200 and "revoked" in revoked.text
    pages.client.cookies.clear()
    assert pages.client.get("/api/alerts", headers=api).status_code == 401
    assert pages.login().status_code == 303
    duplicate = pages.post("/admin/tokens", {"name": "booking-system", "scope": "read"})
    assert duplicate.status_code == 400 and "exists" in duplicate.text


def test_the_audit_log_filters_by_who_patient_action_and_dates(
    pages: Pages, engine: Engine
) -> None:
    with session_scope(engine) as session:
        day = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
        audit.record(session, actor="ana@clinic.example", action="view_timeline",
                     target="patient:7", now=day)  # fmt: skip
        audit.record(session, actor="ben@clinic.example", action="view_inbox", now=day,
                     shown=[3, 7, 12])  # fmt: skip
        audit.record(session, actor="ben@clinic.example", action="view_inbox", now=day,
                     shown=[17])  # fmt: skip
        audit.record(session, actor="ana@clinic.example", action="export", target="patient:3",
                     now=datetime(2026, 11, 22, 15, 0, tzinfo=UTC))  # fmt: skip

    def rows(query: str) -> list[str]:
        html = pages.client.get(f"/admin/audit?{query}").text
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        found = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in body.split("<tr>")[1:]
        ]
        return [row for row in found if row != "No event matches."]

    assert len(rows("patient=7")) == 2  # the timeline, and the inbox that listed 3, 7, 12
    assert len(rows("patient=1")) == 0  # 17 and 12 are not 1
    assert len(rows("actor=BEN")) == 2
    assert len(rows("action=export")) == 1
    assert len(rows("since=2026-11-21&until=2026-11-22")) == 1  # 'until' takes the whole day
    assert len(rows("actor=ana&since=2026-11-20&until=2026-11-20")) == 1
    assert "patients: 3, 7, 12" in " ".join(rows("actor=ben"))
    viewed = audit_events(engine, "view_audit")
    assert [e.detail for e in viewed][:2] == ["patient=7", "patient=1"]


def test_the_settings_page_hides_secrets(pages: Pages) -> None:
    html = pages.client.get("/admin").text
    assert "tw-secret-value" not in html and "test-secret" not in html
    assert re.search(r"TWILIO_AUTH_TOKEN</code></td><td[^>]*>set<", html)
    assert re.search(r"API_TOKEN</code></td><td[^>]*>not set<", html)
    assert "RETENTION_DAYS" in html and "PRACTITIONER_SEES_OWN_ONLY" in html
    assert csrf_of(html)
