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
    # A CSV file the import cannot read at all (followups/csv_import.py)
    (
        re.compile(r"^the file is empty \(a header row is required\)$"),
        N_("the file is empty (a header row is required)"),
    ),
    (
        re.compile(r"^missing required column\(s\): (?P<columns>.+)$"),
        N_("missing required column(s): %(columns)s"),
    ),
    # A CSV import's rejected rows (followups/intake.py, registration_rules.py, kinds.py,
    # contacts.py): "field: what is wrong"; field names are the file's own column names.
    (
        re.compile(
            r"^(?P<field>[a-z_]+): (?:String should have at least 1 character|Field required)$"
        ),
        N_("%(field)s: required"),
    ),
    (
        re.compile(r"^(?P<field>[a-z_]+): (?P<value>'.*') is not a valid phone number$"),
        N_("%(field)s: %(value)s is not a valid phone number"),
    ),
    (
        re.compile(r"^(?P<field>[a-z_]+): (?P<value>'.*') is not a valid email address: .*$"),
        N_("%(field)s: %(value)s is not a valid email address"),
    ),
    (
        re.compile(r"^language: unknown language (?P<value>'.*') \(use (?P<known>[^)]*)\)$"),
        N_("language: unknown language %(value)s (use %(known)s)"),
    ),
    (
        re.compile(r"^channel: unknown channel (?P<value>'.*') \(use (?P<known>[^)]*)\)$"),
        N_("channel: unknown channel %(value)s (use %(known)s)"),
    ),
    (
        re.compile(r"^kind: unknown treatment kind (?P<value>'.*') \(known: (?P<known>[^)]*)\)$"),
        N_("kind: unknown treatment kind %(value)s (known: %(known)s)"),
    ),
    (
        re.compile(r"^performed_at: Input should be a valid (?:datetime|date).*$"),
        N_("performed_at: not a date and time (write 2026-12-04T10:00)"),
    ),
    (
        re.compile(r"^performed_at: more than an hour in the future$"),
        N_("performed_at: more than an hour in the future"),
    ),
    (
        re.compile(r"^email: required when channel is (?P<medium>\w+)$"),
        N_("email: required when channel is %(medium)s"),
    ),
    (
        re.compile(
            r"^phone: already used by (?P<who>.+); if this is the same person, register with "
            r"patient=same \(their name becomes the one given here\); for another person "
            r"sharing this phone, patient=new$"
        ),
        N_(
            "phone: already used by %(who)s; if this is the same person, register with "
            "patient=same (their name becomes the one given here); for another person sharing "
            "this phone, patient=new"
        ),
    ),
    (
        re.compile(
            r"^patient: (?P<count>\d+) patients use this phone \((?P<who>.+)\); "
            r"say which one with patient=<id>$"
        ),
        N_("patient: %(count)s patients use this phone (%(who)s); say which one with patient=<id>"),
    ),
    (
        re.compile(r"^patient: patient (?P<id>\d+) does not use this phone$"),
        N_("patient: patient %(id)s does not use this phone"),
    ),
    (
        re.compile(
            r"^force: (?P<name>.+) already has a (?P<kind>[\w-]+) treatment on (?P<date>[\d-]+) "
            r"\(treatment (?P<id>\d+)\); register again with force to add a second one that day$"
        ),
        N_(
            "force: %(name)s already has a %(kind)s treatment on %(date)s (treatment %(id)s); "
            "register again with force to add a second one that day"
        ),
    ),
    # scheduler/staff/roles.py `refusal`, for a signed-in account (the 403 page)
    (
        re.compile(r"^An? (?P<role>[\w-]+) account may not (?P<doing>.+)\.$"),
        N_("A %(role)s account may not %(doing)s."),
    ),
)
# Values inside those texts that are words, not numbers.
_MEDIA = {"sms": N_("SMS"), "email": N_("email"), "both": N_("both")}
_OR = N_("or")


def runtime_msgids() -> list[str]:
    """The values these texts carry that are words to translate (for the catalogue)."""
    return list(DOING.values())


def _value(name: str, value: str, gettext: Callable[[str], str]) -> str:
    if name == "medium" and value in _MEDIA:
        return gettext(_MEDIA[value])
    if name == "known":  # "en or fr", "sms, email or both": the list's own "or"
        return value.replace(" or ", f" {gettext(_OR)} ")
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
