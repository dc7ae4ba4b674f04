"""Signed, URL-safe opt-out tokens (`<patient id>.<HMAC>`) for one-click unsubscribe links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# Domain separation: a MAC made with the same SECRET_KEY for another purpose never verifies here.
_PURPOSE = b"aftercare/unsubscribe/v1:"
_MAC_BYTES = 16  # 128 bits: unforgeable in practice, and the token stays short (~25 chars)
_TOKEN = re.compile(r"(0|[1-9][0-9]{0,18})\.([A-Za-z0-9_-]{22})")


def _mac(secret: str, patient_text: str) -> str:
    if not secret:
        raise ValueError("an empty secret would make opt-out links forgeable")
    digest = hmac.new(secret.encode(), _PURPOSE + patient_text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode("ascii")


def make_token(secret: str, patient_id: int) -> str:
    """Token naming `patient_id`, signed with `secret`; safe in a URL path."""
    if isinstance(patient_id, bool) or not 0 <= patient_id < 10**19:
        raise ValueError(f"patient id out of range: {patient_id!r}")
    text = str(patient_id)
    return f"{text}.{_mac(secret, text)}"


def read_token(secret: str, token: str) -> int | None:
    """The patient id in a genuine token; None if it is malformed, tampered or signed elsewhere."""
    # The strict shape (canonical digits, exact MAC length) means one id has exactly one token.
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        return None
    text, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(secret, text)):
        return None
    return int(text)


def unsubscribe_url(base_url: str, secret: str, patient_id: int) -> str:
    """The one-click opt-out URL placed in List-Unsubscribe and the email footer."""
    return f"{base_url.rstrip('/')}/unsubscribe/{make_token(secret, patient_id)}"
