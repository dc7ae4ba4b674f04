"""FakeTwilio (tests/fakes/twilio_server.py) in a process of its own, for bench.send_throughput.

In the benchmark's own process the fake's handler threads would compete with the sender for
the GIL, so its CPU would be charged to the sender; the real API is on another machine.

Protocol: prints one JSON line {"base_url", "account_sid", "auth_token"}, then answers JSON
commands read one per line on stdin until EOF:
  {"op": "latency", "seconds": 0.05}  every create request is answered that much later
                                      (the fake's own "slow" mode, with slow_seconds)
  {"op": "nodelay", "on": true}       TCP_NODELAY on connections accepted from now on (the
                                      default; see below)
  {"op": "take"}                      {"arrivals": [...], "connections": n, "statuses": {...}}
                                      since the previous "take"; arrivals are time.monotonic()
                                      on arrival (system-wide, comparable across processes)

The fake's handler writes the headers and the body of a reply in two send() calls; with
Nagle's algorithm on, the body waits for the client's delayed ACK (~40 ms on Linux) and every
request takes ~45 ms longer than asked. The real API has no such stall, so this process turns
Nagle off on each accepted socket unless told otherwise, and it raises the listen backlog.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import Counter
from typing import Any

from tests.fakes.twilio_server import FakeTwilio

ACCOUNT_SID = "AC" + "be" * 16
AUTH_TOKEN = "bench-auth-token"


def main() -> None:
    fake: Any = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, slow_seconds=0.0)
    lock = threading.Lock()
    arrivals: list[float] = []
    connections = [0]
    nodelay = [True]
    original_create = fake.handle_create

    def handle_create(params: dict[str, str], auth_ok: bool) -> Any:
        with lock:
            arrivals.append(time.monotonic())
        if fake.slow_seconds > 0:
            fake.fail_next(1, "slow")  # one queued "slow" per request: all of them are slow
        return original_create(params, auth_ok)

    fake.handle_create = handle_create
    fake.start()
    server = fake._server  # count TCP connections: shows whether the client reuses them
    original_process = server.process_request

    def process_request(request: Any, client_address: Any) -> None:
        with lock:
            connections[0] += 1
            if nodelay[0]:
                request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original_process(request, client_address)

    server.process_request = process_request
    # socketserver listens with a backlog of 5: 16 workers opening connections at once overflow
    # it and the kernel makes some of them retry after ~1 s. A real API has no such limit.
    server.socket.listen(128)
    seen = 0
    print(
        json.dumps(
            {"base_url": fake.base_url, "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
        ),
        flush=True,
    )
    try:
        for line in sys.stdin:
            command = json.loads(line)
            reply: dict[str, Any]
            if command["op"] == "latency":
                fake.slow_seconds = float(command["seconds"])
                reply = {"ok": True}
            elif command["op"] == "nodelay":
                nodelay[0] = bool(command["on"])
                reply = {"ok": True}
            elif command["op"] == "take":
                requests = fake.requests
                with lock:
                    reply = {
                        "arrivals": list(arrivals),
                        "connections": connections[0],
                        "statuses": Counter(str(r.status) for r in requests[seen:]),
                    }
                    arrivals.clear()
                    connections[0] = 0
                seen = len(requests)
            else:
                reply = {"error": f"unknown op {command['op']!r}"}
            print(json.dumps(reply), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
