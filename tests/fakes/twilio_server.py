"""A Twilio-compatible Messages API on 127.0.0.1 for tests, with scriptable faults; it also
serves MMS media as Twilio does (Basic auth, then a redirect to short-lived storage) and
deletes it on request."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import secrets
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs

FaultMode = Literal["429", "500", "slow", "21610", "21211", "21614"]
# Status, Twilio code and message (Twilio quotes the number in some of them).
_FAULT_REPLIES: dict[str, tuple[int, int, str]] = {
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
    "21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "21211": (400, 21211, "The 'To' number {to} is not a valid phone number."),
    "21614": (400, 21614, "'To' number {to} is not a valid mobile number"),
}


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most timestamps within any half-open sliding window [t, t + window)."""
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server saw; `at` is time.monotonic() on arrival."""

    at: float
    method: str
    path: str
    params: dict[str, str]
    auth_ok: bool
    fault: FaultMode | None
    status: int


@dataclass
class FakeMedia:
    """One MMS media item: its bytes, and how the fake serves them."""

    body: bytes
    content_type: str
    fail_first: int = 0  # 404s before it is served (Twilio still storing it)
    announce_length: bool = True  # False: streamed without Content-Length, then closed
    downloads: int = 0
    deleted: bool = False


def _segments(body: str) -> int:
    """Rough segment count: ASCII stands in for GSM-7 (good enough for a fake)."""
    single, multi = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


def _problem(params: dict[str, str]) -> tuple[int, str] | None:
    """Twilio's validation of a create request, as (code, message)."""
    if not params.get("To"):
        return 21604, "A 'To' phone number is required."
    if not params.get("Body"):
        return 21602, "Message body is required."
    if ("From" in params) == ("MessagingServiceSid" in params):
        # Stricter than Twilio (which allows both): our channel must send exactly one.
        return 21603, "Send exactly one of From or MessagingServiceSid."
    return None


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's legacy error body, which the SDK turns into TwilioRestException."""
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return {"code": code, "message": message, "more_info": more_info, "status": status}


class FakeTwilio:
    """Context manager running the fake API; `base_url` is what TwilioChannel's api_base takes."""

    def __init__(
        self,
        *,
        account_sid: str = "AC" + "0" * 32,
        auth_token: str = "fake-auth-token",
        retry_after: str | None = "1",
        slow_seconds: float = 1.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.retry_after = retry_after  # Retry-After header on "429"; None leaves it out
        self.slow_seconds = slow_seconds
        self.rules: dict[str, FaultMode] = {}  # To number -> fault on every request to it
        self.messages: dict[str, dict[str, Any]] = {}
        self.media: dict[str, FakeMedia] = {}  # media SID -> media
        self._storage: dict[str, str] = {}  # one-time storage token -> media SID
        self._queue: deque[FaultMode] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeTwilio is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def fail_next(self, n: int, mode: FaultMode) -> None:
        """Answer the next `n` message requests (any recipient) with `mode`."""
        with self._lock:
            self._queue.extend([mode] * n)

    def add_media(
        self,
        body: bytes,
        content_type: str = "image/jpeg",
        *,
        message_sid: str,
        fail_first: int = 0,
        announce_length: bool = True,
    ) -> str:
        """Hold a media item; returns the MediaUrl Twilio would put in the inbound webhook."""
        sid = "ME" + secrets.token_hex(16)
        with self._lock:
            self.media[sid] = FakeMedia(body, content_type, fail_first, announce_length)
        return (
            f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}"
            f"/Messages/{message_sid}/Media/{sid}"
        )

    def media_answer(self, tail: str, auth_ok: bool) -> tuple[int, str | None]:
        """GET .../Messages/MM…/Media/ME…: status, and where it redirects (like Twilio's 307
        to its storage); None when it is not a media path."""
        parts = tail.split("/")
        if len(parts) != 4 or parts[0] != "Messages" or parts[2] != "Media":
            return 0, None
        if not auth_ok:
            return 401, None
        with self._lock:
            media = self.media.get(parts[3])
            if media is None or media.deleted:
                return 404, None
            if media.fail_first > 0:
                media.fail_first -= 1
                return 404, None
            token = secrets.token_urlsafe(16)
            self._storage[token] = parts[3]
        # Another origin, as Twilio's storage is: the client must not send it the credentials.
        port = self._server.server_address[1] if self._server else 0
        return 307, f"http://localhost:{port}/media-storage/{token}?Expires=300"

    def max_per_second(self) -> int:
        """The most requests that arrived within any one-second window."""
        return max_in_window([r.at for r in self.requests])

    def start(self) -> FakeTwilio:
        self._server = server = _Server(("127.0.0.1", 0), _make_handler(self))
        # A short poll keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes "slow" handlers early
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- request handling (runs on server threads) ---

    def _auth_ok(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(
            password, self.auth_token
        )

    def _pick_fault(self, to: str) -> FaultMode | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            return self.rules.get(to)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _resource(self, params: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        service = params.get("MessagingServiceSid")
        now = format_datetime(datetime.now(UTC))  # RFC 2822 with +0000, as Twilio writes it
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": params["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            # With a Messaging Service no sender is picked yet, so Twilio reports 0 segments.
            "num_segments": "0" if service else str(_segments(params["Body"])),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": params["To"],
            "uri": f"{base}.json",
        }

    def list_page(self, to: str | None, path: str) -> dict[str, Any]:
        """GET .../Messages.json: newest first, optionally only those to `to`, one page."""
        with self._lock:
            found = [m for m in self.messages.values() if to is None or m["to"] == to]
        found.reverse()  # dicts keep insertion order: newest last
        return {
            "messages": found,
            "end": max(0, len(found) - 1),
            "first_page_uri": path,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "uri": path,
        }

    def handle_create(
        self, params: dict[str, str], auth_ok: bool
    ) -> tuple[int, Any, FaultMode | None]:
        """Status, JSON body and fault for POST .../Messages.json."""
        if not auth_ok:
            return 401, _error(401, 20003, "Authenticate"), None
        to = params.get("To", "")
        fault = self._pick_fault(to)
        if fault == "slow":
            self._stopping.wait(self.slow_seconds)  # then answer normally, as Twilio would
        elif fault is not None:
            status, code, message = _FAULT_REPLIES[fault]
            return status, _error(status, code, message.format(to=to)), fault
        problem = _problem(params)
        if problem is not None:
            return 400, _error(400, *problem), fault
        resource = self._resource(params)
        with self._lock:
            self.messages[resource["sid"]] = resource
        return 201, resource, fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a "slow" handler must not hold up stop()
    request_queue_size = 64  # a burst of concurrent clients must not wait on the listen queue

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (after their timeout) is normal here, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _make_handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    prefix = "/2010-04-01/Accounts/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real API; every reply has a length
        # Headers and body go out in two writes: with Nagle the body waits ~40 ms for an ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return None  # the default writes every request line to stderr

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up: expected in "slow" tests

        def _bytes(self, status: int, media: FakeMedia | None, location: str = "") -> None:
            try:
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                if media is None:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Type", media.content_type)
                if media.announce_length:
                    self.send_header("Content-Length", str(len(media.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(media.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (too large): expected

        def _storage(self) -> bool:
            """GET /media-storage/<token>: the bytes, once per token, no credentials needed."""
            if not self.path.startswith("/media-storage/"):
                return False
            token = self.path.removeprefix("/media-storage/").split("?", 1)[0]
            with fake._lock:
                sid = fake._storage.pop(token, None)
                media = fake.media.get(sid) if sid else None
                if media is not None:
                    media.downloads += 1
            # `auth_ok` here: whether credentials were sent at all (they must not be).
            sent = self.headers.get("Authorization") is not None
            status = 200 if media else 404
            fake._record(
                RecordedRequest(time.monotonic(), "GET", self.path, {}, sent, None, status)
            )
            self._bytes(200 if media else 404, media)
            return True

        def do_DELETE(self) -> None:
            auth_ok = fake._auth_ok(self.headers.get("Authorization"))
            ours, tail = self._account_path()
            parts = tail.split("/")
            status = 401 if not auth_ok else 404
            if auth_ok and ours and len(parts) == 4 and parts[2] == "Media":
                with fake._lock:
                    media = fake.media.get(parts[3])
                    if media is not None and not media.deleted:
                        media.deleted, status = True, 204
            fake._record(
                RecordedRequest(time.monotonic(), "DELETE", self.path, {}, auth_ok, None, status)
            )
            self._bytes(status, None)

        def _account_path(self) -> tuple[bool, str]:
            """Whether the path names our account, and what follows it."""
            rest = self.path.split("?", 1)[0].removeprefix(prefix)
            sid, _, tail = rest.partition("/")
            return self.path.startswith(prefix) and sid == fake.account_sid, tail

        def do_POST(self) -> None:
            arrived = time.monotonic()  # before any handling, which a "slow" fault stretches
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""  # read all: keep-alive
            params = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            auth_ok = fake._auth_ok(self.headers.get("Authorization"))
            ours, tail = self._account_path()
            fault: FaultMode | None = None
            headers: dict[str, str] = {}
            if not ours or tail != "Messages.json":
                status, body = 404, _error(404, 20404, "The requested resource was not found")
            else:
                status, body, fault = fake.handle_create(params, auth_ok)
                if status == 429 and fake.retry_after is not None:
                    headers["Retry-After"] = fake.retry_after
            fake._record(
                RecordedRequest(arrived, "POST", self.path, params, auth_ok, fault, status)
            )
            self._reply(status, body, headers)

        def do_GET(self) -> None:
            arrived = time.monotonic()
            if self._storage():
                return
            auth_ok = fake._auth_ok(self.headers.get("Authorization"))
            ours, tail = self._account_path()
            media_status, location = fake.media_answer(tail, auth_ok) if ours else (0, None)
            if media_status:
                fake._record(
                    RecordedRequest(arrived, "GET", self.path, {}, auth_ok, None, media_status)
                )
                self._bytes(media_status, None, location or "")
                return
            sid = tail.removeprefix("Messages/").removesuffix(".json")
            with fake._lock:
                resource = fake.messages.get(sid) if ours else None
            if auth_ok and ours and tail == "Messages.json":
                query = parse_qs(self.path.partition("?")[2])
                status, body = 200, fake.list_page(query.get("To", [None])[0], self.path)
            elif not auth_ok:
                status, body = 401, _error(401, 20003, "Authenticate")
            elif resource is None:
                status, body = 404, _error(404, 20404, "The requested resource was not found")
            else:
                status, body = 200, resource
            fake._record(RecordedRequest(arrived, "GET", self.path, {}, auth_ok, None, status))
            self._reply(status, body)

    return Handler
