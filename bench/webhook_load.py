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

This module plans the phases and reads the figures; the load generator is bench/_http_load.py,
the server process bench/_serve_proc.py, the seeded data and the requests that refer to it
bench/_webhook_fixture.py.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

from sqlalchemy import Engine

from bench._common import (
    databases_to_run,
    environment_line,
    stop_on_sigterm,
    table,
)
from bench._http_load import closed_loop, open_loop
from bench._results import write_results
from bench._serve_proc import aftercare_serve, cpu_seconds, free_port
from bench._webhook_fixture import CLINIC_NUMBER, TOKEN, build_requests, seed, stored_rows
from bench._webhook_target import webhook_target_met

TARGET_RPS = 500.0
TARGET_P99_MS = 50.0


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
        with aftercare_serve(
            url,
            port,
            logdir / f"serve-{name}.log",
            twilio_token=TOKEN,  # what build_requests signs with
            clinic_number=CLINIC_NUMBER,  # what the replies are sent to
        ) as proc:
            for endpoint in plan.endpoints:
                batch = build_requests(
                    endpoint, base_url, port, budget, next(counter) * budget, rng
                )
                requests = iter(batch)
                before_rows = stored_rows(engine, endpoint)
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
                stored = stored_rows(engine, endpoint) - before_rows
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
        met = webhook_target_met(r, TARGET_RPS, TARGET_P99_MS)
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
    databases, skipped = databases_to_run(no_postgres=args.no_postgres)
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
