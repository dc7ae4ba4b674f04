"""SQLModel tables, the engine and Alembic migrations of Aftercare."""

from models.tables import (
    Alert,
    ApiToken,
    AuditEvent,
    EarlyDeliveryReport,
    InboundMessage,
    OptedOutAddress,
    OutboundMessage,
    Patient,
    PatientBase,
    Practitioner,
    ReplyMedia,
    StaffUser,
    Treatment,
)
from models.vocabulary import (
    OPEN_STATUSES,
    AlertStatus,
    ChannelChoice,
    Language,
    OutboxStatus,
    TreatmentStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Alert",
    "AlertStatus",
    "ApiToken",
    "AuditEvent",
    "ChannelChoice",
    "EarlyDeliveryReport",
    "InboundMessage",
    "Language",
    "OptedOutAddress",
    "OutboundMessage",
    "OutboxStatus",
    "Patient",
    "PatientBase",
    "Practitioner",
    "ReplyMedia",
    "StaffUser",
    "Treatment",
    "TreatmentStatus",
]
