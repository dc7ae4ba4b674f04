"""How the staff pages show times, ages and stored JSON lists (pure, table-tested)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime


def local_time(
    moment: datetime | None,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
    short: bool = False,
    language: str = "en",
    today_label: str = "Today",
) -> str:
    """'Today, 14:05' ('14:05' if short), 'Tue 25 Nov, 14:05' this year, with the year otherwise.

    Without `now`, always the full date with its year. French: 'mar. 25 nov., 14:05'.
    """
    if moment is None:
        return ""
    here = moment.astimezone(zone)
    french = language == "fr"
    if now is not None:
        today = now.astimezone(zone)
        if here.date() == today.date():
            if short:
                return here.strftime("%H:%M")
            return f"{today_label}, {here.strftime('%H:%M')}"
        if here.year == today.year:
            if french:
                return format_datetime(here, "EEE d MMM, HH:mm", locale="fr_CA")
            return here.strftime("%a %d %b, %H:%M")
    if french:
        return format_datetime(here, "EEE d MMM y, HH:mm", locale="fr_CA")
    return here.strftime("%a %d %b %Y, %H:%M")


def json_list(text: str | None) -> list[str]:
    """A JSON list column as strings; anything else (or nothing) is an empty list."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []
