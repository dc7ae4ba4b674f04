"""The JSON API's replies route under /api: patients' replies, newest first; every call audited."""

from __future__ import annotations

from fastapi import Request

from models.vocabulary import TriageLevel
from scheduler.staff import audit, queries
from scheduler.staff.photos import photos_by_reply
from scheduler.web.api import models as m
from scheduler.web.api.auth import Reader, api_router
from scheduler.web.api.common import FilterId, PageDep, audit_list
from scheduler.web.deps import ClockDep, SessionDep

router = api_router()


@router.get("/replies", tags=["replies"])
def list_replies(
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    caller: Reader,
    page: PageDep,
    level: TriageLevel | None = None,
    handled: bool | None = None,
    patient_id: FilterId = None,
    practitioner_id: FilterId = None,
) -> m.Page[m.ReplyPublic]:
    """Patient replies, newest first."""
    filters = queries.ReplyFilter(
        level=level,
        handled=handled,
        patient_id=patient_id,
        practitioner_id=practitioner_id,
        scope=caller.scope,
    )
    found = queries.list_replies(db, filters, page=page)
    audit_list(
        db,
        request,
        actor=caller.actor,
        action="list_replies",
        target=audit.patient_target(patient_id),
        shown=[row.reply.patient_id for row in found.items],
        now=clock(),
    )
    photos = photos_by_reply(db, [row.reply.id for row in found.items])
    return m.page_of(found, lambda row: m.reply_public(row, photos.get(row.reply.id or 0, ())))
