"""Small rules of French wording that templates use as Jinja filters (pure)."""

from __future__ import annotations

import unicodedata

# Elision before a vowel sound. "h" and "y" are left out: whether "de" elides before them
# depends on the word (d'Hélène but de Hauteville, d'Yvonne but de Yoga), and "de" is never
# wrong enough to confuse a patient.
_VOWELS = frozenset("aeiou")


def de(name: str) -> str:
    """'de Clinique X', or "d'Aftercare" / "d'Élan" before a vowel."""
    name = name.strip()
    first = unicodedata.normalize("NFKD", name[:1].casefold())[:1]
    if first in _VOWELS or name[:1].casefold() in ("æ", "œ"):
        return f"d'{name}"
    return f"de {name}"


FILTERS = {"de": de}
