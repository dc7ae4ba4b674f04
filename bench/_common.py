"""Shared pieces of the benchmarks: throwaway databases, bulk seeding, timing and tables."""

from __future__ import annotations

import os
import platform
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Connection, Engine, bindparam, insert, update
from sqlmodel import SQLModel, col

from models import OutboundMessage, OutboxStatus, Patient, Treatment
from models.db import make_engine
from models.migrate import upgrade
from scheduler.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "AFTERCARE_BENCH_PG",
    os.environ.get("AFTERCARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
TORONTO = ZoneInfo("America/Toronto")
# Inside the default 10:00-19:00 send window, so due rows are sent rather than deferred.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TORONTO).astimezone(UTC)
CLAIM_INDEXES = ("ix_outbound_status_next", "ix_outbound_status_due")


def bench_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings like the tests' make_settings: never reads a developer's .env."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "clinic_name": "Clinique Esthétique Ottawa",
        "clinic_phone": "+16135550100",
        "secret_key": "bench-secret",
        "public_base_url": "https://clinic.example",
        "sms_rate_per_second": 1_000_000.0,
        "email_rate_per_second": 1_000_000.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks drop the temporary databases."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


# --- throwaway databases --------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    """A migrated SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="aftercare_bench_") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def postgres_available() -> str | None:
    """None if the server answers, else why not."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at {PG_ADMIN_URL}: {str(exc).strip()}"


@contextmanager
def postgres_database() -> Iterator[Engine]:
    """A new migrated PostgreSQL database, dropped afterwards (also on error or Ctrl-C)."""
    name = f"aftercare_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        engine: Engine | None = None
        try:
            engine = make_engine(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
            upgrade(engine)
            yield engine
        finally:
            if engine is not None:
                engine.dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


Database = Callable[[], AbstractContextManager[Engine]]


def databases_to_run(*, no_postgres: bool) -> tuple[list[tuple[str, Database]], str | None]:
    """SQLite, then PostgreSQL if asked for and reachable; and why PostgreSQL was skipped."""
    found: list[tuple[str, Database]] = [("SQLite", sqlite_database)]
    if no_postgres:
        return found, None
    skipped = postgres_available()
    if skipped:
        print(f"\nPostgreSQL: skipped ({skipped})")
    else:
        found.append(("PostgreSQL", postgres_database))
    return found, skipped


# --- seeding --------------------------------------------------------------------------------


@dataclass
class Seeder:
    """Bulk-inserts patients, treatments and outbox rows with Core executemany.

    Rows come three to a treatment (day1/day3/day7), one treatment per patient, like
    registrations would write them, but without the per-request cost of the registration code.
    """

    engine: Engine
    rng: Random
    next_id: int = 1
    last_treatment: int = 0
    chunk: int = 5_000

    def add(self, *, due: int = 0, future: int = 0, channel: str = "sms") -> list[int]:
        """Add `due` rows due now and `future` rows due in 1 h to 30 days; return the due ids."""
        specs: list[tuple[datetime, datetime]] = []
        due_at = NOW - timedelta(hours=5)
        specs += [(due_at, NOW + timedelta(days=1))] * due
        for _ in range(future):
            when = NOW + timedelta(seconds=self.rng.uniform(3600, 30 * 86400))
            specs.append((when, when + timedelta(days=2)))
        due_ids = list(range(self.next_id, self.next_id + due))
        for start in range(0, len(specs), self.chunk):
            self._insert(specs[start : start + self.chunk], channel)
        return due_ids

    def _insert(self, specs: Sequence[tuple[datetime, datetime]], channel: str) -> None:
        first = self.next_id
        self.next_id += len(specs)
        ids = range(first, first + len(specs))
        new = list(range(self.last_treatment + 1, (first + len(specs) - 2) // 3 + 2))
        with self.engine.begin() as conn:
            if new:
                self.last_treatment = new[-1]
                _write(conn, Patient, [self._patient(t) for t in new])
                _write(conn, Treatment, [self._treatment(t) for t in new])
            _write(
                conn,
                OutboundMessage,
                [
                    self._message(i, due_at, expires_at, channel)
                    for i, (due_at, expires_at) in zip(ids, specs, strict=True)
                ],
            )

    @staticmethod
    def _patient(i: int) -> dict[str, Any]:
        return {
            "id": i,
            "name": f"Patient{i} Bench",
            "phone": f"+1613{2_000_000 + i:07d}",
            "email": f"patient{i}@example.org",
            "language": "fr" if i % 4 == 0 else "en",
            "preferred_channel": "sms",
            "consent_source": "in-clinic",
            "consent_at": NOW - timedelta(days=1),
            "created_at": NOW - timedelta(days=1),
        }

    @staticmethod
    def _treatment(i: int) -> dict[str, Any]:
        return {
            "id": i,
            "patient_id": i,
            "practitioner_id": None,
            "kind": "microneedling",
            "performed_at": NOW - timedelta(days=1),
            "status": "active",
            "created_at": NOW - timedelta(days=1),
            "cancelled_at": None,
        }

    @staticmethod
    def _message(i: int, due_at: datetime, expires_at: datetime, channel: str) -> dict[str, Any]:
        return {
            "id": i,
            "treatment_id": (i - 1) // 3 + 1,
            "step": ("day1", "day3", "day7")[(i - 1) % 3],
            "channel": channel,
            "due_at": due_at,
            "expires_at": expires_at,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": due_at,
            "claim_token": None,
            "claimed_at": None,
            "updated_at": NOW - timedelta(days=1),
        }


def _write(conn: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert rows: COPY on PostgreSQL (faster for the 1M-row backlogs), else executemany."""
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), rows)
        return
    columns = list(rows[0])
    name = model.__tablename__
    raw: Any = conn.connection.driver_connection  # psycopg, inside this same transaction
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])


def _plain(value: object) -> object:
    # psycopg would dump an Enum by its name; the columns hold the value.
    return value.value if isinstance(value, Enum) else value


def reset_to_pending(engine: Engine, ids: Sequence[int]) -> None:
    """Put rows a pass claimed or sent back to their freshly scheduled state."""
    stmt = (
        update(OutboundMessage)
        .where(col(OutboundMessage.id) == bindparam("row_id"))
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=OutboundMessage.due_at,
            claim_token=None,
            claimed_at=None,
            sent_at=None,
            provider_id=None,
            segments=None,
            error_code=None,
            last_error=None,
        )
    )
    with engine.begin() as conn:
        conn.execute(stmt, [{"row_id": i} for i in ids])


def analyze(engine: Engine) -> None:
    """Refresh planner statistics, as autovacuum (PG) or a periodic ANALYZE would."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


# --- timing and output ----------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(
    fn: Callable[[], object], reps: int, *, between: Callable[[], object] | None = None
) -> float:
    """Median seconds of `reps` calls of fn; `between` runs untimed after each call."""
    samples = []
    for _ in range(reps):
        samples.append(timed(fn))
        if between is not None:
            between()
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, indent: str = "  ") -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        return indent + "  ".join(parts).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def environment_line() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()}, load {load:.2f}"
    )
