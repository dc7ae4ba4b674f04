"""Prometheus metrics of the service, in a registry of its own (no process-global state)."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from datetime import datetime
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from models import Alert, AlertStatus, OutboundMessage, OutboxStatus
from models.vocabulary import ALERT_LEVELS, Medium
from scheduler.outbound.dispatch import PassReport

log = logging.getLogger(__name__)
WebhookOutcome = Literal["ok", "forbidden", "bad_request", "duplicate", "too_large"]
WEBHOOK_OUTCOMES: tuple[WebhookOutcome, ...] = (
    "ok",
    "forbidden",
    "bad_request",
    "duplicate",
    "too_large",
)
# Known label values start at 0, so that rate() and absent-series alerts work from the start.
WEBHOOK_ENDPOINTS = ("status", "sms")
CHANNELS = tuple(Medium)
OPEN_ALERT = (AlertStatus.OPEN, AlertStatus.ESCALATED)


def webhook_outcome(status_code: int) -> WebhookOutcome:
    """The outcome label of a webhook request refused with this HTTP status."""
    if status_code == 403:
        return "forbidden"
    if status_code == 413:
        return "too_large"
    return "ok" if status_code < 400 else "bad_request"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.outcomes = Counter(
            "aftercare_dispatch_outcomes",
            "Outbox rows a dispatch pass brought to an outcome, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.passes = Histogram(
            "aftercare_dispatch_pass_seconds",
            "Wall time of one dispatch pass.",
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60),
            registry=self.registry,
        )
        self.failed_passes = Counter(
            "aftercare_dispatch_pass_errors",
            "Dispatch passes that raised (database down, bug).",
            registry=self.registry,
        )
        self.webhooks = Counter(
            "aftercare_webhook_requests",
            "Twilio webhook requests, by endpoint and outcome.",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        for endpoint in WEBHOOK_ENDPOINTS:
            for outcome in WEBHOOK_OUTCOMES:
                self.webhooks.labels(endpoint, outcome)
        self.database_up = Gauge(
            "aftercare_database_up",
            "1 when the scrape's database queries succeeded; the gauges below are then current.",
            registry=self.registry,
        )
        self.due = Gauge(
            "aftercare_outbox_due",
            "Pending messages whose send time has come (a growing value means falling behind).",
            registry=self.registry,
        )
        self.oldest_due = Gauge(
            "aftercare_outbox_oldest_due_seconds",
            "How long the longest-waiting due message has been due (0 when none is).",
            registry=self.registry,
        )
        self.messages = Gauge(
            "aftercare_messages",
            "Outbox rows by channel and status.",
            ["channel", "status"],
            registry=self.registry,
        )
        self.alerts_open = Gauge(
            "aftercare_alerts_open",
            "Alerts not yet acknowledged, by level and status (open, escalated).",
            ["level", "status"],
            registry=self.registry,
        )
        self._lock = threading.Lock()  # one scrape at a time: a gauge is cleared, then refilled

    def record_pass(self, report: PassReport, seconds: float) -> None:
        self.passes.observe(seconds)
        for outcome, count in asdict(report).items():
            if count and outcome != "claimed":
                self.outcomes.labels(outcome).inc(count)

    def webhook(self, endpoint: str, outcome: WebhookOutcome) -> None:
        """Count one webhook request; the routes call it once per request."""
        self.webhooks.labels(endpoint, outcome).inc()

    def scrape(self, engine: Engine, now: datetime) -> bytes:
        """The exposition text, with the database gauges computed now (three cheap queries)."""
        with self._lock:
            try:
                with engine.connect() as connection:
                    self._refresh(connection, now)
                self.database_up.set(1)
            except SQLAlchemyError as exc:
                log.warning("metrics: database queries failed: %s", type(exc).__name__)
                self.database_up.set(0)
                for gauge in (self.messages, self.alerts_open):
                    gauge.clear()
            return generate_latest(self.registry)

    def _refresh(self, connection: Connection, now: datetime) -> None:
        status, channel = col(OutboundMessage.status), col(OutboundMessage.channel)
        by_status = connection.execute(
            select(channel, status, func.count()).group_by(channel, status)
        ).all()
        due_count, oldest = connection.execute(
            select(func.count(), func.min(col(OutboundMessage.next_attempt_at))).where(
                status == OutboxStatus.PENDING, col(OutboundMessage.next_attempt_at) <= now
            )
        ).one()
        alerts = connection.execute(
            select(col(Alert.level), col(Alert.status), func.count())
            .where(col(Alert.status).in_(OPEN_ALERT))
            .group_by(col(Alert.level), col(Alert.status))
        ).all()
        self.due.set(due_count)
        self.oldest_due.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.messages.clear()
        for medium in CHANNELS:
            for outbox_status in OutboxStatus:
                self.messages.labels(medium, outbox_status.value).set(0)
        for medium_name, status_name, count in by_status:
            self.messages.labels(medium_name, status_name).set(count)
        self.alerts_open.clear()
        for level in ALERT_LEVELS:
            for alert_status in OPEN_ALERT:
                self.alerts_open.labels(level, alert_status.value).set(0)
        for level_name, status_name, count in alerts:
            self.alerts_open.labels(level_name, status_name).set(count)
