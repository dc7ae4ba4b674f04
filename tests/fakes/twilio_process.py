"""FakeTwilio in a process of its own, for tests that run `aftercare serve` processes against it.

A fake inside the test process would stop with it and share its GIL; here it outlives a killed
service and counts, on its own side, what it was asked to send. Driven over stdin/stdout, one
JSON object per line:
  {"op": "latency", "seconds": 0.2}  every create request is answered that much later (the
                                     message is created at the end of the wait, as a slow API would)
  {"op": "stats"}                    {"posts": n, "messages": [[sid, to, body], ...]}: create
                                     requests counted on arrival, and the messages created
  {"op": "reset"}                    forget every message and count
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.fakes.twilio_server import FakeTwilio

ACCOUNT_SID = "AC" + "5c" * 16
AUTH_TOKEN = "process-fake-token"
_REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, slow_seconds=0.0)
    lock = threading.Lock()
    posts = [0]
    create = fake.handle_create

    def counted_create(params: dict[str, str], auth_ok: bool) -> Any:
        with lock:
            posts[0] += 1
        if fake.slow_seconds > 0:
            fake.fail_next(1, "slow")  # one queued "slow" per request: every request is slow
        return create(params, auth_ok)

    fake.handle_create = counted_create  # type: ignore[method-assign]
    fake.start()
    assert fake._server is not None
    fake._server.socket.listen(128)  # several services connecting at once
    print(json.dumps({"base_url": fake.base_url}), flush=True)
    try:
        for line in sys.stdin:
            command = json.loads(line)
            reply: dict[str, Any] = {"ok": True}
            if command["op"] == "latency":
                fake.slow_seconds = float(command["seconds"])
            elif command["op"] == "stats":
                with fake._lock, lock:
                    created = [[m["sid"], m["to"], m["body"]] for m in fake.messages.values()]
                    reply = {"posts": posts[0], "messages": created}
            elif command["op"] == "reset":
                with fake._lock, lock:
                    fake.messages.clear()
                    posts[0] = 0
            else:
                reply = {"error": f"unknown op {command['op']!r}"}
            print(json.dumps(reply), flush=True)
    finally:
        fake.stop()


class TwilioProcess:
    """The test side: starts the fake's process and asks it questions."""

    account_sid = ACCOUNT_SID
    auth_token = AUTH_TOKEN

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(_REPO)}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.twilio_process"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url: str = self._read()["base_url"]

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake Twilio process exited ({self._process.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _ask(self, **command: object) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        return self._read()

    def set_latency(self, seconds: float) -> None:
        self._ask(op="latency", seconds=seconds)

    def reset(self) -> None:
        self._ask(op="reset")
        self.set_latency(0.0)

    def posts(self) -> int:
        """Create requests that arrived so far (including ones still being answered)."""
        return int(self._ask(op="stats")["posts"])

    def messages(self) -> list[tuple[str, str, str]]:
        """(sid, to, body) of every message the fake created."""
        return [(sid, to, body) for sid, to, body in self._ask(op="stats")["messages"]]

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # EOF: the fake stops its server and exits
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


if __name__ == "__main__":
    main()
