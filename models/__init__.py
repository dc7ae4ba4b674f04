"""SQLModel tables, the engine and Alembic migrations of Aftercare."""

from models.tables import (
    OPEN_STATUSES,
    Alert,
    ChannelChoice,
    EarlyDeliveryReport,
    InboundMessage,
    Language,
    OutboundMessage,
    OutboxStatus,
    Patient,
    PatientBase,
    Practitioner,
    Treatment,
    TreatmentStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Alert",
    "ChannelChoice",
    "EarlyDeliveryReport",
    "InboundMessage",
    "Language",
    "OutboundMessage",
    "OutboxStatus",
    "Patient",
    "PatientBase",
    "Practitioner",
    "Treatment",
    "TreatmentStatus",
]
