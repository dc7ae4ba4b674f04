"""What a registration writes, as pure rules: shared by one registration and a bulk import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models import OutboxStatus
from models.vocabulary import ErrorCode, media_of
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.kinds import KindCatalog, KindError, TreatmentKind, catalog_for
from scheduler.followups.plan import PlannedMessage
from scheduler.settings import Settings

FUTURE_TOLERANCE = timedelta(hours=1)


class RegistrationError(ValueError):
    """Input that passed field validation but cannot be registered; nothing was written."""


def registration_kinds(settings: Settings) -> KindCatalog:
    """The kinds a registration may name; a kind file broken since start-up is an error."""
    try:
        return catalog_for(settings)
    except KindError as exc:
        raise RegistrationError(f"kind: the treatment kinds cannot be read: {exc}") from exc


def checked_kind(request: TreatmentCreate, kinds: KindCatalog) -> TreatmentKind:
    """The request's kind, or RegistrationError naming the known ones."""
    try:
        return kinds.require(request.kind)
    except LookupError as exc:
        raise RegistrationError(f"kind: {exc}") from exc


def performed_instant(request: TreatmentCreate, *, zone: ZoneInfo, now: datetime) -> datetime:
    """The treatment's aware instant once the cross-field rules hold; else RegistrationError."""
    if request.needs_email() and not request.email:
        raise RegistrationError(f"email: required when channel is {request.channel}")
    performed_at = request.performed_at or now
    if performed_at.tzinfo is None:
        performed_at = performed_at.replace(tzinfo=zone)
    if performed_at > now + FUTURE_TOLERANCE:
        raise RegistrationError("performed_at: more than an hour in the future")
    return performed_at


@dataclass(frozen=True)
class PatientDetails:
    """The patient fields a registration sets; the rest are kept from the stored row."""

    name: str
    email: str | None
    language: str
    preferred_channel: str


def new_patient_details(request: TreatmentCreate, *, default_language: str) -> PatientDetails:
    return PatientDetails(
        name=request.name,
        email=request.email,
        language=request.language or default_language,
        preferred_channel=request.channel,
    )


def updated_patient_details(current: PatientDetails, request: TreatmentCreate) -> PatientDetails:
    """A later registration renames and re-routes; a blank email or language keeps the old one."""
    return PatientDetails(
        name=request.name,
        email=request.email or current.email,
        language=request.language or current.language,
        preferred_channel=request.channel,
    )


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row to write: a planned step on one medium, with its starting status."""

    step: str
    channel: str
    due_at: datetime
    expires_at: datetime
    status: OutboxStatus
    error_code: str | None
    last_error: str | None


def outbox_rows(
    plan: Sequence[PlannedMessage], channel: str, *, opted_out: bool, now: datetime
) -> list[OutboxRow]:
    """Rows in step then medium order; an opted-out patient's are born cancelled."""
    rows = []
    for planned in plan:
        for medium in media_of(channel):
            status, error_code, why = OutboxStatus.PENDING, None, None
            if opted_out:
                status, error_code, why = (
                    OutboxStatus.CANCELLED,
                    ErrorCode.OPTED_OUT,
                    "patient opted out",
                )
            elif planned.expires_at <= now:
                status, why = OutboxStatus.EXPIRED, "registered after this step's useful life"
            rows.append(
                OutboxRow(
                    step=planned.step,
                    channel=medium,
                    due_at=planned.due_at,
                    expires_at=planned.expires_at,
                    status=status,
                    error_code=error_code,
                    last_error=why,
                )
            )
    return rows
