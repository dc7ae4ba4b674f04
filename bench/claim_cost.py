"""A pass costs O(batch), not O(backlog): claim and pass times as the pending backlog grows.

For SQLite and PostgreSQL, backlogs of 1k/10k/100k pending rows due in the future plus a
fixed 100 due rows: the median time of `claim_batch(limit=100)` and of a whole
`Dispatcher.run_pass()` (console channel into a StringIO, rate limits out of the way), then
the same claim with the claim indexes dropped, to show that the index is what keeps it flat,
and prints each claim's plan.
SQLite is not ANALYZEd (the service never does); PostgreSQL is, after each bulk load, as
autovacuum would be shortly after.

    .venv/bin/python -m bench.claim_cost [--quick] [--reps N] [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from random import Random
from typing import Any

from sqlalchemy import Engine, Index, event

from bench._common import (
    CLAIM_INDEXES,
    NOW,
    Seeder,
    analyze,
    bench_settings,
    environment_line,
    median_time,
    ms,
    postgres_available,
    postgres_database,
    reset_to_pending,
    sqlite_database,
    stop_on_sigterm,
    table,
)
from models import OutboundMessage
from scheduler.channels.console import ConsoleChannel
from scheduler.clock import SimulatedClock
from scheduler.outbound.claims import claim_batch
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer

BATCH = 100
# Variants of the claim indexes: label, which of CLAIM_INDEXES exist.
VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("indexed", CLAIM_INDEXES),
    ("(status,due_at) only", ("ix_outbound_status_due",)),
    ("no index", ()),
)


@dataclass
class SizeResult:
    backlog: int
    claim: dict[str, float] = field(default_factory=dict)  # variant label -> median seconds
    run_pass: float = 0.0


def _index(name: str) -> Index:
    table = OutboundMessage.__table__  # type: ignore[attr-defined]
    for index in table.indexes:
        if index.name == name:
            assert isinstance(index, Index)
            return index
    raise LookupError(name)


@contextmanager
def only_indexes(engine: Engine, keep: Sequence[str]) -> Iterator[None]:
    """Drop the claim indexes not in `keep`, and put them back afterwards."""
    dropped = [_index(name) for name in CLAIM_INDEXES if name not in keep]
    for index in dropped:
        index.drop(engine)
    try:
        yield
    finally:
        for index in dropped:
            index.create(engine)


def capture_claim_sql(engine: Engine) -> tuple[str, Any]:
    """Run one claim and return the statement it sent, exactly as the driver received it."""
    seen: list[tuple[str, Any]] = []

    def listener(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
    ) -> None:
        # SQLite: UPDATE ... WHERE id IN (SELECT ...); PostgreSQL: WITH due AS ... UPDATE.
        if "UPDATE OUTBOUND_MESSAGE" in statement.upper():
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        _, ids = claim_batch(engine, now=NOW, limit=BATCH)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    reset_to_pending(engine, ids)
    return seen[0]


def explain(engine: Engine, statement: str, params: Any) -> list[str]:
    """A claim's plan: EXPLAIN QUERY PLAN (SQLite), EXPLAIN ANALYZE rolled back (PostgreSQL)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return [f"{'  ' * _depth(rows, r[1])}{r[3]}" for r in rows]
        transaction = conn.begin()
        try:
            prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) "
            rows = conn.exec_driver_sql(prefix + statement, params).all()
        finally:
            transaction.rollback()  # EXPLAIN ANALYZE really ran the UPDATE
        lines = [str(r[0]) for r in rows]
        return lines[: lines.index("Planning:")] if "Planning:" in lines else lines


def _depth(rows: Sequence[Any], parent: int) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth = 0
    while parent in parents:
        depth += 1
        parent = parents[parent]
    return depth


def measure_backend(
    name: str,
    database: Callable[[], AbstractContextManager[Engine]],
    sizes: Sequence[int],
    *,
    claim_reps: int,
    pass_reps: int,
) -> None:
    print(f"\n{name}: {BATCH} due rows + N pending rows due later (1 h to 30 days)")
    renderer = MessageRenderer()
    results: list[SizeResult] = []
    with database() as engine:
        seeder = Seeder(engine, Random(20261125))
        due_ids = seeder.add(due=BATCH)
        settings = bench_settings(
            engine.url.render_as_string(hide_password=False), dispatch_batch_size=BATCH
        )
        stream = io.StringIO()
        console = ConsoleChannel(stream)
        dispatcher = Dispatcher(
            engine,
            settings,
            {"sms": console, "email": console},
            renderer,
            clock=SimulatedClock(NOW),
        )

        def claim() -> None:
            _, ids = claim_batch(engine, now=NOW, limit=BATCH)
            if len(ids) != BATCH:
                raise RuntimeError(f"claimed {len(ids)} rows, expected {BATCH}")

        def run_pass() -> None:
            report = dispatcher.run_pass()
            if report.sent != BATCH:
                raise RuntimeError(f"pass sent {report.sent}, expected {BATCH}: {report}")

        def reset() -> None:
            reset_to_pending(engine, due_ids)
            stream.seek(0)
            stream.truncate()

        # Warm-up: compile caches, pool connections, template loading.
        run_pass()
        reset()
        statement, params = capture_claim_sql(engine)

        for size in sizes:
            seeder.add(future=size - (seeder.next_id - 1 - BATCH))
            if engine.dialect.name == "postgresql":
                analyze(engine)  # autovacuum would, soon after a bulk load
            result = SizeResult(size)
            for label, keep in VARIANTS:
                with only_indexes(engine, keep):
                    result.claim[label] = median_time(claim, claim_reps, between=reset)
            result.run_pass = median_time(run_pass, pass_reps, between=reset)
            results.append(result)
        plan = explain(engine, statement, params)

    labels = [v for v, _ in VARIANTS]
    headers = [
        "pending backlog",
        *(f"claim, {v}" for v in labels),
        "run_pass (100 sent)",
    ]
    rows: list[list[object]] = [
        [
            f"{r.backlog:,}",
            *(ms(r.claim[v]) for v in labels),
            ms(r.run_pass),
        ]
        for r in results
    ]
    first, last = results[0], results[-1]
    rows.append(
        [
            f"ratio {_k(last.backlog)}/{_k(first.backlog)}",
            *(f"{last.claim[v] / first.claim[v]:.2f}x" for v in labels),
            f"{last.run_pass / first.run_pass:.2f}x",
        ]
    )
    print(table(headers, rows))
    print(f"  milliseconds, medians of {claim_reps} claims / {pass_reps} passes")
    print(f"  plan of the claim, {last.backlog:,} rows:")
    for line in plan:
        print(f"    {line}")


def _k(n: int) -> str:
    return f"{n / 1000:g}k"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller backlogs, fewer reps")
    parser.add_argument("--reps", type=int, help="claim repetitions (default 9, quick 3)")
    parser.add_argument("--sizes", help="comma-separated backlog sizes")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.sizes:
        sizes = sorted(int(s) for s in args.sizes.split(","))
    else:
        sizes = [1_000, 10_000, 30_000] if args.quick else [1_000, 10_000, 100_000]
    claim_reps = args.reps or (3 if args.quick else 9)
    pass_reps = 3 if args.quick else 5
    print(f"claim_cost: {environment_line()}")
    measure_backend(
        "SQLite (temp file, WAL)",
        sqlite_database,
        sizes,
        claim_reps=claim_reps,
        pass_reps=pass_reps,
    )
    if args.no_postgres:
        return 0
    problem = postgres_available()
    if problem:
        print(f"\nPostgreSQL: skipped ({problem})")
        return 0
    measure_backend(
        "PostgreSQL",
        postgres_database,
        sizes,
        claim_reps=claim_reps,
        pass_reps=pass_reps,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
