"""What a registration writes, as pure rules: shared by one registration and a bulk import."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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


def updated_patient_details(
    current: PatientDetails, request: TreatmentCreate, *, rename: bool = False
) -> PatientDetails:
    """A later registration re-routes; a blank email or language keeps the old one. The name
    changes only when staff said this is the same person (`rename`)."""
    return PatientDetails(
        name=request.name if rename else current.name,
        email=request.email or current.email,
        language=request.language or current.language,
        preferred_channel=request.channel,
    )


@dataclass(frozen=True)
class KnownPatient:
    """A stored patient using the phone a registration gives."""

    id: int
    name: str


@dataclass(frozen=True)
class Identity:
    """Who a registration is for: an existing patient (perhaps renamed), or a new one."""

    patient_id: int | None  # None: a new patient
    rename: bool = False


def same_name(a: str, b: str) -> bool:
    """Names compared as people type them: case, accents kept, spacing ignored."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def choose_patient(request: TreatmentCreate, known: Sequence[KnownPatient]) -> Identity:
    """The patient this registration is for. A patient is a person, not a phone number: when
    the phone is someone else's, staff must say who this is; nothing is renamed silently."""
    wanted = request.patient_id()
    if wanted is not None:
        if not any(k.id == wanted for k in known):
            raise RegistrationError(f"patient: patient {wanted} does not use this phone")
        match = next(k for k in known if k.id == wanted)
        return Identity(wanted, rename=not same_name(match.name, request.name))
    if request.patient == "new" or not known:
        return Identity(None)
    named = [k for k in known if same_name(k.name, request.name)]
    if named:
        return Identity(named[0].id)
    if request.patient == "same":
        if len(known) == 1:
            return Identity(known[0].id, rename=True)
        raise RegistrationError(
            f"patient: {len(known)} patients use this phone ({_listed(known)}); "
            "say which one with patient=<id>"
        )
    raise PhoneInUse(
        f"phone: already used by {_listed(known)}; if this is the same person, register with "
        "patient=same (their name becomes the one given here); for another person sharing "
        "this phone, patient=new",
        known,
    )


def _listed(known: Sequence[KnownPatient]) -> str:
    return ", ".join(f"{k.name} (patient {k.id})" for k in known)


@dataclass(frozen=True)
class EarlierTreatment:
    id: int
    kind: str
    treated_on: date  # the clinic-local date


def duplicate_of(
    request: TreatmentCreate, treated_on: date, earlier: Sequence[EarlierTreatment]
) -> EarlierTreatment | None:
    """An active treatment of the same kind on the same local date, unless forced."""
    if request.force:
        return None
    return next((t for t in earlier if t.kind == request.kind and t.treated_on == treated_on), None)


def duplicate_error(name: str, found: EarlierTreatment) -> DuplicateTreatment:
    return DuplicateTreatment(
        f"force: {name} already has a {found.kind} treatment on {found.treated_on} "
        f"(treatment {found.id}); register again with force to add a second one that day",
        found,
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
    plan: Sequence[PlannedMessage],
    channel: str,
    *,
    opted_out: Collection[str] = (),
    queued: Collection[tuple[str, str]] = (),
    now: datetime,
) -> list[OutboxRow]:
    """Rows in step then medium order. Rows to an opted-out medium are born cancelled, and so
    is a copy of a message already queued to the same address for the same step and day
    (`queued`: the (medium, step) pairs already queued to this patient's addresses)."""
    rows = []
    for planned in plan:
        for medium in media_of(channel):
            status, error_code, why = OutboxStatus.PENDING, None, None
            twin = (medium, planned.step) in queued
            if medium in opted_out:
                status, error_code, why = (
                    OutboxStatus.CANCELLED,
                    ErrorCode.OPTED_OUT,
                    "patient opted out",
                )
            elif twin:
                status, error_code, why = (
                    OutboxStatus.CANCELLED,
                    ErrorCode.DUPLICATE,
                    "the same message is already queued to this address",
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


class PhoneInUse(RegistrationError):
    """The phone is other patients'; staff must say whether this is one of them or not."""

    def __init__(self, message: str, known: Sequence[KnownPatient]) -> None:
        super().__init__(message)
        self.known = list(known)


class DuplicateTreatment(RegistrationError):
    """The same patient, kind and local date are registered already; `force` registers again."""

    def __init__(self, message: str, earlier: EarlierTreatment) -> None:
        super().__init__(message)
        self.earlier = earlier
