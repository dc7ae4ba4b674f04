"""Text from outside as both databases can store it: no NUL or control characters, bounded (pure).

PostgreSQL refuses NUL in text and enforces VARCHAR lengths that SQLite ignores; a lone UTF-16
surrogate (JSON allows "\\ud800") cannot be encoded for either. What staff type is refused with
the field named (`control_character_problem`); what patients send is cleaned, never refused,
because every reply must reach a human (`clean_body`, `clean_line`).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and lone surrogates.
_BODY_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# The same plus tab, newline and the Unicode line breaks: a one-line field has no line breaks.
_LINE_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def clean_body(text: str, *, max_chars: int) -> str:
    """A multi-line text (a reply's body): CR/LF made LF, other controls dropped, then cut."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_JUNK.sub("", text)[:max_chars]


def clean_line(text: str, *, max_chars: int) -> str:
    """A one-line value (an address, an id): controls dropped, spaces trimmed, then cut."""
    return _LINE_JUNK.sub("", text).strip()[:max_chars]


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` cannot be stored as typed (a NUL, a control character), or None."""
    junk = _BODY_JUNK if multiline else _LINE_JUNK
    found = junk.search(text)
    if found is None:
        return None
    char = found.group(0)
    if char == "\x00":
        return "must not contain NUL characters"
    if "\ud800" <= char <= "\udfff":
        return "must be valid Unicode text"
    return "must not contain control characters" + ("" if multiline else " or line breaks")
