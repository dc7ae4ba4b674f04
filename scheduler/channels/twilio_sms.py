"""Twilio SMS channel: sends through the official SDK and maps Twilio failures to DeliveryError."""

from __future__ import annotations

import logging
import math
import re
import threading
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from models.vocabulary import ErrorCode, Medium
from scheduler.channels.base import DeliveryError, ErrorKind, OutgoingMessage
from scheduler.contacts import mask_phone

if TYPE_CHECKING:
    from scheduler.settings import Settings

TWILIO_API_BASE = "https://api.twilio.com"
OPTED_OUT_CODES = frozenset({21610})
# Recipient problems Twilio can report synchronously; any other 4xx is permanent too.
PERMANENT_CODES = frozenset({21211, 21408, 21606, 21612, 21614, 21617, 30003, 30005, 30006})
RATE_LIMIT_CODES = frozenset({20429})
# Client() falls back to os.environ when `environment` is falsy, so TWILIO_EDGE/REGION there
# would silently reroute requests; a non-empty mapping without TWILIO_* keys stops that.
_NO_ENVIRONMENT: Mapping[str, str] = {"AFTERCARE_TWILIO_ENV": "settings-only"}
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{5,}\d")

logger = logging.getLogger(__name__)
# After a read timeout Twilio may have created the message anyway; the retry first looks for
# it among the recipient's recent messages (same body, this recent) instead of sending twice.
# The same holds when the process sending it died mid-send (ErrorCode.INTERRUPTED).
READ_TIMEOUT = "read-timeout"
RECONCILE_AFTER = frozenset({READ_TIMEOUT, ErrorCode.INTERRUPTED})
RECONCILE_WINDOW = timedelta(hours=6)
_GONE_WRONG = {"failed", "undelivered", "canceled"}


def _scrub(text: str, secret: str) -> str:
    """Remove the auth token and mask anything phone-shaped in provider text."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group()), text)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RoutedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    """The SDK's HTTP client, pointed at `api_base`, remembering each thread's last headers."""

    def __init__(self, *, api_base: str = TWILIO_API_BASE, timeout: float = 10.0) -> None:
        super().__init__(pool_connections=True, timeout=timeout, logger=logger)
        self.api_base = api_base.rstrip("/")
        self._last = threading.local()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.api_base != TWILIO_API_BASE and url.startswith(TWILIO_API_BASE + "/"):
            url = self.api_base + url[len(TWILIO_API_BASE) :]
        self._last.headers = None  # a failed request must not leave an older 429's headers
        response: Response = super().request(method, url, *args, **kwargs)
        self._last.headers = response.headers
        return response

    def last_headers(self) -> Mapping[str, str]:
        """Headers of this thread's last response (case-insensitive), empty if none."""
        headers: Mapping[str, str] | None = getattr(self._last, "headers", None)
        return headers if headers is not None else {}

    # The SDK logs URLs, query params (list filters carry phone numbers) and headers at INFO.
    def log_request(self, kwargs: dict[str, Any]) -> None:
        return None

    def log_response(self, status_code: int, response: Any) -> None:
        return None

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


class SmsReceipt(NamedTuple):
    """What Twilio said when it accepted a message."""

    sid: str
    num_segments: int | None  # 0 via a Messaging Service until Twilio picks a sender
    status: str | None


class TwilioChannel:
    """Sends SMS through Twilio; safe to share across threads (one SDK client per thread)."""

    can_reconcile: bool = True  # lists the recipient's recent messages (see _accepted_earlier)

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        api_base: str = TWILIO_API_BASE,
        status_callback_url: str | None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio needs an account SID and an auth token")
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio needs a from number or a messaging service SID")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid
        self._api_base = api_base.rstrip("/")
        self._status_callback_url = status_callback_url
        self._timeout = timeout
        self._local = threading.local()
        # urllib3 logs request URLs at DEBUG, and the reconcile lookup's URL names the recipient.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)
        # Weak, so a finished thread's client (held by its thread-local) can be collected.
        self._http_clients: weakref.WeakSet[RoutedHttpClient] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioChannel:
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_base=settings.twilio_api_base,
            status_callback_url=settings.public_base_url + "/webhooks/twilio/status",
            timeout=settings.twilio_timeout_seconds,
        )

    def _client(self) -> tuple[Any, RoutedHttpClient]:
        # requests.Session is not documented as thread-safe (psf/requests#2766) and
        # TwilioHttpClient writes per-call state on itself, so each thread gets its own.
        state: tuple[Any, RoutedHttpClient] | None = getattr(self._local, "state", None)
        if state is None:
            http = RoutedHttpClient(api_base=self._api_base, timeout=self._timeout)
            client = Client(
                self._account_sid,
                self._auth_token,
                http_client=http,
                environment=_NO_ENVIRONMENT,
            )
            with self._lock:
                if self._closed:  # lost a race with close(): don't leak a fresh session
                    raise _closed_error()
                self._http_clients.add(http)
            state = self._local.state = (client, http)
        return state

    def send(self, message: OutgoingMessage) -> str:
        """Send one SMS and return Twilio's message SID, or raise DeliveryError."""
        return self.submit(message).sid

    def submit(self, message: OutgoingMessage) -> SmsReceipt:
        """Like `send`, but also returns Twilio's segment count and initial status."""
        if message.medium != Medium.SMS:
            raise DeliveryError("Twilio channel only sends SMS", kind=ErrorKind.PERMANENT)
        if self._closed:
            raise _closed_error()
        client, http = self._client()
        kwargs: dict[str, str] = {"to": message.to, "body": message.text}
        if self._messaging_service_sid:  # the service picks a sender from its pool
            kwargs["messaging_service_sid"] = self._messaging_service_sid
        else:
            kwargs["from_"] = self._from_number
        if self._status_callback_url and message.track_delivery:
            kwargs["status_callback"] = self._status_callback_url
        to = mask_phone(message.to)
        if message.previous_error_code in RECONCILE_AFTER:
            earlier = _accepted_earlier(client, message)
            if earlier is not None:
                return earlier
        # `from None` everywhere: the SDK's exception text quotes the recipient's number, and
        # a chained cause would put it back into any logged traceback.
        try:
            created = client.messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise self._api_error(exc, to, http.last_headers()) from None
        except requests.RequestException as exc:
            raise _network_error(_network_code(exc), to) from None
        except TwilioException as exc:
            cause = exc.__cause__
            code = _network_code(cause) if isinstance(cause, Exception) else "connection"
            raise _network_error(code, to) from None
        except ValueError:  # a 2xx whose body is not JSON
            raise _network_error("bad_response", to) from None
        sid = getattr(created, "sid", None)
        if not sid:
            raise _network_error("bad_response", to)
        return SmsReceipt(str(sid), _to_int(created.num_segments), created.status)

    def _api_error(
        self, exc: TwilioException, to: str, headers: Mapping[str, str]
    ) -> DeliveryError:
        status = int(getattr(exc, "status", 0) or 0)
        raw_code = getattr(exc, "code", None)
        code = int(raw_code) if isinstance(raw_code, int | str) and str(raw_code).isdigit() else 0
        detail = getattr(exc, "msg", None) or getattr(exc, "title", "") or ""
        text = f"Twilio HTTP {status} code {code or '-'} sending to {to}: " + _scrub(
            str(detail), self._auth_token
        )
        code_text = str(code) if code else f"http_{status}"
        if code in OPTED_OUT_CODES:
            return DeliveryError(text, kind=ErrorKind.OPTED_OUT, code=code_text)
        if status == 429 or code in RATE_LIMIT_CODES:
            retry_after = parse_retry_after(headers.get("Retry-After"))
            return DeliveryError(
                text, kind=ErrorKind.TRANSIENT, code=code_text, retry_after=retry_after
            )
        if status == 401:
            # Bad credentials are the channel's fault, not this message's: failing every
            # queued message for good during a token rotation would be worse than waiting.
            return DeliveryError(text, kind=ErrorKind.UNAVAILABLE, code=code_text)
        if code in PERMANENT_CODES or 400 <= status < 500:
            return DeliveryError(text, kind=ErrorKind.PERMANENT, code=code_text)
        return DeliveryError(text, kind=ErrorKind.TRANSIENT, code=code_text)

    def close(self) -> None:
        """Close every thread's HTTP session; later sends fail as UNAVAILABLE 'closed'."""
        with self._lock:
            self._closed = True
            clients = list(self._http_clients)
            self._http_clients.clear()
        for http in clients:
            http.close()


def _closed_error() -> DeliveryError:
    return DeliveryError("Twilio channel is closed", kind=ErrorKind.UNAVAILABLE, code="closed")


def _network_code(exc: Exception) -> str:
    # A read timeout means the request went out: Twilio may have accepted it (see READ_TIMEOUT).
    if isinstance(exc, requests.ReadTimeout):
        return READ_TIMEOUT
    return "timeout" if isinstance(exc, requests.Timeout) else "connection"


def _accepted_earlier(client: Any, message: OutgoingMessage) -> SmsReceipt | None:
    """The message Twilio took from an attempt that timed out, if it did take one."""
    try:
        recent = client.messages.list(to=message.to, limit=20)
    except (TwilioException, requests.RequestException, ValueError):
        # Unknown: sending again risks a duplicate, not sending risks losing care advice;
        # the duplicate is the lesser harm.
        return None
    cutoff = datetime.now(UTC) - RECONCILE_WINDOW
    for earlier in recent:
        created = getattr(earlier, "date_created", None)
        if (
            earlier.body == message.text
            and earlier.status not in _GONE_WRONG
            and (created is None or created >= cutoff)
        ):
            logger.info(
                "outbox #%s: the earlier attempt (%s) had reached Twilio",
                message.outbox_id,
                message.previous_error_code,
            )
            return SmsReceipt(str(earlier.sid), _to_int(earlier.num_segments), earlier.status)
    return None


def _network_error(code: str, to: str) -> DeliveryError:
    return DeliveryError(f"Twilio {code} sending to {to}", kind=ErrorKind.TRANSIENT, code=code)


def _to_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
