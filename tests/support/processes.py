"""Real `aftercare serve` processes for tests: free ports, waiting, the service and its output."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.support.cli import clean_environ

AFTERCARE = Path(sys.executable).with_name("aftercare")  # the venv's console script
T = TypeVar("T")


def noon_zone(now: datetime) -> str:
    """An `Etc/GMT±N` zone in which it is currently 12:xx (POSIX signs: Etc/GMT-3 is UTC+3)."""
    offset = 12 - now.hour  # hours east of UTC
    if offset > 12:
        offset -= 24
    if offset < -12:
        offset += 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], *, timeout: float = 15.0) -> T:
    """Poll `probe` until it returns something other than None, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Service:
    """A running `aftercare serve`, its output in files (no pipe can fill up and block it)."""

    def __init__(
        self,
        tmp_path: Path,
        env: dict[str, str],
        port: int,
        *,
        executable: Path = AFTERCARE,
    ) -> None:
        self.port = port
        self.out_path = tmp_path / "serve.stdout"
        self.err_path = tmp_path / "serve.stderr"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=tmp_path,
                env={**clean_environ(), "PYTHONUNBUFFERED": "1", **env},
                stdout=out,
                stderr=err,
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def health(self) -> dict[str, object] | None:
        """The /healthz body once it says the scheduler runs; None while starting."""
        if self.process.poll() is not None:
            pytest.fail(
                f"service exited with {self.process.returncode}:\n{self.stdout}\n{self.stderr}"
            )
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
        except httpx.TransportError:
            return None
        body: dict[str, object] = response.json()
        if response.status_code == 200 and body.get("scheduler") == "running":
            return body
        return None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
