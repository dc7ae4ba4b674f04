"""A reply's photo under /api, for an integration's token (or a staff session); audited."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from scheduler.web.api.auth import Reader, api_router
from scheduler.web.api.common import RowId
from scheduler.web.deps import ClockDep, SessionDep
from scheduler.web.photo_serving import photo_response

router = api_router()
IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}
}


@router.get("/photos/{media_id}", tags=["replies"], response_class=Response, responses=IMAGE)
def api_photo(media_id: RowId, caller: Reader, db: SessionDep, clock: ClockDep) -> Response:
    """A reply's photo as kept (EXIF removed); `Cache-Control: private, no-store`."""
    return photo_response(db, media_id, thumbnail=False, actor=caller.actor, now=clock())


@router.get(
    "/photos/{media_id}/thumbnail", tags=["replies"], response_class=Response, responses=IMAGE
)
def api_thumbnail(media_id: RowId, caller: Reader, db: SessionDep, clock: ClockDep) -> Response:
    """A reply's photo, small (JPEG)."""
    return photo_response(db, media_id, thumbnail=True, actor=caller.actor, now=clock())
