"""`aftercare serve` as a real process: dispatches what is due, answers /healthz, stops on SIGTERM.

The send window is made to contain "now" whatever the hour the test runs at: the clinic's zone is
a fixed-offset `Etc/GMT±N` zone in which it is about noon, and the window is 09:00-15:00.
"""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import OutboundMessage, Patient
from scheduler.outbound.compose import message_context
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings
from tests.support.cli import Cli, clean_environ, cli_in
from tests.support.processes import AFTERCARE, Service, free_port, noon_zone, wait_for


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


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
        base = f"http://127.0.0.1:{service.port}"
        for where in ("/healthz", "/readyz", "/docs"):
            assert f"{base}{where}" in service.stdout
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
            assert answer.headers.get("server") is None  # nothing to fingerprint

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
