"""Names and clinic names made GSM-7 for SMS, so that one `ç` cannot make a text cost UCS-2.

GSM 03.38 already has é è ù ì ò à Ç É Ä Ö Ñ Ü ä ö ñ ü (segments.py): those stay as typed.
Everything else is spelled with the nearest GSM-7 letters: accents dropped (ç→c, î→i, ë→e,
ô→o), typographic quotes and dashes made plain, ligatures spelled out (œ→oe).
"""

from __future__ import annotations

import unicodedata

from scheduler.outbound.segments import GSM7_BASIC, GSM7_EXTENSION

# What Unicode decomposition cannot find: punctuation from word processors, letters that are
# not an accented form of a Latin letter, and the spaces a copy-paste brings along.
_SPELLED: dict[str, str] = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u02bc": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "œ": "oe",
    "Œ": "OE",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",  # noqa: RUF001 (the dotless i of Turkish names is the point)
}


def _gsm(ch: str) -> bool:
    return ch in GSM7_BASIC or ch in GSM7_EXTENSION


def _spell(ch: str) -> str:
    """One character as GSM-7 text: itself, a spelling, its base letters, or nothing."""
    if _gsm(ch):
        return ch
    if ch in _SPELLED:
        return _SPELLED[ch]
    # NFKD splits "î" into "i" and a combining circumflex, "ﬁ" into "fi": keep what GSM-7 has.
    return "".join(part for part in unicodedata.normalize("NFKD", ch) if _gsm(part))


def to_gsm7(text: str) -> str:
    """`text` with every character GSM-7 can send; 'François' → 'Francois', 'Zoë' → 'Zoe'.

    A text whose letters have no Latin form at all (a name in Chinese or Arabic script) is
    returned as written: dropping it would leave "Hi ," and the clinic would not know why.
    """
    # Composed first, so that an "e" followed by a combining acute is the GSM-7 "é".
    composed = unicodedata.normalize("NFC", text)
    spelled = "".join(_spell(ch) for ch in composed)
    if any(ch.isalnum() for ch in composed) and not any(ch.isalnum() for ch in spelled):
        return text
    return spelled


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` has a GSM-7 code."""
    return all(_gsm(ch) for ch in text)


def non_gsm7(text: str) -> list[str]:
    """The distinct characters of `text` that force UCS-2, in order of appearance."""
    return list(dict.fromkeys(ch for ch in text if not _gsm(ch)))
