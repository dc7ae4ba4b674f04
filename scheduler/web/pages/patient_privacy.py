"""A patient's rights from their timeline: correct their details (staff), export everything and
erase them (admins, with a confirmation page)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from models import Patient
from scheduler.privacy.correction import CorrectionError, PatientCorrection, correct_patient
from scheduler.privacy.erasure import ErasureRefused, erase_patient, refusal
from scheduler.privacy.export import export_html, export_patient, patient_export
from scheduler.staff import audit
from scheduler.web.api.common import RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.i18n import gettext_of
from scheduler.web.pages.access import Corrector, Eraser, Exporter
from scheduler.web.pages.patient import timeline_response
from scheduler.web.pages.rendering import SECURITY_HEADERS, render, see_other
from scheduler.web.pages.rule_texts import rule_text

router = APIRouter(include_in_schema=False)

DETAIL_FIELDS = ("name", "phone", "email", "language")


@router.post("/patients/{patient_id}/details", response_class=HTMLResponse)
def correct_details(
    request: Request,
    patient_id: RowId,
    staff: Corrector,
    form: CsrfForm,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    typed = {name: str(form.get(name) or "").strip() for name in DETAIL_FIELDS}
    errors: dict[str, str] = {}
    try:
        correction = PatientCorrection.model_validate(typed)
        changes = correct_patient(db, patient_id, correction, by=staff.email, now=clock())
    except LookupError:
        raise HTTPException(status_code=404, detail="No such patient") from None
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "name"
            message = str(error["msg"]).removeprefix("Value error, ")
            errors.setdefault(field, message[:1].upper() + message[1:])
    except CorrectionError as exc:
        field, _sep, message = str(exc).partition(": ")
        message = rule_text(message, gettext_of(request))
        errors[field if field in DETAIL_FIELDS else "name"] = message[:1].upper() + message[1:]
    if errors:
        db.rollback()
        return timeline_response(
            request, db, staff, clock, patient_id, details=typed, details_errors=errors
        )
    db.commit()
    return see_other(f"/patients/{patient_id}?done=corrected&n={len(changes)}")


def _patient(db: SessionDep, patient_id: int) -> Patient:
    patient = db.get(Patient, patient_id)
    if patient is None:
        raise HTTPException(status_code=404, detail="No such patient")
    return patient


@router.get("/admin/patients/{patient_id}/export")
def export(
    request: Request,
    patient_id: RowId,
    staff: Exporter,
    db: SessionDep,
    clock: ClockDep,
    format: Literal["html", "json"] = "html",
) -> Response:
    """The printable page (styled from /static, under the pages' CSP), or a JSON download."""
    _patient(db, patient_id)
    now = clock()
    if format == "json":
        body = export_patient(db, patient_id, "json", by=staff.email, now=now)
        db.commit()
        disposition = f'attachment; filename="patient-{patient_id}.json"'
        headers = {**SECURITY_HEADERS, "Content-Disposition": disposition}
        return Response(body, media_type="application/json", headers=headers)
    page = export_html(
        patient_export(db, patient_id, now=now), stylesheet_href="/static/export.css"
    )
    audit.record(
        db,
        actor=staff.email,
        action="export",
        target=audit.patient_target(patient_id),
        detail="html",
        now=now,
    )
    db.commit()
    return HTMLResponse(page, headers=SECURITY_HEADERS)


@router.get("/admin/patients/{patient_id}/erase", response_class=HTMLResponse)
def erase_page(request: Request, patient_id: RowId, staff: Eraser, db: SessionDep) -> Response:
    patient = _patient(db, patient_id)
    return render(request, "erase.html", patient=patient, refused=refusal(db, patient))


@router.post("/admin/patients/{patient_id}/erase", response_class=HTMLResponse)
def erase(
    request: Request,
    patient_id: RowId,
    staff: Eraser,
    form: CsrfForm,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    patient = _patient(db, patient_id)
    try:
        report = erase_patient(db, patient_id, by=staff.email, now=clock())
    except ErasureRefused as exc:
        db.rollback()
        return render(request, "erase.html", status_code=409, patient=patient, refused=str(exc))
    db.commit()
    return see_other(f"/patients/{patient_id}?done=erased&n={report.cancelled}")
