"""Count the SMS segments a text costs: GSM 03.38 7-bit when it fits, otherwise UCS-2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet in code-point order 0x00-0x7F, with 0x1B (the escape to the
# extension table) left out because it is not a character a text can contain.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"
    "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# Default extension table: each of these is sent as ESC + code, so it costs two septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

SINGLE_GSM7 = 160
MULTI_GSM7 = 153  # 7 septets of each part go to the concatenation header
SINGLE_UCS2 = 70
MULTI_UCS2 = 67  # 3 UTF-16 units of each part go to the concatenation header

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentInfo:
    """How a text is encoded, how many septets / UTF-16 units it takes, and its segments."""

    encoding: Encoding
    units: int
    segments: int


def _costs(text: str) -> tuple[Encoding, list[int]]:
    """The encoding the text needs and the unit cost of each of its characters."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    # Characters outside the Basic Multilingual Plane (emoji) are a UTF-16 surrogate pair.
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], per_segment: int) -> int:
    """Segments needed when no character's units may straddle two segments."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments += 1
            used = 0
        used += cost
    return segments


def count_segments(text: str) -> SegmentInfo:
    """Encoding, units and segments of `text`; empty text is 0 units but 1 (billed) segment.

    Multipart packing never splits an extension escape pair or an emoji's surrogate pair."""
    encoding, costs = _costs(text)
    units = sum(costs)
    single, multi = (SINGLE_GSM7, MULTI_GSM7) if encoding == "GSM-7" else (SINGLE_UCS2, MULTI_UCS2)
    segments = 1 if units <= single else _pack(costs, multi)
    return SegmentInfo(encoding=encoding, units=units, segments=segments)
