"""Stored words and triage reason tags as staff read them, through the page's catalogue.

The words are marked here with `N_` so that extraction finds them; the triage reasons come from
the lexicon itself (`reason_tags`), so a new sign cannot reach a page without a translation test
failing first.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from babel.support import NullTranslations

from scheduler.inbound import triage_lexicon as lex
from scheduler.web.i18n import N_

# Values of the string columns that pages show as pills or labels (models/vocabulary.py).
WORDS = (
    N_("pending"),
    N_("sending"),
    N_("sent"),
    N_("delivered"),
    N_("undelivered"),
    N_("failed"),
    N_("expired"),
    N_("cancelled"),
    N_("active"),
    N_("urgent"),
    N_("concern"),
    N_("routine"),
    N_("stop"),
    N_("start"),
    N_("help"),
    N_("open"),
    N_("escalated"),
    N_("acknowledged"),
    N_("admin"),
    N_("front-desk"),
    N_("practitioner"),
    N_("read"),
    N_("write"),
    N_("queued"),
    N_("texts opted out"),
    N_("email opted out"),
    N_("shared phone"),
    N_("unverified sender"),
    N_("inactive"),
    N_("locked"),
    N_("deactivated"),
    N_("revoked"),
    N_("unhandled"),
    N_("handled"),
    N_("all"),
    N_("Front desk"),
)
# Reasons the triage adds besides the lexicon's signs (scheduler/inbound/triage.py).
# "photo only": scheduler.inbound.photo_rules.PHOTO_ONLY, a reply that is a photo and no words.
EXTRA_REASONS = (N_("question"), N_("spreading redness"), N_("photo only"))
_CHECK_IN = re.compile(r"^check-in (\d)$")


def reason_tags() -> list[str]:
    """Every reason tag the triage can give from its lexicon, in a stable order."""
    found: dict[str, None] = {}
    for sign in (*lex.EN_SIGNS, *lex.FR_SIGNS):
        found[sign.reason] = None
    for table in (lex.PERSISTING, lex.LINGERING, lex.REACTING):
        found.update(dict.fromkeys(table.values()))
    found.update(dict.fromkeys(EXTRA_REASONS))
    return list(found)


def reason(catalogue: NullTranslations, tag: str) -> str:
    """'pus_or_discharge' -> 'pus or discharge', translated when the catalogue knows it."""
    text = tag.replace("_", " ").replace("-", " ") if "_" in tag else tag
    check_in = _CHECK_IN.match(text)
    if check_in:
        return catalogue.gettext("check-in %(number)s") % {"number": check_in.group(1)}
    # Tags a kind file adds ("… (red flag after filler)") are shown as the file wrote them.
    return catalogue.gettext(text)


def word(catalogue: NullTranslations, value: str) -> str:
    """A stored word as shown: underscores become spaces, then the catalogue."""
    return catalogue.gettext(value.replace("_", " "))


def channel(catalogue: NullTranslations, value: str) -> str:
    known = {"sms": N_("SMS"), "email": N_("Email"), "both": N_("SMS and email")}
    return catalogue.gettext(known[value]) if value in known else value


def day(catalogue: NullTranslations, number: int) -> str:
    """'Day 3' / 'Jour 3'."""
    return catalogue.gettext("Day %(day)s") % {"day": number}


def days(catalogue: NullTranslations, numbers: list[int]) -> str:
    """'days 1, 3 and 7' / 'jours 1, 3 et 7'."""
    if len(numbers) == 1:
        return catalogue.gettext("day %(day)s") % {"day": numbers[0]}
    first = ", ".join(str(n) for n in numbers[:-1])
    return catalogue.gettext("days %(first)s and %(last)s") % {
        "first": first,
        "last": numbers[-1],
    }


def age(catalogue: NullTranslations, moment: datetime | None, now: datetime) -> str:
    """How long ago, in words: 'just now', '12 min', '3 h 5 min', '2 days'."""
    if moment is None:
        return ""
    elapsed = now - moment
    if elapsed < timedelta(minutes=1):
        return catalogue.gettext("just now")
    minutes = int(elapsed.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    count = hours // 24
    return catalogue.ngettext("%(num)s day", "%(num)s days", count) % {"num": count}
