"""How often one person may be paged: at most PAGE_LIMIT_PER_HOUR pages an hour, then one summary.

A flood of alarming replies (a bug, an attack, a busy night) must not turn a practitioner's or
the on-call phone into a pager that never stops: past the limit, one summary page says how many
alerts wait on the Today page, and nothing more is sent until the hour has room again. Alerts are
never dropped; only the pages about them are held.

The alert notifier calls `may_page` before paging a recipient and `record_page` when it did
(same session, committed with the alert). Two processes may both pass `may_page` at once; the
limit can then be overshot by one page, never by a flood.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import PageLog

WINDOW = timedelta(hours=1)
ONCALL = "oncall"


class PageDecision(StrEnum):
    PAGE = "page"  # send the page as usual
    SUMMARY = "summary"  # send one summary instead ("N more alerts; see Today")
    HOLD = "hold"  # send nothing; the alert waits on the Today page


def recipient_key(practitioner_id: int | None) -> str:
    """Whose budget a page spends: the practitioner's, or the on-call contact's."""
    return f"practitioner:{practitioner_id}" if practitioner_id is not None else ONCALL


def decide(pages_in_window: int, summary_in_window: bool, *, limit: int) -> PageDecision:
    """The rule: `limit` pages an hour, then one summary, then silence while it is recent."""
    if pages_in_window < limit and not summary_in_window:
        return PageDecision.PAGE
    return PageDecision.HOLD if summary_in_window else PageDecision.SUMMARY


def may_page(session: Session, recipient: str, *, now: datetime, limit: int) -> PageDecision:
    """What the notifier may send `recipient` now (read-only; `record_page` counts what it sent).

    A summary silences the recipient until it is an hour old; by then the pages before it have
    left the window too, so paging starts afresh.
    """
    rows = session.exec(
        select(PageLog.kind, func.count())
        .where(col(PageLog.recipient) == recipient, col(PageLog.at) > now - WINDOW)
        .group_by(col(PageLog.kind))
    ).all()
    counts = {str(kind): int(count) for kind, count in rows}
    return decide(
        counts.get(PageDecision.PAGE, 0), counts.get(PageDecision.SUMMARY, 0) > 0, limit=limit
    )


def record_page(
    session: Session,
    recipient: str,
    decision: PageDecision,
    *,
    now: datetime,
    alert_id: int | None = None,
) -> None:
    """Count a page or summary that was sent (no commit); HOLD records nothing."""
    if decision is not PageDecision.HOLD:
        session.add(PageLog(recipient=recipient, kind=decision, alert_id=alert_id, at=now))
