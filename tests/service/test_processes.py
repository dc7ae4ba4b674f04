"""Real `aftercare serve` processes on PostgreSQL, against a Twilio-compatible API in a process
of its own: several services sharing one outbox, `kill -9` mid-pass, PostgreSQL restarted under a
running service, SIGTERM mid-pass. What went out is counted at the fake API, not in our database.

The send window contains "now" whatever the hour (test_serve.noon_zone); due rows are inserted
directly, one day-1 SMS per patient, patient and row sharing an id so a row's number is known.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select

from models import OutboundMessage, Patient, Treatment
from models.db import make_engine
from models.migrate import upgrade
from tests.fakes.private_postgres import PrivatePostgres, private_postgres, unavailable_reason
from tests.fakes.twilio_process import TwilioProcess
from tests.support.cli import clean_environ
from tests.support.processes import AFTERCARE, free_port, noon_zone, wait_for

pytestmark = pytest.mark.slow

FROM = "+16135550100"
_SENT_LINE = re.compile(r"\bsent #(\d+) ")


def number(patient_id: int) -> str:
    return f"+1613{patient_id:07d}"


# --- the outbox -----------------------------------------------------------------------------


def migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def seed(engine: Engine, first: int, count: int, *, due_in: timedelta = timedelta()) -> None:
    """Patients `first` .. `first + count - 1`, each with one day-1 SMS due `due_in` from now."""
    now = datetime.now(UTC)
    due = now + due_in if due_in else now - timedelta(minutes=1)
    ids = range(first, first + count)
    person: dict[str, Any] = {"consent_source": "in-clinic", "consent_at": now, "created_at": now}
    with engine.begin() as connection:
        connection.execute(
            insert(Patient),
            [
                {"id": i, "name": f"Camille Process{i}", "phone": number(i), **person}
                | {"language": "fr" if i % 3 == 0 else "en", "preferred_channel": "sms"}
                for i in ids
            ],
        )
        connection.execute(
            insert(Treatment),
            [
                {"id": i, "patient_id": i, "kind": "microneedling", "status": "active"}
                | {"performed_at": now - timedelta(days=1), "created_at": now}
                for i in ids
            ],
        )
        connection.execute(
            insert(OutboundMessage),
            [
                {"id": i, "treatment_id": i, "step": "day1", "channel": "sms", "status": "pending"}
                | {"due_at": due, "next_attempt_at": due, "expires_at": now + timedelta(days=1)}
                | {"attempts": 0, "updated_at": now}
                for i in ids
            ],
        )


def outbox(engine: Engine) -> list[OutboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))))


def all_sent(engine: Engine, count: int) -> bool | None:
    """For wait_for: True once `count` rows are sent (a count: this polls while services work)."""
    query = select(func.count()).where(col(OutboundMessage.status) == "sent")
    with Session(engine) as session:
        return True if session.exec(query).one() == count else None


def assert_each_sent_once(engine: Engine, fake: TwilioProcess, count: int) -> None:
    """Every row sent, and the fake created exactly one message per row: the one we recorded."""
    rows = outbox(engine)
    created = fake.messages()
    per_message = Counter((to, body) for _, to, body in created)
    twice = {key: n for key, n in per_message.items() if n > 1}
    assert not twice, f"sent more than once: {len(twice)} messages"
    assert len(created) == len(rows) == count
    assert {r.status for r in rows} == {"sent"}
    to_of = {sid: to for sid, to, _ in created}
    assert {r.provider_id: number(r.id or 0) for r in rows} == to_of


# --- the processes --------------------------------------------------------------------------


def serve_env(database_url: str, fake: TwilioProcess, **overrides: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "CLINIC_TIMEZONE": noon_zone(datetime.now(UTC)),
        "SEND_WINDOW": "09:00-15:00",
        "SECRET_KEY": "process-test-secret",
        "PUBLIC_BASE_URL": "https://clinic.example",
        "SMS_CHANNEL": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_BASE": fake.base_url,
        "SMS_RATE_PER_SECOND": "100000",
        "SMS_CONCURRENCY": "4",
        "DISPATCH_INTERVAL_SECONDS": "0.2",
        "DISPATCH_BATCH_SIZE": "50",
        "LOG_LEVEL": "INFO",
        **overrides,
    }


class ServeProcess:
    """`aftercare serve` on a free port; stdout and stderr together in one file."""

    def __init__(self, name: str, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log_path = tmp_path / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(AFTERCARE), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=tmp_path,
                env={**clean_environ(), "PYTHONUNBUFFERED": "1", **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def health(self) -> tuple[int, dict[str, Any]] | None:
        """(status code, body) of /healthz; None while it does not answer."""
        if not self.alive():
            pytest.fail(f"service exited with {self.process.returncode}:\n{self.log}")
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
        except httpx.TransportError:
            return None
        return response.status_code, response.json()

    def running(self) -> bool | None:
        """For wait_for: True once /healthz says all is well."""
        health = self.health()
        return True if health is not None and health[0] == 200 else None

    def sent_ids(self) -> list[int]:
        return [int(found) for found in _SENT_LINE.findall(self.log)]

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def twilio_process() -> Iterator[TwilioProcess]:
    fake = TwilioProcess()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def fake(twilio_process: TwilioProcess) -> TwilioProcess:
    """The module's fake Twilio process, emptied for this test."""
    twilio_process.reset()
    return twilio_process


@pytest.fixture
def services() -> Iterator[list[ServeProcess]]:
    """Started services are appended here; whatever is still running is killed afterwards."""
    started: list[ServeProcess] = []
    yield started
    for service in started:
        service.kill()


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_three_services_send_each_of_2000_messages_exactly_once(
    pg_url: str, fake: TwilioProcess, services: list[ServeProcess], tmp_path: Path
) -> None:
    engine = migrated(pg_url)
    seed(engine, 1, 2000)
    env = serve_env(pg_url, fake)
    services += [ServeProcess(f"serve{i}", tmp_path, env) for i in range(3)]
    started = time.monotonic()
    for service in services:
        wait_for("the service to be up", service.running, timeout=30)
    wait_for("all 2000 messages to be sent", lambda: all_sent(engine, 2000), timeout=60)
    elapsed = time.monotonic() - started

    assert_each_sent_once(engine, fake, 2000)
    per_service = [service.sent_ids() for service in services]
    counts = [len(ids) for ids in per_service]
    print(f"\nsent per service: {counts}, {elapsed:.1f}s from start to the last one")
    assert all(counts), f"a service sent nothing: {counts}"
    assert sorted(i for ids in per_service for i in ids) == list(range(1, 2001))
    engine.dispose()


@pytest.mark.postgres
def test_a_service_killed_mid_pass_loses_nothing_and_resends_nothing(
    pg_url: str, fake: TwilioProcess, services: list[ServeProcess], tmp_path: Path
) -> None:
    engine = migrated(pg_url)
    seed(engine, 1001, 60)
    latency = 0.5  # four requests in flight at a time, each for this long: the kill's target
    fake.set_latency(latency)
    env = serve_env(pg_url, fake, DISPATCH_BATCH_SIZE="20")
    victim = ServeProcess("victim", tmp_path, env)
    services.append(victim)
    # The second wave of four is at the fake: the pass is mid-way, requests are in flight.
    wait_for("a pass mid-way", lambda: True if fake.posts() >= 6 else None, timeout=30)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    time.sleep(latency + 0.3)  # the fake finishes creating what was in flight at the kill

    accepted_to = {to for _, to, _ in fake.messages()}
    claimed = [r for r in outbox(engine) if r.status == "sending"]
    # Twilio took these, the dead process never recorded it: the case a blind resend duplicates.
    unrecorded = [r for r in claimed if number(r.id or 0) in accepted_to]
    assert unrecorded, "the kill did not land while Twilio was taking messages"
    assert len(claimed) > len(unrecorded), "no claimed row was left unstarted"

    fake.set_latency(0.0)
    successor = ServeProcess("successor", tmp_path, {**env, "CLAIM_TIMEOUT_SECONDS": "1"})
    services.append(successor)
    wait_for("all 60 messages to be sent", lambda: all_sent(engine, 60), timeout=30)
    assert_each_sent_once(engine, fake, 60)
    print(
        f"\nkilled with {len(claimed)} rows claimed, {len(unrecorded)} of them already at Twilio;"
        f" the successor found {successor.log.count('had reached Twilio')} there"
    )
    assert successor.log.count("had reached Twilio") == len(unrecorded)
    engine.dispose()


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("AFTERCARE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"a private PostgreSQL cluster is required here: {reason}")
        pytest.skip(reason)
    with private_postgres() as cluster:
        yield cluster


@pytest.mark.postgres
def test_the_service_rides_out_a_postgresql_restart(
    private_pg: PrivatePostgres, fake: TwilioProcess, services: list[ServeProcess], tmp_path: Path
) -> None:
    url = private_pg.database("aftercare")
    engine = migrated(url)
    seed(engine, 2001, 20)
    service = ServeProcess("restart", tmp_path, serve_env(url, fake, CLAIM_TIMEOUT_SECONDS="5"))
    services.append(service)
    wait_for("the service to be up", service.running, timeout=30)
    wait_for("the first 20 to be sent", lambda: all_sent(engine, 20))

    seed(engine, 2101, 20, due_in=timedelta(seconds=1.5))  # they fall due during the outage
    engine.dispose()
    private_pg.stop("fast")
    down: list[tuple[int, dict[str, Any]] | None] = []
    outage_ends = time.monotonic() + 3
    while time.monotonic() < outage_ends:
        down.append(service.health())
        time.sleep(0.2)
    assert service.alive()
    private_pg.start()

    seed(engine, 2201, 20)  # due after the restart
    wait_for("all 60 messages to be sent", lambda: all_sent(engine, 60), timeout=30)
    wait_for("/healthz to be ok again", service.running)
    assert service.alive(), "the service must ride it out, not be restarted"

    assert_each_sent_once(engine, fake, 60)
    unhealthy = [h for h in down if h is not None and h[0] == 503]
    assert unhealthy, f"/healthz never said the database was down: {down}"
    assert all(str(body["database"]).startswith("unreachable") for _, body in unhealthy)
    log = service.log
    assert "dispatch pass failed" in log
    assert "dispatch passes work again" in log
    engine.dispose()


@pytest.mark.postgres
def test_sigterm_finishes_the_pass_in_flight_and_claims_nothing_more(
    pg_url: str, fake: TwilioProcess, services: list[ServeProcess], tmp_path: Path
) -> None:
    engine = migrated(pg_url)
    seed(engine, 3001, 12)
    fake.set_latency(0.5)
    env = serve_env(pg_url, fake, DISPATCH_BATCH_SIZE="4", SMS_CONCURRENCY="2")
    service = ServeProcess("sigterm", tmp_path, env)
    services.append(service)
    # Two sends in flight, two claimed rows waiting for a sender thread, eight not claimed.
    wait_for("a send in flight", lambda: True if fake.posts() >= 1 else None, timeout=30)
    signalled_at = datetime.now(UTC)
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    code = service.process.wait(timeout=15)
    took = time.monotonic() - started
    print(f"\nexit {code} {took:.2f}s after SIGTERM")
    assert code == 0, service.log
    assert took < 15

    rows = outbox(engine)
    created = fake.messages()
    sent = [r for r in rows if r.status == "sent"]
    assert sent, "the send in flight was not recorded"
    # Every request that reached the fake was answered and recorded; none came after the stop.
    assert {r.provider_id for r in sent} == {sid for sid, _, _ in created}
    assert fake.posts() == len(created)
    assert {r.status for r in rows} == {"sent", "pending"}
    released = [r for r in rows if r.status == "pending" and r.claimed_at is not None]
    assert released, "no claimed-but-unstarted row went back to the queue"
    assert all(r.claim_token is None for r in rows)
    late = [r.id for r in rows if r.claimed_at is not None and r.claimed_at > signalled_at]
    assert not late, f"rows claimed after SIGTERM: {late}"
    assert "stopped cleanly" in service.log
    assert "Traceback" not in service.log
    engine.dispose()
