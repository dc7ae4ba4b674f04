"""The one small interface every channel implements, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from models.vocabulary import Medium


@dataclass(frozen=True)
class OutgoingMessage:
    """A fully rendered message, ready for a channel; it carries no database state."""

    outbox_id: int
    medium: Medium
    to: str  # E.164 phone for sms, address for email
    text: str  # the SMS body, or the plain-text part of an email
    subject: str | None = None
    html: str | None = None
    unsubscribe_url: str | None = None  # one-click HTTPS opt-out link (email)
    # The channel's own error code from this message's last failed attempt: lets a channel
    # check whether an attempt that timed out after sending did reach the provider.
    # ErrorCode.INTERRUPTED
    # says a process died during the previous attempt.
    previous_error_code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Outbox messages want delivery reports; an alert page has no outbox row to report on.
    track_delivery: bool = True


class ErrorKind(StrEnum):
    TRANSIENT = "transient"  # try again later (rate limit, 5xx, timeout, connection)
    PERMANENT = "permanent"  # never retry (invalid recipient, rejected content)
    OPTED_OUT = "opted_out"  # the recipient unsubscribed at the carrier/provider
    # The channel itself cannot send (credentials, TLS, relay setup): no fault of this message,
    # so it waits without spending its attempts; its expiry still bounds the wait.
    UNAVAILABLE = "unavailable"


class DeliveryError(Exception):
    """Raised by `Channel.send`; says whether the failure is worth retrying."""

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.kind in (ErrorKind.PERMANENT, ErrorKind.OPTED_OUT)


class Channel(Protocol):
    """Sends one message and returns the provider's id for it, or raises DeliveryError."""

    # True when `send` first looks up, at the provider, a message whose previous attempt was
    # interrupted and returns that one instead of sending it twice.
    can_reconcile: bool

    def send(self, message: OutgoingMessage) -> str: ...

    def close(self) -> None: ...
