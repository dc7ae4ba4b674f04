"""Staff accounts: Argon2id password hashes, login checks, lockouts, roles, ending sessions."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, case, literal, or_, update
from sqlmodel import Session, col, func, select

from models.tables import Practitioner, StaffUser
from models.types import UTCDateTime
from models.vocabulary import Role
from scheduler.contacts import normalize_email
from scheduler.staff import login_throttle
from scheduler.text_input import control_character_problem

MIN_PASSWORD_LENGTH = 10
FREE_FAILURES = 3  # consecutive failed logins allowed before each further one costs a wait
MAX_LOCKOUT = timedelta(minutes=15)
MAX_EMAIL_CHARS = 320  # the column's size; a longer "email" names no account

# argon2-cffi's defaults are Argon2id with the RFC 9106 "low memory" profile.
_hasher = PasswordHasher()
# Each check takes 64 MiB: sixty logins at once must not take four gigabytes. Past this many,
# checks wait their turn (login gets slower under a flood; the process does not run out).
_CHECKS = threading.BoundedSemaphore(4)


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
        with _CHECKS:
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise StaffError("password: no spaces at the start or end")


def temporary_password() -> str:
    """A password an admin hands over once (16 URL-safe characters, 96 random bits)."""
    return secrets.token_urlsafe(12)


def lockout_for(failures: int) -> timedelta | None:
    """How long the account waits after `failures` consecutive failures: 2^n s, at most 15 min."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(seconds=2**failures), MAX_LOCKOUT)


def find_staff(session: Session, email: str) -> StaffUser | None:
    wanted = email.strip().lower()
    if len(wanted) > MAX_EMAIL_CHARS or control_character_problem(wanted):
        return None  # could name no account, and PostgreSQL refuses NUL in a query
    return session.exec(select(StaffUser).where(func.lower(col(StaffUser.email)) == wanted)).first()


def add_staff(
    session: Session,
    email: str,
    password: str,
    *,
    name: str = "",
    role: Role = Role.FRONT_DESK,
    practitioner_id: int | None = None,
    now: datetime,
) -> StaffUser:
    """Create an account (no commit); the email must be new and the password long enough.

    The least powerful role unless another is named: admin is a choice, never a default.
    """
    try:
        address = normalize_email(email).lower()
    except ValueError as exc:
        raise StaffError(f"email: {exc}") from exc
    check_new_password(password)
    if find_staff(session, address) is not None:
        raise StaffError(f"email: {address} already has an account")
    _check_practitioner(session, practitioner_id)
    staff = StaffUser(
        email=address,
        name=name.strip(),
        password_hash=hash_password(password),
        created_at=now,
        role=Role(role),
        practitioner_id=practitioner_id,
    )
    session.add(staff)
    session.flush()
    return staff


def _check_practitioner(session: Session, practitioner_id: int | None) -> None:
    if practitioner_id is not None and session.get(Practitioner, practitioner_id) is None:
        raise StaffError(f"practitioner: no practitioner with id {practitioner_id}")


def _other_active_admins(session: Session, staff: StaffUser) -> int:
    query = (
        select(func.count())
        .select_from(StaffUser)
        .where(
            col(StaffUser.role) == Role.ADMIN,
            col(StaffUser.active).is_(True),
            col(StaffUser.id) != staff.id,
        )
    )
    return int(session.exec(query).one())


def _keep_an_admin(session: Session, staff: StaffUser, change: str) -> None:
    """Refuse a change that would leave no active admin (nobody could manage accounts)."""
    if staff.role == Role.ADMIN and staff.active and _other_active_admins(session, staff) == 0:
        raise StaffError(f"{change}: {staff.email} is the last active admin; make another first")


def set_role(
    session: Session, email: str, role: Role, *, practitioner_id: int | None = None
) -> StaffUser:
    """A new role, and the practitioner the account is (no commit); the last admin stays one."""
    staff = require_staff(session, email)
    if role != Role.ADMIN:
        _keep_an_admin(session, staff, "role")
    _check_practitioner(session, practitioner_id)
    staff.role = Role(role)
    staff.practitioner_id = practitioner_id
    session.add(staff)
    return staff


def get_staff(session: Session, staff_id: int) -> StaffUser:
    """The account with this id, or StaffError."""
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise StaffError(f"account: no staff account with id {staff_id}")
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
    if not active:
        _keep_an_admin(session, staff, "deactivate")
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
    locked: bool = False  # the account is waiting after failed logins
    throttled: bool = False  # the client address is waiting after failed logins


def authenticate(
    session: Session, email: str, password: str, *, now: datetime, source: str = "ip:unknown"
) -> LoginAttempt:
    """Check a login from client address `source`; commits the attempt's counts at once.

    Every call checks exactly one password hash (a dummy one for an unknown, inactive or locked
    account, or a waiting address), so the answer's timing tells nothing. The attempt is counted
    against the account in one conditional UPDATE *before* the hash is checked: of many racing
    guesses only FREE_FAILURES are ever checked, and no count is lost.
    """
    staff = find_staff(session, email)
    if login_throttle.is_waiting(session.connection(), source, now=now):
        verify_password(_dummy_hash(), password)
        return LoginAttempt(staff=None, known=staff, throttled=True)
    if staff is None or staff.id is None or not staff.active:
        verify_password(_dummy_hash(), password)
        login_throttle.record_failure(session.connection(), source, now=now)
        session.commit()
        return LoginAttempt(staff=None, known=staff)
    charged = _charge_attempt(session.connection(), staff.id, now=now)
    session.commit()  # before the slow check: racing attempts must see this one
    if charged is None:
        # Locked: refused unchecked (guessing learns nothing), in the time a check takes.
        verify_password(_dummy_hash(), password)
        return LoginAttempt(staff=None, known=staff, locked=True)
    if not verify_password(staff.password_hash, password):
        login_throttle.record_failure(session.connection(), source, now=now)
        session.commit()
        session.refresh(staff)
        return LoginAttempt(staff=None, known=staff)
    login_throttle.clear(session.connection(), source)
    session.refresh(staff)
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    session.add(staff)
    return LoginAttempt(staff=staff, known=staff)


def _charge_attempt(connection: Connection, staff_id: int, *, now: datetime) -> int | None:
    """Count one more failure unless the account is locked, setting the lock the count calls
    for, in one statement; the new count, or None when the account is locked."""
    count = col(StaffUser.failed_logins) + 1
    steps = range(FREE_FAILURES, FREE_FAILURES + 16)  # 2^n s reaches MAX_LOCKOUT well before
    waits = [(count == n, _at(now + wait)) for n in steps if (wait := lockout_for(n))]
    until = case((count < FREE_FAILURES, None), *waits, else_=_at(now + MAX_LOCKOUT))
    statement = (
        update(StaffUser)
        .where(
            col(StaffUser.id) == staff_id,
            or_(col(StaffUser.locked_until).is_(None), col(StaffUser.locked_until) <= now),
        )
        .values(failed_logins=count, locked_until=until)
        .returning(col(StaffUser.failed_logins))
    )
    found = connection.execute(statement).scalar()
    return int(found) if found is not None else None


def _at(moment: datetime) -> object:
    return literal(moment, type_=UTCDateTime())
