"""A reply's text as the triage tables read it (pure): folded and normalised, its check-in
answer (1, 2 or 3) and whole-message keywords (STOP, START, HELP)."""

from __future__ import annotations

import re
import unicodedata

from scheduler.inbound import triage_lexicon as lex

_REWRITES = tuple((re.compile(p), r) for p, r in lex.REWRITES)
_CHECKIN_NUMBER = rf"(?:{lex.CHECKIN_LEAD})?([1-3])(?!{lex.CHECKIN_NOT_AFTER})"
_RANGE = r"\s*(?:or|ou|to|a|-)\s*"
# At the start, after a few signs that are no word ("#3", "👉 2"). A range is the louder answer
# when a hedge or nothing follows ("2 ou 3 je sais pas"), and a count otherwise ("2 ou 3 boutons").
_CHECKIN_FIRST = re.compile(
    rf"^[^\w]{{0,12}}(?:{_CHECKIN_NUMBER}{_RANGE}([1-3])(?!{lex.CHECKIN_NOT_AFTER})"
    rf"(?={lex.CHECKIN_RANGE_END})|{_CHECKIN_NUMBER}(?!{_RANGE}\d))"
    r"[.!)\]-]*(?=\s|$|[^\w./%°$-])"
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
_PUNCTUATION = re.compile(r"\.(?!\d)|(?<!\d)\.|[;:!\n\r\"«»…\u2013\u2014]| - ")
# An aside in brackets ends a clause, not a sentence: "(she caught a cold)" stays with its sentence.
_ASIDE = re.compile(r"[()\[\]{}]")
_OTHER = re.compile(r"[^a-z0-9.|?;, ]+")
_REPEATS = re.compile(r"([a-z])\1+")
# "?!", "!!", "..." and "((" end one sentence or aside, not several.
_MARKS = re.compile(r"[|?,;](?: [|?,;])+")


def _fold(text: str) -> str:
    """Casefolded, without accents (é → e, œ → oe), apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_CHARS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """The tables' text: ASCII words, `|` ending a sentence, `,` a clause, `;` an aside."""
    folded = _fold(text)
    for pattern, replacement in _REWRITES:
        folded = pattern.sub(replacement, folded)
    folded = _DECIMAL_COMMA.sub(".", folded).replace("&", " and ").replace("?", " ? ")
    # A comma stays a comma: it ends a clause like `|`, but a sentence goes on past it.
    folded = _PUNCTUATION.sub(" | ", folded).replace(",", " , ")
    folded = _OTHER.sub(" ", _ASIDE.sub(" ; ", folded))
    spaced = " ".join(_REPEATS.sub(r"\1", folded).split())
    return _MARKS.sub(_strongest, spaced)


def _strongest(marks: re.Match[str]) -> str:
    return next(mark for mark in "?|,;" if mark in marks.group())


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
