"""What a treatment kind adds to the general triage of a reply (pure).

Triage stays general (triage.py); a kind's file may list red flags ("skin turning white" after
filler) and expected effects ("a small lump" after filler). Applied after the general verdict:
a red flag makes the reply urgent, and never the other way round; an expected effect quietens
a concern to routine only when nothing else in the reply would still be a concern (the text is
classified again without it) and nothing says it is lasting, growing, painful or worrying.
An urgent general verdict is never quietened.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from models.vocabulary import TriageLevel
from scheduler.followups.kinds import TreatmentKind
from scheduler.inbound.triage import Triage

Classifier = Callable[[str], Triage]

# Words a phrase may end with in a reply: plurals, "-ed", "-ing", "-ish", French feminine and
# plural ("enflé" in the file matches "enflées"). Only these: "pus" must not match "push".
_ENDINGS = r"(?:s|es|d|ed|r|ing|ish|ness|y|e|ee|ees|x)?"
# A negation covers a sign that follows it closely in the same clause: "no fever", "pas de
# peau blanche", "isn't white" ("n't" becomes the word "t" once apostrophes are spaces).
_NEGATIONS = re.compile(
    r"(?<![a-z0-9])(?:no|not|never|nor|none|without|t|pas|aucun|aucune|sans|jamais|ni)(?![a-z0-9])"
)
NEGATION_REACH = 3  # words between the cue and the sign
# Where a negation stops: punctuation and the words that start another statement.
_BREAKS = re.compile(
    r"[.,;:!?()\n]|(?<![a-z0-9])(?:and|but|however|though|et|mais|cependant)(?![a-z0-9])"
)
# Said with an expected effect, these keep the reply a concern: it lasts, grows, hurts, worries.
_STILL_A_CONCERN = (
    "worse", "worsening", "worsen", "bigger", "growing", "grows", "spreading", "spread", "still",
    "persist", "not going", "won t go", "keeps", "more and more", "severe", "intense", "very",
    "a lot", "lots", "unbearable", "hot", "hard", "pain", "painful", "hurt", "worried", "worry",
    "worrying", "concerned", "scared", "afraid", "week",
    "pire", "empire", "aggrave", "augmente", "grossit", "grandit", "etend", "toujours", "encore",
    "persiste", "ne part pas", "tres", "beaucoup", "insupportable", "chaud", "chaude", "dur",
    "dure", "douleur", "douloureux", "douloureuse", "mal", "inquiet", "inquiete", "inquietude",
    "peur", "semaine",
)  # fmt: skip


def fold(text: str) -> str:
    """Lowercase ASCII words: accents dropped, œ spelled out, apostrophes and hyphens spaced."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"['\u2018\u2019\u02bc`\u00b4-]", " ", plain)
    return re.sub(r"[ \t]+", " ", plain)


def _pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({fold(p).strip() for p in phrases if fold(p).strip()}, key=len, reverse=True)
    if not words:
        return None
    body = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?<![a-z0-9])(?:{body}){_ENDINGS}(?![a-z0-9])")


_CONCERN_WORDS = _pattern(_STILL_A_CONCERN)


@dataclass(frozen=True)
class _Clauses:
    """Where the negation cues and clause breaks of one folded reply are."""

    cue_ends: list[int]
    cue_starts: list[int]
    breaks: list[int]
    text: str

    @classmethod
    def of(cls, text: str) -> _Clauses:
        cues = list(_NEGATIONS.finditer(text))
        return cls(
            [m.end() for m in cues],
            [m.start() for m in cues],
            [m.start() for m in _BREAKS.finditer(text)],
            text,
        )

    def negated(self, start: int, end: int) -> bool:
        """Whether the nearest cue before the span reaches it; a cue inside ("can't see") no."""
        index = bisect_right(self.cue_ends, start) - 1
        if index < 0:
            return False
        cue_end = self.cue_ends[index]
        if any(cue_end <= b < start for b in self.breaks):
            return False
        return len(self.text[cue_end:start].split()) <= NEGATION_REACH

    def found(self, pattern: re.Pattern[str] | None) -> list[re.Match[str]]:
        if pattern is None:
            return []
        return [m for m in pattern.finditer(self.text) if not self.negated(m.start(), m.end())]


def with_kind_signs(
    verdict: Triage, text: str, kind: TreatmentKind | None, reclassify: Classifier
) -> Triage:
    """The general verdict with the kind's red flags and expected effects taken into account."""
    if kind is None or verdict.keyword is not None:
        return verdict  # no kind known, or STOP/START/HELP: nothing to add
    louder = _louder(verdict, text, kind)
    if louder.level == TriageLevel.URGENT or verdict.level != TriageLevel.CONCERN:
        return louder
    return _quieter(verdict, text, kind, reclassify)


def _short(kind: TreatmentKind) -> str:
    """'dermal filler': how a reason names the kind, short enough for a page."""
    return kind.name.replace("_", " ").replace("-", " ")


def _louder(verdict: Triage, text: str, kind: TreatmentKind) -> Triage:
    """A red flag of the kind: urgent, with the flag first among the reasons."""
    clauses = _Clauses.of(fold(text))
    flags = [m.group() for m in clauses.found(_pattern(kind.signs.urgent))]
    if not flags:
        return verdict
    name = _short(kind)
    reasons = [f"{flag} (red flag after {name})" for flag in dict.fromkeys(flags)]
    return verdict._replace(
        level=TriageLevel.URGENT, reasons=tuple(dict.fromkeys([*reasons, *verdict.reasons]))
    )


def _quieter(verdict: Triage, text: str, kind: TreatmentKind, reclassify: Classifier) -> Triage:
    """A concern about nothing but the kind's expected effects: routine, saying so."""
    folded = fold(text)
    clauses = _Clauses.of(folded)
    pattern = _pattern(kind.signs.expected)
    expected = list(pattern.finditer(folded)) if pattern is not None else []
    if not expected or clauses.found(_CONCERN_WORDS):
        return verdict
    masked = folded
    for match in reversed(expected):
        masked = masked[: match.start()] + " " * len(match.group()) + masked[match.end() :]
    if reclassify(masked).level != TriageLevel.ROUTINE:
        return verdict
    effects = ", ".join(dict.fromkeys(m.group() for m in expected))
    name = _short(kind)
    return verdict._replace(
        level=TriageLevel.ROUTINE, reasons=(f"expected after {name}: {effects}",)
    )
