"""The photo rules, pure: Twilio media SIDs, retry waits, the 30-minute window, photo only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.inbound.photo_rules import (
    PHOTO_ONLY,
    follows_urgent,
    media_sid_of,
    photo_level,
    retry_delay,
)

ACCOUNT = "AC" + "7e" * 16
MESSAGE = "MM" + "a1" * 16
MEDIA = "ME" + "b2" * 16
AT = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


def test_the_media_sid_of_a_twilio_media_url_and_nothing_else() -> None:
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MESSAGE}/Media/{MEDIA}"
    assert media_sid_of(url) == MEDIA
    assert media_sid_of(url + ".json") == MEDIA
    for other in (
        "https://api.twilio.com/MEDIA-ZOE.jpg",
        url.replace("https://", "http://"),
        url + "/../../../etc",
        url + "?user=x",
        f"https://evil.example/x?{url}",
    ):
        assert media_sid_of(other) is None, other


def test_retry_waits_double_and_are_capped() -> None:
    assert [retry_delay(n, 10).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert retry_delay(30, 10) == timedelta(hours=1)


def test_the_thirty_minute_window() -> None:
    assert follows_urgent(AT, AT + timedelta(minutes=30))
    assert not follows_urgent(AT, AT + timedelta(minutes=30, seconds=1))
    assert not follows_urgent(AT, AT - timedelta(seconds=1))


def test_a_photo_alone_is_a_concern_and_words_decide_otherwise() -> None:
    assert photo_level("routine", " \n", 1) == ("concern", PHOTO_ONLY)
    assert photo_level("urgent", "", 1) == ("urgent", None)
    assert photo_level("routine", "thanks!", 2) == ("routine", None)
    assert photo_level("routine", "", 0) == ("routine", None)
