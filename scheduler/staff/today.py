"""The front desk's day: what needs a look today, each list one page with its full count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col

from models import OutboundMessage, OutboxStatus, Treatment, TreatmentStatus
from scheduler.outbound.optout import row_opted_out
from scheduler.outbound.outbox import MessageRow
from scheduler.staff.queries import (
    UNACKNOWLEDGED,
    AlertFilter,
    AlertRow,
    MessageFilter,
    Page,
    PageRequest,
    ReplyFilter,
    ReplyRow,
    list_alerts,
    list_replies,
    message_query,
    paginate,
)
from scheduler.staff.scope import EVERYONE, Scope

FAILED_STATUSES = (OutboxStatus.FAILED, OutboxStatus.UNDELIVERED)


@dataclass(frozen=True)
class Today:
    """What needs a look today; each list is one page with the full count."""

    day_start: datetime  # UTC instant of local midnight
    day_end: datetime
    open_alerts: Page[AlertRow]
    unhandled_replies: Page[ReplyRow]
    failed_messages: Page[MessageRow]
    due_today: Page[MessageRow]


def local_day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which the local day containing `now` starts and ends (DST-aware)."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: times must carry a time zone")
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def today(
    session: Session,
    now: datetime,
    zone: ZoneInfo,
    *,
    limit: int = 50,
    failed_within: timedelta = timedelta(days=7),
    scope: Scope = EVERYONE,
) -> Today:
    """Unacknowledged alerts, unhandled replies, recent failures, and the local day's messages.

    Failures are those of active treatments of patients still opted in, from the last
    `failed_within`: the ones staff can still do something about.
    """
    start, end = local_day_bounds(now, zone)
    page = PageRequest(1, limit)
    alerts = list_alerts(session, AlertFilter(statuses=UNACKNOWLEDGED, scope=scope), page=page)
    replies = list_replies(
        session, ReplyFilter(handled=False, loudest_first=True, scope=scope), page=page
    )
    failed_query = (
        message_query(MessageFilter(statuses=FAILED_STATUSES, scope=scope))
        .where(
            col(Treatment.status) == TreatmentStatus.ACTIVE,
            ~row_opted_out(),
            col(OutboundMessage.updated_at) >= now - failed_within,
        )
        .order_by(col(OutboundMessage.updated_at).desc(), col(OutboundMessage.id).desc())
    )
    failed_rows, failed_total = paginate(session, failed_query, page)
    failed = Page([MessageRow(m, t, p) for m, t, p in failed_rows], failed_total, 1, limit)
    due_query = (
        message_query(MessageFilter(due_from=start, due_to=end, scope=scope))
        .where(col(OutboundMessage.status) != OutboxStatus.CANCELLED)
        .order_by(col(OutboundMessage.due_at), col(OutboundMessage.id))
    )
    due_rows, due_total = paginate(session, due_query, page)
    due = Page([MessageRow(m, t, p) for m, t, p in due_rows], due_total, 1, limit)
    return Today(start, end, alerts, replies, failed, due)
