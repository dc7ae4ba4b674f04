"""Request bodies are capped while they stream in, before anything parses them (413 beyond).

Forms were parsed before their signature or CSRF token was checked, and only the SMS webhook
looked at Content-Length: a 900 MB form to /login took the process to a gigabyte before its 403.
The cap is checked against Content-Length first, then against the bytes actually received
(a chunked body has no Content-Length).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB = 1024
# Longest prefix first wins; every route that reads a body is covered by one of these.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/webhooks/", 64 * KB),  # Twilio's forms are a few kB, ten media URLs included
    ("/login", 8 * KB),
    ("/logout", 8 * KB),
    ("/unsubscribe/", 8 * KB),
    ("/import", 3 * 1024 * KB),  # the 2 MB CSV (csv_upload.MAX_BYTES) and its multipart wrapping
    ("/api/", 1024 * KB),
)
DEFAULT_LIMIT = 64 * KB  # staff page forms: a registration, a search, an action button


def limit_for(path: str) -> int:
    """The most bytes a request to `path` may send."""
    for prefix, limit in LIMITS:
        if path.startswith(prefix):
            return limit
    return DEFAULT_LIMIT


def _too_large(limit: int) -> HTTPException:
    return HTTPException(status_code=413, detail=f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    """Pure ASGI: refuses a declared oversize at once, and stops reading past the cap."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413 if declared.isdigit() else 400
            _count_webhook(scope, status)
            await _plain(
                send, status, b"request body too large" if status == 413 else b"bad length"
            )
            return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body parsing: the app's handlers answer 413
                    # (and the webhook routes count it as too_large themselves).
                    raise _too_large(limit)
            return message

        await self.app(scope, capped, send)


def _count_webhook(scope: Scope, status: int) -> None:
    """A webhook refused here still shows in aftercare_webhook_requests_total."""
    path = scope["path"]
    app = scope.get("app")
    metrics = getattr(getattr(app, "state", None), "metrics", None)
    endpoint = path.rsplit("/", 1)[-1]
    if path.startswith("/webhooks/twilio/") and endpoint in ("sms", "status") and metrics:
        metrics.webhook(endpoint, "too_large" if status == 413 else "bad_request")


async def _plain(send: Send, status: int, text: bytes) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(text)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})
