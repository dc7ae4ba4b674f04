"""Downloading (and deleting) a patient's MMS photo at Twilio, with the account's credentials.

Twilio's media URLs answer with a redirect to short-lived storage; httpx follows it and drops
the credentials when the redirect leaves Twilio's host. The URL is built from our own settings
and the media SID, never taken from the webhook as is, so nothing else can be made to fetch
an address of the sender's choosing.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from scheduler.settings import Settings


class FetchError(Exception):
    """The download failed; `retry` when trying again later may work (404 while Twilio
    finishes storing it, 429, 5xx, a timeout, a dropped connection)."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class TooLarge(Exception):
    """The media is larger than MEDIA_MAX_BYTES (announced, or counted while streaming)."""


@dataclass(frozen=True)
class MediaAddress:
    """Where one media item lives at Twilio: the message it came with, and its own SID."""

    message_sid: str
    media_sid: str

    def url(self, settings: Settings) -> str:
        return (
            f"{settings.twilio_api_base}/2010-04-01/Accounts/{settings.twilio_account_sid}"
            f"/Messages/{self.message_sid}/Media/{self.media_sid}"
        )


def twilio_client(settings: Settings) -> httpx.Client:
    """An HTTP client with the account's Basic auth, following redirects, with a timeout."""
    return httpx.Client(
        auth=(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()),
        follow_redirects=True,
        timeout=settings.media_fetch_timeout_seconds,
        headers={"User-Agent": "aftercare-media/1"},
    )


_RETRIED = frozenset({404, 408, 409, 425, 429})


def fetch_media(client: httpx.Client, url: str, *, max_bytes: int) -> bytes:
    """The media's bytes; never more than `max_bytes` are read (TooLarge past that)."""
    try:
        with client.stream("GET", url) as response:
            status = response.status_code
            if status != 200:
                retry = status in _RETRIED or status >= 500
                raise FetchError(f"HTTP {status}", retry=retry)
            announced = response.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > max_bytes:
                raise TooLarge(announced)
            received = bytearray()
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) > max_bytes:
                    raise TooLarge(str(len(received)))
            return bytes(received)
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects", retry=False) from None
    except httpx.HTTPError as exc:
        # The message of a transport error names the host at most, never the credentials.
        raise FetchError(f"{type(exc).__name__}", retry=True) from None


def delete_media(client: httpx.Client, url: str) -> bool:
    """Delete the media at Twilio (TWILIO_DELETE_MEDIA); True when it is gone."""
    try:
        response = client.delete(url)
    except httpx.HTTPError:
        return False
    return response.status_code in (204, 404)
