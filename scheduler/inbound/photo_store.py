"""The `reply_media` rows: added with their reply, taken by one process at a time to download,
and finished as a kept photo or a refusal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, insert, or_, update
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, ReplyMedia
from models.vocabulary import MediaStatus, TriageLevel
from scheduler.inbound.photo_images import Outcome, Photo, Refusal
from scheduler.inbound.photo_rules import follows_urgent, media_sid_of

# A download claim older than this is taken to have died with its process, and is taken again.
FETCH_LEASE = timedelta(minutes=5)
NOT_TWILIO = "not a Twilio media address"


def urgent_alert_before(connection: Connection, patient_id: int, arrived: datetime) -> int | None:
    """The alert a photo arriving now joins: the patient's latest urgent one, if it is recent
    enough (photo_rules.follows_urgent)."""
    query = (
        select(Alert.id, Alert.created_at)
        .where(
            col(Alert.patient_id) == patient_id,
            col(Alert.level) == TriageLevel.URGENT,
            col(Alert.created_at) <= arrived,
        )
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
        .limit(1)
    )
    found = connection.execute(query).first()
    if found is None or not follows_urgent(found.created_at, arrived):
        return None
    return int(found.id)


def outcome_values(outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The columns a finished photo sets: the image and its thumbnail, or the refusal."""
    if isinstance(outcome, Photo):
        return {
            "status": MediaStatus.STORED,
            "content_type": outcome.content_type,
            "data": outcome.data,
            "thumbnail": outcome.thumbnail,
            "width": outcome.width,
            "height": outcome.height,
            "size_bytes": len(outcome.data),
            "stored_at": now,
            "claimed_at": None,
        }
    return {"status": MediaStatus.REFUSED, "refusal": outcome.reason, "claimed_at": None}


def add_reply_media(
    connection: Connection,
    *,
    inbound_id: int,
    patient_id: int | None,
    alert_id: int | None,
    media_urls: Sequence[str],
    photos: Sequence[Outcome],
    now: datetime,
) -> int:
    """One row per MMS media URL (pending: the photo job downloads it) and per email
    attachment (already processed); returns how many."""
    common = {"inbound_id": inbound_id, "patient_id": patient_id, "alert_id": alert_id}
    rows: list[dict[str, Any]] = []
    for url in media_urls:
        sid = media_sid_of(url)
        if sid is None:
            refused = outcome_values(Refusal(NOT_TWILIO), now)
            rows.append({**common, **refused, "attempts": 0, "created_at": now})
        else:
            rows.append(
                {
                    **common,
                    "status": MediaStatus.PENDING,
                    "source": sid,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    for outcome in photos:
        rows.append({**common, **outcome_values(outcome, now), "attempts": 0, "created_at": now})
    if rows:
        # One executemany wants the same columns in every row: absent ones are NULL.
        names = {name for row in rows for name in row}
        connection.execute(insert(ReplyMedia), [dict.fromkeys(names) | row for row in rows])
    return len(rows)


@dataclass(frozen=True)
class Download:
    """A claimed pending photo: what to fetch and how often it was tried."""

    media_id: int
    message_sid: str
    media_sid: str
    attempts: int


def due_downloads(engine: Engine, now: datetime, *, limit: int = 20) -> list[int]:
    """Pending photos whose next try is due and whom no live process holds, oldest first."""
    query = (
        select(ReplyMedia.id)
        .where(
            col(ReplyMedia.status) == MediaStatus.PENDING,
            col(ReplyMedia.next_attempt_at) <= now,
            _lease_free(now),
        )
        .order_by(col(ReplyMedia.id))
        .limit(limit)
    )
    with Session(engine) as session:
        return [i for i in session.exec(query).all() if i is not None]


def claim_download(engine: Engine, media_id: int, now: datetime) -> Download | None:
    """Take the photo with one conditional UPDATE, so that two processes never both fetch it."""
    claim = (
        update(ReplyMedia)
        .where(
            col(ReplyMedia.id) == media_id,
            col(ReplyMedia.status) == MediaStatus.PENDING,
            _lease_free(now),
        )
        .values(claimed_at=now)
    )
    with engine.begin() as connection:
        if not connection.execute(claim).rowcount:
            return None
        row = connection.execute(
            select(ReplyMedia.source, ReplyMedia.attempts, InboundMessage.provider_id)
            .join(InboundMessage, col(InboundMessage.id) == ReplyMedia.inbound_id)
            .where(col(ReplyMedia.id) == media_id)
        ).one()
    return Download(media_id, row.provider_id or "", row.source or "", row.attempts)


def finish_download(engine: Engine, media_id: int, outcome: Outcome, now: datetime) -> None:
    values = {**outcome_values(outcome, now), "next_attempt_at": None}
    with engine.begin() as connection:
        connection.execute(update(ReplyMedia).where(col(ReplyMedia.id) == media_id).values(values))


def retry_later(engine: Engine, download: Download, error: str, at: datetime) -> None:
    """Count the failed try, and let it go until `at`; the error is kept for staff meanwhile."""
    values = {
        "attempts": download.attempts + 1,
        "next_attempt_at": at,
        "claimed_at": None,
        "refusal": error,
    }
    stmt = update(ReplyMedia).where(col(ReplyMedia.id) == download.media_id).values(values)
    with engine.begin() as connection:
        connection.execute(stmt)


def mark_deleted_at_provider(engine: Engine, media_id: int, now: datetime) -> None:
    stmt = update(ReplyMedia).where(col(ReplyMedia.id) == media_id)
    with engine.begin() as connection:
        connection.execute(stmt.values(provider_deleted_at=now))


def _lease_free(now: datetime) -> ColumnElement[bool]:
    return or_(col(ReplyMedia.claimed_at).is_(None), col(ReplyMedia.claimed_at) < now - FETCH_LEASE)
