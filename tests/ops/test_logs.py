"""Logs: one line per event, text or JSON, request ids, and no patient contact or body in them."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scheduler.ops.logs import REQUEST_ID, AccessLogFilter, StderrHandler, configure_logging
from scheduler.ops.redact import mask_text, redact_field
from scheduler.web.request_id import RequestIdMiddleware, request_id_from
from tests.support.cli import clean_environ
from tests.support.processes import AFTERCARE
from tests.support.settings import make_settings

log = logging.getLogger("aftercare.test")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sent to +16135550124 ok", "sent to ***0124 ok"),
        ("sent to +1 613-555-0124.", "sent to ***0124."),
        ("call (613) 555-0124 now", "call ***0124 now"),
        ("call 613.555.0124", "call ***0124"),
        ("call 613-555-0124 or 6135550199", "call ***0124 or ***0199"),
        ("from +33612345678", "from ***5678"),
        ("to marie.tremblay@example.com,", "to m***@example.com,"),
        ("Body=J%27ai+mal&From=%2B16135550124", "Body=<redacted>&From=%2B16135550124"),
    ],
)
def test_contacts_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "provider id SM0123456789abcdef0123456789abcdef",
        "request 123e4567-e89b-12d3-a456-426614174000",
        "at 2026-11-25T15:00:00+00:00 epoch 1764086400",
        "outbox #1234567 waits 3600s; attempt 2 of 5",
        "already masked ***0124 and m***@example.com",
        "Aftercare <aftercare@localhost>",
    ],
)
def test_ids_times_and_masked_values_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_body_fields_are_dropped_and_other_fields_masked() -> None:
    assert redact_field("body", "J'ai de la fièvre") == "<17 chars redacted>"
    assert redact_field("Text", "x" * 5) == "<5 chars redacted>"
    assert redact_field("to", "+16135550124") == "***0124"
    assert redact_field("attempts", 3) == 3


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if isinstance(handler, StderrHandler):
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line]


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_fields_and_mask_contacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path}/a.db", log_format="json"))
    token = REQUEST_ID.set("req-42")
    try:
        log.info("reply from %s", "+16135550124", extra={"body": "I have a fever", "alert": 7})
    finally:
        REQUEST_ID.reset(token)
    log.debug("below LOG_LEVEL=INFO")
    [line] = lines(capsys)
    event = json.loads(line)
    assert datetime.fromisoformat(event.pop("ts")) - datetime.now(UTC) < timedelta(seconds=5)
    assert event == {
        "level": "INFO",
        "logger": "aftercare.test",
        "message": "reply from ***0124",
        "request_id": "req-42",
        "body": "<14 chars redacted>",
        "alert": 7,
    }


@pytest.mark.usefixtures("restore_logging")
def test_text_keeps_a_traceback_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path}/a.db"), level="WARNING")
    try:
        raise ValueError("'613-555-0124' is not a valid phone number")
    except ValueError:
        log.exception("cannot register %s", "ana@example.com")
    log.info("below the level given")
    [line] = lines(capsys)
    assert " ERROR aftercare.test: cannot register a***@example.com " in line
    assert "Traceback (most recent call last):\\n" in line
    assert "'***0124' is not a valid phone number" in line
    assert "555-0124" not in line


@pytest.mark.usefixtures("restore_logging")
def test_configuring_twice_keeps_one_handler(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/a.db")
    configure_logging(settings)
    configure_logging(settings)
    root = logging.getLogger()
    assert sum(isinstance(handler, StderrHandler) for handler in root.handlers) == 1
    assert root.level == logging.INFO


def test_access_lines_lose_the_query_string_and_the_unsubscribe_token() -> None:
    def access(path: str) -> logging.LogRecord:
        args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
        record = logging.LogRecord(
            "uvicorn.access", 20, "", 0, '%s - "%s %s HTTP/%s" %d', args, None
        )
        AccessLogFilter().filter(record)
        return record

    record = access("/api/patients?phone=%2B16135550124")
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/patients HTTP/1.1" 200'
    fields = [getattr(record, name) for name in ("http_method", "http_path", "http_status")]
    assert fields == ["GET", "/api/patients", 200]
    assert (
        access("/unsubscribe/eyJwIjoxMn0.sig?x=1")
        .getMessage()
        .endswith('"GET /unsubscribe/*** HTTP/1.1" 200')
    )


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("7f1c2a9e-4d3b-4c1a-9e2f-0b8d6a5c4e31", True),
        ("nginx.abc:123_x-y", True),
        ("", False),
        ("two words", False),
        ("x" * 129, False),
        ("-leading-dash", False),
        ("id\u00e9", False),
    ],
)
def test_request_id_is_kept_only_when_sane(given: str, kept: bool) -> None:
    result = request_id_from(given)
    assert (result == given) is kept
    if not kept:
        assert len(result) == 32 and int(result, 16) >= 0


def logging_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestIdMiddleware)

    @app.get("/sync")
    def sync_route() -> dict[str, Any]:  # runs in the thread pool
        log.warning("in a sync route")
        return {"seen": REQUEST_ID.get()}

    @app.get("/async")
    async def async_route() -> dict[str, Any]:
        log.warning("in an async route")
        return {"seen": REQUEST_ID.get()}

    return app


@pytest.mark.usefixtures("restore_logging")
def test_request_ids_reach_the_reply_and_every_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(f"sqlite:///{tmp_path}/a.db", log_format="json"))
    with TestClient(logging_app()) as client:
        given = client.get("/sync", headers={"X-Request-ID": "abc-123"})
        made = client.get("/async")
        refused = client.get("/async", headers={"X-Request-ID": "a b"})
    assert given.headers["X-Request-ID"] == "abc-123" == given.json()["seen"]
    assert made.headers["X-Request-ID"] == made.json()["seen"]
    assert len(made.headers["X-Request-ID"]) == 32
    assert refused.headers["X-Request-ID"] not in ("a b", made.headers["X-Request-ID"])
    events = [json.loads(line) for line in lines(capsys)]
    server_side = [e for e in events if e["logger"] == "aftercare.test"]
    assert [e["request_id"] for e in server_side] == [
        "abc-123",
        made.headers["X-Request-ID"],
        refused.headers["X-Request-ID"],
    ]
    assert REQUEST_ID.get() is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow  # a real `aftercare serve` process: about 4 s
def test_serve_writes_json_access_lines_without_query_strings(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **clean_environ(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'aftercare.db'}",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    err_path = tmp_path / "serve.stderr"
    with err_path.open("wb") as err:
        process = subprocess.Popen(
            [str(AFTERCARE), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        url = f"http://127.0.0.1:{port}/healthz?phone=%2B16135550124&email=ana%40example.com"
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, err_path.read_text()
            try:
                response = httpx.get(url, headers={"X-Request-ID": "probe-1"}, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.05)
        assert response.headers["X-Request-ID"] == "probe-1"
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = err_path.read_text()
    events = [json.loads(line) for line in text.splitlines() if line.strip()]  # all JSON
    access = [e for e in events if e["logger"] == "uvicorn.access"]
    assert access and access[-1]["http_path"] == "/healthz"
    assert all("color_message" not in event for event in events)
    assert access[-1]["request_id"] == "probe-1"
    assert any(e["message"] == "stopped cleanly" for e in events)
    assert "6135550124" not in text and "ana%40example" not in text
