"""Hole 4 of the security pass: bodies are capped while streaming, before any parsing (413)."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.settings import Settings
from scheduler.web.app import create_app
from scheduler.web.body_limit import DEFAULT_LIMIT, KB, limit_for

CHUNK = 64 * KB
ROUTES = [
    ("/webhooks/twilio/status", 64 * KB),
    ("/webhooks/twilio/sms", 64 * KB),
    ("/login", 8 * KB),
    ("/unsubscribe/abc", 8 * KB),
    ("/api/treatments", 1024 * KB),
    ("/import", 3 * 1024 * KB),
    ("/patients", DEFAULT_LIMIT),
]


@pytest.mark.parametrize(("path", "limit"), ROUTES)
def test_every_route_that_reads_a_body_has_its_limit(path: str, limit: int) -> None:
    assert limit_for(path) == limit


@pytest.mark.parametrize(("path", "limit"), ROUTES)
def test_a_declared_oversize_is_refused_unread(
    settings: Settings, engine: Engine, path: str, limit: int
) -> None:
    with TestClient(create_app(settings, engine)) as client:
        at_limit = client.post(path, content=b"a=" + b"x" * (limit - 2))
        over = client.post(
            path,
            content=b"a=" + b"x" * (limit - 1),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert at_limit.status_code != 413
    assert over.status_code == 413


@pytest.mark.parametrize("path", ["/webhooks/twilio/status", "/login", "/api/treatments"])
def test_a_body_without_length_stops_being_read_past_the_cap(
    settings: Settings, engine: Engine, path: str
) -> None:
    """16 MB sent in 64 KB chunks with no Content-Length: reading stops at the cap, then 413."""
    app = create_app(settings, engine)
    pulled = 0
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        more = pulled < 256
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": more}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
        "app": app,
    }

    async def run() -> None:
        # No lifespan needed: the app's state is set when it is built.
        await app(scope, receive, send)

    asyncio.run(run())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    assert status == 413
    assert pulled * CHUNK <= limit_for(path) + CHUNK


def test_a_refused_webhook_is_still_counted(settings: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings, engine)) as client:
        client.post("/webhooks/twilio/sms", content=b"x" * (65 * KB))
        scraped = client.get("/metrics").text
    assert 'aftercare_webhook_requests_total{endpoint="sms",outcome="too_large"} 1.0' in scraped
