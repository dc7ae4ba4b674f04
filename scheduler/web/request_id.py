"""X-Request-ID: taken from the proxy when sane, made up otherwise; in every log line and reply."""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.ops.logs import REQUEST_ID

HEADER = "X-Request-ID"
# What nginx ($request_id), load balancers and tracing tools send; anything else could forge log
# lines (newlines) or bloat them, so it is replaced rather than trusted.
_SANE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def request_id_from(value: str | None) -> str:
    """The caller's id if it is a sane token, else a new random one."""
    if value and _SANE.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): streaming responses and background tasks unaffected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(HEADER))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = REQUEST_ID.set(request_id)
        await self.app(scope, receive, send_with_id)
        # Not in a `finally`: when the app raises, the server logs the error after this frame
        # and that line should carry the id too. Each request runs in a task of its own.
        REQUEST_ID.reset(token)
