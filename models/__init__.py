"""SQLModel tables, the engine and Alembic migrations of Aftercare."""

from models.tables import (
    OPEN_STATUSES,
    Alert,
    AlertStatus,
    AuditEvent,
    ChannelChoice,
    EarlyDeliveryReport,
    InboundMessage,
    Language,
    OutboundMessage,
    OutboxStatus,
    Patient,
    PatientBase,
    Practitioner,
    StaffUser,
    Treatment,
    TreatmentStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Alert",
    "AlertStatus",
    "AuditEvent",
    "ChannelChoice",
    "EarlyDeliveryReport",
    "InboundMessage",
    "Language",
    "OutboundMessage",
    "OutboxStatus",
    "Patient",
    "PatientBase",
    "Practitioner",
    "StaffUser",
    "Treatment",
    "TreatmentStatus",
]
