"""Patient data out of log text: phone numbers and emails masked, message bodies dropped."""

from __future__ import annotations

import re
from typing import Any

from scheduler.contacts import mask_email, mask_phone

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# North American numbers in the shapes staff type (613-555-0124, (613) 555-0124, +1 613.555.0124)
# and any E.164 number. The look-arounds keep digits inside ids (Twilio SIDs, UUIDs) untouched;
# NANP area codes and exchanges never start with 0 or 1, which spares epoch seconds and counters.
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+?1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-]?)[2-9]\d{2}[\s.-]?\d{4}"
    r"|\+[1-9]\d{6,14}"
    r")(?!\w)"
)
# A form-encoded Twilio payload (Body=...) logged by a library or in an error message.
_FORM_BODY = re.compile(r"\b(Body|Text|Html)=[^&\s]*", re.IGNORECASE)
# Extra fields that would carry what a patient wrote or was sent; their values are never logged.
BODY_FIELDS = frozenset({"body", "text", "html", "message_body", "sms_text", "email_text"})


def mask_text(text: str) -> str:
    """`text` with every email address and phone number masked, and form bodies dropped."""
    text = _FORM_BODY.sub(lambda m: f"{m.group(1)}=<redacted>", text)
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def redact_field(name: str, value: Any) -> Any:
    """A log record's extra field as it may be written: bodies replaced, contacts masked."""
    if name.lower() in BODY_FIELDS:
        return f"<{len(str(value))} chars redacted>"
    return mask_text(value) if isinstance(value, str) else value
