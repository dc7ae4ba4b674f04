"""Failed logins per client address, across accounts: past a few, that address waits.

The per-account lockout alone let anyone keep a staff member locked out for good (one wrong
password every few minutes). Attempts from an address that is waiting are refused before the
account is touched, and its wait doubles with each failure (up to a day), so one stranger adds
a handful of failures to an account, then almost none. A successful login clears the address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from models.tables import LoginThrottle
from models.types import UTCDateTime

FREE_FAILURES = 5  # failed logins an address may make before each further one costs a wait
MAX_WAIT = timedelta(days=1)
FORGET_AFTER = timedelta(days=1)  # failures older than this (counted from the first) are forgotten
MAX_SOURCE_CHARS = 100


def wait_for(failures: int) -> timedelta | None:
    """The wait after `failures` failures in a row: 1 min, doubling, at most a day."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(minutes=2 ** min(failures - FREE_FAILURES, 20)), MAX_WAIT)


def source_key(client_host: str | None) -> str:
    """The address's row key; requests without a client address share one ("ip:unknown")."""
    return f"ip:{client_host or 'unknown'}"[:MAX_SOURCE_CHARS]


def is_waiting(connection: Connection, source: str, *, now: datetime) -> bool:
    """True while the address must wait (its attempts are refused unchecked)."""
    until = connection.execute(
        select(col(LoginThrottle.locked_until)).where(col(LoginThrottle.source) == source)
    ).scalar()
    return until is not None and now < until


def record_failure(connection: Connection, source: str, *, now: datetime) -> int:
    """Count one failure for the address in one statement (no count lost); returns the count."""
    stale = col(LoginThrottle.window_start) < now - FORGET_AFTER
    started = case((stale, _at(now)), else_=col(LoginThrottle.window_start))
    failures = case((stale, 1), else_=col(LoginThrottle.failures) + 1)
    upsert = (
        _insert(connection)
        .values(source=source, failures=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[col(LoginThrottle.source)],
            set_={"failures": failures, "window_start": started},
        )
        .returning(col(LoginThrottle.failures))
    )
    count = int(connection.execute(upsert).scalar_one())
    wait = wait_for(count)
    if wait is not None:
        connection.execute(
            LoginThrottle.__table__.update()  # type: ignore[attr-defined]
            .where(col(LoginThrottle.source) == source, col(LoginThrottle.failures) == count)
            .values(locked_until=now + wait)
        )
    return count


def clear(connection: Connection, source: str) -> None:
    """A successful login from the address: its failures are forgiven."""
    connection.execute(delete(LoginThrottle).where(col(LoginThrottle.source) == source))


def _at(moment: datetime) -> object:
    return literal(moment, type_=UTCDateTime())


def _insert(connection: Connection) -> postgresql.Insert | sqlite.Insert:
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
