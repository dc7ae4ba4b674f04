"""A load generator for an HTTP/1.1 server on 127.0.0.1: closed and open loops, latencies.

Knows nothing of Aftercare: it sends pre-built raw requests (bytes) over plain keep-alive
connections and counts statuses and latencies, so the generator costs a few microseconds per
request and the server's figures are not the client's.
"""

from __future__ import annotations

import asyncio
import re
import socket
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


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
