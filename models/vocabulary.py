"""The words every part of Aftercare shares, defined once: languages, media, levels, statuses.

These are the values stored in the tables' string columns; code compares against these names,
never against string literals of its own.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    FR = "fr"


LANGUAGES: tuple[Language, ...] = tuple(Language)


class Medium(StrEnum):
    """How a message travels; each has one entry in `scheduler.channels.media.MEDIA`."""

    SMS = "sms"
    EMAIL = "email"


class ChannelChoice(StrEnum):
    """What staff pick for a patient: one medium, or both."""

    SMS = "sms"
    EMAIL = "email"
    BOTH = "both"


def media_of(choice: str) -> tuple[Medium, ...]:
    """The media a channel choice stands for, in sending order ("both" is SMS then email)."""
    if choice == ChannelChoice.BOTH:
        return (Medium.SMS, Medium.EMAIL)
    return (Medium(choice),)


class TreatmentStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """An outbox row's state; `scheduler.outbound.outbox_states` owns every change of it."""

    PENDING = "pending"  # waiting for due time or for its next retry
    SENDING = "sending"  # claimed by a dispatch pass, provider call in flight
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"  # provider confirmed delivery (Twilio status callback)
    UNDELIVERED = "undelivered"
    FAILED = "failed"  # permanent error, or retries exhausted
    EXPIRED = "expired"  # its useful life ended before it could be sent
    CANCELLED = "cancelled"  # treatment cancelled or patient opted out


OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class ErrorCode(StrEnum):
    """Our own codes in `outbound_message.error_code` (providers' codes are stored as given)."""

    OPTED_OUT = "opted_out"  # cancelled because the patient opted out; START revives it
    INTERRUPTED = "interrupted"  # the sending process died mid-send: it may have gone out
    RENDER = "render"  # the template could not be rendered for this patient
    UNEXPECTED = "unexpected"  # a channel raised something other than its DeliveryError
    DUPLICATE = "duplicate"  # the same message to the same address was already queued
    ERASED = "erased"  # cancelled because the patient's data was erased; never revived


class TriageLevel(StrEnum):
    """How loudly a reply reaches staff."""

    URGENT = "urgent"
    CONCERN = "concern"
    ROUTINE = "routine"


# Loudest first: the order lists, badges and "the louder of two" follow.
LEVELS_LOUDEST_FIRST: tuple[TriageLevel, ...] = (
    TriageLevel.URGENT,
    TriageLevel.CONCERN,
    TriageLevel.ROUTINE,
)
ALERT_LEVELS: tuple[TriageLevel, ...] = (TriageLevel.URGENT, TriageLevel.CONCERN)


def louder(a: str, b: str) -> TriageLevel:
    """The louder of two levels."""
    return min(TriageLevel(a), TriageLevel(b), key=LEVELS_LOUDEST_FIRST.index)


class Keyword(StrEnum):
    """A reply that is only an opt-out, opt-in or help word."""

    STOP = "stop"
    START = "start"
    HELP = "help"


class AlertStatus(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"  # open, and the on-call contact was told
    ACKNOWLEDGED = "acknowledged"


class MediaStatus(StrEnum):
    """A reply's photo: waiting to be fetched, kept (an image), or refused (with its reason)."""

    PENDING = "pending"
    STORED = "stored"
    REFUSED = "refused"
    ERASED = "erased"  # the patient's data was erased (privacy): the row stays, the bytes go


class Role(StrEnum):
    """What a staff account may do; `scheduler.staff.roles` holds the table of permissions."""

    ADMIN = "admin"
    FRONT_DESK = "front-desk"
    PRACTITIONER = "practitioner"


class TokenScope(StrEnum):
    """What an integration's API token may do: read lists and records, or also write."""

    READ = "read"
    WRITE = "write"
