"""Register a treatment (new or existing patient) and show what it scheduled."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from models import Patient
from scheduler.followups.kinds import DEFAULT_KIND
from scheduler.followups.practitioners import list_practitioners
from scheduler.followups.registration import RegistrationError, register_treatment
from scheduler.followups.registration_rules import DuplicateTreatment, PhoneInUse
from scheduler.settings import Settings
from scheduler.staff import audit
from scheduler.staff.queries import search_patients, treatment_detail
from scheduler.web.access import check_scope
from scheduler.web.api.common import FilterId, RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep, SettingsDep
from scheduler.web.i18n import N_, request_translations
from scheduler.web.pages.access import Registrar, Viewer, staff_scope
from scheduler.web.pages.register_form import (
    CONSENT_SOURCES,
    parse_register_form,
    registration_error,
    translate_error,
)
from scheduler.web.pages.rendering import page_kinds, render, see_other

router = APIRouter(include_in_schema=False)


def _defaults(settings: Settings, now: datetime, patient: Patient | None) -> dict[str, str]:
    local = now.astimezone(settings.zone)
    values = {
        "name": "",
        "phone": "",
        "email": "",
        "language": settings.default_language,
        "channel": "sms",
        "consent_source": "in-clinic",
        "kind": DEFAULT_KIND,
        "performed_date": local.strftime("%Y-%m-%d"),
        "performed_time": local.strftime("%H:%M"),
        "practitioner": "",
        "patient": "",
        "force": "",
    }
    if patient is not None:
        values.update(
            # Chosen from the search: this person, whatever the name field says next.
            patient=str(patient.id),
            name=patient.name,
            phone=patient.phone,
            email=patient.email or "",
            language=patient.language,
            channel=patient.preferred_channel,
        )
    return values


def _form_page(
    request: Request,
    db: Session,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    patient: Patient | None = None,
    query: str = "",
    matches: list[Patient] | None = None,
    status_code: int = 200,
    phone_in_use: PhoneInUse | None = None,
    duplicate: DuplicateTreatment | None = None,
) -> Response:
    return render(
        request,
        "register.html",
        status_code=status_code,
        values=values,
        errors=errors or {},
        patient=patient,
        phone_in_use=phone_in_use,
        duplicate=duplicate,
        query=query,
        matches=matches,
        kinds=list(kinds.kinds.values()) if (kinds := page_kinds(request)) else [],
        consent_sources=CONSENT_SOURCES,
        practitioners=list_practitioners(db),
    )


@router.get("/treatments/new", response_class=HTMLResponse)
def register_page(
    request: Request,
    staff: Registrar,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    patient: FilterId = None,
) -> Response:
    found = db.get(Patient, patient) if patient is not None else None
    if found is not None and found.erased_at is not None:
        found = None  # nothing left to fill the form with: a new registration starts afresh
    if found is not None:
        check_scope(
            request,
            actor=staff.email,
            scope=staff_scope(request, staff),
            records=[("patient_id", patient or 0)],
        )
        audit.record(
            db,
            actor=staff.email,
            action="view_patient",
            target=audit.patient_target(found.id),
            now=clock(),
        )
        db.commit()
    return _form_page(request, db, _defaults(settings, clock(), found), patient=found)


@router.post("/treatments/new/search", response_class=HTMLResponse)
def search(
    request: Request,
    staff: Registrar,
    form: CsrfForm,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    # POSTed so that names and numbers never sit in URLs, browser history or access logs.
    query = str(form.get("q") or "").strip()
    matches = search_patients(db, query, scope=staff_scope(request, staff)) if query else []
    audit.record(
        db,
        actor=staff.email,
        action="search",
        detail=audit.search_detail(len(matches)),
        now=clock(),
        shown=[p.id for p in matches],
    )
    db.commit()
    return _form_page(request, db, _defaults(settings, clock(), None), query=query, matches=matches)


@router.post("/treatments/new", response_class=HTMLResponse)
def register(
    request: Request,
    staff: Registrar,
    form: CsrfForm,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    gettext = request_translations(request).gettext
    parsed = parse_register_form(form)
    # The form's own errors are English msgids: shown in the reader's language.
    parsed.errors = {name: translate_error(text, gettext) for name, text in parsed.errors.items()}
    if parsed.request is not None:
        now = clock()
        try:
            registered = register_treatment(db, parsed.request, settings=settings, now=now)
        except PhoneInUse as exc:
            db.rollback()
            names = ", ".join(k.name for k in exc.known)
            parsed.errors["patient"] = gettext(
                N_("This phone is already %(names)s's. Who is this patient?")
            ) % {"names": names}
            return _form_page(
                request, db, parsed.values, errors=parsed.errors, status_code=400, phone_in_use=exc
            )
        except DuplicateTreatment as exc:
            db.rollback()
            found = exc.earlier
            parsed.errors["force"] = gettext(
                N_(
                    "A %(kind)s treatment on %(day)s is already registered for this"
                    " patient. Tick the box to register a second one that day."
                )
            ) % {"kind": found.kind, "day": found.treated_on}
            return _form_page(
                request, db, parsed.values, errors=parsed.errors, status_code=400, duplicate=exc
            )
        except RegistrationError as exc:
            db.rollback()
            field, message = registration_error(str(exc), gettext)
            parsed.errors[field] = message
        else:
            treatment_id = registered.treatment.id
            audit.record(
                db,
                actor=staff.email,
                action="register",
                target=audit.patient_target(registered.patient.id),
                detail=f"treatment:{treatment_id}",
                now=now,
            )
            db.commit()
            return see_other(f"/treatments/{treatment_id}?done=registered")
    return _form_page(request, db, parsed.values, errors=parsed.errors, status_code=400)


@router.get("/treatments/{treatment_id}", response_class=HTMLResponse)
def treatment_page(
    request: Request,
    treatment_id: RowId,
    staff: Viewer,
    db: SessionDep,
    clock: ClockDep,
    done: str | None = None,
) -> Response:
    detail = treatment_detail(db, treatment_id)
    if detail is None:
        raise HTTPException(status_code=404, detail="No such treatment")
    audit.record(
        db,
        actor=staff.email,
        action="view_treatment",
        target=audit.patient_target(detail.patient.id),
        detail=f"treatment:{treatment_id}",
        now=clock(),
    )
    db.commit()
    return render(request, "treatment.html", detail=detail, done=done)
