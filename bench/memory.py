"""Memory does not grow with the number of scheduled messages.

tracemalloc peak (above what was allocated before the pass) of `Dispatcher.run_pass()` on a
SQLite outbox, for a small and a 10x larger backlog (each in a fresh database), in two shapes:
  - future: N pending rows due later + 100 due rows (put back to pending after each pass);
  - due:    N rows all due at once (a catch-up after downtime); each pass takes one batch.

    .venv/bin/python -m bench.memory [--quick] [--passes N]
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import tracemalloc
from collections.abc import Callable, Sequence
from random import Random

from sqlalchemy import Engine

from bench._common import (
    NOW,
    Seeder,
    bench_settings,
    environment_line,
    reset_to_pending,
    sqlite_database,
    stop_on_sigterm,
    table,
)
from scheduler.channels.console import ConsoleChannel
from scheduler.clock import SimulatedClock
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer

BATCH = 100


def make_dispatcher(engine: Engine, stream: io.StringIO) -> Dispatcher:
    settings = bench_settings(
        engine.url.render_as_string(hide_password=False), dispatch_batch_size=BATCH
    )
    console = ConsoleChannel(stream)
    return Dispatcher(
        engine,
        settings,
        {"sms": console, "email": console},
        MessageRenderer(),
        clock=SimulatedClock(NOW),
    )


def traced_passes(
    dispatcher: Dispatcher, passes: int, after_each: Callable[[], None] | None = None
) -> list[int]:
    """Peak bytes allocated during each pass, above what was live when it started."""
    peaks = []
    tracemalloc.start()
    try:
        for _ in range(passes):
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            report = dispatcher.run_pass()
            _, peak = tracemalloc.get_traced_memory()
            if report.sent != BATCH:
                raise RuntimeError(f"pass sent {report.sent}, expected {BATCH}: {report}")
            peaks.append(peak - before)
            if after_each is not None:
                after_each()
    finally:
        tracemalloc.stop()
    return peaks


def measure(size: int, *, all_due: bool, passes: int) -> list[int]:
    """A fresh database holding the backlog, one untraced warm-up pass, then traced passes."""
    with sqlite_database() as engine:
        seeder = Seeder(engine, Random(size))
        stream = io.StringIO()
        dispatcher = make_dispatcher(engine, stream)
        if all_due:
            seeder.add(due=size + BATCH)  # the warm-up pass takes the first batch
            after_each = None
        else:
            due_ids = seeder.add(due=BATCH, future=size)

            def after_each() -> None:
                reset_to_pending(engine, due_ids)
                stream.seek(0)
                stream.truncate()

        dispatcher.run_pass()  # warm-up: caches, templates, connection pool
        if after_each is not None:
            after_each()
        gc.collect()  # start each size from the same collector state
        return traced_passes(dispatcher, passes, after_each)


def report(title: str, results: list[tuple[int, list[int]]]) -> None:
    print(f"\n{title}")
    rows: list[list[object]] = [
        [
            f"{size:,}",
            f"{statistics.median(peaks) / 1024:.0f}",
            f"{max(peaks) / 1024:.0f}",
            " ".join(f"{p / 1024:.0f}" for p in peaks),
        ]
        for size, peaks in results
    ]
    (small, small_peaks), (big, big_peaks) = results[0], results[-1]
    ratio = statistics.median(big_peaks) / statistics.median(small_peaks)
    rows.append([f"ratio {big // 1000}k/{small // 1000}k", f"{ratio:.2f}x", "", ""])
    print(table(["backlog", "median KiB", "max KiB", "each pass, KiB"], rows))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3k vs 30k rows, 3 passes")
    parser.add_argument("--passes", type=int, help="traced passes per size (default 5)")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sizes = [3_000, 30_000] if args.quick else [10_000, 100_000]
    passes = args.passes or (3 if args.quick else 5)
    print(f"memory: {environment_line()}")
    print(f"  tracemalloc peak per run_pass() (batch {BATCH}, console channel), SQLite")
    for title, all_due in (
        (f"future: N pending rows due later + {BATCH} due rows (reset after each pass)", False),
        ("due: N rows all due now (catch-up after downtime), one batch per pass", True),
    ):
        report(title, [(n, measure(n, all_due=all_due, passes=passes)) for n in sizes])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
