"""The EN | FR switch in the page header: stores the staff member's language on the account."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from models.tables import StaffUser
from scheduler.staff import audit
from scheduler.web.csrf import CsrfForm
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.i18n import supported
from scheduler.web.pages.access import Viewer
from scheduler.web.pages.rendering import safe_next, see_other

router = APIRouter(include_in_schema=False)


@router.post("/account/language")
def set_language(
    request: Request, staff: Viewer, form: CsrfForm, db: SessionDep, clock: ClockDep
) -> Response:
    language = supported(form.get("language"))
    account = db.get(StaffUser, staff.id)
    if language is not None and account is not None and account.language != language:
        account.language = language
        audit.record(db, actor=staff.email, action="set_language", detail=language, now=clock())
        db.commit()
        # This request's cached row still has the old language; the next page reads it afresh.
        staff.language = language
    return see_other(safe_next(form.get("next")))
