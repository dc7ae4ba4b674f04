"""The JSON API's outbox routes under /api: list messages, send one again; every call audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import HTTPException, Query, Request

from models.vocabulary import Medium, OutboxStatus
from scheduler.outbound.outbox import MessageNotFound, resend_message
from scheduler.staff import audit, queries
from scheduler.web.api import models as m
from scheduler.web.api.auth import Contact, Reader, api_router
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


@router.get("/messages", tags=["messages"])
def list_messages(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    caller: Reader,
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
        due_from=aware(due_from, settings),
        due_to=aware(due_to, settings),
        scope=caller.scope,
    )
    found = queries.list_messages(db, filters, page=page)
    audit_list(
        db,
        request,
        actor=caller.actor,
        action="list_messages",
        target=audit.patient_target(patient_id),
        shown=[row.patient.id for row in found.items],
        now=clock(),
    )
    return m.page_of(found, m.message_item)


@router.post("/messages/{message_id}/resend", tags=["messages"], responses={404: {}, 409: {}})
def resend(
    message_id: RowId, request: Request, db: SessionDep, clock: ClockDep, caller: Contact
) -> m.MessagePublic:
    """Queue a failed, undelivered or expired message again, due now."""
    now = clock()
    try:
        message = resend_message(db, message_id, now=now)
    except MessageNotFound:
        db.rollback()
        not_found("message", message_id)
    except ValueError as exc:
        db.rollback()
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    found = queries.treatment_detail(db, message.treatment_id)
    assert found is not None
    audit_call(
        db,
        request,
        actor=caller.actor,
        action="resend",
        target=audit.patient_target(found.patient.id),
        detail=f"message:{message_id}",
        now=now,
    )
    return m.message_public(message)
