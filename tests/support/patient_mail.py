"""The patient whose email replies the mailbox tests read, and what her clinic's server vouches."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TORONTO = ZoneInfo("America/Toronto")
PERFORMED = datetime(2026, 11, 24, 14, 0, tzinfo=TORONTO)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TORONTO)
PATIENT = "claire.bouchard@example.com"
AUTHSERV_ID = "mx.clinic.example"
# What the clinic's receiving server writes on top of a mail it authenticated.
PASSED = f"{AUTHSERV_ID}; dkim=pass header.d=example.com; spf=pass smtp.mailfrom={PATIENT}"
