"""A reply's photo for a signed-in staff member (the pages' thumbnails and their enlargement)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from scheduler.web.api.common import RowId
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.pages.access import Viewer
from scheduler.web.photo_serving import photo_response

router = APIRouter()


@router.get("/photos/{media_id}")
def photo(media_id: RowId, staff: Viewer, db: SessionDep, clock: ClockDep) -> Response:
    return photo_response(db, media_id, thumbnail=False, actor=staff.email, now=clock())


@router.get("/photos/{media_id}/thumbnail")
def thumbnail(media_id: RowId, staff: Viewer, db: SessionDep, clock: ClockDep) -> Response:
    return photo_response(db, media_id, thumbnail=True, actor=staff.email, now=clock())
