"""The rules about patients' photos, as pure functions: which Twilio media a URL names, when a
failed download is tried again, which alert a photo joins, and when a photo alone is a concern."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from models.vocabulary import TriageLevel

# A photo sent this soon after an urgent reply belongs with that alert ("here is what it
# looks like"): staff see them together and the practitioner hears of it.
PHOTO_ALERT_WINDOW = timedelta(minutes=30)
PHOTO_ONLY = "photo only"  # the reason shown for a reply that is a photo and no words
MAX_RETRY_DELAY = timedelta(hours=1)

# Twilio's media URL: .../Accounts/AC…/Messages/MM…/Media/ME… (32 hex digits each).
_MEDIA_URL = re.compile(
    r"^https://[^/?#]+/2010-04-01/Accounts/AC[0-9a-f]{32}/Messages/(?:MM|SM)[0-9a-f]{32}"
    r"/Media/(ME[0-9a-f]{32})(?:\.[a-z]+)?$"
)


def media_sid_of(url: str) -> str | None:
    """The media SID (ME…) a Twilio MediaUrl names, or None when it is not one."""
    match = _MEDIA_URL.match(url.strip())
    return match.group(1) if match else None


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """The wait after the `attempts`-th failed download: doubling from the base, capped."""
    delay = timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def follows_urgent(alert_created: datetime, arrived: datetime) -> bool:
    """A photo arriving within PHOTO_ALERT_WINDOW after an urgent alert joins it."""
    return timedelta(0) <= arrived - alert_created <= PHOTO_ALERT_WINDOW


def is_photo_only(body: str, attachments: int) -> bool:
    """A reply with something attached and no words: a human must look at it."""
    return attachments > 0 and not body.strip()


def photo_level(level: str, body: str, attachments: int) -> tuple[str, str | None]:
    """Triage's level, raised to concern for a photo alone (never routine); and the reason
    added, if any. Words decide on their own: a photo next to them changes nothing."""
    if is_photo_only(body, attachments) and level == TriageLevel.ROUTINE:
        return TriageLevel.CONCERN, PHOTO_ONLY
    return level, None
