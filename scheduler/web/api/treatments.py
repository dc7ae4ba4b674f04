"""The JSON API's treatment and patient routes under /api; every patient-facing call audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NoReturn

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError

from models import Practitioner, TreatmentStatus
from scheduler.followups.intake import TreatmentCreate
from scheduler.followups.registration import RegistrationError, cancel_treatment, register_treatment
from scheduler.outbound.optout import opted_out_by_patient, opted_out_media
from scheduler.outbound.staff_messages import StaffMessageError, queue_staff_message
from scheduler.staff import audit, queries
from scheduler.web.api import models as m
from scheduler.web.api.auth import Contact, Reader, Registrar, api_router
from scheduler.web.api.common import (
    FilterId,
    PageDep,
    RowId,
    audit_call,
    audit_list,
    aware,
    not_found,
)
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep

router = api_router()


def _field_error(message: str) -> NoReturn:
    """A rule the service checked ("email: required when …") as a 422 naming the field."""
    field, sep, text = message.partition(": ")
    loc = ("body", field) if sep and field.isidentifier() else ("body",)
    raise RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": text if sep else message, "input": None}]
    )


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
    caller: Registrar,
) -> m.TreatmentCreated:
    """Register a treatment (creating or updating its patient) and schedule its messages."""
    now = clock()
    try:
        done = register_treatment(db, body, settings=settings, now=now)
    except RegistrationError as exc:
        db.rollback()
        _field_error(str(exc))
    treatment_id = done.treatment.id
    audit_call(
        db,
        request,
        actor=caller.actor,
        action="register",
        target=audit.patient_target(done.patient.id),
        detail=f"treatment:{treatment_id}",
        now=now,
    )
    practitioner_id = done.treatment.practitioner_id
    practitioner = db.get(Practitioner, practitioner_id) if practitioner_id else None
    blocked = opted_out_media(db, done.patient)
    detail = m.treatment_detail(done.treatment, done.patient, practitioner, done.messages, blocked)
    return m.TreatmentCreated(**detail.model_dump(), warnings=done.warnings)


@router.get("/treatments", tags=["treatments"])
def list_treatments(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    caller: Reader,
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
        performed_from=aware(performed_from, settings),
        performed_to=aware(performed_to, settings),
        scope=caller.scope,
    )
    found = queries.list_treatments(db, filters, page=page)
    audit_list(
        db,
        request,
        actor=caller.actor,
        action="list_treatments",
        target=audit.patient_target(patient_id),
        shown=[row.patient.id for row in found.items],
        now=clock(),
    )
    blocked = opted_out_by_patient(db, [row.patient for row in found.items])
    return m.page_of(found, lambda row: m.treatment_item(row, blocked.get(row.patient.id or 0, ())))


@router.get("/treatments/{treatment_id}", tags=["treatments"], responses={404: {}})
def get_treatment(
    treatment_id: RowId, request: Request, db: SessionDep, clock: ClockDep, caller: Reader
) -> m.TreatmentDetailPublic:
    """A treatment with its patient, practitioner and every scheduled message."""
    found = queries.treatment_detail(db, treatment_id)
    if found is None:
        not_found("treatment", treatment_id)
    audit_call(
        db,
        request,
        actor=caller.actor,
        action="view_treatment",
        target=audit.patient_target(found.patient.id),
        detail=f"treatment:{treatment_id}",
        now=clock(),
    )
    blocked = opted_out_media(db, found.patient)
    return m.treatment_detail(
        found.treatment, found.patient, found.practitioner, found.messages, blocked
    )


@router.post("/treatments/{treatment_id}/cancel", tags=["treatments"], responses={404: {}})
def cancel(
    treatment_id: RowId, request: Request, db: SessionDep, clock: ClockDep, caller: Registrar
) -> m.CancelResult:
    """Cancel a treatment: its pending messages will not go out. Cancelling twice is harmless."""
    now = clock()
    try:
        stopped = cancel_treatment(db, treatment_id, now=now)
    except RegistrationError:
        db.rollback()
        not_found("treatment", treatment_id)
    found = queries.treatment_detail(db, treatment_id)
    assert found is not None
    audit_call(
        db,
        request,
        actor=caller.actor,
        action="cancel",
        target=audit.patient_target(found.patient.id),
        detail=f"treatment:{treatment_id}; {stopped} message(s) stopped",
        now=now,
    )
    return m.CancelResult(treatment=m.treatment_public(found.treatment), cancelled_messages=stopped)


# --- patients ---------------------------------------------------------------------------------


@router.get("/patients", tags=["patients"])
def search_patients(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    caller: Reader,
    q: Annotated[str, Query(max_length=200, description="Part of a name, or phone digits")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[m.PatientPublic]:
    """Patients by name (ignoring case and accents) or phone digits; newest first without q."""
    found = queries.search_patients(db, q, limit=limit, scope=caller.scope)
    audit_list(
        db,
        request,
        actor=caller.actor,
        action="search_patients",
        # What was searched for is patient data: the log keeps only how many were found.
        detail=audit.search_detail(len(found)) if q.strip() else None,
        shown=[p.id for p in found],
        now=clock(),
    )
    blocked = opted_out_by_patient(db, found)
    return [m.patient_public(p, blocked.get(p.id or 0, ())) for p in found]


@router.post(
    "/patients/{patient_id}/messages",
    tags=["patients"],
    status_code=201,
    responses={404: {}, 422: {}},
)
def write_to_patient(
    patient_id: RowId,
    body: m.StaffMessageCreate,
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    caller: Contact,
) -> m.MessagePublic:
    """Queue a message staff wrote to the patient (same outbox, rate limit and opt-outs)."""
    now = clock()
    try:
        message = queue_staff_message(
            db,
            patient_id,
            body.text,
            body.channel,
            sent_by=caller.actor,
            now=now,
            reply_to_id=body.reply_to_id,
        )
    except LookupError:
        db.rollback()
        not_found("patient", patient_id)
    except StaffMessageError as exc:
        db.rollback()
        _field_error(str(exc))
    audit_call(
        db,
        request,
        actor=caller.actor,
        action="staff_message",
        target=audit.patient_target(patient_id),
        detail=f"message:{message.id} by {body.channel}",
        now=now,
    )
    return m.message_public(message)
