"""Collect patients' email replies from the clinic mailbox over IMAP, each handled once.

A mail is marked processed with the keyword `$AftercareDone` (+ `\\Seen`) only after `handle`
returned. A keyword, not `\\Flagged`: staff star mails in their own client, and a star must
neither hide a reply from us nor be cleared or set by us. Servers that refuse new keywords
(Microsoft Exchange) get `\\Flagged` instead, with a warning. Nothing is ever deleted or
expunged, and CLOSE (which expunges) is never sent. Only mails that arrived within
IMAP_LOOKBACK_DAYS are read, so a first start does not answer the inbox's old mail.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import socket
import ssl
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from scheduler.contacts import mask_address
from scheduler.inbound.email_parsing import (
    IncomingEmail,
    UnreadableEmail,
    is_automatic,
    parse_message,
    to_incoming,
)

if TYPE_CHECKING:
    from scheduler.settings import Settings

__all__ = ["IncomingEmail", "MailboxError", "PollReport", "encode_folder", "poll_mailbox"]

log = logging.getLogger(__name__)

DONE_KEYWORD = "$AftercareDone"
# Set on mails we could not read, so each is logged once and cannot crowd new mail out of the
# bounded batch; they stay unprocessed (unread) for staff, and are retried when time allows.
UNREADABLE_KEYWORD = "$AftercareUnreadable"
MAX_PER_POLL = 200
# A mail is fetched up to this many bytes plus room for photos (mail_byte_limit): the headers
# and the typed text fit with room to spare; bytes past the limit are never read (nor parsed).
MAX_MAIL_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 30.0
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MailboxError(Exception):
    """The mailbox cannot be reached or used; the message tells an operator what to check."""


@dataclass(frozen=True)
class PollReport:
    """What one poll did; `pending` mails were left for the next poll by the batch limit."""

    seen: int = 0
    handled: int = 0
    skipped: int = 0  # auto-replies and bounces, marked processed without `handle`
    failed: int = 0  # `handle` raised: left unprocessed, retried next poll
    unreadable: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Marks:
    """The flag that means processed, and the keyword for unreadable mails (None: refused)."""

    done: str
    unreadable: str | None


def poll_mailbox(
    settings: Settings,
    handle: Callable[[IncomingEmail], None],
    *,
    now: datetime,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = TIMEOUT_SECONDS,
    limit: int = MAX_PER_POLL,
) -> PollReport:
    """One poll: hand each unprocessed mail (oldest first, at most `limit`) to `handle`."""
    where = f"{settings.imap_host}:{settings.imap_port}"
    password = settings.imap_password.get_secret_value()
    client = _connect(settings, ssl_context or ssl.create_default_context(), timeout)
    try:
        marks = _select(client, settings.imap_folder, where)
        since = imap_date(now - timedelta(days=settings.imap_lookback_days))
        batch, pending = _batch(client, marks, limit, since)
        counts = {"seen": 0, "handled": 0, "skipped": 0, "failed": 0, "unreadable": 0}
        for uid, known_unreadable in batch:
            raw = _fetch(client, uid, limit=mail_byte_limit(settings.media_max_bytes))
            if raw is None:  # expunged by someone else since the search
                continue
            counts["seen"] += 1
            outcome = _process(
                client,
                uid,
                raw,
                marks,
                known_unreadable,
                handle,
                now=now,
                authserv_id=settings.email_authserv_id,
            )
            counts[outcome] += 1
    except (imaplib.IMAP4.error, OSError) as exc:
        detail = _scrub(str(exc), password) or type(exc).__name__
        # `from None`: imaplib's exception chain may carry protocol lines.
        raise MailboxError(f"IMAP session with {where} failed: {detail}") from None
    finally:
        _logout(client)
    report = PollReport(**counts, pending=pending)
    if report.seen:
        log.info("mailbox %s: %s", settings.imap_folder, report)
    return report


def mail_byte_limit(media_max_bytes: int) -> int:
    """How much of one mail is read: the text, and two photos of MEDIA_MAX_BYTES in base64."""
    return MAX_MAIL_BYTES + 2 * (media_max_bytes * 4 // 3 + 4)


def encode_folder(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 'Réponses' -> 'R&AOk-ponses'."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            wide = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(wide).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _process(
    client: imaplib.IMAP4,
    uid: str,
    raw: bytes,
    marks: Marks,
    known_unreadable: bool,
    handle: Callable[[IncomingEmail], None],
    *,
    now: datetime,
    authserv_id: str = "",
) -> str:
    try:
        message = parse_message(raw)
        automatic = is_automatic(message)
        incoming = (
            None if automatic else to_incoming(message, raw, now=now, authserv_id=authserv_id)
        )
    except Exception as exc:  # the email package raises assorted errors on hostile input
        reason = str(exc) if isinstance(exc, UnreadableEmail) else type(exc).__name__
        if known_unreadable:
            log.debug("mail uid %s still unreadable (%s)", uid, reason)
        else:
            log.warning("mail uid %s cannot be read (%s): left unprocessed for staff", uid, reason)
            if marks.unreadable is not None:
                _store(client, uid, f"({marks.unreadable})")
        return "unreadable"
    if incoming is None:
        _store(client, uid, f"({marks.done} \\Seen)")
        log.info("mail uid %s is an auto-reply or bounce: marked processed, not handled", uid)
        return "skipped"
    sender = mask_address(incoming.from_address)
    if len(raw) >= MAX_MAIL_BYTES:
        log.info("mail uid %s is %s bytes or more (attachments)", uid, MAX_MAIL_BYTES)
    try:
        handle(incoming)
    except Exception as exc:  # one bad mail must not stop the others; it is retried next poll
        detail = _scrub(str(exc), incoming.from_address, mask=sender)
        # Where it failed, without exception values: those may quote the patient's address.
        frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        name = type(exc).__name__
        log.error(
            "handling mail uid %s from %s failed: %s: %s\n%s", uid, sender, name, detail, frames
        )
        return "failed"
    # Only now: a crash between handle and this store means one more delivery, never a loss
    # (replies are stored once per Message-ID).
    _store(client, uid, f"({marks.done} \\Seen)")
    log.info("mail uid %s from %s handled", uid, sender)
    return "handled"


def _connect(settings: Settings, context: ssl.SSLContext, timeout: float) -> imaplib.IMAP4:
    host, port, security = settings.imap_host, settings.imap_port, settings.imap_security
    where = f"{host}:{port}"
    if not host:
        raise MailboxError("IMAP_HOST is not set: there is no mailbox to poll")
    password = settings.imap_password.get_secret_value()
    try:
        client = (
            imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
            if security == "ssl"
            else imaplib.IMAP4(host, port, timeout=timeout)
        )
    except OSError as exc:
        raise MailboxError(_connect_problem(exc, where, security, timeout)) from None
    except imaplib.IMAP4.error as exc:
        detail = _scrub(str(exc), password)
        raise MailboxError(f"{where} did not greet like an IMAP server: {detail}") from None
    try:
        if security == "starttls":
            if "STARTTLS" not in client.capabilities:  # never fall back to plain text
                raise MailboxError(
                    f"the IMAP server at {where} does not offer STARTTLS (IMAP_SECURITY=starttls);"
                    " use IMAP_SECURITY=ssl with port 993 if it supports implicit TLS"
                )
            client.starttls(ssl_context=context)
        elif security == "none" and password:
            log.warning("IMAP password sent unencrypted (IMAP_SECURITY=none)")
        _login(client, settings.imap_username, password, where)
    except MailboxError:
        _logout(client)
        raise
    except OSError as exc:
        _logout(client)
        raise MailboxError(_connect_problem(exc, where, security, timeout)) from None
    except imaplib.IMAP4.error as exc:
        _logout(client)
        detail = _scrub(str(exc), password)
        raise MailboxError(f"IMAP session with {where} failed before login: {detail}") from None
    return client


def _login(client: imaplib.IMAP4, username: str, password: str, where: str) -> None:
    try:
        if not password.isascii() and "AUTH=PLAIN" in client.capabilities:
            # LOGIN only carries ASCII; SASL PLAIN carries UTF-8 passwords.
            secret = f"\0{username}\0{password}".encode()
            client.authenticate("PLAIN", lambda _challenge: secret)
        else:
            client.login(username, password)
    except UnicodeEncodeError:
        raise MailboxError(
            f"the IMAP server at {where} accepts only ASCII passwords (no AUTH=PLAIN)"
        ) from None
    except imaplib.IMAP4.abort:
        raise  # connection lost: reported as such by the caller
    except imaplib.IMAP4.error as exc:
        detail = _scrub(str(exc), password)
        raise MailboxError(
            f"the IMAP server at {where} refused the login ({detail}):"
            " check IMAP_USERNAME and IMAP_PASSWORD"
        ) from None


def _select(client: imaplib.IMAP4, folder: str, where: str) -> Marks:
    try:
        status, data = client.select(_quote(encode_folder(folder)))
    except imaplib.IMAP4.readonly:
        raise MailboxError(f"folder {folder!r} on {where} is read-only (IMAP_FOLDER)") from None
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise MailboxError(
            f"cannot open folder {folder!r} on {where} (IMAP_FOLDER): {exc}"
        ) from None
    if status != "OK":
        detail = _text(data)
        raise MailboxError(f"cannot open folder {folder!r} on {where} (IMAP_FOLDER): {detail}")
    _, codes = client.response("PERMANENTFLAGS")
    # Not _text(): it shortens, and a folder may list many keywords before the final \\*.
    permanent = codes[0] if codes and isinstance(codes[0], bytes) else None
    marks = marks_for(permanent.decode("utf-8", "replace") if permanent is not None else None)
    if marks is None:
        raise MailboxError(f"folder {folder!r} on {where} does not let us mark mails processed")
    if marks.done == "\\Flagged":
        log.warning("IMAP server %s refuses new keywords: processed mails get \\Flagged", where)
    return marks


def marks_for(permanent_flags: str | None) -> Marks | None:
    """How to mark mails, from the folder's PERMANENTFLAGS; None if nothing can be stored."""
    if permanent_flags is None:  # RFC 3501: absent means every flag can be stored
        return Marks(done=DONE_KEYWORD, unreadable=UNREADABLE_KEYWORD)
    flags = {flag.lower() for flag in permanent_flags.strip("()").split()}
    can_create = "\\*" in flags
    if can_create or DONE_KEYWORD.lower() in flags:
        unreadable = can_create or UNREADABLE_KEYWORD.lower() in flags
        return Marks(done=DONE_KEYWORD, unreadable=UNREADABLE_KEYWORD if unreadable else None)
    if "\\flagged" in flags:
        return Marks(done="\\Flagged", unreadable=None)
    return None


def imap_date(moment: datetime) -> str:
    """A date as IMAP SEARCH wants it (RFC 3501 date: 24-Nov-2025), whatever the locale."""
    day = moment.astimezone(UTC).date()
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _batch(
    client: imaplib.IMAP4, marks: Marks, limit: int, since: str
) -> tuple[list[tuple[str, bool]], int]:
    """Unprocessed UIDs that arrived on or after `since`, oldest first, new before retries."""
    not_done = ["UNFLAGGED"] if marks.done == "\\Flagged" else ["UNKEYWORD", marks.done]
    not_done += ["SINCE", since]
    if marks.unreadable is None:
        fresh, retry = _search(client, *not_done), []
    else:
        fresh = _search(client, *not_done, "UNKEYWORD", marks.unreadable)
        retry = _search(client, *not_done, "KEYWORD", marks.unreadable)
    ordered = [(uid, False) for uid in fresh] + [(uid, True) for uid in retry]
    return ordered[:limit], max(0, len(ordered) - limit)


def _search(client: imaplib.IMAP4, *criteria: str) -> list[str]:
    status, data = client.uid("SEARCH", *criteria)
    if status != "OK":
        raise imaplib.IMAP4.error(f"SEARCH failed: {_text(data)}")
    uids = b" ".join(item for item in data if isinstance(item, bytes)).split()
    return [uid.decode() for uid in sorted(uids, key=int)]  # UIDs grow with arrival


def _fetch(client: imaplib.IMAP4, uid: str, *, limit: int) -> bytes | None:
    # One mail per FETCH, at most `limit` bytes of it: photos make mails large, and neither
    # memory nor parsing time may grow with what a sender chose to send.
    status, data = client.uid("FETCH", uid, f"(BODY.PEEK[]<0.{limit}>)")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH of uid {uid} failed: {_text(data)}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _store(client: imaplib.IMAP4, uid: str, flags: str) -> None:
    status, data = client.uid("STORE", uid, "+FLAGS.SILENT", flags)
    if status != "OK":
        raise imaplib.IMAP4.error(f"STORE on uid {uid} failed: {_text(data)}")


def _logout(client: imaplib.IMAP4) -> None:
    # LOGOUT, never CLOSE: CLOSE would expunge mails someone else marked \Deleted.
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError) as exc:
        log.debug("IMAP logout failed (the session is over either way): %s", type(exc).__name__)


def _connect_problem(exc: OSError, where: str, security: str, timeout: float) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message
        return f"the TLS certificate of the IMAP server at {where} is not trusted: {reason}"
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with the IMAP server at {where} failed ({exc.reason or exc}):"
            f" does IMAP_SECURITY={security} match the port (993 = ssl, 143 = starttls)?"
        )
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the IMAP host of {where} (IMAP_HOST): {exc.strerror}"
    if isinstance(exc, TimeoutError):
        return (
            f"the IMAP server at {where} did not answer within {timeout:g} s:"
            f" is it up, and does IMAP_SECURITY={security} match the port (993 = ssl)?"
        )
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to the IMAP server at {where}: connection refused (IMAP_HOST/PORT)"
    return f"cannot talk to the IMAP server at {where}: {exc.strerror or type(exc).__name__}"


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: Sequence[object]) -> str:
    parts = [
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in data
    ]
    return " ".join(" ".join(parts).split())[:300]


def _scrub(text: str, secret: str, *, mask: str = "***") -> str:
    if secret:
        text = re.sub(re.escape(secret), mask, text, flags=re.IGNORECASE)
    return " ".join(text.split())[:300]
