"""One dispatch pass of 1,000 due messages with 10k, 100k (and 1M) not-due rows behind it.

For SQLite and PostgreSQL, a fresh database per backlog size: the backlog is bulk-loaded (COPY on
PostgreSQL) with the 1,000 due rows in the middle of it. A process per size then times
`Dispatcher.run_pass()` (console channel into /dev/null, batch 1,000, rate limits out of the
way) pass by pass, the sizes taking turns so that the machine's load drifts over all of them
alike, and reports its peak RSS, so each size's memory is its own. The console channel keeps
the figure about the database: no network, no fake provider sharing the CPU.

    .venv/bin/python -m bench.backlog_scale [--quick | --full] [--reps N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from random import Random
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from bench._common import (
    NOW,
    Seeder,
    analyze,
    bench_settings,
    databases_to_run,
    environment_line,
    reset_to_pending,
    stop_on_sigterm,
    table,
)
from bench._results import write_results
from models import OutboundMessage, OutboxStatus
from models.db import make_engine
from scheduler.channels.console import ConsoleChannel
from scheduler.clock import SimulatedClock
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer

DUE = 1_000
TARGET_RATIO = 1.5
ROOT = Path(__file__).resolve().parent.parent


# --- the measuring process -----------------------------------------------------------------


def maxrss_kib() -> int:
    """This process's peak RSS, KiB: VmHWM of its own memory map.

    Not ru_maxrss: on Linux that carries over the parent's high-water mark through fork and
    exec, so every measuring process reported the orchestrator's RSS at the time it started.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # not Linux: the best there is


def serve_passes(url: str) -> None:
    """The measuring process: one pass per "pass" line on stdin, its seconds as JSON on stdout."""
    rss_imports = maxrss_kib()
    engine = make_engine(url)
    with engine.connect() as conn:
        due_ids = [
            row_id
            for row_id in conn.execute(
                select(col(OutboundMessage.id)).where(
                    col(OutboundMessage.status) == OutboxStatus.PENDING,
                    col(OutboundMessage.next_attempt_at) <= NOW,
                )
            ).scalars()
            if row_id is not None
        ]
    if len(due_ids) != DUE:
        raise RuntimeError(f"expected {DUE} due rows, found {len(due_ids)}")
    sink = open(os.devnull, "w")  # noqa: SIM115  # lives as long as this process
    console = ConsoleChannel(sink)
    dispatcher = Dispatcher(
        engine,
        bench_settings(url, dispatch_batch_size=DUE),
        {"sms": console, "email": console},
        MessageRenderer(),
        clock=SimulatedClock(NOW),
    )
    print(json.dumps({"ready": True}), flush=True)
    for _ in sys.stdin:
        started = time.perf_counter()
        report = dispatcher.run_pass()
        elapsed = time.perf_counter() - started
        if report.sent != DUE:
            raise RuntimeError(f"pass sent {report.sent}, expected {DUE}: {report}")
        reset_to_pending(engine, due_ids)  # untimed: the next pass finds the same due rows
        answer = {"seconds": elapsed, "rss_imports_kib": rss_imports, "peak_rss_kib": maxrss_kib()}
        print(json.dumps(answer), flush=True)
    dispatcher.close()
    engine.dispose()


# --- the orchestrating process -------------------------------------------------------------


def seed(engine: Engine, backlog: int) -> float:
    """The backlog around DUE due rows (registered at various times); returns seconds taken."""
    started = time.perf_counter()
    seeder = Seeder(engine, Random(backlog))
    seeder.add(future=backlog // 2)
    seeder.add(due=DUE)
    seeder.add(future=backlog - backlog // 2)
    if engine.dialect.name == "postgresql":
        analyze(engine)  # autovacuum would, soon after a bulk load
    return time.perf_counter() - started


class PassProcess:
    """A measuring process for one database, driven pass by pass."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.backlog_scale", "--serve-passes", url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"measuring process exited {self.proc.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def one_pass(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("pass\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_backend(
    database: Callable[[], AbstractContextManager[Engine]], sizes: Sequence[int], reps: int
) -> list[dict[str, Any]]:
    """Every size in its own database and process; passes alternate between the sizes."""
    with ExitStack() as stack:
        seeded: list[tuple[int, float, str]] = []
        for backlog in sizes:
            engine = stack.enter_context(database())
            seconds = seed(engine, backlog)
            seeded.append((backlog, seconds, engine.url.render_as_string(hide_password=False)))
            engine.dispose()  # the measuring process gets the database to itself
        procs = [PassProcess(url) for _, _, url in seeded]
        for proc in procs:
            stack.callback(proc.close)
        firsts = [proc.one_pass() for proc in procs]  # cold caches: reported apart
        passes: list[list[dict[str, Any]]] = [[] for _ in procs]
        for rep in range(reps):
            # The order rotates, so no size always runs right after the same neighbour.
            order = list(range(len(procs)))
            order = order[rep % len(order) :] + order[: rep % len(order)]
            for i in order:
                passes[i].append(procs[i].one_pass())
    return [
        {
            "backlog": backlog,
            "seed_s": seconds,
            "first_pass_s": first["seconds"],
            "passes_s": [p["seconds"] for p in done],
            "median_pass_s": statistics.median(p["seconds"] for p in done),
            "rss_imports_kib": done[-1]["rss_imports_kib"],
            "peak_rss_kib": done[-1]["peak_rss_kib"],
        }
        for (backlog, seconds, _), first, done in zip(seeded, firsts, passes, strict=True)
    ]


def print_backend(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{name}: one pass of {DUE:,} due messages (console channel) behind N not-due rows")
    first = rows[0]
    body: list[list[object]] = [
        [
            f"{r['backlog']:,}",
            f"{r['median_pass_s'] * 1000:.0f}",
            " ".join(f"{p * 1000:.0f}" for p in r["passes_s"]),
            f"{r['first_pass_s'] * 1000:.0f}",
            f"{r['median_pass_s'] / first['median_pass_s']:.2f}x",
            f"{r['peak_rss_kib'] / 1024:.1f}",
            f"{(r['peak_rss_kib'] - r['rss_imports_kib']) / 1024:.1f}",
            f"{r['seed_s']:.1f}",
        ]
        for r in rows
    ]
    headers = [
        "backlog",
        "pass ms (median)",
        "each pass ms",
        "first pass ms",
        "vs smallest",
        "peak RSS MiB",
        "above imports MiB",
        "seed s",
    ]
    print(table(headers, body))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="10k and 100k, 7 passes (default)")
    size.add_argument("--full", action="store_true", help="also 1M, 9 passes")
    parser.add_argument("--reps", type=int, help="timed passes per size after the first")
    parser.add_argument("--sizes", help="comma-separated backlog sizes")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--serve-passes", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_passes:
        serve_passes(args.serve_passes)
        return 0
    reps = args.reps or (9 if args.full else 7)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.sizes:
        sizes = sorted(int(s) for s in args.sizes.split(","))
    else:
        sizes = [10_000, 100_000, 1_000_000] if args.full else [10_000, 100_000]
    print(f"backlog_scale: {environment_line()}")
    backends, skipped = databases_to_run(no_postgres=args.no_postgres)
    results: dict[str, list[dict[str, Any]]] = {}
    for name, database in backends:
        rows = run_backend(database, sizes, reps)
        print_backend(name, rows)
        results[name] = rows
    print(
        f"\n  pass: median of {reps} passes in a process per size (passes alternate between the "
        "sizes),\n  after one first pass (shown apart);\n  peak RSS: that process's VmHWM; "
        "above imports: what the engine, the due-row lookup and the passes added to it;\n  "
        f"target: largest/smallest <= {TARGET_RATIO}x"
    )
    write_results(
        "backlog_scale",
        {
            "due": DUE,
            "reps": reps,
            "target_ratio": TARGET_RATIO,
            "channel": "console",
            "backends": results,
            "postgres_skipped": skipped,
        },
        full=args.full,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
