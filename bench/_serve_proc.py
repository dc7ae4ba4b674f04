"""`aftercare serve` in a process of its own for a benchmark: a free port, readiness, its CPU.

The server is a subprocess with a clean environment (nothing from the developer's shell or
.env), so what is measured is the configuration given here; its CPU is read from /proc so that
a benchmark can charge the server, not the load generator, for each request.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # on the server's PYTHONPATH: models, scheduler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def aftercare_serve(
    database_url: str, port: int, log: Path, *, twilio_token: str, clinic_number: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`aftercare serve` in its own process, with a clean environment and no .env.

    `twilio_token` must be the one the benchmark signs its requests with, and `clinic_number`
    the number they are sent to, or every webhook would be refused (403) or misrouted.
    """
    # Only what a process needs: a developer's exported settings must not leak in.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    env.update(
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        TWILIO_AUTH_TOKEN=twilio_token,
        SECRET_KEY="bench-secret",
        CLINIC_NAME="Clinique Esthétique Ottawa",
        CLINIC_PHONE=clinic_number,
        SMS_CHANNEL="console",
        EMAIL_CHANNEL="console",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    with tempfile.TemporaryDirectory(prefix="aftercare_bench_cwd_") as cwd, log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from scheduler.cli.app import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=cwd,  # no developer .env here
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(port, proc, log)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"aftercare serve exited {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"aftercare serve did not answer /healthz:\n{log.read_text()}")
