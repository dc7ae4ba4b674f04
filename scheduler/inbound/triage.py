"""Reply triage: how loudly a patient's reply should reach staff (pure; English and French).

The word tables live in `triage_lexicon` and `reply_words` reads the text (normalised, its 1/2/3
check-in answer); this module finds the signs, drops the ones a negation covers, the reply says
are over, or that are said of someone else, supposed ("if I get a fever") or figurative ("on
fire, I look amazing"), and picks the loudest level. Unsure means louder.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import cached_property
from itertools import groupby
from typing import NamedTuple

from scheduler.inbound import triage_lexicon as lex
from scheduler.inbound.reply_words import checkin_of, keyword_of, normalise

LEVELS = (lex.ROUTINE, lex.CONCERN, lex.URGENT)  # quietest first: a level's rank is its index
_CONCERN, _URGENT = LEVELS.index(lex.CONCERN), LEVELS.index(lex.URGENT)
CUE_REACH = 8  # words after a negation cue that it still covers
AFTER_REACH = 5  # words after a sign within which "gone" / "going down" still refers to it


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
_HYPOTHETICAL = _compile([lex.HYPOTHETICAL])
_OTHER_PERSON = _compile([lex.OTHER_PERSON])
_OTHER_PERSON_ENDS = _compile([lex.OTHER_PERSON_ENDS])
_OTHER_PERSON_TOO = _compile([lex.OTHER_PERSON_TOO])
_LONG_PAST = _compile([lex.LONG_PAST])
_NOW = _compile([lex.NOW])
_PRAISE = _compile([lex.PRAISE])
_FIGURE_BREAKS = _compile([lex.FIGURE_BREAKS])
_FIGURE_AFTER = re.compile(_squeeze(lex.FIGURE_AFTER))
_NEGATED_AFTER = re.compile(_squeeze(lex.NEGATED_AFTER))
_DENIED_AFTER = re.compile(_squeeze(lex.DENIED_AFTER))
_MOVING = _compile(lex.MOVING)
_NOT_GOING_AWAY = _compile([lex.NOT_GOING_AWAY])
_PRODUCT_REACTION = _compile([lex.PRODUCT_REACTION])
# Quieter signs that become concerns when a marker in the reply says they last or recur.
_LASTING = (
    (_PAST_A_WEEK, lex.PERSISTING),
    (_NOT_GOING_AWAY, lex.LINGERING),
    (_PRODUCT_REACTION, lex.REACTING),
)
_REDNESS = frozenset({"mild redness", "intense redness", "rash", "redness persisting past a week"})
_QUESTIONS = _compile(lex.QUESTIONS)


class _Clauses:
    """Where negation cues, clause and sentence breaks, "it's gone" words, other people,
    suppositions and figures of speech are in one normalised text."""

    def __init__(self, text: str) -> None:
        self.text = text
        breaks = list(_BREAKS.finditer(text))
        self.starts = [m.start() for m in breaks]
        # Breaks other than a new subject: "the swelling I had is gone" is one statement.
        self.hard_breaks = [m.start() for m in breaks if m.group() not in lex.SUBJECT_BREAKS]
        marks = [m for m in breaks if m.group() in ("|", "?", ",")]
        self.marks = [m.start() for m in marks]
        self.questions = [m.group() == "?" for m in marks]
        # Where sentences end: as marks, but not at commas.
        stops = [m for m in marks if m.group() != ","]
        self.stops = [m.start() for m in stops]
        self.asks = [m.group() == "?" for m in stops]
        cues = list(_NEGATIONS.finditer(text))
        self.cue_starts = [m.start() for m in cues]
        self.cue_ends = [m.end() for m in cues]
        self.urgent_breaks = [m.start() for m in _URGENT_BREAKS.finditer(text)]
        self.gone = [m.start() for m in _GONE_AFTER.finditer(text)]
        self.easing = [m.start() for m in _EASING_AFTER.finditer(text)]
        self.past_marks = [m.start() for m in _PAST_MARKS.finditer(text)]
        self.past = {self.clause(start) for start in self.past_marks}
        settled = (m.start() for m in _SETTLED.finditer(text))
        self.settled = [start for start in settled if not self.in_question(start)]

    # What set_aside() reads is found on first use: most replies have no sign to set aside.
    @cached_property
    def supposed(self) -> dict[int, int]:
        """Questions about what might happen ("Should I be worried if I get a fever?"): where
        their first "if" is, by sentence."""
        return {
            sentence: m.start()
            for m in reversed(list(_HYPOTHETICAL.finditer(self.text)))
            if self._asks(sentence := self.sentence(m.start()))
        }

    @cached_property
    def others(self) -> list[tuple[int, int]]:
        return [span for m in _OTHER_PERSON.finditer(self.text) if (span := self._others(m.end()))]

    @cached_property
    def now(self) -> list[int]:
        return [m.start() for m in _NOW.finditer(self.text)]

    @cached_property
    def long_past(self) -> set[int]:
        """Sentences in the past that say it was long ago or before the treatment."""
        past = {self.sentence(start) for start in self.past_marks}
        found = (self.sentence(m.start()) for m in _LONG_PAST.finditer(self.text))
        return {sentence for sentence in found if sentence in past}

    @cached_property
    def praise(self) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _PRAISE.finditer(self.text)]

    @cached_property
    def figure_breaks(self) -> list[int]:
        return [m.start() for m in _FIGURE_BREAKS.finditer(self.text)]

    def sentence(self, position: int) -> int:
        """The sentence's index: commas do not end one."""
        return bisect_right(self.stops, position)

    def _run(self, position: int) -> int:
        """The index of the words between two marks, commas included."""
        return bisect_right(self.marks, position)

    def _asks(self, sentence: int) -> bool:
        return sentence < len(self.stops) and self.asks[sentence]

    def _others(self, start: int) -> tuple[int, int] | None:
        """Where another person's symptoms are told: up to the patient, a contrast or a stop."""
        end = _OTHER_PERSON_ENDS.search(self.text, start)
        stop = end.start() if end else len(self.text)
        return None if _OTHER_PERSON_TOO.search(self.text, start, stop) else (start, stop)

    def set_aside(self, hit: _Hit) -> bool:
        """Said of someone else, long before, as a supposition or as a figure of speech."""
        sentence = self.sentence(hit.start)
        # After the "if" of a question, and the worry it asks about before it.
        cue = self.supposed.get(sentence)
        if cue is not None and (hit.start > cue or hit.reason == "worried"):
            return True
        if any(a <= hit.start < b for a, b in self.others):
            return True
        if sentence in self.long_past:
            begins = self.stops[sentence - 1] if sentence else 0
            if not self._between(self.now, begins, hit.start):
                return True
        return hit.reason in lex.FIGURATIVE_SIGNS and self._figurative(hit)

    def _figurative(self, hit: _Hit) -> bool:
        if _FIGURE_AFTER.match(self.text, hit.end):
            return True
        # "On fire, I look amazing" reaches past a comma; chills and heat only within a clause
        # run ("results so good I got chills"): "chills, results look great" reports chills.
        where = self.sentence if hit.reason == "burning or stinging" else self._run
        for start, end in self.praise:
            if where(start) != where(hit.start) or hit.start <= start < hit.end:
                continue
            low, high = (end, hit.start) if end <= hit.start else (hit.end, start)
            if not self._between(self.figure_breaks, low, high):
                return True
        return False

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
        if _NEGATED_AFTER.match(self.text, hit.end) or _DENIED_AFTER.match(self.text, hit.end):
            return True
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
        near = self.words(hit.end, start) <= AFTER_REACH
        return near and not self._between(self.hard_breaks, hit.end, start)


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


def _said(pattern: re.Pattern[str], text: str, clauses: _Clauses) -> list[_Hit]:
    """Where the pattern matches, minus what is negated or set aside."""
    found = (_Hit(m.start(), m.end(), 0, "") for m in pattern.finditer(text))
    return [hit for hit in found if not clauses.negated(hit) and not clauses.set_aside(hit)]


def _persisting(text: str, clauses: _Clauses, hits: Sequence[_Hit]) -> list[_Hit]:
    """Expected effects still there after a week, said to stay, or back with every use of a
    product become concerns."""
    found = []
    for pattern, labels in _LASTING:
        quiet = [hit for hit in hits if hit.reason in labels]
        if quiet and _said(pattern, text, clauses):
            found += [hit._replace(rank=_CONCERN, reason=labels[hit.reason]) for hit in quiet]
    return found


def _moving(text: str, clauses: _Clauses, hits: Sequence[_Hit]) -> list[_Hit]:
    """Movement to a place on the body ("now it's going down my neck") said in a reply about
    redness is redness spreading."""
    if not any(hit.reason in _REDNESS for hit in hits):
        return []
    return [
        hit._replace(rank=_URGENT, reason="spreading redness")
        for hit in _said(_MOVING, text, clauses)
    ]


def _reasons(hits: Iterable[_Hit]) -> tuple[str, ...]:
    ordered = sorted(hits, key=lambda hit: (-hit.rank, hit.start))
    return tuple(dict.fromkeys(hit.reason for hit in ordered))


def _signs_in(normalised: str) -> list[_Hit]:
    clauses = _Clauses(normalised)
    hits = [
        hit
        for hit in _outer(_find(normalised))
        if not clauses.negated(hit) and not clauses.set_aside(hit)
    ]
    return hits + _persisting(normalised, clauses, hits) + _moving(normalised, clauses, hits)


def classify(text: str) -> Triage:
    """Triage one reply: its level, its keyword if it is one, and the signs behind the level."""
    keyword = keyword_of(text)
    if keyword is not None:
        return Triage(lex.ROUTINE, keyword, ())
    normalised = normalise(text)
    asks = _QUESTIONS.search(normalised)
    checkin = checkin_of(text)
    hits = _signs_in(normalised if checkin is None else normalise(checkin[1]))
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
