"""Keep an SMS within its segment limit by leaving out whole sentences (pure).

Start-up checks hold every template to the limit with a sample patient; this is the guard for
what they cannot see (a very long clinic name, a name that stays UCS-2). Never cut: the first
sentence (who is writing), the last sentence of the advice (how to reach the clinic), and the
check-in that ends every message (the 1/2/3 answers and STOP).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scheduler.outbound.segments import SegmentInfo, count_segments

# A sentence ends with "." or "!" and a space. "?" does not end one: "Questions? Reply or call
# 613-555-0100." stays together, so the number never loses its question or the other way.
_SENTENCE_END = re.compile(r"(?<=[.!])\s+")


@dataclass(frozen=True)
class FittedSms:
    text: str
    segments: SegmentInfo
    dropped: tuple[str, ...] = ()  # the sentences left out, in text order

    @property
    def trimmed(self) -> bool:
        return bool(self.dropped)


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def fit_sms(text: str, checkin: str | None, limit: int) -> FittedSms:
    """`text` as is when it fits `limit` segments; otherwise without its middle sentences,
    the last first, until it fits (or none is left to drop: then the shortest it can be)."""
    info = count_segments(text)
    if info.segments <= limit:
        return FittedSms(text, info)
    tail = checkin if checkin and text.endswith(checkin) else ""
    body = sentences(text[: len(text) - len(tail)])
    if len(body) < 3:
        return FittedSms(text, info)
    first, middle, last = body[0], body[1:-1], body[-1]
    dropped: list[str] = []
    while middle:
        dropped.insert(0, middle.pop())
        candidate = " ".join([first, *middle, last, tail]).strip()
        info = count_segments(candidate)
        if info.segments <= limit:
            break
    return FittedSms(candidate, info, tuple(dropped))
