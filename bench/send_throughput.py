"""Thread pool sizing for the synchronous Twilio SDK: measured, not guessed.

`Dispatcher.run_pass()` with the real TwilioChannel (official SDK over requests) against
FakeTwilio, which runs in its own process and answers each create request after an artificial
latency (50 ms, 200 ms). For SMS_CONCURRENCY 1, 2, 4, 8, 16 with the rate limit out of the way:
messages/second (median of 3), speedup vs 1, CPU per message, TCP connections opened per pass
and memory. Then SMS_RATE_PER_SECOND=10 with concurrency 4: the rate the fake actually saw,
and the most requests it received in any 1 s window.

    .venv/bin/python -m bench.send_throughput [--quick | --all-100]

By default each run sends enough messages to last about 1.5 s at the ideal rate (at most 100,
at least 4 per worker), so the whole benchmark stays under a minute; --all-100 sends 100
per run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import IO, Any

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
from scheduler.channels.twilio_sms import TwilioChannel
from scheduler.clock import SimulatedClock
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer

MAX_MESSAGES = 100
LEVELS = (1, 2, 4, 8, 16)
FROM_NUMBER = "+16135550100"
CALLBACK = "https://clinic.example/webhooks/twilio/status"


class FakeTwilioProcess:
    """Client side of bench._twilio_proc."""

    def __init__(self, stdin: IO[str], stdout: IO[str]) -> None:
        self._stdin = stdin
        self._stdout = stdout
        hello = json.loads(stdout.readline())
        self.base_url: str = hello["base_url"]
        self.account_sid: str = hello["account_sid"]
        self.auth_token: str = hello["auth_token"]

    def _call(self, **command: Any) -> dict[str, Any]:
        self._stdin.write(json.dumps(command) + "\n")
        self._stdin.flush()
        reply: dict[str, Any] = json.loads(self._stdout.readline())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def set_latency(self, seconds: float) -> None:
        self._call(op="latency", seconds=seconds)

    def set_nodelay(self, on: bool) -> None:
        self._call(op="nodelay", on=on)

    def take(self) -> dict[str, Any]:
        """Arrival times, connection count and statuses since the previous take()."""
        return self._call(op="take")


@contextmanager
def fake_twilio() -> Iterator[FakeTwilioProcess]:
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._twilio_proc"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        yield FakeTwilioProcess(proc.stdin, proc.stdout)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # EOF: the fake stops its server and exits
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    sent: int
    connections: int
    arrivals: list[float]


class Sender:
    """A Dispatcher and TwilioChannel that live across passes, as in the service."""

    def __init__(
        self,
        engine: Engine,
        fake: FakeTwilioProcess,
        due_ids: list[int],
        renderer: MessageRenderer,
        *,
        messages: int,
        concurrency: int,
        rate: float,
    ) -> None:
        self.engine = engine
        self.fake = fake
        self.due_ids = due_ids
        self.messages = messages
        settings = bench_settings(
            engine.url.render_as_string(hide_password=False),
            sms_concurrency=concurrency,
            sms_rate_per_second=rate,
            dispatch_batch_size=messages,
        )
        self.channel = TwilioChannel(
            account_sid=fake.account_sid,
            auth_token=fake.auth_token,
            from_number=FROM_NUMBER,
            api_base=fake.base_url,
            status_callback_url=CALLBACK,
            timeout=30.0,
        )
        self.dispatcher = Dispatcher(
            engine,
            settings,
            {"sms": self.channel, "email": ConsoleChannel()},
            renderer,
            clock=SimulatedClock(NOW),
        )

    def run(self) -> Run:
        """One pass sending `messages` SMS; the rows are put back to pending afterwards."""
        self.fake.take()
        wall, cpu = time.perf_counter(), time.process_time()
        report = self.dispatcher.run_pass()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        seen = self.fake.take()
        reset_to_pending(self.engine, self.due_ids)
        if report.sent != self.messages or seen["statuses"] != {"201": self.messages}:
            raise RuntimeError(f"expected {self.messages} sends: {report} / {seen['statuses']}")
        return Run(wall, cpu, report.sent, seen["connections"], seen["arrivals"])


class Bench:
    def __init__(self, engine: Engine, fake: FakeTwilioProcess, due_ids: list[int]) -> None:
        self.engine = engine
        self.fake = fake
        self.due_ids = due_ids
        self.renderer = MessageRenderer()

    @contextmanager
    def sender(self, *, messages: int, concurrency: int, rate: float) -> Iterator[Sender]:
        sender = Sender(
            self.engine,
            self.fake,
            self.due_ids,
            self.renderer,
            messages=messages,
            concurrency=concurrency,
            rate=rate,
        )
        try:
            yield sender
        finally:
            sender.channel.close()

    def runs(self, reps: int, *, messages: int, concurrency: int, rate: float) -> list[Run]:
        """`reps` passes of one long-lived Dispatcher."""
        with self.sender(messages=messages, concurrency=concurrency, rate=rate) as sender:
            return [sender.run() for _ in range(reps)]


def messages_for(concurrency: int, latency: float, budget: float, full: bool) -> int:
    """Enough messages for ~`budget` seconds at the ideal rate, 4..100 (100 with --all-100)."""
    if full:
        return MAX_MESSAGES
    return min(MAX_MESSAGES, max(4 * concurrency, math.ceil(budget * concurrency / latency)))


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def maxrss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def sweep(
    bench: Bench, latency: float, *, reps: int, budget: float, full: bool, memory: bool
) -> None:
    bench.fake.set_latency(latency)
    rows: list[list[object]] = []
    base_rate: float | None = None
    for level in LEVELS:
        n = messages_for(level, latency, budget, full)
        rss_before = maxrss_kib()
        runs = bench.runs(reps, messages=n, concurrency=level, rate=1000.0)
        rates = [r.sent / r.seconds for r in runs]
        rate = statistics.median(rates)
        base_rate = base_rate or rate
        cpu_ms = statistics.median(r.cpu_seconds / r.sent for r in runs) * 1000
        ideal = level / latency
        heap, rss = "-", "-"
        if memory:
            # Python heap peak of one short extra pass (tracemalloc slows it: not timed).
            tracemalloc.start()
            try:
                bench.runs(1, messages=4 * level, concurrency=level, rate=1000.0)
                heap = f"{tracemalloc.get_traced_memory()[1] / 1024:.0f}"
            finally:
                tracemalloc.stop()
            rss = str(maxrss_kib() - rss_before)
        rows.append(
            [
                level,
                n,
                f"{rate:.1f}",
                f"{min(rates):.0f}-{max(rates):.0f}",
                f"{rate / base_rate:.2f}x",
                f"{rate / ideal:.0%}",
                f"{cpu_ms:.2f}",
                "/".join(str(r.connections) for r in runs),
                heap,
                rss,
            ]
        )
    print(f"\nlatency {latency * 1000:.0f} ms per request, SMS_RATE_PER_SECOND=1000 (no limit):")
    headers = [
        "SMS_CONCURRENCY",
        "N",
        "msg/s",
        "range",
        "speedup",
        "of ideal",
        "CPU ms/msg",
        "new TCP conns per pass",
        "py heap peak KiB",
        "RSS high-water +KiB",
    ]
    print(table(headers, rows))


def rate_check(bench: Bench, *, messages: int, latency: float) -> None:
    """Two back-to-back passes of one Dispatcher (its limiter outlives a pass)."""
    bench.fake.set_latency(latency)
    runs = bench.runs(2, messages=messages // 2, concurrency=4, rate=10.0)
    times = sorted(t for run in runs for t in run.arrivals)
    span = times[-1] - times[0]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    limit = 10
    tightest = min(
        (b - a for a, b in zip(times, times[limit:], strict=False)), default=float("nan")
    )
    print(
        f"\nSMS_RATE_PER_SECOND={limit}, SMS_CONCURRENCY=4, latency {latency * 1000:.0f} ms, "
        f"2 passes x {messages // 2} messages (arrival times at the fake):"
    )
    achieved = (len(times) - 1) / span
    rows = [
        ["achieved rate, (n - 1) / span", f"{achieved:.2f} msg/s ({achieved / limit:.0%})"],
        ["max requests in any 1 s window [t, t + 1 s)", str(max_in_window(times))],
        [f"shortest span of {limit + 1} consecutive requests", f"{tightest * 1000:.1f} ms"],
        [
            "min / median gap between requests",
            f"{min(gaps) * 1000:.1f} / {statistics.median(gaps) * 1000:.1f} ms",
        ],
        ["wall time of the two passes", f"{sum(r.seconds for r in runs):.2f} s"],
    ]
    print(table(["measure", "value"], rows))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="50 ms only, ~0.5 s per run")
    mode.add_argument(
        "--all-100", action="store_true", help="N=100 for every run, however slow (~3 min)"
    )
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    latencies = (0.05,) if args.quick else (0.05, 0.2)
    budget = 0.5 if args.quick else 1.5
    print(f"send_throughput: {environment_line()}")
    print("  FakeTwilio in a separate process; sender: Dispatcher + TwilioChannel, SQLite outbox")
    with sqlite_database() as engine, fake_twilio() as fake:
        seeder = Seeder(engine, Random(7))
        due_ids = seeder.add(due=MAX_MESSAGES, future=300)
        bench = Bench(engine, fake, due_ids)
        fake.set_latency(0.0)
        bench.runs(1, messages=8, concurrency=2, rate=1000.0)  # warm-up: imports, caches
        for i, latency in enumerate(latencies):
            sweep(bench, latency, reps=args.reps, budget=budget, full=args.all_100, memory=i == 0)
        rate_check(bench, messages=20 if args.quick else MAX_MESSAGES, latency=0.2)
    print(
        "\n  msg/s: median of runs; of ideal = msg/s / (concurrency / latency); CPU ms/msg is "
        "this process's CPU\n  (all threads) per message: SDK + HTTP + rendering + outbox "
        "updates; heap peak: tracemalloc over one pass\n  of 4 x concurrency messages; RSS "
        "high-water growth during that level's runs (0 = below an earlier peak);\n  new TCP "
        "conns per pass: one figure per run, each run a pass of the same long-lived Dispatcher"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
