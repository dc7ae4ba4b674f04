"""A stored photo (or its thumbnail) as an HTTP answer: only what the database holds, never
cached by browsers or proxies, and every view in the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, Response
from sqlalchemy import select
from sqlmodel import Session, col

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
    # Only the bytes asked for: a thumbnail must not read the full photo from the database.
    wanted = col(ReplyMedia.thumbnail) if thumbnail else col(ReplyMedia.data)
    found = (
        db.connection()
        .execute(
            select(col(ReplyMedia.patient_id), col(ReplyMedia.content_type), wanted).where(
                col(ReplyMedia.id) == media_id, col(ReplyMedia.status) == MediaStatus.STORED
            )
        )
        .first()
    )
    if found is None or found[2] is None:
        raise HTTPException(status_code=404, detail="No such photo")
    patient_id, content_type, content = found
    audit.record(
        db,
        actor=actor,
        action="view_photo",
        target=audit.patient_target(patient_id),
        detail=f"photo:{media_id}" + (" thumbnail" if thumbnail else ""),
        now=now,
    )
    db.commit()
    media_type = "image/jpeg" if thumbnail else (content_type or "image/jpeg")
    return Response(content=content, media_type=media_type, headers=PHOTO_HEADERS)
