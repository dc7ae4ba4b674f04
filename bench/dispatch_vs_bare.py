"""What Aftercare's dispatch costs on top of the Twilio SDK: Dispatcher vs a bare SDK loop.

N due SMS sent by `Dispatcher.run_pass()` (real TwilioChannel, SQLite outbox: claim, render,
send, record) against N bare `client.messages.create` calls from a thread pool of the same size,
both through the real twilio SDK to FakeTwilio in its own process (bench._twilio_proc), at
SMS_CONCURRENCY 1, 8 and 32 with the rate limit out of the way. The two alternate within each
repetition, and the figure is the ratio Aftercare/bare of their median rates.

    .venv/bin/python -m bench.dispatch_vs_bare [--quick | --full] [--latency 0.05,0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from random import Random
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bench._common import Seeder, environment_line, sqlite_database, stop_on_sigterm, table
from bench._results import write_results
from bench.send_throughput import CALLBACK, FROM_NUMBER, Bench, FakeTwilioProcess, fake_twilio

LEVELS = (1, 8, 32)
TARGET = 0.9
# A typical rendered day-1 SMS: the bare loop sends text of the same size as the Dispatcher.
BODY = (
    "Hi Marie, it's Clinique Esthétique Ottawa. Day 1 after microneedling: redness is normal. "
    "Use a gentle cleanser, no makeup today. Questions? Reply or call 613-555-0100."
)


def messages_for(level: int, latency: float, size: str) -> int:
    """Enough messages for the run to last ~`seconds` at the ideal rate (at least 6 per worker)."""
    seconds = {"quick": 0.6, "default": 1.5, "full": 3.0}[size]
    ideal = level / latency if latency > 0 else 600.0
    return max(6 * level, min(2_000, round(seconds * ideal)))


class _LoopbackHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK has no type hints
    """The SDK's own HTTP client; only the host is swapped for the fake's."""

    def __init__(self, base_url: str) -> None:
        super().__init__(pool_connections=True, timeout=30.0)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        url = url.replace("https://api.twilio.com", self.base_url, 1)
        response: Response = super().request(method, url, *args, **kwargs)
        return response


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    sent: int
    connections: int


class BareLoop:
    """A thread pool of `concurrency` workers, each with its own SDK client (like the channel)."""

    def __init__(self, fake: FakeTwilioProcess, concurrency: int, phones: list[str]) -> None:
        self.fake = fake
        self.phones = phones
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bare")
        self.local = threading.local()
        self.clients: list[_LoopbackHttpClient] = []
        self.lock = threading.Lock()

    def _client(self) -> Any:
        client = getattr(self.local, "client", None)
        if client is None:
            http = _LoopbackHttpClient(self.fake.base_url)
            with self.lock:
                self.clients.append(http)
            client = self.local.client = Client(
                self.fake.account_sid, self.fake.auth_token, http_client=http
            )
        return client

    def _send(self, to: str) -> str:
        created = self._client().messages.create(
            to=to, from_=FROM_NUMBER, body=BODY, status_callback=CALLBACK
        )
        return str(created.sid)

    def run(self, n: int) -> Run:
        self.fake.take()
        wall, cpu = time.perf_counter(), time.process_time()
        sids = list(self.pool.map(self._send, self.phones[:n]))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        seen = self.fake.take()
        if len(sids) != n or seen["statuses"] != {"201": n}:
            raise RuntimeError(f"bare loop: expected {n} sends, fake saw {seen['statuses']}")
        return Run(wall, cpu, n, seen["connections"])

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for http in self.clients:
            if http.session is not None:
                http.session.close()


def measure_level(bench: Bench, level: int, n: int, reps: int, phones: list[str]) -> dict[str, Any]:
    """`reps` alternating runs of each; the order flips every repetition."""
    aftercare: list[Run] = []
    bare: list[Run] = []
    loop = BareLoop(bench.fake, level, phones)
    try:
        with bench.sender(messages=n, concurrency=level, rate=1_000_000.0) as sender:
            sender.run()  # warm-up: sender threads, SDK clients, connections, statement caches
            loop.run(n)
            for rep in range(reps):
                if rep % 2 == 0:
                    bare.append(loop.run(n))
                    aftercare.append(_as_run(sender.run()))
                else:
                    aftercare.append(_as_run(sender.run()))
                    bare.append(loop.run(n))
    finally:
        loop.close()
    rate_a = statistics.median(r.sent / r.seconds for r in aftercare)
    rate_b = statistics.median(r.sent / r.seconds for r in bare)
    paired = [
        (a.sent / a.seconds) / (b.sent / b.seconds) for a, b in zip(aftercare, bare, strict=True)
    ]
    return {
        "concurrency": level,
        "messages": n,
        "aftercare_msg_s": rate_a,
        "bare_msg_s": rate_b,
        "ratio": rate_a / rate_b,
        "paired_ratios": paired,
        "aftercare_cpu_ms_per_msg": statistics.median(r.cpu_seconds / r.sent for r in aftercare)
        * 1000,
        "bare_cpu_ms_per_msg": statistics.median(r.cpu_seconds / r.sent for r in bare) * 1000,
        "aftercare_rates": [r.sent / r.seconds for r in aftercare],
        "bare_rates": [r.sent / r.seconds for r in bare],
    }


def _as_run(run: Any) -> Run:
    return Run(run.seconds, run.cpu_seconds, run.sent, run.connections)


def print_table(latency: float, rows: list[dict[str, Any]]) -> None:
    print(f"\nlatency {latency * 1000:.0f} ms per create request, rate limit out of the way:")
    headers = [
        "SMS_CONCURRENCY",
        "N",
        "Aftercare msg/s",
        "bare msg/s",
        "ratio",
        "paired ratios",
        "CPU ms/msg A",
        "CPU ms/msg bare",
        "target",
    ]
    body = [
        [
            r["concurrency"],
            r["messages"],
            f"{r['aftercare_msg_s']:.1f}",
            f"{r['bare_msg_s']:.1f}",
            f"{r['ratio']:.2f}",
            " ".join(f"{p:.2f}" for p in r["paired_ratios"]),
            f"{r['aftercare_cpu_ms_per_msg']:.2f}",
            f"{r['bare_cpu_ms_per_msg']:.2f}",
            "met" if r["ratio"] >= TARGET else "MISSED",
        ]
        for r in rows
    ]
    print(table(headers, body))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="shorter runs, 3 repetitions")
    size.add_argument("--full", action="store_true", help="longer runs, 7 repetitions")
    parser.add_argument("--reps", type=int, help="repetitions of each side per level")
    parser.add_argument(
        "--latency", default="0.05,0", help="seconds per create request, comma-separated"
    )
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    args = parser.parse_args(argv)
    stop_on_sigterm()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    size_name = "quick" if args.quick else "full" if args.full else "default"
    reps = args.reps or {"quick": 3, "default": 5, "full": 7}[size_name]
    latencies = [float(x) for x in args.latency.split(",")]
    levels = [int(x) for x in args.levels.split(",")]
    plan = {(lat, lvl): messages_for(lvl, lat, size_name) for lat in latencies for lvl in levels}
    print(f"dispatch_vs_bare: {environment_line()}")
    print("  FakeTwilio in its own process; Aftercare: Dispatcher + TwilioChannel, SQLite outbox")
    results: list[dict[str, Any]] = []
    with sqlite_database() as engine, fake_twilio() as fake:
        seeder = Seeder(engine, Random(11))
        due_ids = seeder.add(due=max(plan.values()), future=3_000)
        phones = [f"+1613{2_000_000 + (i - 1) // 3 + 1:07d}" for i in due_ids]
        bench = Bench(engine, fake, due_ids)
        for latency in latencies:
            fake.set_latency(latency)
            rows = [
                {
                    "latency_ms": latency * 1000,
                    **measure_level(bench, lvl, plan[latency, lvl], reps, phones),
                }
                for lvl in levels
            ]
            print_table(latency, rows)
            results.extend(rows)
    print(
        f"\n  msg/s: median of {reps} runs per side, the two alternating; ratio = Aftercare/bare "
        f"(target >= {TARGET});\n  paired ratios: run by run; CPU ms/msg: this process (all "
        "threads) per message; the fake's CPU is not counted"
    )
    write_results(
        "dispatch_vs_bare",
        {"size": size_name, "reps": reps, "target": TARGET, "rows": results},
        full=args.full,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
