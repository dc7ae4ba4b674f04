"""The JSON API's replies route under /api: patients' replies, newest first; every call audited."""

from __future__ import annotations

from fastapi import Request

from models.vocabulary import TriageLevel
from scheduler.staff import audit, queries
from scheduler.web.api import models as m
from scheduler.web.api.auth import ActorDep, api_router
from scheduler.web.api.common import FilterId, PageDep, audit_call
from scheduler.web.deps import ClockDep, SessionDep

router = api_router()


@router.get("/replies", tags=["replies"])
def list_replies(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    actor: ActorDep,
    page: PageDep,
    level: TriageLevel | None = None,
    handled: bool | None = None,
    patient_id: FilterId = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.ReplyPublic]:
    """Patient replies, newest first."""
    filters = queries.ReplyFilter(
        level=level, handled=handled, patient_id=patient_id, practitioner_id=practitioner_id
    )
    found = queries.list_replies(db, filters, page=page)
    target = audit.patient_target(patient_id)
    audit_call(db, request, actor=actor, action="list_replies", target=target, now=clock())
    return m.page_of(found, m.reply_public)
