"""`aftercare serve` as a real process: dispatches what is due, answers /healthz, stops on SIGTERM.

The send window is made to contain "now" whatever the hour the test runs at: the clinic's zone is
a fixed-offset `Etc/GMT±N` zone in which it is about noon, and the window is 09:00-15:00.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlmodel import Session, select

from models import OutboundMessage, Patient
from scheduler.outbound.compose import message_context
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.support.cli import Cli, clean_environ, cli_in

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


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


class Service:
    """A running `aftercare serve`, its output in files (no pipe can fill up and block it)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], port: int) -> None:
        self.port = port
        self.out_path = tmp_path / "serve.stdout"
        self.err_path = tmp_path / "serve.stderr"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(AFTERCARE), "serve", "--host", "127.0.0.1", "--port", str(port)],
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


def test_serve_dispatches_due_messages_and_stops_cleanly_on_sigterm(
    cli: Cli, tmp_path: Path
) -> None:
    zone = noon_zone(datetime.now(UTC))
    env = {
        "DATABASE_URL": cli.url,
        "CLINIC_TIMEZONE": zone,
        "SEND_WINDOW": "09:00-15:00",
        "DISPATCH_INTERVAL_SECONDS": "0.5",
        "LOG_LEVEL": "INFO",
    }
    # Performed exactly a day ago: its day-1 message became due at 09:00 local today.
    performed = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    args = ["--name", "Alex Martin", "--phone", "613-555-0124", "--performed-at", performed]
    registered = cli("treatment", "add", *args, env=env)
    assert registered.exit_code == 0, registered.stderr
    with Session(cli.engine) as session:
        patient = session.exec(select(Patient)).one()
    # The service renders with the same settings (clinic name, unsubscribe link, secret).
    settings = Settings(_env_file=None, database_url=cli.url, clinic_timezone=zone)
    context = message_context(patient, settings)
    sms_text = MessageRenderer().sms("microneedling", "day1", patient.language, context).text

    service = Service(tmp_path, env, free_port())
    try:
        wait_for("the scheduler to report running on /healthz", service.health)
        assert f"listening on http://127.0.0.1:{service.port}" in service.stdout

        def day1_sent() -> OutboundMessage | None:
            with Session(cli.engine) as session:
                rows = session.exec(select(OutboundMessage)).all()
            day1 = next(r for r in rows if r.step == "day1")
            return day1 if day1.status == "sent" else None

        sent = wait_for("the day-1 message to be sent", day1_sent)
        assert sent.sent_at is not None
        sent_at = sent.sent_at
        settle = timedelta(seconds=1)

        def passes_after_send() -> dict[str, object] | None:
            # Two more passes at least (every 0.5 s): the row must not be sent again.
            health = service.health()
            last = health.get("last_pass_at") if health else None
            if isinstance(last, str) and datetime.fromisoformat(last) >= sent_at + settle:
                return health
            return None

        wait_for("dispatch passes after the send", passes_after_send)

        assert sent.provider_id is not None and sent.provider_id.startswith("console-")
        assert sent.attempts == 1
        assert service.stdout.count(sms_text) == 1
        with Session(cli.engine) as session:
            rows = session.exec(select(OutboundMessage)).all()
        assert {r.step: r.status for r in rows} == {
            "day1": "sent",
            "day3": "pending",
            "day7": "pending",
        }

        service.process.send_signal(signal.SIGTERM)
        service.process.wait(timeout=10)  # its exit code: see the next test
        assert "stopped cleanly" in service.stdout + service.stderr
        assert "Traceback" not in service.stderr
    finally:
        service.kill()


def test_serve_exits_0_on_sigterm(cli: Cli, tmp_path: Path) -> None:
    service = Service(tmp_path, {"DATABASE_URL": cli.url}, free_port())
    try:
        wait_for("the scheduler to report running on /healthz", service.health)
        service.process.send_signal(signal.SIGTERM)
        assert service.process.wait(timeout=10) == 0, service.stderr
    finally:
        service.kill()


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SEND_WINDOW", "19:00-10:00"), ("CLINIC_TIMEZONE", "Mars/Olympus_Mons")],
)
def test_serve_refuses_an_invalid_config_with_one_line(
    tmp_path: Path, setting: str, value: str
) -> None:
    env = {
        **clean_environ(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'aftercare.db'}",
        setting: value,
    }
    started = time.monotonic()
    done = subprocess.run(
        [str(AFTERCARE), "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error:")
    assert setting in lines[0] or setting.lower() in lines[0]
    assert "listening" not in done.stdout
    assert elapsed < 10
