"""Reply triage: how loudly a patient's reply should reach staff (pure; English and French).

The word tables live in `triage_lexicon`; this module normalises the text, finds the
signs, drops the ones a negation covers or the reply says are over, and picks the loudest level.
Unsure means louder.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import NamedTuple

from scheduler.inbound import triage_lexicon as lex

LEVELS = (lex.ROUTINE, lex.CONCERN, lex.URGENT)  # quietest first: a level's rank is its index
_CONCERN, _URGENT = LEVELS.index(lex.CONCERN), LEVELS.index(lex.URGENT)
CUE_REACH = 8  # words after a negation cue that it still covers
AFTER_REACH = 4  # words after a sign within which "gone" / "going down" still refers to it


class Triage(NamedTuple):
    level: str  # urgent | concern | routine
    keyword: str | None  # stop | start | help, only when the whole message is one
    reasons: tuple[str, ...]  # short English labels shown to staff, loudest first
    checkin: int | None = None  # 1, 2 or 3 when the reply answers the check-in question
    question: bool = False  # it asks something: it gets the "we answer in clinic hours" reply


class _Hit(NamedTuple):
    start: int
    end: int
    rank: int
    reason: str


def _squeeze(pattern: str) -> str:
    """Letter runs down to one letter, as in the text; escapes like `\\w` are left alone."""
    return re.sub(r"(?<!\\)([a-z])\1+", r"\1", pattern)


_GAP_WORD = rf"(?:(?!(?:{_squeeze(lex.GAP_STOPS)})\b)[a-z0-9]+ )"
_WIDE_GAP_WORD = rf"(?:(?!(?:{_squeeze(lex.WIDE_GAP_STOPS)})\b)[a-z0-9]+ )"


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    body = "|".join(
        "(?:{})".format(
            _squeeze(p)
            .replace(" ~~ ", f" {_WIDE_GAP_WORD}{{0,8}}")
            .replace(" ~ ", f" {_GAP_WORD}{{0,3}}")
        )
        for p in patterns
    )
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


def _sign_table() -> tuple[tuple[re.Pattern[str], int, str], ...]:
    """One compiled pattern per (level, reason), both languages together: replies mix them."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for pattern, level, reason in (*lex.EN_SIGNS, *lex.FR_SIGNS):
        grouped.setdefault((level, reason), []).append(pattern)
    return tuple(
        (_compile(patterns), LEVELS.index(level), reason)
        for (level, reason), patterns in grouped.items()
    )


_SIGNS = _sign_table()
_NEGATIONS = _compile(lex.NEGATIONS)
_GONE_AFTER = _compile([lex.GONE_AFTER])
_EASING_AFTER = _compile([lex.EASING_AFTER])
_BREAKS = _compile(lex.CLAUSE_BREAKS)
_URGENT_BREAKS = _compile([lex.URGENT_SCOPE_BREAKS])
_PAST_A_WEEK = _compile([lex.PAST_A_WEEK])
_PAST_MARKS = _compile([lex.PAST_MARKS])
_SETTLED = _compile([lex.SETTLED])
_REWRITES = tuple((re.compile(p), r) for p, r in lex.REWRITES)
_QUESTIONS = _compile(lex.QUESTIONS)
_CHECKIN_NUMBER = rf"(?:{lex.CHECKIN_LEAD})?([1-3])(?!{lex.CHECKIN_NOT_AFTER})"
_RANGE = r"\s*(?:or|ou|to|a|-)\s*"
# At the start, after anything but a word ("#3", "👉 2"). A range is the louder answer when a
# hedge or nothing follows ("2 ou 3 je sais pas"), and a count otherwise ("2 ou 3 boutons").
_CHECKIN_FIRST = re.compile(
    rf"^[^\w]*(?:{_CHECKIN_NUMBER}{_RANGE}([1-3])(?!{lex.CHECKIN_NOT_AFTER})"
    rf"(?={lex.CHECKIN_RANGE_END})|{_CHECKIN_NUMBER}(?!{_RANGE}\d))"
    r"[.!)\]]*(?=\s|$|[^\w./%°$-])"
)
# Later, as a sentence of its own: "Killer results, seriously. 1", "2... actually no, 3. I have
# a fever" (not "a package of 3", "38.2" or "3 spots"); a decimal point has no space after it.
_CHECKIN_LATER = re.compile(
    rf"(?:[.,](?=\s)|[!?\n]|[^\w\s,.;:'\"/-])\s*{_CHECKIN_NUMBER}"
    r"\s*(?:[.!?\n][^\w]*|[^\w.,/%°$-][^\w]*$|$)"
)
_ACK_SHAPE = re.compile(lex.ACK_SHAPE)
# A keycap (3️⃣) is the digit, a variation selector and an enclosing keycap mark.
_KEYCAP = dict.fromkeys(map(ord, "\ufe0f\u20e3"))

# Typographic apostrophes become "'"; NFKD leaves the ligatures alone, so they are spelled out.
_CHARS = str.maketrans({"œ": "oe", "æ": "ae"} | dict.fromkeys("\u2019\u2018`\u00b4\u02bc", "'"))
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_PUNCTUATION = re.compile(r"\.(?!\d)|(?<!\d)\.|[,;:!()\[\]{}\n\r\"«»…\u2013\u2014]| - ")
_OTHER = re.compile(r"[^a-z0-9.|? ]+")
_REPEATS = re.compile(r"([a-z])\1+")
_MARKS = re.compile(r"[|?](?: [|?])+")  # "?!", "!!" and "..." end one sentence, not several


def _fold(text: str) -> str:
    """Casefolded, without accents (é → e, œ → oe), apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_CHARS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """The text the tables are written for: ASCII words, `|` for punctuation, `?` kept."""
    folded = _fold(text)
    for pattern, replacement in _REWRITES:
        folded = pattern.sub(replacement, folded)
    folded = _DECIMAL_COMMA.sub(".", folded).replace("&", " and ").replace("?", " ? ")
    folded = _OTHER.sub(" ", _PUNCTUATION.sub(" | ", folded))
    spaced = " ".join(_REPEATS.sub(r"\1", folded).split())
    return _MARKS.sub(lambda marks: "?" if "?" in marks.group() else "|", spaced)


def checkin_of(text: str) -> tuple[int, str] | None:
    """The check-in answer (1, 2 or 3) a reply starts or ends with, and the text left around it."""
    folded = _fold(text).translate(_KEYCAP)
    if _ACK_SHAPE.match(folded):
        return None  # "OK 12" is a practitioner's acknowledgement (alerts.parse_ack)
    first = _CHECKIN_FIRST.search(folded)
    later = _CHECKIN_LATER.finditer(folded, first.end() if first else 0)
    found = [
        (max(int(n) for n in match.groups() if n), match.start(), match.end())
        for match in ([first] if first else []) + list(later)
    ]
    if not found:
        return None
    number = max(n for n, _, _ in found)  # a first and a last answer: unsure means louder
    rest = folded
    for _, start, end in sorted(found, key=lambda f: -f[1]):
        rest = f"{rest[:start]} | {rest[end:]}"
    return number, rest


def keyword_of(text: str) -> str | None:
    """`stop`, `start` or `help` when the whole message is such a keyword, otherwise None."""
    # Spaces inside count ("stop please" is a sentence); punctuation and outer spaces do not.
    return lex.KEYWORDS.get(re.sub(r"[^\w\s]|_", "", _fold(text)).strip())


class _Clauses:
    """Where negation cues, clause breaks and "it's gone" words are in one normalised text."""

    def __init__(self, text: str) -> None:
        self.text = text
        breaks = list(_BREAKS.finditer(text))
        self.starts = [m.start() for m in breaks]
        marks = [m for m in breaks if m.group() in ("|", "?")]
        self.marks = [m.start() for m in marks]
        self.questions = [m.group() == "?" for m in marks]
        cues = list(_NEGATIONS.finditer(text))
        self.cue_starts = [m.start() for m in cues]
        self.cue_ends = [m.end() for m in cues]
        self.urgent_breaks = [m.start() for m in _URGENT_BREAKS.finditer(text)]
        self.gone = [m.start() for m in _GONE_AFTER.finditer(text)]
        self.easing = [m.start() for m in _EASING_AFTER.finditer(text)]
        self.past = {self.clause(m.start()) for m in _PAST_MARKS.finditer(text)}
        settled = (m.start() for m in _SETTLED.finditer(text))
        self.settled = [start for start in settled if not self.in_question(start)]

    def in_question(self, position: int) -> bool:
        """Whether the sentence ends with "?": "Is the pus gone?" asks, it does not report."""
        index = bisect_right(self.marks, position)
        return index < len(self.marks) and self.questions[index]

    def clause(self, position: int) -> int:
        return bisect_right(self.starts, position)

    def words(self, start: int, end: int) -> int:
        return self.text.count(" ", start, end)

    def negated(self, hit: _Hit) -> bool:
        # A phrase that spells out its own negation ("can't breathe", "n'arrête pas de
        # saigner") is a sign, not a negated one.
        if self._between(self.cue_starts, hit.start, hit.end):
            return False
        # Only the nearest cue before and the nearest "gone" after can reach: farther ones
        # are further away and never in a later clause.
        clause = self.clause(hit.start)
        before = bisect_right(self.cue_ends, hit.start) - 1
        if before >= 0:
            end = self.cue_ends[before]
            # "and" ends the reach before an urgent sign only: "no fever and pus everywhere".
            if (
                self.clause(end - 1) == clause
                and self.words(end, hit.start) <= CUE_REACH
                and not (hit.rank == _URGENT and self._between(self.urgent_breaks, end, hit.start))
            ):
                return True
        if self.in_question(hit.start):
            return False
        afters = (self.gone,) if hit.rank == _URGENT else (self.gone, self.easing)
        return any(self._reaches_back(starts, hit, clause) for starts in afters) or (
            self._settled_since(hit, clause)
        )

    def _settled_since(self, hit: _Hit, clause: int) -> bool:
        """A quieter sign said in the past and later said to be fine: "was swollen, ok now"."""
        later = bisect_left(self.settled, hit.end) < len(self.settled)
        return hit.rank < _URGENT and clause in self.past and later

    @staticmethod
    def _between(starts: list[int], start: int, end: int) -> bool:
        index = bisect_left(starts, start)
        return index < len(starts) and starts[index] < end

    def _reaches_back(self, starts: list[int], hit: _Hit, clause: int) -> bool:
        index = bisect_left(starts, hit.end)
        if index == len(starts):
            return False
        start = starts[index]
        return self.clause(start) == clause and self.words(hit.end, start) <= AFTER_REACH


def _find(text: str) -> list[_Hit]:
    return [
        _Hit(m.start(), m.end(), rank, reason)
        for pattern, rank, reason in _SIGNS
        for m in pattern.finditer(text)
    ]


def _outer(hits: Iterable[_Hit]) -> list[_Hit]:
    """Drop hits inside a longer one ("mild redness" holds "redness", "severe pain" holds
    "pain"); only the same urgent sign hides an urgent one ("red streaks going down my neck")."""
    kept: list[_Hit] = []
    reach_any = -1  # furthest end of the longer spans seen so far
    reach_urgent: dict[str, int] = {}  # the same, per urgent reason
    ordered = sorted(hits, key=lambda hit: (hit.start, -hit.end))
    for _, same in groupby(ordered, key=lambda hit: (hit.start, hit.end)):
        group = list(same)
        end = group[0].end
        kept += [
            hit
            for hit in group
            if end > (reach_urgent.get(hit.reason, -1) if hit.rank == _URGENT else reach_any)
        ]
        reach_any = max(reach_any, end)
        for hit in group:
            if hit.rank == _URGENT:
                reach_urgent[hit.reason] = max(reach_urgent.get(hit.reason, -1), end)
    return kept


def _persisting(text: str, clauses: _Clauses, hits: Sequence[_Hit]) -> list[_Hit]:
    """Expected effects still there after a week become concerns."""
    if not any(
        not clauses.negated(_Hit(m.start(), m.end(), 0, "")) for m in _PAST_A_WEEK.finditer(text)
    ):
        return []
    return [
        _Hit(hit.start, hit.end, _CONCERN, lex.PERSISTING[hit.reason])
        for hit in hits
        if hit.reason in lex.PERSISTING
    ]


def _reasons(hits: Iterable[_Hit]) -> tuple[str, ...]:
    ordered = sorted(hits, key=lambda hit: (-hit.rank, hit.start))
    return tuple(dict.fromkeys(hit.reason for hit in ordered))


def _signs_in(normalised: str) -> list[_Hit]:
    clauses = _Clauses(normalised)
    hits = [hit for hit in _outer(_find(normalised)) if not clauses.negated(hit)]
    return hits + _persisting(normalised, clauses, hits)


def classify(text: str) -> Triage:
    """Triage one reply: its level, its keyword if it is one, and the signs behind the level."""
    keyword = keyword_of(text)
    if keyword is not None:
        return Triage(lex.ROUTINE, keyword, ())
    asks = _QUESTIONS.search(normalise(text))
    checkin = checkin_of(text)
    words = text if checkin is None else checkin[1]
    hits = _signs_in(normalise(words))
    if asks:
        hits.append(_Hit(asks.start(), asks.end(), 0, "question"))
    question = asks is not None
    rank = max((hit.rank for hit in hits), default=0)
    shown = [hit for hit in hits if hit.rank >= _CONCERN] if rank else hits
    if checkin is None:
        return Triage(LEVELS[rank], None, _reasons(shown), None, question)
    # The answer and the words: the louder level, and both reasons however quiet the answer.
    number = checkin[0]
    answer = _Hit(-1, -1, LEVELS.index(lex.CHECKIN_LEVELS[number]), f"check-in {number}")
    level = LEVELS[max(rank, answer.rank)]
    return Triage(level, None, _reasons([answer, *shown]), number, question)
