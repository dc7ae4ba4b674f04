"""Writing to a patient from their timeline, and moving a shared phone's reply to its owner."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from scheduler.inbound.reply_moves import MoveError, move_reply
from scheduler.outbound.staff_messages import StaffMessageError, queue_staff_message
from scheduler.staff import audit
from scheduler.web.access import check_scope
from scheduler.web.api.common import RowId
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.i18n import gettext_of
from scheduler.web.pages.access import Contact, staff_scope
from scheduler.web.pages.patient import timeline_response
from scheduler.web.pages.rendering import see_other
from scheduler.web.pages.rule_texts import rule_text

router = APIRouter()


@router.post("/patients/{patient_id}/messages", response_class=HTMLResponse)
def write_to_patient(
    request: Request,
    patient_id: RowId,
    staff: Contact,
    form: CsrfForm,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    text = str(form.get("text") or "")
    channel = str(form.get("channel") or "")
    reply_to = str(form.get("reply_to") or "")
    now = clock()
    try:
        message = queue_staff_message(
            db,
            patient_id,
            text,
            channel,
            sent_by=staff.email,
            now=now,
            reply_to_id=int(reply_to) if reply_to.isdigit() and len(reply_to) < 10 else None,
        )
    except LookupError:
        raise HTTPException(status_code=404, detail="No such patient") from None
    except StaffMessageError as exc:
        db.rollback()
        # The page again, the text kept, the error next to the form (nothing was queued).
        written = {"text": text, "channel": channel, "reply_to": reply_to}
        return timeline_response(
            request,
            db,
            staff,
            clock,
            patient_id,
            written=written,
            write_error=rule_text(str(exc), gettext_of(request)),
        )
    audit.record(
        db,
        actor=staff.email,
        action="staff_message",
        target=audit.patient_target(patient_id),
        detail=f"message:{message.id} by {channel}"
        + (f" answering reply:{message.reply_to_id}" if message.reply_to_id else ""),
        now=now,
    )
    db.commit()
    return see_other(f"/patients/{patient_id}?done=message_queued#message-{message.id}")


@router.post("/replies/{reply_id}/move")
def move(
    request: Request,
    reply_id: RowId,
    staff: Contact,
    form: CsrfForm,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    to = str(form.get("patient_id") or "")
    if not to.isdigit() or len(to) > 9:
        raise HTTPException(status_code=400, detail="Choose the patient to move the reply to")
    # The reply is checked by the route's rule; where it goes must be in scope too.
    scope = staff_scope(request, staff)
    check_scope(request, actor=staff.email, scope=scope, records=[("patient_id", int(to))])
    try:
        before, after = move_reply(db, reply_id, int(to))
    except LookupError:
        raise HTTPException(status_code=404, detail="No such reply") from None
    except MoveError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    audit.record(
        db,
        actor=staff.email,
        action="move_reply",
        target=audit.patient_target(after),
        detail=f"reply:{reply_id} from {audit.patient_target(before) or 'no patient'}",
        now=clock(),
    )
    db.commit()
    return see_other(f"/patients/{after}?done=moved#reply-{reply_id}")
