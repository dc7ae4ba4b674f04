"""A patient's timeline, and what staff can do from it (each action a POST with a CSRF token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.datastructures import FormData

from models import Alert, InboundMessage, OutboundMessage, Treatment
from models.tables import StaffUser
from models.vocabulary import media_of
from scheduler.channels.media import MEDIA, address_of
from scheduler.clock import Clock
from scheduler.followups.registration import RegistrationError, cancel_treatment
from scheduler.inbound.replies import mark_handled
from scheduler.outbound.optout import opt_in_patient, opt_out_patient
from scheduler.outbound.outbox import resend_message
from scheduler.outbound.staff_messages import MAX_TEXT
from scheduler.staff import audit
from scheduler.staff.photos import photos_by_reply
from scheduler.staff.snippets import load_snippets
from scheduler.staff.timeline import EntryKind, patient_timeline
from scheduler.web.api.common import MAX_ID, RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.i18n import N_, request_translations
from scheduler.web.pages.access import Contact, Registrar, Viewer
from scheduler.web.pages.rendering import render, safe_next, see_other

router = APIRouter(include_in_schema=False)

# What the page says after an action; the redirect carries only the key and a count.
NOTICES = {
    "cancelled": N_("Follow-ups cancelled: %(n)s pending message(s) will not be sent."),
    "resent": N_("The message is queued again and goes out at the next dispatch pass."),
    "handled": N_("Reply marked as handled."),
    "opted_out": N_("Patient opted out: %(n)s pending message(s) cancelled."),
    "opted_in": N_("Patient opted back in: %(n)s message(s) will be sent again."),
    "registered": N_("Treatment registered."),
    "message_queued": N_("Message queued: it goes out at the next dispatch pass."),
    "moved": N_("The reply (and its alert) now belong to this patient."),
    "corrected": N_(
        "Details corrected: %(n)s field(s) changed (the old values are in the audit log)."
    ),
    "erased": N_(
        "Patient erased: %(n)s pending message(s) cancelled; their details and texts are "
        "gone, counts and statuses stay."
    ),
}


def notice_text(done: str | None, n: int | None, gettext: Callable[[str], str] = str) -> str | None:
    """The flash message for `done` in the reader's language (`gettext`)."""
    template = NOTICES.get(done or "")
    return gettext(template) % {"n": n if n is not None else 0} if template else None


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def timeline_page(
    request: Request,
    patient_id: RowId,
    staff: Viewer,
    db: SessionDep,
    clock: ClockDep,
    done: str | None = None,
    n: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    error: str | None = None,
    reply: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    written = {"reply_to": str(reply)} if reply is not None else {}
    return timeline_response(
        request, db, staff, clock, patient_id, done=done, n=n, error=error, written=written
    )


def timeline_response(
    request: Request,
    db: Session,
    staff: StaffUser,
    clock: Clock,
    patient_id: RowId,
    *,
    done: str | None = None,
    n: int | None = None,
    error: str | None = None,
    written: dict[str, str] | None = None,
    write_error: str | None = None,
    details: dict[str, str] | None = None,
    details_errors: dict[str, str] | None = None,
) -> Response:
    """The timeline page, audited as a view; `written` refills the message form, `details`
    the correction form."""
    gettext = request_translations(request).gettext
    timeline = patient_timeline(db, patient_id)
    if timeline is None:
        raise HTTPException(status_code=404, detail="No such patient")
    audit.record(
        db,
        actor=staff.email,
        action="view_timeline",
        target=audit.patient_target(patient_id),
        now=clock(),
    )
    db.commit()
    patient = timeline.patient
    reachable = [
        medium
        for medium in MEDIA
        if address_of(patient, medium) is not None and medium not in timeline.opted_out
    ]
    default = next((m for m in media_of(patient.preferred_channel) if m in reachable), None)
    typed = {
        "name": patient.name,
        "phone": patient.phone,
        "email": patient.email or "",
        "language": patient.language,
        **(details or {}),
    }
    return render(
        request,
        "patient.html",
        status_code=400 if write_error or details_errors else 200,
        details=typed,
        details_errors=details_errors or {},
        timeline=timeline,
        photos=photos_by_reply(
            db, [e.item.id for e in timeline.entries if e.kind == EntryKind.REPLY]
        ),
        notice=notice_text(done, n, gettext),
        error=gettext(ERRORS[error]) if error in ERRORS else None,
        reachable=reachable,
        written={"channel": default or "", "text": "", "reply_to": "", **(written or {})},
        write_error=write_error,
        snippets=load_snippets(patient.language),
        max_text=MAX_TEXT,
    )


ERRORS = {
    "resend": N_("That message cannot be sent again (it is not failed, or the patient opted out)."),
    "cancel": N_("That treatment no longer exists."),
}


def _back(form: FormData, default: str, done: str, n: int | None = None) -> Response:
    target = safe_next(form.get("next"), default)
    separator = "&" if "?" in target else "?"
    suffix = f"{separator}done={done}" + (f"&n={n}" if n is not None else "")
    return see_other(target + suffix)


def _patient_of(db: Session, row: Treatment | OutboundMessage | InboundMessage | Alert) -> int:
    if isinstance(row, Treatment):
        return row.patient_id
    if isinstance(row, OutboundMessage):
        treatment = db.get(Treatment, row.treatment_id)
        return treatment.patient_id if treatment else 0
    return row.patient_id or 0


def _target(patient_id: int) -> str:
    return audit.patient_target(patient_id or None) or "patient:unknown"


def _home(patient_id: RowId, fallback: str = "/") -> str:
    return f"/patients/{patient_id}" if patient_id else fallback


@router.post("/treatments/{treatment_id}/cancel")
def cancel(
    treatment_id: RowId, staff: Registrar, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    now = clock()
    treatment = db.get(Treatment, treatment_id)
    if treatment is None:
        raise HTTPException(status_code=404, detail="No such treatment")
    try:
        stopped = cancel_treatment(db, treatment_id, now=now)
    except RegistrationError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    audit.record(
        db,
        actor=staff.email,
        action="cancel",
        target=_target(treatment.patient_id),
        detail=f"treatment:{treatment_id}; {stopped} message(s) stopped",
        now=now,
    )
    db.commit()
    return _back(form, _home(treatment.patient_id), "cancelled", stopped)


@router.post("/messages/{message_id}/resend")
def resend(
    message_id: RowId, staff: Contact, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    now = clock()
    message = db.get(OutboundMessage, message_id)
    if message is None:
        raise HTTPException(status_code=404, detail="No such message")
    patient_id = _patient_of(db, message)
    try:
        resend_message(db, message_id, now=now)
    except ValueError:
        db.rollback()
        return see_other(f"{_home(patient_id)}?error=resend")
    audit.record(
        db,
        actor=staff.email,
        action="resend",
        target=_target(patient_id),
        detail=f"message:{message_id}",
        now=now,
    )
    db.commit()
    return _back(form, _home(patient_id), "resent")


def _domain_action(
    db: Session,
    row: InboundMessage | Alert | None,
    what: str,
    act: Callable[[], object],
    *,
    actor: str,
    action: str,
    clock: Clock,
) -> int:
    """Audit first, in the same transaction the domain function commits; 404 if missing."""
    if row is None:
        raise HTTPException(status_code=404, detail=f"No such {what}")
    patient_id = _patient_of(db, row)
    audit.record(
        db,
        actor=actor,
        action=action,
        target=_target(patient_id),
        detail=f"{what}:{row.id}",
        now=clock(),
    )
    try:
        act()
    except LookupError as exc:
        db.rollback()
        raise HTTPException(status_code=404, detail=f"No such {what}") from exc
    db.commit()
    return patient_id


@router.post("/replies/{reply_id}/handled")
def handled(
    reply_id: RowId, staff: Contact, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    patient_id = _domain_action(
        db,
        db.get(InboundMessage, reply_id),
        "reply",
        lambda: mark_handled(db, reply_id, by=staff.email, now=clock()),
        actor=staff.email,
        action="mark_handled",
        clock=clock,
    )
    return _back(form, _home(patient_id, "/inbox"), "handled")


@router.post("/patients/{patient_id}/opt-out")
def patient_opt_out(
    patient_id: RowId, staff: Contact, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    return _opt(patient_id, staff.email, form, db, clock, out=True)


@router.post("/patients/{patient_id}/opt-in")
def patient_opt_in(
    patient_id: RowId, staff: Contact, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    return _opt(patient_id, staff.email, form, db, clock, out=False)


def _opt(
    patient_id: RowId, actor: str, form: FormData, db: Session, clock: Clock, *, out: bool
) -> Response:
    now = clock()
    try:
        changed = (opt_out_patient if out else opt_in_patient)(db, patient_id, now=now)
    except LookupError as exc:
        db.rollback()
        raise HTTPException(status_code=404, detail="No such patient") from exc
    audit.record(
        db,
        actor=actor,
        action="opt_out" if out else "opt_in",
        target=audit.patient_target(patient_id),
        detail=f"{changed} message(s) {'cancelled' if out else 'revived'}",
        now=now,
    )
    db.commit()
    return _back(form, f"/patients/{patient_id}", "opted_out" if out else "opted_in", changed)
