"""A stored photo (or its thumbnail) as an HTTP answer: only what the database holds, never
cached by browsers or proxies, and every view in the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, Response
from sqlmodel import Session

from models import ReplyMedia
from models.vocabulary import MediaStatus
from scheduler.staff import audit

# A photo is health information: kept by no cache, and never run as anything but an image.
PHOTO_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
    "Referrer-Policy": "no-referrer",
}


def photo_response(
    db: Session, media_id: int, *, thumbnail: bool, actor: str, now: datetime
) -> Response:
    """The bytes of a kept photo, audited; 404 for one still pending, refused or erased."""
    media = db.get(ReplyMedia, media_id)
    content = None
    if media is not None and media.status == MediaStatus.STORED:
        content = media.thumbnail if thumbnail else media.data
    if media is None or content is None:
        raise HTTPException(status_code=404, detail="No such photo")
    audit.record(
        db,
        actor=actor,
        action="view_photo",
        target=audit.patient_target(media.patient_id),
        detail=f"photo:{media_id}" + (" thumbnail" if thumbnail else ""),
        now=now,
    )
    db.commit()
    media_type = "image/jpeg" if thumbnail else (media.content_type or "image/jpeg")
    return Response(content=content, media_type=media_type, headers=PHOTO_HEADERS)
