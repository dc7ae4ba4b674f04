"""The media Aftercare sends by, in one registry: adding one is a channel module plus an entry here.

Each medium declares the template parts its messages are made of, the patient field it sends
to, and the settings that choose its provider and pace it. Nothing else spells out a medium's
name: "both" is `models.vocabulary.media_of`, the dispatcher and the renderer read this table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from models.vocabulary import Medium
from scheduler.channels.base import Channel
from scheduler.channels.console import ConsoleChannel
from scheduler.settings import Settings

ChannelFactory = Callable[[Settings], Channel]


def _console(_settings: Settings) -> Channel:
    return ConsoleChannel()


def _twilio(settings: Settings) -> Channel:
    from scheduler.channels.twilio_sms import TwilioChannel  # the SDK loads only when chosen

    return TwilioChannel.from_settings(settings)


def _smtp(settings: Settings) -> Channel:
    from scheduler.channels.smtp_email import SmtpChannel

    return SmtpChannel.from_settings(settings)


@dataclass(frozen=True)
class MediumSpec:
    """What the rest of Aftercare needs to know about one medium."""

    name: Medium
    text_part: str  # the template part that is the message's text (SMS body, email plain text)
    subject_part: str | None  # a one-line subject part, for media that have one
    html_part: str | None  # an HTML alternative, for media that have one
    address_field: str  # the Patient / Practitioner attribute holding the address
    channel_setting: str  # the Settings field naming the provider (a key of `providers`)
    rate_setting: str  # the Settings field: provider calls per second
    concurrency_setting: str  # the Settings field: provider calls in flight
    providers: Mapping[str, ChannelFactory]
    segmented: bool = False  # priced per SMS segment: counted, and held to the kind's limit
    opt_out_link: bool = False  # carries a one-click unsubscribe link (CASL, RFC 8058)

    @property
    def parts(self) -> tuple[str, ...]:
        """Every template part a message of this medium is rendered from."""
        return tuple(p for p in (self.subject_part, self.text_part, self.html_part) if p)


MEDIA: dict[Medium, MediumSpec] = {
    Medium.SMS: MediumSpec(
        name=Medium.SMS,
        text_part="sms",
        subject_part=None,
        html_part=None,
        address_field="phone",
        channel_setting="sms_channel",
        rate_setting="sms_rate_per_second",
        concurrency_setting="sms_concurrency",
        providers={"console": _console, "twilio": _twilio},
        segmented=True,
    ),
    Medium.EMAIL: MediumSpec(
        name=Medium.EMAIL,
        text_part="email_text",
        subject_part="email_subject",
        html_part="email_html",
        address_field="email",
        channel_setting="email_channel",
        rate_setting="email_rate_per_second",
        concurrency_setting="email_concurrency",
        providers={"console": _console, "smtp": _smtp},
        opt_out_link=True,
    ),
}

# Every template part any medium uses, in a stable order (subject, text, html per medium).
ALL_PARTS: tuple[str, ...] = tuple(part for spec in MEDIA.values() for part in spec.parts)


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The channel for each medium, as its setting (SMS_CHANNEL, EMAIL_CHANNEL, ...) chooses."""
    return {
        medium: spec.providers[getattr(settings, spec.channel_setting)](settings)
        for medium, spec in MEDIA.items()
    }


def rate_of(settings: Settings, medium: Medium) -> float:
    rate: float = getattr(settings, MEDIA[medium].rate_setting)
    return rate


def concurrency_of(settings: Settings, medium: Medium) -> int:
    threads: int = getattr(settings, MEDIA[medium].concurrency_setting)
    return threads


def address_of(holder: object, medium: Medium) -> str | None:
    """A patient's (or practitioner's) address for `medium`, or None when it has none."""
    value = getattr(holder, MEDIA[medium].address_field, None)
    return str(value) if value else None
