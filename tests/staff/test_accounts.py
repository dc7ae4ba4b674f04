"""Staff sign-in: password hashes, lockout, signed session cookies, CSRF, expiry, logout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from models import Patient, StaffUser
from models.db import session_scope
from scheduler.settings import Settings
from scheduler.staff.accounts import (
    StaffError,
    add_staff,
    authenticate,
    end_sessions,
    hash_password,
    lockout_for,
    require_staff,
    verify_password,
)
from scheduler.web.pages.login import LOGIN_FAILED
from scheduler.web.session import COOKIE_NAME, session_staff
from tests.support.pages import EMAIL, PASSWORD, START, Pages, audit_events, create_staff, pages_for
from tests.support.settings import make_settings

PAGES = ["/", "/treatments/new", "/patients", "/patients/1", "/inbox", "/alerts", "/import"]


@pytest.fixture
def pages(settings: Settings, engine: Engine) -> Iterator[Pages]:
    create_staff(engine)
    with pages_for(settings, engine) as found:
        yield found


def test_passwords_are_stored_as_argon2id_hashes() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, None), (2, None), (3, 8), (4, 16), (6, 64), (9, 512), (10, 900), (40, 900)],
)
def test_lockout_grows_from_the_third_failure_and_is_capped(
    failures: int, wait: int | None
) -> None:
    assert lockout_for(failures) == (timedelta(seconds=wait) if wait else None)


def test_add_staff_refuses_duplicates_short_passwords_and_bad_emails(engine: Engine) -> None:
    create_staff(engine)
    cases = [
        ("NADIA@clinic.example", PASSWORD, "already has an account"),
        ("other@clinic.example", "short", "at least 10"),
        ("not-an-email", PASSWORD, "email:"),
    ]
    for email, password, message in cases:
        with session_scope(engine) as session, pytest.raises(StaffError, match=message):
            add_staff(session, email, password, now=START)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(StaffUser)).one() == 1


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_signed_out_to_login(pages: Pages, path: str) -> None:
    response = pages.client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_wrong_password_and_unknown_email_get_the_same_answer(pages: Pages) -> None:
    wrong = pages.login(password="not the password")
    unknown = pages.login(email="nobody@clinic.example")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert LOGIN_FAILED in response.text
    assert pages.client.get("/", follow_redirects=False).status_code == 303

    signed_in = pages.login()
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    today = pages.client.get("/")
    assert today.status_code == 200 and "Nadia Roy" in today.text

    failed = audit_events(pages.engine, "login_failed")
    assert [e.actor for e in failed] == [EMAIL, "unknown:n***@clinic.example"]
    assert [e.actor for e in audit_events(pages.engine, "login")] == [EMAIL]
    with Session(pages.engine) as session:
        staff = session.exec(select(StaffUser)).one()
    assert staff.failed_logins == 0 and staff.last_login_at == START


def test_session_cookie_is_httponly_samesite_lax_and_secure_on_https(pages: Pages) -> None:
    cookie = pages.login().headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "secure" in lowered
    assert PASSWORD not in cookie and EMAIL not in cookie


def test_cookie_is_not_secure_when_the_public_url_is_plain_http(
    database_url: str, engine: Engine
) -> None:
    create_staff(engine)
    plain = make_settings(database_url, public_base_url="http://127.0.0.1:8000")
    with pages_for(plain, engine) as pages:
        pages.client.base_url = pages.client.base_url.copy_with(scheme="http")
        cookie = pages.login().headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" not in cookie


def test_three_failures_lock_the_account_even_against_the_right_password(pages: Pages) -> None:
    for _ in range(3):
        assert pages.login(password="wrong password").status_code == 400
    with Session(pages.engine) as session:
        staff = session.exec(select(StaffUser)).one()
    assert staff.failed_logins == 3
    assert staff.locked_until == START + timedelta(seconds=8)

    locked = pages.login()
    assert locked.status_code == 400 and LOGIN_FAILED in locked.text
    assert audit_events(pages.engine, "login_failed")[-1].detail == "account locked"

    pages.clock.advance(timedelta(seconds=8))
    assert pages.login().status_code == 303
    with Session(pages.engine) as session:
        staff = session.exec(select(StaffUser)).one()
    assert staff.failed_logins == 0 and staff.locked_until is None


def test_each_failure_after_the_lockout_doubles_it(engine: Engine) -> None:
    create_staff(engine)
    now = START
    waits = []
    for _ in range(5):
        with session_scope(engine) as session:
            assert authenticate(session, EMAIL, "wrong password", now=now).staff is None
            staff = session.exec(select(StaffUser)).one()
            if staff.locked_until is not None:
                waits.append(staff.locked_until - now)
                now = staff.locked_until
    assert waits == [timedelta(seconds=s) for s in (8, 16, 32)]


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(pages: Pages) -> None:
    anonymous = pages.client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False
    )
    assert anonymous.status_code == 403
    assert pages.login().status_code == 303
    form = {"name": "Ana Lima", "phone": "613-555-0124", "performed_date": "2026-11-25"}
    for token in (None, "forged-token"):
        data = {**form, "performed_time": "09:30"}
        if token:
            data["csrf_token"] = token
        response = pages.client.post("/treatments/new", data=data, follow_redirects=False)
        assert response.status_code == 403
    with Session(pages.engine) as session:
        assert session.exec(select(func.count()).select_from(Patient)).one() == 0


def test_the_login_token_changes_at_login(pages: Pages) -> None:
    before = pages.token("/login")
    pages.client.post(
        "/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": before},
        follow_redirects=False,
    )
    after = pages.token("/")
    assert after != before
    refused = pages.client.post("/logout", data={"csrf_token": before}, follow_redirects=False)
    assert refused.status_code == 403


def test_a_session_ends_after_staff_session_hours(pages: Pages) -> None:
    assert pages.login().status_code == 303
    lifetime = timedelta(hours=pages.settings.staff_session_hours)
    pages.clock.advance(lifetime - timedelta(minutes=1))
    assert pages.client.get("/", follow_redirects=False).status_code == 200
    pages.clock.advance(timedelta(minutes=1))
    expired = pages.client.get("/", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/login?next=/"


def test_logout_ends_the_session_and_is_audited(pages: Pages) -> None:
    assert pages.login().status_code == 303
    response = pages.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert COOKIE_NAME not in pages.client.cookies
    assert pages.client.get("/", follow_redirects=False).status_code == 303
    assert [e.actor for e in audit_events(pages.engine, "logout")] == [EMAIL]


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(pages: Pages) -> None:
    assert pages.login().status_code == 303
    copied = pages.client.cookies[COOKIE_NAME]
    assert pages.post("/logout").status_code == 303
    pages.client.cookies.set(COOKIE_NAME, copied)  # someone kept the cookie
    assert pages.client.get("/", follow_redirects=False).status_code == 303
    assert pages.login().status_code == 303  # signing in again works
    assert pages.client.get("/", follow_redirects=False).status_code == 200


def test_ending_the_sessions_signs_out_a_live_session_but_keeps_the_password(
    pages: Pages,
) -> None:
    assert pages.login().status_code == 303
    with session_scope(pages.engine) as session:
        end_sessions(session, require_staff(session, EMAIL))
    assert pages.client.get("/", follow_redirects=False).status_code == 303
    assert pages.login().status_code == 303


def test_a_tampered_cookie_or_a_changed_password_ends_the_session(pages: Pages) -> None:
    assert pages.login().status_code == 303
    good = pages.client.cookies[COOKIE_NAME]
    payload, signature = good.rsplit(".", 1)
    forged = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    pages.client.cookies.clear()
    pages.client.cookies.set(COOKIE_NAME, f"{payload}.{forged}")
    assert pages.client.get("/", follow_redirects=False).status_code == 303

    pages.client.cookies.clear()
    pages.client.cookies.set(COOKIE_NAME, good)
    assert pages.client.get("/", follow_redirects=False).status_code == 200
    with session_scope(pages.engine) as session:
        staff = session.exec(select(StaffUser)).one()
        staff.password_hash = hash_password("a brand new password")
        session.add(staff)
    assert pages.client.get("/", follow_redirects=False).status_code == 303


def test_a_deactivated_account_loses_its_session(pages: Pages) -> None:
    assert pages.login().status_code == 303
    with session_scope(pages.engine) as session:
        staff = session.exec(select(StaffUser)).one()
        staff.active = False
        session.add(staff)
    assert pages.client.get("/", follow_redirects=False).status_code == 303
    assert pages.login().status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_login_only_returns_to_a_local_page(pages: Pages, target: str) -> None:
    token = pages.token("/login")
    response = pages.client.post(
        "/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": target},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_session_staff_is_what_the_json_api_reads(pages: Pages) -> None:
    app = pages.client.app

    @app.get("/_test/whoami")  # type: ignore[attr-defined, untyped-decorator]
    def whoami(request: Request) -> dict[str, str | None]:
        staff = session_staff(request)
        return {"email": staff.email if staff else None}

    assert pages.client.get("/_test/whoami").json() == {"email": None}
    pages.login()
    assert pages.client.get("/_test/whoami").json() == {"email": EMAIL}


def test_pages_are_not_cached_nor_framed(pages: Pages) -> None:
    pages.login()
    headers = pages.client.get("/").headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
