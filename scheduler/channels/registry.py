"""Channels by setting value: adding one is a new module plus a line in these dicts."""

from __future__ import annotations

from collections.abc import Callable

from scheduler.channels.base import Channel, DeliveryError, ErrorKind, OutgoingMessage
from scheduler.channels.console import ConsoleChannel
from scheduler.settings import Settings


def _twilio(settings: Settings) -> Channel:
    from scheduler.channels.twilio_sms import TwilioChannel

    return TwilioChannel.from_settings(settings)


def _smtp(settings: Settings) -> Channel:
    from scheduler.channels.smtp_email import SmtpChannel

    return SmtpChannel.from_settings(settings)


SMS_CHANNELS: dict[str, Callable[[Settings], Channel]] = {
    "console": lambda _settings: ConsoleChannel(),
    "twilio": _twilio,
}
EMAIL_CHANNELS: dict[str, Callable[[Settings], Channel]] = {
    "console": lambda _settings: ConsoleChannel(),
    "smtp": _smtp,
}


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The channel for each medium, as SMS_CHANNEL and EMAIL_CHANNEL choose."""
    return {
        "sms": SMS_CHANNELS[settings.sms_channel](settings),
        "email": EMAIL_CHANNELS[settings.email_channel](settings),
    }


__all__ = ["Channel", "DeliveryError", "ErrorKind", "OutgoingMessage", "build_channels"]
