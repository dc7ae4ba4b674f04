"""Header values built from outside text (a reply's Subject and Message-ID), never copied (pure).

Python's email package decodes RFC 2047 encoded-words again when a header is set from a string,
and before 3.13 it folds a decoded CR/LF out as a new header line: an inbound subject carrying
`=?utf-8?q?x=0D=0ABcc:…?=` (double-encoded) became a `Bcc:` line in our answer. So outside text
loses its control characters and every `=?` before it reaches a header.
"""

from __future__ import annotations

import re

MAX_SUBJECT_CHARS = 120
MAX_MSG_ID_CHARS = 250  # RFC 5322 lines stay under 998 characters; ids in the wild are < 100

# C0 and C1 controls, DEL, and what Python's str.splitlines() also takes for a line break.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
# "Re:", "RE :", "Réf. :", "TR:", "Fwd:" … repeated: the answer puts back exactly one "Re: ".
_REPLY_PREFIX = re.compile(r"^\s*((re|ré|réf|tr|fw|fwd|aw|sv)\.?\s*(\[\d+\])?\s*:\s*)+", re.I)
# RFC 5322 msg-id without CFWS or obsolete forms: dot-atom-text "@" (dot-atom-text / literal).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_MSG_ID = re.compile(rf"{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[!-Z^-~]*\])")

# An address we write to: plain ASCII atoms and a host name (what registration accepts).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_DOT_ATOM}@{_LABEL}(?:\.{_LABEL})+")
MAX_ADDRESS_CHARS = 254

# The subject of an answer whose inbound subject had nothing usable left.
FALLBACK_SUBJECTS = {"en": "Re: your message to {clinic}", "fr": "Re : votre message à {clinic}"}


def has_control(value: str) -> bool:
    """A CR, LF or other control character: never inside a header value we build."""
    return _CONTROL.search(value) is not None


def header_text(value: str, *, max_chars: int = MAX_SUBJECT_CHARS) -> str:
    """`value` safe as an unstructured header: one line, no control characters, no `=?`."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()
    # Each `=?` loses its `?`: an encoded-word can then never form, whatever the rest says.
    while "=?" in text:
        text = text.replace("=?", "=")
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def reply_subject(inbound_subject: str, *, language: str, clinic_name: str) -> str:
    """ "Re: " and the sanitised inbound subject, or a fixed subject in the patient's language."""
    topic = header_text(_REPLY_PREFIX.sub("", header_text(inbound_subject, max_chars=1000)))
    if topic:
        return f"Re: {topic}"
    template = FALLBACK_SUBJECTS.get(language, FALLBACK_SUBJECTS["en"])
    return template.format(clinic=header_text(clinic_name, max_chars=80))


def msg_id(value: str | None) -> str | None:
    """`<id>` when `value` (angle brackets or not) is a valid RFC 5322 msg-id, else None."""
    if value is None:
        return None
    bare = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    if len(bare) > MAX_MSG_ID_CHARS or not _MSG_ID.fullmatch(bare) or "=?" in bare:
        return None
    return f"<{bare}>"


def plain_address(value: str) -> str | None:
    """`value` when it is a plain `local@host.domain` address safe in a To header, else None."""
    if len(value) > MAX_ADDRESS_CHARS or "=?" in value or not _ADDRESS.fullmatch(value):
        return None
    return value


def threading_headers(inbound_message_id: str | None) -> dict[str, str]:
    """In-Reply-To and References for an answer; none when the inbound id is not a valid msg-id."""
    wrapped = msg_id(inbound_message_id)
    return {"In-Reply-To": wrapped, "References": wrapped} if wrapped else {}
