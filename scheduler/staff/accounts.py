"""Staff accounts: Argon2id password hashes, login checks, lockouts, and ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select

from models.tables import StaffUser
from scheduler.contacts import normalize_email

MIN_PASSWORD_LENGTH = 10
FREE_FAILURES = 3  # consecutive failed logins allowed before each further one costs a wait
MAX_LOCKOUT = timedelta(minutes=15)

# argon2-cffi's defaults are Argon2id with the RFC 9106 "low memory" profile.
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Unknown emails are checked against this, so both answers take as long (no probing)."""
    return _hasher.hash("no such account: equal timing")


class StaffError(ValueError):
    """An account that cannot be created as asked; nothing was written."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise StaffError("password: no spaces at the start or end")


def lockout_for(failures: int) -> timedelta | None:
    """How long the account waits after `failures` consecutive failures: 2^n s, at most 15 min."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(seconds=2**failures), MAX_LOCKOUT)


def find_staff(session: Session, email: str) -> StaffUser | None:
    wanted = email.strip().lower()
    return session.exec(select(StaffUser).where(func.lower(col(StaffUser.email)) == wanted)).first()


def add_staff(
    session: Session, email: str, password: str, *, name: str = "", now: datetime
) -> StaffUser:
    """Create an account (no commit); the email must be new and the password long enough."""
    try:
        address = normalize_email(email).lower()
    except ValueError as exc:
        raise StaffError(f"email: {exc}") from exc
    check_new_password(password)
    if find_staff(session, address) is not None:
        raise StaffError(f"email: {address} already has an account")
    staff = StaffUser(
        email=address, name=name.strip(), password_hash=hash_password(password), created_at=now
    )
    session.add(staff)
    session.flush()
    return staff


def require_staff(session: Session, email: str) -> StaffUser:
    """The account for `email`, or StaffError naming it."""
    staff = find_staff(session, email)
    if staff is None:
        raise StaffError(f"email: no staff account for {email.strip().lower()}")
    return staff


def list_staff(session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.email))).all())


def end_sessions(session: Session, staff: StaffUser) -> None:
    """Every session cookie of this account stops working, copies included (no commit)."""
    staff.session_epoch += 1
    session.add(staff)


def set_password(session: Session, email: str, password: str) -> StaffUser:
    """A new password (no commit): it also lifts a lockout and ends the account's sessions."""
    check_new_password(password)
    staff = require_staff(session, email)
    staff.password_hash = hash_password(password)
    staff.failed_logins = 0
    staff.locked_until = None
    end_sessions(session, staff)
    return staff


def set_active(session: Session, email: str, *, active: bool) -> StaffUser:
    """Let an account sign in again, or stop it (no commit); stopping ends its sessions."""
    staff = require_staff(session, email)
    staff.active = active
    if not active:
        end_sessions(session, staff)
    session.add(staff)
    return staff


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of one login try; `staff` is set only when it succeeded."""

    staff: StaffUser | None
    known: StaffUser | None  # the account the email named, if any (for the audit log only)
    locked: bool = False


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> LoginAttempt:
    """Check a login and update the account's failure count and lockout (no commit)."""
    staff = find_staff(session, email)
    if staff is None or not staff.active:
        verify_password(_dummy_hash(), password)
        return LoginAttempt(staff=None, known=staff)
    if staff.locked_until is not None and now < staff.locked_until:
        # Refused without checking, so guessing during a lockout learns nothing.
        return LoginAttempt(staff=None, known=staff, locked=True)
    if not verify_password(staff.password_hash, password):
        staff.failed_logins += 1
        wait = lockout_for(staff.failed_logins)
        staff.locked_until = now + wait if wait else None
        session.add(staff)
        return LoginAttempt(staff=None, known=staff)
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    session.add(staff)
    return LoginAttempt(staff=staff, known=staff)
