"""The JSON API under /api: bearer token or a staff session; every patient-facing call audited."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from models import AlertStatus, OutboxStatus, Practitioner, TreatmentStatus
from scheduler import audit, queries
from scheduler.alerts import acknowledge_alert
from scheduler.intake import TreatmentCreate
from scheduler.outbox import MessageNotFound, resend_message
from scheduler.registration import RegistrationError, cancel_treatment, register_treatment
from scheduler.settings import Settings
from scheduler.web import api_models as m
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.session import read_session, session_staff

API_TOKEN_ACTOR = "api-token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Level = Literal["urgent", "concern", "routine"]
Medium = Literal["sms", "email"]

# Ids are 32-bit integer columns on PostgreSQL; a larger number is a 422, never a driver error.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]

_bearer = HTTPBearer(
    auto_error=False,
    description="The service's API_TOKEN. A logged-in staff session (cookie) works too.",
)


def _unauthorized(detail: str) -> NoReturn:
    raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token (API disabled) never matches."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def api_actor(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Who is calling: "api-token" for the bearer token, else the logged-in staff member's email."""
    if credentials is not None:
        if token_matches(credentials.credentials, settings.api_token.get_secret_value()):
            return API_TOKEN_ACTOR
        _unauthorized("invalid API token")
    staff = session_staff(request)
    if staff is None:
        _unauthorized("send Authorization: Bearer <API_TOKEN>, or log in")
    if request.method not in SAFE_METHODS:
        # A cookie travels with requests other sites make; a header they cannot set proves
        # the call came from our own pages.
        data = read_session(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if data is None or not hmac.compare_digest(sent.encode(), data.csrf.encode()):
            raise HTTPException(status_code=403, detail=f"{CSRF_HEADER} header missing or wrong")
    return staff.email


ActorDep = Annotated[str, Depends(api_actor)]

router = APIRouter(
    prefix="/api",
    dependencies=[Depends(api_actor)],
    responses={
        401: {"description": "No or wrong API token, and no staff session"},
        403: {"description": "Staff session without its CSRF header on a write"},
    },
)


def page_request(
    page: Annotated[int, Query(ge=1, le=queries.MAX_PAGE, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50,
) -> queries.PageRequest:
    return queries.PageRequest(page, per_page)


PageDep = Annotated[queries.PageRequest, Depends(page_request)]


def _field_error(message: str) -> NoReturn:
    """A rule the service checked ("email: required when …") as a 422 naming the field."""
    field, sep, text = message.partition(": ")
    loc = ("body", field) if sep and field.isidentifier() else ("body",)
    raise RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": text if sep else message, "input": None}]
    )


def _not_found(what: str, ident: int) -> NoReturn:
    raise HTTPException(status_code=404, detail=f"no {what} with id {ident}")


def _aware(moment: datetime | None, settings: Settings) -> datetime | None:
    """Query times without an offset are clinic-local, as everywhere staff type a time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=settings.zone)


def _audit(
    db: Session,
    request: Request,
    *,
    actor: str,
    action: str,
    target: str | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    audit.record(
        db,
        actor=actor,
        action=action,
        target=target,
        detail=detail if detail is not None else (request.url.query or None),
        now=now,
    )
    db.commit()


# --- treatments -------------------------------------------------------------------------------


@router.post(
    "/treatments",
    status_code=201,
    tags=["treatments"],
    responses={400: {"description": "The body is not readable text (e.g. not UTF-8)"}},
)
def create_treatment(
    body: TreatmentCreate,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: ActorDep,
) -> m.TreatmentCreated:
    """Register a treatment (creating or updating its patient) and schedule its messages."""
    now = clock()
    try:
        done = register_treatment(db, body, settings=settings, now=now)
    except RegistrationError as exc:
        db.rollback()
        _field_error(str(exc))
    treatment_id = done.treatment.id
    _audit(
        db,
        request,
        actor=actor,
        action="register",
        target=f"patient:{done.patient.id}",
        detail=f"treatment:{treatment_id}",
        now=now,
    )
    practitioner_id = done.treatment.practitioner_id
    practitioner = db.get(Practitioner, practitioner_id) if practitioner_id else None
    detail = m.treatment_detail(done.treatment, done.patient, practitioner, done.messages)
    return m.TreatmentCreated(**detail.model_dump(), warnings=done.warnings)


@router.get("/treatments", tags=["treatments"])
def list_treatments(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    status: TreatmentStatus | None = None,
    patient_id: FilterId = None,
    practitioner_id: FilterId = None,
    performed_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    performed_to: Annotated[datetime | None, Query(description="exclusive")] = None,
) -> m.Page[m.TreatmentListItem]:
    """Treatments, most recently performed first."""
    filters = queries.TreatmentFilter(
        status=status,
        patient_id=patient_id,
        practitioner_id=practitioner_id,
        performed_from=_aware(performed_from, settings),
        performed_to=_aware(performed_to, settings),
    )
    found = queries.list_treatments(db, filters, page=page)
    target = f"patient:{patient_id}" if patient_id is not None else None
    _audit(db, request, actor=actor, action="list_treatments", target=target, now=clock())
    return m.page_of(found, m.treatment_item)


@router.get("/treatments/{treatment_id}", tags=["treatments"], responses={404: {}})
def get_treatment(
    treatment_id: RowId, request: Request, db: SessionDep, clock: ClockDep, actor: ActorDep
) -> m.TreatmentDetailPublic:
    """A treatment with its patient, practitioner and every scheduled message."""
    found = queries.treatment_detail(db, treatment_id)
    if found is None:
        _not_found("treatment", treatment_id)
    _audit(
        db,
        request,
        actor=actor,
        action="view_treatment",
        target=f"patient:{found.patient.id}",
        detail=f"treatment:{treatment_id}",
        now=clock(),
    )
    return m.treatment_detail(found.treatment, found.patient, found.practitioner, found.messages)


@router.post("/treatments/{treatment_id}/cancel", tags=["treatments"], responses={404: {}})
def cancel(
    treatment_id: RowId, request: Request, db: SessionDep, clock: ClockDep, actor: ActorDep
) -> m.CancelResult:
    """Cancel a treatment: its pending messages will not go out. Cancelling twice is harmless."""
    now = clock()
    try:
        stopped = cancel_treatment(db, treatment_id, now=now)
    except RegistrationError:
        db.rollback()
        _not_found("treatment", treatment_id)
    found = queries.treatment_detail(db, treatment_id)
    assert found is not None
    _audit(
        db,
        request,
        actor=actor,
        action="cancel",
        target=f"patient:{found.patient.id}",
        detail=f"treatment:{treatment_id}; {stopped} message(s) stopped",
        now=now,
    )
    return m.CancelResult(treatment=m.treatment_public(found.treatment), cancelled_messages=stopped)


# --- patients and messages --------------------------------------------------------------------


@router.get("/patients", tags=["patients"])
def search_patients(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    q: Annotated[str, Query(max_length=200, description="Part of a name, or phone digits")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[m.PatientPublic]:
    """Patients by name (ignoring case and accents) or phone digits; newest first without q."""
    found = queries.search_patients(db, q, limit=limit)
    _audit(db, request, actor=actor, action="search_patients", target=None, now=clock())
    return [m.patient_public(p) for p in found]


@router.get("/messages", tags=["messages"])
def list_messages(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[list[OutboxStatus] | None, Query(description="repeatable")] = None,
    channel: Medium | None = None,
    treatment_id: FilterId = None,
    patient_id: FilterId = None,
    due_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    due_to: Annotated[datetime | None, Query(description="exclusive")] = None,
) -> m.Page[m.MessageListItem]:
    """The outbox, in due order."""
    filters = queries.MessageFilter(
        statuses=tuple(status or ()),
        channel=channel,
        treatment_id=treatment_id,
        patient_id=patient_id,
        due_from=_aware(due_from, settings),
        due_to=_aware(due_to, settings),
    )
    found = queries.list_messages(db, filters, page=page)
    target = f"patient:{patient_id}" if patient_id is not None else None
    _audit(db, request, actor=actor, action="list_messages", target=target, now=clock())
    return m.page_of(found, m.message_item)


@router.post("/messages/{message_id}/resend", tags=["messages"], responses={404: {}, 409: {}})
def resend(
    message_id: RowId, request: Request, db: SessionDep, clock: ClockDep, actor: ActorDep
) -> m.MessagePublic:
    """Queue a failed, undelivered or expired message again, due now."""
    now = clock()
    try:
        message = resend_message(db, message_id, now=now)
    except MessageNotFound:
        db.rollback()
        _not_found("message", message_id)
    except ValueError as exc:
        db.rollback()
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    found = queries.treatment_detail(db, message.treatment_id)
    assert found is not None
    _audit(
        db,
        request,
        actor=actor,
        action="resend",
        target=f"patient:{found.patient.id}",
        detail=f"message:{message_id}",
        now=now,
    )
    return m.message_public(message)


# --- replies and alerts -----------------------------------------------------------------------


@router.get("/replies", tags=["replies"])
def list_replies(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    level: Level | None = None,
    handled: bool | None = None,
    patient_id: FilterId = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.ReplyPublic]:
    """Patient replies, newest first."""
    filters = queries.ReplyFilter(
        level=level, handled=handled, patient_id=patient_id, practitioner_id=practitioner_id
    )
    found = queries.list_replies(db, filters, page=page)
    target = f"patient:{patient_id}" if patient_id is not None else None
    _audit(db, request, actor=actor, action="list_replies", target=target, now=clock())
    return m.page_of(found, m.reply_public)


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    level: Annotated[list[Level] | None, Query(description="repeatable")] = None,
    status: Annotated[list[AlertStatus] | None, Query(description="repeatable")] = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.AlertPublic]:
    """Alerts: unacknowledged first, urgent before concern, then newest."""
    filters = queries.AlertFilter(
        levels=tuple(level or ()), statuses=tuple(status or ()), practitioner_id=practitioner_id
    )
    found = queries.list_alerts(db, filters, page=page)
    _audit(db, request, actor=actor, action="list_alerts", target=None, now=clock())
    return m.page_of(found, m.alert_public)


@router.post("/alerts/{alert_id}/ack", tags=["alerts"], responses={404: {}})
def ack_alert(
    alert_id: RowId, request: Request, db: SessionDep, clock: ClockDep, actor: ActorDep
) -> m.AlertPublic:
    """Acknowledge an alert; a second acknowledgement keeps the first one's time and author."""
    now = clock()
    found = queries.alert_row(db, alert_id)
    if found is None:
        _not_found("alert", alert_id)
    target = f"patient:{found.patient.id}" if found.patient is not None else None
    # Added first: acknowledge_alert commits, and the audit row must go with the ack.
    audit.record(
        db, actor=actor, action="ack_alert", target=target, detail=f"alert:{alert_id}", now=now
    )
    acknowledge_alert(db, alert_id, by=actor, now=now)
    db.commit()
    refreshed = queries.alert_row(db, alert_id)
    assert refreshed is not None
    return m.alert_public(refreshed)
