"""At most PAGE_LIMIT_PER_HOUR pages per recipient an hour, then one summary (rule and query)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.inbound.paging_limits import (
    ONCALL,
    PageDecision,
    decide,
    may_page,
    recipient_key,
    record_page,
)
from scheduler.ops.runtime import open_database
from tests.support.settings import make_settings

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
PAGE, SUMMARY, HOLD = PageDecision.PAGE, PageDecision.SUMMARY, PageDecision.HOLD


@pytest.mark.parametrize(
    ("pages", "summary", "expected"),
    [
        (0, False, PAGE),
        (5, False, PAGE),
        (6, False, SUMMARY),
        (9, False, SUMMARY),
        (0, True, HOLD),
        (6, True, HOLD),
    ],
)
def test_decide(pages: int, summary: bool, expected: PageDecision) -> None:
    assert decide(pages, summary, limit=6) is expected


def test_recipient_keys() -> None:
    assert recipient_key(12) == "practitioner:12" and recipient_key(None) == ONCALL


@pytest.fixture
def pg_or_sqlite(each_database_url: str) -> Engine:
    return open_database(make_settings(each_database_url))


def send(engine: Engine, recipient: str, at: datetime, limit: int = 3) -> PageDecision:
    """What the notifier would do: ask, then record what it sent, in one transaction."""
    with Session(engine) as session:
        decision = may_page(session, recipient, now=at, limit=limit)
        record_page(session, recipient, decision, now=at, alert_id=None)
        session.commit()
    return decision


def test_a_flood_pages_three_times_then_once_more_then_waits_an_hour(pg_or_sqlite: Engine) -> None:
    """60 urgent alerts in a minute: 3 pages, 1 summary, 56 held; an hour later, pages again."""
    minute = [T0 + timedelta(seconds=i) for i in range(60)]
    decisions = [send(pg_or_sqlite, "practitioner:1", at) for at in minute]
    assert decisions == [PAGE] * 3 + [SUMMARY] + [HOLD] * 56
    # Someone else's budget is their own.
    assert send(pg_or_sqlite, ONCALL, T0 + timedelta(seconds=61)) is PAGE
    assert send(pg_or_sqlite, "practitioner:1", T0 + timedelta(minutes=59)) is HOLD
    assert send(pg_or_sqlite, "practitioner:1", T0 + timedelta(minutes=61)) is PAGE
    pg_or_sqlite.dispose()


def test_pages_spread_over_the_hour_are_never_held(pg_or_sqlite: Engine) -> None:
    decisions = [send(pg_or_sqlite, ONCALL, T0 + timedelta(minutes=25 * i)) for i in range(8)]
    assert decisions == [PAGE] * 8
    pg_or_sqlite.dispose()
