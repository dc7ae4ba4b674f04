"""Errors that shared (English) code raises, as a French page shows them.

The CLI and the API keep these texts in English; the pages look them up here. A text that is
not listed is shown as raised: new rule texts need a line below to be translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scheduler.staff.roles import DOING
from scheduler.web.i18n import N_

# (pattern of the raised text, msgid: the same English with its values as placeholders)
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheduler/outbound/staff_messages.py
    (re.compile(r"^text: write the message first$"), N_("text: write the message first")),
    (
        re.compile(r"^text: at most (?P<max>\d+) characters \((?P<given>\d+) given\)$"),
        N_("text: at most %(max)s characters (%(given)s given)"),
    ),
    (
        re.compile(r"^channel: the patient has no (?P<medium>\w+) address on file$"),
        N_("channel: the patient has no %(medium)s address on file"),
    ),
    (
        re.compile(
            r"^channel: this patient's (?P<medium>\w+) address opted out \(they must reply START\)$"
        ),
        N_("channel: this patient's %(medium)s address opted out (they must reply START)"),
    ),
    (
        re.compile(r"^patient: no treatment on file to write about$"),
        N_("patient: no treatment on file to write about"),
    ),
    # scheduler/privacy/correction.py (shown without its "field: " prefix)
    (
        re.compile(r"^required while this patient's messages go by email$"),
        N_("required while this patient's messages go by email"),
    ),
    (re.compile(r"^this patient's data was erased$"), N_("this patient's data was erased")),
    # scheduler/staff/roles.py `refusal`, for a signed-in account (the 403 page)
    (
        re.compile(r"^An? (?P<role>[\w-]+) account may not (?P<doing>.+)\.$"),
        N_("A %(role)s account may not %(doing)s."),
    ),
)
# Values inside those texts that are words, not numbers.
_MEDIA = {"sms": N_("SMS"), "email": N_("email")}


def runtime_msgids() -> list[str]:
    """The values these texts carry that are words to translate (for the catalogue)."""
    return list(DOING.values())


def _value(name: str, value: str, gettext: Callable[[str], str]) -> str:
    if name == "medium" and value in _MEDIA:
        return gettext(_MEDIA[value])
    return gettext(value) if name in ("role", "doing") else value


def rule_text(text: str, gettext: Callable[[str], str]) -> str:
    """`text` in the reader's language when it is a known rule text; as raised otherwise
    (English pages always get it as raised, word for word)."""
    for pattern, msgid in _RULES:
        found = pattern.match(text)
        if found:
            translated = gettext(msgid)
            if translated == msgid:
                return text
            values = {k: _value(k, v, gettext) for k, v in found.groupdict().items()}
            return translated % values
    return text
