"""Status reports for SIDs that never become ours are dropped after a while, not kept forever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import EarlyDeliveryReport
from scheduler.outbound.delivery_reports import EARLY_REPORT_TTL, record_delivery_report
from scheduler.outbound.dispatch import Dispatcher
from scheduler.outbound.render import MessageRenderer
from scheduler.settings import Settings

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def sids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(r.provider_id for r in session.exec(select(EarlyDeliveryReport)))


def test_a_dispatch_pass_drops_only_reports_older_than_the_ttl(
    engine: Engine, settings: Settings, renderer: MessageRenderer
) -> None:
    old = NOW - EARLY_REPORT_TTL - timedelta(minutes=1)
    record_delivery_report(engine, "SMforeign", "delivered", None, now=old)
    record_delivery_report(engine, "SMrecent", "delivered", None, now=NOW - timedelta(hours=1))
    assert sids(engine) == ["SMforeign", "SMrecent"]
    Dispatcher(engine, settings, {}, renderer, clock=lambda: NOW).run_pass()
    assert sids(engine) == ["SMrecent"]
