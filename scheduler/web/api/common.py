"""What both /api routers use: paging and id parameters, clinic-local times, 404s, audit rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, NoReturn
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session

from scheduler.settings import Settings
from scheduler.staff import audit, queries

# Ids are 32-bit integer columns on PostgreSQL; a larger number is a 422, never a driver error.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def page_request(
    page: Annotated[int, Query(ge=1, le=queries.MAX_PAGE, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50,
) -> queries.PageRequest:
    """The `page` and `per_page` query parameters of every list route."""
    return queries.PageRequest(page, per_page)


PageDep = Annotated[queries.PageRequest, Depends(page_request)]


def not_found(what: str, ident: int) -> NoReturn:
    """A 404 naming what was missing."""
    raise HTTPException(status_code=404, detail=f"no {what} with id {ident}")


def aware(moment: datetime | None, settings: Settings) -> datetime | None:
    """Query times without an offset are clinic-local, as everywhere staff type a time."""
    if moment is None:
        return None
    found = moment if moment.tzinfo is not None else moment.replace(tzinfo=settings.zone)
    try:
        found.astimezone(UTC)  # what the query will do; year 1 or 9999 can fall off the end
    except (OverflowError, ValueError):
        error = {
            "type": "value_error",
            "loc": ("query",),
            "msg": "date out of range",
            "input": None,
        }
        raise RequestValidationError([error]) from None
    return found


def audit_call(
    db: Session,
    request: Request,
    *,
    actor: str,
    action: str,
    target: str | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Record the call in the audit log (detail: its query string by default) and commit."""
    audit.record(
        db,
        actor=actor,
        action=action,
        target=target,
        detail=detail if detail is not None else (request.url.query or None),
        now=now,
    )
    db.commit()


def audit_list(
    db: Session,
    request: Request,
    *,
    actor: str,
    action: str,
    shown: Iterable[int | None],
    now: datetime,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Record a list call with the patients it returned (ids only) and commit.

    The detail keeps the filters, never a search text (`q`).
    """
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "q"]
    audit.record(
        db,
        actor=actor,
        action=action,
        target=target,
        detail=detail if detail is not None else (urlencode(kept) or None),
        now=now,
        shown=shown,
    )
    db.commit()
