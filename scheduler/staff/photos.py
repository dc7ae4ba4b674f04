"""The photos staff pages and the API list with replies and alerts: their facts, never their
bytes (those are fetched one by one, through the audited photo routes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from models import ReplyMedia
from models.vocabulary import MediaStatus


@dataclass(frozen=True)
class PhotoFacts:
    """One reply's photo as lists show it."""

    id: int | None  # never None once stored; typed as the column is
    inbound_id: int
    status: str  # pending | stored | refused
    refusal: str | None
    content_type: str | None
    width: int | None
    height: int | None
    size_bytes: int | None

    @property
    def stored(self) -> bool:
        return self.status == MediaStatus.STORED


_COLUMNS = core_select(
    col(ReplyMedia.id),
    col(ReplyMedia.inbound_id),
    col(ReplyMedia.status),
    col(ReplyMedia.refusal),
    col(ReplyMedia.content_type),
    col(ReplyMedia.width),
    col(ReplyMedia.height),
    col(ReplyMedia.size_bytes),
).order_by(col(ReplyMedia.id))


def photos_by_reply(
    session: Session, inbound_ids: Iterable[int | None]
) -> dict[int, list[PhotoFacts]]:
    """Each reply's photos, in arrival order (replies without any are left out)."""
    ids = sorted({i for i in inbound_ids if i is not None})
    found: dict[int, list[PhotoFacts]] = defaultdict(list)
    if not ids:
        return found
    query = _COLUMNS.where(col(ReplyMedia.inbound_id).in_(ids))
    for row in session.connection().execute(query).all():
        facts = PhotoFacts(*row)
        found[facts.inbound_id].append(facts)
    return found


def photos_by_alert(
    session: Session, alerts: Iterable[tuple[int | None, int]]
) -> dict[int, list[PhotoFacts]]:
    """Each alert's photos (as photos_of_alert), for lists: given (alert id, its reply id)."""
    of_reply = {inbound_id: alert_id for alert_id, inbound_id in alerts if alert_id is not None}
    found: dict[int, list[PhotoFacts]] = defaultdict(list)
    if not of_reply:
        return found
    mine = or_(
        col(ReplyMedia.alert_id).in_(list(of_reply.values())),
        col(ReplyMedia.inbound_id).in_(list(of_reply)),
    )
    query = _COLUMNS.add_columns(col(ReplyMedia.alert_id)).where(mine)
    for row in session.connection().execute(query).all():
        facts = PhotoFacts(*row[:-1])
        alert_id = of_reply.get(facts.inbound_id, row[-1])
        if alert_id is not None:
            found[alert_id].append(facts)
    return found


def photos_of_alert(session: Session, alert_id: int, inbound_id: int) -> list[PhotoFacts]:
    """The photos shown with an alert: its reply's, and those sent soon after (photo_rules)."""
    mine = or_(col(ReplyMedia.alert_id) == alert_id, col(ReplyMedia.inbound_id) == inbound_id)
    return [PhotoFacts(*row) for row in session.connection().execute(_COLUMNS.where(mine)).all()]
