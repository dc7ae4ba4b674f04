"""Twilio webhooks under load: `aftercare serve` (uvicorn, own process) on SQLite and PostgreSQL.

Signed form posts (`RequestValidator(token).compute_signature(url, params)`) from an asyncio
load generator in this process: plain HTTP/1.1 keep-alive connections, every request built and
signed before the clock starts, so the generator costs a few microseconds per request.
Endpoints: `/webhooks/twilio/sms` (a patient's reply: stored, keywords, triage, alert; the
senders are registered patients) and `/webhooks/twilio/status` (a delivery report for a sent
message). Two phases per endpoint, after a warm-up:
  - saturation: C connections, each sending its next request as soon as the last is answered
    (closed loop): the most requests/s the server gives;
  - fixed rate: 500 requests/s on a schedule (open loop); latency is counted from when each
    request was due to leave, so a stalled server cannot hide its queue;
  - fixed rate at half what saturation gave: the latency under a load the server carries.

    .venv/bin/python -m bench.webhook_load [--quick | --full] [--endpoint sms,status]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, func, select, update
from sqlmodel import col
from twilio.request_validator import RequestValidator

from bench._common import (
    Seeder,
    environment_line,
    postgres_available,
    postgres_database,
    sqlite_database,
    stop_on_sigterm,
    table,
)
from bench._results import write_results
from models import InboundMessage, OutboundMessage, OutboxStatus

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-twilio-auth-token"
CLINIC_NUMBER = "+16135550100"
TARGET_RPS = 500.0
TARGET_P99_MS = 50.0
PATIENTS = 10_000  # senders of replies; 3 sent outbox rows each (status reports' targets)
BODIES = (
    # routine, mostly; some questions, some urgent (alert + answer), some HELP (answer)
    "Thanks, all good here!",
    "Merci, tout va bien",
    "Can I wear makeup tomorrow?",
    "Still a bit of swelling and redness, is that normal?",
    "Thanks!",
    "I have a fever and there is pus on my cheek",
    "Merci beaucoup",
    "It is very painful and getting worse",
    "HELP",
    "ok thanks",
)
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def patient_phone(i: int) -> str:
    """Seeder's numbering: patient i has +1613 (2,000,000 + i)."""
    return f"+1613{2_000_000 + i:07d}"


def provider_sid(row_id: int) -> str:
    return f"SM{row_id:032x}"


# --- requests ---------------------------------------------------------------------------------


def build_requests(
    endpoint: str, base_url: str, port: int, count: int, start: int, rng: Random
) -> list[bytes]:
    """`count` signed requests, each a unique MessageSid (a replayed one is the cheap path)."""
    path = f"/webhooks/twilio/{endpoint}"
    validator = RequestValidator(TOKEN)
    out = []
    for k in range(start, start + count):
        if endpoint == "sms":
            patient = 1 + k % PATIENTS
            params = {
                "MessageSid": f"SMin{k:028x}",
                "AccountSid": "AC" + "be" * 16,
                "From": patient_phone(patient),
                "To": CLINIC_NUMBER,
                "Body": rng.choice(BODIES),
                "NumMedia": "0",
            }
        else:
            row_id = 1 + k % (3 * PATIENTS)
            # sent -> delivered, then repeats (older or equal reports are dropped, still 204)
            params = {
                "MessageSid": provider_sid(row_id),
                "MessageStatus": "delivered",
                "AccountSid": "AC" + "be" * 16,
                "To": patient_phone(1 + (row_id - 1) // 3),
            }
        body = urlencode(params).encode()
        signature = validator.compute_signature(base_url + path, params)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, request: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        found = _CONTENT_LENGTH.search(head)
        if found and int(found.group(1)):
            await self.reader.readexactly(int(found.group(1)))
        if b"connection: close" in head.lower():
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    late_starts: int = 0  # open loop: requests that left more than 1 ms after they were due

    def record(self, status: int, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            self.latencies.append(latency)
        else:
            self.errors += 1

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0

        done = len(self.latencies) + self.errors
        return {
            "requests": done,
            "ok": len(self.latencies),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "seconds": self.seconds,
            "rps": len(self.latencies) / self.seconds if self.seconds else 0.0,
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "max_ms": ordered[-1] * 1000 if ordered else 0.0,
            "mean_ms": statistics.fmean(ordered) * 1000 if ordered else 0.0,
            "late_starts": self.late_starts,
        }


async def closed_loop(port: int, requests: Iterator[bytes], workers: int, seconds: float) -> Phase:
    phase = Phase()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        conn = Connection(port)
        try:
            while time.perf_counter() < deadline:
                request = next(requests)
                started = time.perf_counter()
                try:
                    status = await conn.call(request)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    conn.close()
                    status = 0
                phase.record(status, time.perf_counter() - started)
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    phase.seconds = time.perf_counter() - started
    return phase


async def open_loop(
    port: int, requests: Iterator[bytes], rate: float, seconds: float, pool: int
) -> Phase:
    """Requests due at start + k / rate, sent over up to `pool` connections."""
    phase = Phase()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(pool):
        idle.put_nowait(Connection(port))
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks = []

    async def one(due: float, request: bytes) -> None:
        conn = await idle.get()
        if time.perf_counter() - due > 0.001:
            phase.late_starts += 1
        try:
            status = await conn.call(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            conn.close()
            status = 0
        finally:
            idle.put_nowait(conn)
        phase.record(status, time.perf_counter() - due)

    for k in range(total):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, next(requests))))
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().close()
    return phase


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def aftercare_serve(database_url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`aftercare serve` in its own process, with a clean environment and no .env."""
    # Only what a process needs: a developer's exported settings must not leak in.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    env.update(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        TWILIO_AUTH_TOKEN=TOKEN,
        SECRET_KEY="bench-secret",
        CLINIC_NAME="Clinique Esthétique Ottawa",
        CLINIC_PHONE=CLINIC_NUMBER,
        SMS_CHANNEL="console",
        EMAIL_CHANNEL="console",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    with tempfile.TemporaryDirectory(prefix="aftercare_bench_cwd_") as cwd, log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from scheduler.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=cwd,  # no developer .env here
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(port, proc, log)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"aftercare serve exited {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"aftercare serve did not answer /healthz:\n{log.read_text()}")


# --- one database -----------------------------------------------------------------------------


def seed(engine: Engine) -> None:
    """PATIENTS patients with a treatment each; their 3 messages sent, with Twilio SIDs."""
    Seeder(engine, Random(3)).add(due=3 * PATIENTS)
    with engine.begin() as conn:
        sid = (
            func.printf("SM%032x", OutboundMessage.id)
            if engine.dialect.name == "sqlite"
            else func.concat("SM", func.lpad(func.to_hex(OutboundMessage.id), 32, "0"))
        )
        conn.execute(update(OutboundMessage).values(status=OutboxStatus.SENT, provider_id=sid))
        if engine.dialect.name == "postgresql":
            # Rows were loaded with explicit ids; new rows must not collide with them.
            for name in ("patient", "treatment", "outbound_message"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
        ok = conn.execute(
            select(func.count()).where(col(OutboundMessage.provider_id) == provider_sid(2))
        ).scalar_one()
    if ok != 1:
        raise RuntimeError("seeded provider ids do not match provider_sid()")


@dataclass
class Plan:
    endpoints: list[str]
    workers: int
    seconds: float
    warmup: float
    rate: float
    pool: int


def run_database(
    name: str, database: Callable[[], AbstractContextManager[Engine]], plan: Plan, logdir: Path
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with database() as engine:
        seed(engine)
        url = engine.url.render_as_string(hide_password=False)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        rng = Random(5)
        # Enough requests for the fastest imaginable run of every phase, built up front.
        budget = int((plan.warmup + 3 * plan.seconds) * 2_000)
        counter = itertools.count()
        with aftercare_serve(url, port, logdir / f"serve-{name}.log") as proc:
            for endpoint in plan.endpoints:
                batch = build_requests(
                    endpoint, base_url, port, budget, next(counter) * budget, rng
                )
                requests = iter(batch)
                before_rows = _stored(engine, endpoint)
                warm = asyncio.run(closed_loop(port, requests, plan.workers, plan.warmup))
                cpu0 = cpu_seconds(proc.pid)
                saturated = asyncio.run(closed_loop(port, requests, plan.workers, plan.seconds))
                cpu1 = cpu_seconds(proc.pid)
                paced = asyncio.run(open_loop(port, requests, plan.rate, plan.seconds, plan.pool))
                cpu2 = cpu_seconds(proc.pid)
                # Latency under a load this server does carry: half what it gave at saturation.
                half = max(10.0, round(saturated.summary()["rps"] / 2))
                relaxed = asyncio.run(open_loop(port, requests, half, plan.seconds, plan.pool))
                cpu3 = cpu_seconds(proc.pid)
                stored = _stored(engine, endpoint) - before_rows
                for kind, label, phase, cpu in (
                    (
                        "saturation",
                        f"saturation, {plan.workers} connections",
                        saturated,
                        cpu1 - cpu0,
                    ),
                    ("target rate", f"fixed rate {plan.rate:.0f}/s", paced, cpu2 - cpu1),
                    (
                        "half capacity",
                        f"fixed rate {half:.0f}/s (half of saturation)",
                        relaxed,
                        cpu3 - cpu2,
                    ),
                ):
                    summary = phase.summary()
                    rows.append(
                        {
                            "database": name,
                            "endpoint": endpoint,
                            "kind": kind,
                            "rate": None if kind == "saturation" else phase_rate(kind, plan, half),
                            "phase": label,
                            "server_cpu_ms_per_request": (
                                cpu * 1000 / summary["requests"]
                                if cpu and summary["requests"]
                                else None
                            ),
                            **summary,
                        }
                    )
                answered = sum(len(ph.latencies) for ph in (warm, saturated, paced, relaxed))
                # Each 2xx must have left its row: a fast error path must not pass for speed.
                if stored != answered:
                    print(f"  WARNING {name} {endpoint}: {answered} answered 2xx, {stored} stored")
                for row in rows[-3:]:
                    row.update(stored=stored, answered=answered)
    return rows


def phase_rate(kind: str, plan: Plan, half: float) -> float:
    return plan.rate if kind == "target rate" else half


def _stored(engine: Engine, endpoint: str) -> int:
    with engine.connect() as conn:
        if endpoint == "sms":
            return int(conn.execute(select(func.count()).select_from(InboundMessage)).scalar_one())
        return int(
            conn.execute(
                select(func.count()).where(col(OutboundMessage.delivery_status) == "delivered")
            ).scalar_one()
        )


def print_rows(rows: list[dict[str, Any]]) -> None:
    headers = [
        "database",
        "endpoint",
        "phase",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "server CPU ms/req",
        "target",
    ]
    body = []
    for r in rows:
        if r["kind"] == "saturation":
            met: bool | None = r["rps"] >= TARGET_RPS and r["errors"] == 0
        elif r["kind"] == "target rate":
            met = r["p99_ms"] < TARGET_P99_MS and r["errors"] == 0
        else:
            met = None  # for information: the latency this server gives under a load it carries
        cpu = r["server_cpu_ms_per_request"]
        body.append(
            [
                r["database"],
                r["endpoint"],
                r["phase"],
                f"{r['rps']:.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p90_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                f"{r['max_ms']:.0f}",
                r["errors"],
                f"{cpu:.2f}" if cpu else "-",
                "-" if met is None else "met" if met else "MISSED",
            ]
        )
    print()
    print(table(headers, body))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="5 s phases (the default)")
    size.add_argument("--full", action="store_true", help="15 s phases")
    parser.add_argument("--endpoint", default="sms,status", help="sms, status or both")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--workers", type=int, default=16, help="connections at saturation")
    parser.add_argument("--rate", type=float, default=TARGET_RPS, help="fixed-rate requests/s")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    seconds = args.seconds or (15.0 if args.full else 5.0)
    plan = Plan(
        endpoints=[e.strip() for e in args.endpoint.split(",")],
        workers=args.workers,
        seconds=seconds,
        warmup=min(3.0, seconds),
        rate=args.rate,
        pool=64,
    )
    print(f"webhook_load: {environment_line()}")
    print(
        f"  aftercare serve (uvicorn, 1 process, LOG_LEVEL=WARNING) vs an asyncio load generator"
        f" in this process; {seconds:.0f} s per phase after {plan.warmup:.0f} s warm-up"
    )
    databases: list[tuple[str, Callable[[], AbstractContextManager[Engine]]]] = [
        ("SQLite", sqlite_database)
    ]
    skipped = None
    if not args.no_postgres:
        skipped = postgres_available()
        if skipped:
            print(f"\nPostgreSQL: skipped ({skipped})")
        else:
            databases.append(("PostgreSQL", postgres_database))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="aftercare_bench_logs_") as logs:
        for name, database in databases:
            rows.extend(run_database(name, database, plan, Path(logs)))
    print_rows(rows)
    print(
        f"  targets: >= {TARGET_RPS:.0f} req/s at saturation, p99 < {TARGET_P99_MS:.0f} ms at "
        f"{plan.rate:.0f}/s, no errors; latency at a fixed rate counts from when a request was "
        "due to leave"
    )
    write_results(
        "webhook_load",
        {
            "seconds": seconds,
            "workers": plan.workers,
            "rate": plan.rate,
            "target_rps": TARGET_RPS,
            "target_p99_ms": TARGET_P99_MS,
            "rows": rows,
            "postgres_skipped": skipped,
        },
        full=args.full,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
