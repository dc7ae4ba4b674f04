"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests: TLS, AUTH and scriptable faults."""

from __future__ import annotations

import email.policy
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Mode = Literal["plain", "starttls", "ssl"]
Fault = Literal["rcpt-451", "rcpt-550", "data-451", "drop"]
FAULTS: tuple[Fault, ...] = ("rcpt-451", "rcpt-550", "data-451", "drop")


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; tiny race, fine for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def text_content(part: EmailMessage) -> str:
    """A decoded text part, with the wire's CRLF line ends turned back into newlines."""
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


@dataclass(frozen=True)
class TestCert:
    """A self-signed certificate for localhost/127.0.0.1, made with the openssl CLI."""

    __test__ = False  # not a pytest test class despite the name

    cert: Path
    key: Path

    @classmethod
    def create(cls, directory: Path) -> TestCert:
        cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
        # EC keys generate in milliseconds, unlike RSA; the IP SAN lets clients verify 127.0.0.1.
        subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        files = ["-keyout", str(key), "-out", str(cert)]
        command = ["openssl", "req", "-x509", "-nodes", "-days", "2", *curve, *subject, *files]
        subprocess.run(command, check=True, capture_output=True)
        return cls(cert=cert, key=key)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


@dataclass(frozen=True)
class Received:
    """One accepted message: envelope, raw bytes, parsed MIME, and how the session looked."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    tls: bool
    login: str | None


class _Handler:
    """aiosmtpd hooks; they run on the controller's event-loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # AUTH is enforced here, not with aiosmtpd's auth_required, which warns on every
        # connection when AUTH is allowed without STARTTLS (our plain and implicit-TLS modes).
        if self._sink.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        fault = self._sink.fault
        if fault == "rcpt-451":
            return "451 4.3.0 Mailbox temporarily unavailable, try later"
        if fault == "rcpt-550":
            # Echo the address like real relays do: the client must scrub it from its errors.
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self._sink.fault
        if fault == "data-451":
            return "451 4.3.0 Temporary local problem, try later"
        if fault == "drop":
            # Hang up after the whole message arrived but before replying: the ambiguous case.
            if server.transport is not None:
                server.transport.close()
            return "421 4.4.2 closing"
        raw = bytes(envelope.original_content or b"")
        transport = server.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        self._sink._add(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw, parsed, tls, login)
        )
        return "250 2.0.0 OK queued"


class SmtpSink:
    """Context manager running aiosmtpd on 127.0.0.1:<free port>; `received` lists messages."""

    def __init__(
        self,
        *,
        mode: Mode = "plain",
        cert: TestCert | None = None,
        username: str | None = None,
        password: str | None = None,
        fault: Fault | None = None,
    ) -> None:
        if mode != "plain" and cert is None:
            raise ValueError(f"mode {mode!r} needs a TestCert")
        self.host = "127.0.0.1"
        self.port = free_port()
        self.mode = mode
        self.fault = fault  # may be changed between sends; read on the server thread
        self._username, self._password = username, password
        self.auth_required = username is not None
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._running = False
        kwargs: dict[str, Any] = {"server_hostname": "localhost", "ready_timeout": 5.0}
        if mode == "ssl":
            assert cert is not None
            kwargs["ssl_context"] = cert.server_context()
        elif mode == "starttls":
            assert cert is not None
            kwargs.update(tls_context=cert.server_context(), require_starttls=True)
        if username is not None:
            # aiosmtpd only sees STARTTLS as "TLS", so implicit TLS and plain mode must opt out
            # of its AUTH-needs-TLS rule (plain mode is a deliberate, local-only test setup).
            kwargs.update(authenticator=self._authenticate, auth_require_tls=mode == "starttls")
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self._username
            and data.password.decode() == self._password
        )
        # handled=False: let aiosmtpd send the 535 (handled=True would send nothing at all).
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _add(self, item: Received) -> None:
        with self._lock:
            self._received.append(item)

    @property
    def received(self) -> list[Received]:
        """A snapshot of the messages accepted so far, oldest first."""
        with self._lock:
            return list(self._received)

    def only_message(self) -> EmailMessage:
        """The one message received; fails if there were none or several."""
        received = self.received
        assert len(received) == 1, f"expected one message, got {len(received)}"
        return received[0].message

    def start(self) -> SmtpSink:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop listening (idempotent, so a test may stop the sink early to simulate an outage)."""
        if self._running:
            self._running = False
            self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
