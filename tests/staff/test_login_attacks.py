"""Hole 3 of the security pass: racing guesses, lockout timing, and strangers locking staff out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.clock import SimulatedClock
from scheduler.ops.runtime import open_database
from scheduler.staff import accounts
from scheduler.staff.accounts import FREE_FAILURES, authenticate, find_staff
from scheduler.web.app import create_app
from tests.support.pages import EMAIL, PASSWORD, csrf_of
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
GUESSES = 60


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Real Argon2id with small costs: the rules under test do not depend on the cost."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def staff_engine(each_database_url: str) -> Iterator[Engine]:
    engine = open_database(make_settings(each_database_url))
    with Session(engine) as session:
        accounts.add_staff(session, EMAIL, PASSWORD, now=NOW)
        session.commit()
    yield engine
    engine.dispose()


def failed_logins(engine: Engine) -> tuple[int, datetime | None]:
    with Session(engine) as session:
        staff = find_staff(session, EMAIL)
        assert staff is not None
        return staff.failed_logins, staff.locked_until


def test_sixty_racing_guesses_are_counted_and_only_the_free_ones_checked(
    staff_engine: Engine,
) -> None:
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> bool:
        with Session(staff_engine) as session:
            start.wait()
            attempt = authenticate(session, EMAIL, f"wrong guess {n}", now=NOW)
            session.commit()
            return attempt.locked

    with ThreadPoolExecutor(GUESSES) as pool:
        locked = list(pool.map(guess, range(GUESSES)))
    count, until = failed_logins(staff_engine)
    checked = locked.count(False)
    # Every checked guess was counted, and the lock stopped the rest unchecked.
    assert (checked, count) == (FREE_FAILURES, FREE_FAILURES)
    assert until is not None and until > NOW
    with Session(staff_engine) as session:
        assert authenticate(session, EMAIL, PASSWORD, now=NOW).staff is None  # still locked
        later = authenticate(session, EMAIL, PASSWORD, now=until)
        assert later.staff is not None


def test_every_outcome_checks_exactly_one_password_hash(
    staff_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown, wrong, locked, throttled or right: the same work, so timing tells nothing."""
    checks: list[str] = []
    real = accounts.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    with Session(staff_engine) as session:
        for email, password in [
            ("nobody@clinic.example", "x"),  # unknown
            (EMAIL, "wrong 1"),
            (EMAIL, "wrong 2"),
            (EMAIL, "wrong 3"),  # now locked
            (EMAIL, PASSWORD),  # locked: refused, but after the same work
            ("x\x00@clinic.example", "y"),  # cannot name an account at all
        ]:
            before = len(checks)
            authenticate(session, email, password, now=NOW)
            session.commit()
            assert len(checks) == before + 1, (email, password)


def test_a_stranger_guessing_all_night_cannot_keep_a_staff_member_out(database_url: str) -> None:
    settings = make_settings(database_url)
    engine = open_database(settings)
    with Session(engine) as session:
        accounts.add_staff(session, EMAIL, PASSWORD, now=NOW)
        session.commit()
    clock = SimulatedClock(NOW)
    app = create_app(settings, engine, clock=clock)

    def login(client: TestClient, password: str) -> int:
        token = csrf_of(client.get("/login").text)
        form = {"email": EMAIL, "password": password, "csrf_token": token, "next": "/"}
        return client.post("/login", data=form, follow_redirects=False).status_code

    staff_ok: list[bool] = []
    with (
        TestClient(app, base_url="https://testserver", client=("203.0.113.9", 4000)) as stranger,
        TestClient(app, base_url="https://testserver", client=("198.51.100.7", 4000)) as staff,
    ):
        for minute in range(0, 150, 3):  # a wrong password every 3 minutes for 2.5 hours
            clock.set(NOW + timedelta(minutes=minute))
            assert login(stranger, f"guess {minute}") == 400
            if minute >= 105 and minute % 15 == 0:
                # The staff member comes in between the stranger's tries, then signs out.
                clock.set(NOW + timedelta(minutes=minute, seconds=30))
                staff_ok.append(login(staff, PASSWORD) == 303)
                staff.cookies.clear()
    engine.dispose()
    assert staff_ok == [True] * 3
