"""SMTP email channel: one multipart/alternative message per send, over a short-lived connection."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
import time
from datetime import UTC, datetime
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING, Literal

from scheduler.channels.base import DeliveryError, ErrorKind, OutgoingMessage
from scheduler.channels.email_headers import has_control, header_text, msg_id
from scheduler.contacts import mask_email as mask_address

if TYPE_CHECKING:
    from scheduler.settings import Settings

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "ssl"]

# Headers the channel owns: letting `message.headers` replace them would break threading
# (Message-ID is the provider id) or silently add recipients (Cc/Bcc).
_RESERVED = frozenset(
    {"from", "to", "cc", "bcc", "sender", "subject", "date", "message-id", "mime-version"}
)
_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,76}")
_MSG_ID_LISTS = frozenset({"in-reply-to", "references"})
MAX_HEADER_CHARS = 900  # one header field stays under SMTP's 998-character line limit
_URI = re.compile(r"[!-~]+")  # printable ASCII, no spaces: safe inside <...> unfolded


class _UnfoldedListHeader(UnstructuredHeader, BaseHeader):
    """List-Unsubscribe must stay literal URIs; the stock folder RFC 2047-encodes long URLs."""

    def fold(self, *, policy: Policy) -> str:
        # Break only between <uri>s so each stays whole (lines stay far below the 998 limit).
        items = re.split(r"(?<=>)\s*,\s*", str(self).strip())
        return f"{self.name}: " + f",{policy.linesep} ".join(items) + policy.linesep


_REGISTRY = HeaderRegistry()
_REGISTRY.map_to_type("list-unsubscribe", _UnfoldedListHeader)
# 7-bit transfer encodings (quoted-printable/base64) so French text survives relays that do
# not announce 8BITMIME; CRLF line endings as SMTP requires.
_POLICY = SMTP.clone(cte_type="7bit", header_factory=_REGISTRY)


class SmtpChannel:
    """Sends email through an SMTP relay; a fresh connection per send, so it is thread-safe."""

    can_reconcile: bool = False  # SMTP has no way to ask a relay what it already accepted

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        security: Security,
        timeout: float,
        email_from: str,
        unsubscribe_mailto: str = "",
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        auth_cooldown: float = 60.0,
    ) -> None:
        from_addr = parseaddr(email_from)[1]
        if not _ADDRESS.fullmatch(from_addr):
            raise ValueError(f"EMAIL_FROM has no usable address: {email_from!r}")
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security mode {security!r}")
        if username and security == "none":
            log.warning("SMTP credentials will be sent unencrypted (SMTP_SECURITY=none)")
        self._host, self._port, self._security, self._timeout = host, port, security, timeout
        self._username, self._password = username, password
        self._email_from, self._from_addr = email_from, from_addr
        self._domain = from_addr.rpartition("@")[2]
        mailto = unsubscribe_mailto.removeprefix("mailto:") or from_addr
        if not _URI.fullmatch(mailto) or ">" in mailto:
            raise ValueError(f"UNSUBSCRIBE_MAILTO is not a plain ASCII address: {mailto!r}")
        self._mailto = mailto if "?" in mailto else f"{mailto}?subject=unsubscribe"
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._local_hostname = local_hostname
        self._auth_cooldown = auth_cooldown
        self._lock = threading.Lock()  # guards only the auth circuit breaker below
        self._auth_blocked_until = 0.0
        self._auth_error = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpChannel:
        """Build the channel from the service settings."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            security=settings.smtp_security,
            timeout=settings.smtp_timeout_seconds,
            email_from=settings.email_from,
            unsubscribe_mailto=settings.unsubscribe_mailto,
        )

    def send(self, message: OutgoingMessage) -> str:
        """Deliver one message; returns its Message-ID without angle brackets."""
        email, recipient = self._build(message)
        masked = mask_address(recipient)
        with self._lock:
            blocked = self._auth_blocked_until - time.monotonic()
            auth_error = self._auth_error
        if blocked > 0:
            # Don't hammer the relay with a known-bad password: providers lock accounts.
            raise DeliveryError(
                auth_error, kind=ErrorKind.UNAVAILABLE, code="smtp-auth", retry_after=blocked
            )
        try:
            self._deliver(email, recipient)
        except OSError as exc:  # smtplib.SMTPException and ssl.SSLError are OSErrors
            error = self._classify(exc, recipient)
            log.warning("email for outbox #%s to %s failed: %s", message.outbox_id, masked, error)
            # `from None`: the smtplib exception carries the full address and server reply.
            raise error from None
        provider_id = str(email["Message-ID"]).strip("<>")
        log.info("email for outbox #%s sent to %s as %s", message.outbox_id, masked, provider_id)
        return provider_id

    def close(self) -> None:
        """Nothing to release: each send opens and closes its own connection."""
        return None

    def _build(self, message: OutgoingMessage) -> tuple[EmailMessage, str]:
        try:
            email = EmailMessage(policy=_POLICY)
            email["From"] = self._email_from
            email["To"] = message.to
            to = email["To"]
            if not isinstance(to, AddressHeader) or len(to.addresses) != 1:
                raise ValueError("exactly one recipient address is required")
            recipient = to.addresses[0].addr_spec
            if not _ADDRESS.fullmatch(recipient):
                raise ValueError("the recipient address is malformed")
            email["Subject"] = _safe_value("Subject", message.subject or "")
            email["Date"] = format_datetime(datetime.now(UTC))
            email["Message-ID"] = make_msgid(domain=self._domain)
            # RFC 3834: tells vacation responders not to answer (their replies would flood reply
            # triage); it does not stop a patient from replying by hand.
            email["Auto-Submitted"] = "auto-generated"
            email["X-Auto-Response-Suppress"] = "OOF, AutoReply"  # Exchange's equivalent
            if message.unsubscribe_url:
                if not _URI.fullmatch(message.unsubscribe_url) or ">" in message.unsubscribe_url:
                    raise ValueError("the unsubscribe URL must be printable ASCII")
                email["List-Unsubscribe"] = f"<mailto:{self._mailto}>, <{message.unsubscribe_url}>"
                if message.unsubscribe_url.startswith("https://"):  # RFC 8058 needs HTTPS
                    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            else:
                email["List-Unsubscribe"] = f"<mailto:{self._mailto}>"
            for name, value in message.headers.items():
                if name.lower() in _RESERVED:
                    raise ValueError(f"header {name!r} is set by the channel")
                del email[name]
                email[name] = _safe_value(name, value)
            email.set_content(message.text)
            if message.html:
                email.add_alternative(message.html, subtype="html")
                for part in email.iter_parts():
                    del part["MIME-Version"]  # add_alternative copies it into each part
        except ValueError as exc:  # CR/LF in a header, bad address: retrying cannot help
            raise DeliveryError(
                f"email for outbox #{message.outbox_id} cannot be built: {exc}",
                kind=ErrorKind.PERMANENT,
                code="invalid-message",
            ) from None
        return email, recipient

    def _deliver(self, email: EmailMessage, recipient: str) -> None:
        # The constructor connects (and closes itself on a bad greeting); it must get the host,
        # because STARTTLS/SSL verify the certificate against the constructor's host argument.
        client: smtplib.SMTP
        if self._security == "ssl":
            client = smtplib.SMTP_SSL(
                self._host,
                self._port,
                timeout=self._timeout,
                local_hostname=self._local_hostname,
                context=self._ssl_context,
            )
        else:
            client = smtplib.SMTP(
                self._host, self._port, timeout=self._timeout, local_hostname=self._local_hostname
            )
        # smtplib resolves our FQDN for EHLO on every connection (DNS, maybe slow): do it once.
        self._local_hostname = client.local_hostname
        polite = True
        try:
            if self._security == "starttls":
                client.starttls(context=self._ssl_context)  # raises if not offered: no downgrade
            if self._username:
                client.login(self._username, self._password)
            client.send_message(email, from_addr=self._from_addr, to_addrs=[recipient])
        except BaseException as exc:
            # After a reply error the session is healthy and QUIT is polite; after a network
            # error QUIT would only wait for another timeout.
            polite = isinstance(exc, smtplib.SMTPResponseException)
            raise
        finally:
            _hang_up(client, polite)

    def _classify(self, exc: OSError, recipient: str) -> DeliveryError:
        where = f"{self._host}:{self._port}"
        reply: bytes | str
        if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
            code, reply = next(iter(exc.recipients.values()))
        elif isinstance(exc, smtplib.SMTPResponseException):
            code, reply = exc.smtp_code, exc.smtp_error
        elif isinstance(exc, ssl.SSLCertVerificationError):
            text = f"TLS certificate of {where} rejected: {exc.verify_message}"
            return self._config_error(text, "smtp-tls")
        elif isinstance(exc, smtplib.SMTPNotSupportedError):  # STARTTLS or AUTH not offered
            text = f"SMTP relay {where}: {self._scrub(str(exc), recipient)}"
            return self._config_error(text, "smtp-config")
        else:  # refused, reset, timed out, disconnected, TLS handshake failure
            code_name = "smtp-timeout" if isinstance(exc, TimeoutError) else "smtp-connection"
            text = f"SMTP connection to {where} failed: {type(exc).__name__}"
            if exc.strerror:
                text = f"{text}: {exc.strerror}"
            return DeliveryError(text, kind=ErrorKind.TRANSIENT, code=code_name)
        reply_text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = f"SMTP {code} from {where}: {self._scrub(reply_text, recipient)}"
        if isinstance(exc, smtplib.SMTPAuthenticationError) or code == 530:
            return self._config_error(f"{text} (check SMTP_USERNAME/SMTP_PASSWORD)", "smtp-auth")
        if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
            # A greeting/HELO refusal concerns this client, not the message: try again later.
            return DeliveryError(text, kind=ErrorKind.TRANSIENT, code=f"smtp-{code}")
        kind = ErrorKind.PERMANENT if 500 <= code < 600 else ErrorKind.TRANSIENT
        return DeliveryError(text, kind=kind, code=f"smtp-{code}")

    def _config_error(self, text: str, code: str) -> DeliveryError:
        # The relay rejects *us*, not the patient: messages wait for the fix without spending
        # attempts, and it is logged as an error so someone notices. Auth failures also trip
        # the breaker in send().
        log.error("SMTP relay misconfigured: %s", text)
        if code != "smtp-auth":
            return DeliveryError(text, kind=ErrorKind.UNAVAILABLE, code=code)
        with self._lock:
            self._auth_blocked_until = time.monotonic() + self._auth_cooldown
            self._auth_error = text
        return DeliveryError(
            text, kind=ErrorKind.UNAVAILABLE, code="smtp-auth", retry_after=self._auth_cooldown
        )

    def _scrub(self, text: str, recipient: str) -> str:
        # Relays echo the recipient ("<marie@x>: unknown user"); never let it or the password out.
        text = re.sub(re.escape(recipient), mask_address(recipient), text, flags=re.IGNORECASE)
        if self._password:
            text = text.replace(self._password, "***")
        return " ".join(text.split())[:300]


def _safe_value(name: str, value: str) -> str:
    """A header value rebuilt: msg-id lists must be valid ids, the rest one line without `=?`
    (the email package would decode an encoded-word in it again, CR/LF included)."""
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"header name {name!r} is not a plain field name")
    if has_control(value):
        raise ValueError(f"{name} must be one line without control characters")
    if name.lower() in _MSG_ID_LISTS:
        ids = [msg_id(item) for item in value.split()]
        if not ids or None in ids:
            raise ValueError(f"{name} must be a list of valid <msg-id>s")
        return " ".join(str(item) for item in ids)
    return header_text(value, max_chars=MAX_HEADER_CHARS)


def _hang_up(client: smtplib.SMTP, polite: bool) -> None:
    # A failing QUIT after a 250 for DATA must not turn a delivered message into a retry.
    try:
        if polite:
            client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
