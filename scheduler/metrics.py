"""Prometheus metrics of the service, in a registry of its own (no process-global state)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Engine, func, select
from sqlmodel import col

from models import OutboundMessage, OutboxStatus
from scheduler.dispatch import PassReport


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
        self.due = Gauge(
            "aftercare_outbox_due",
            "Pending messages whose send time has come (a growing value means falling behind).",
            registry=self.registry,
        )

    def record_pass(self, report: PassReport, seconds: float) -> None:
        self.passes.observe(seconds)
        for outcome, count in asdict(report).items():
            if count and outcome != "claimed":
                self.outcomes.labels(outcome).inc(count)

    def refresh_due(self, engine: Engine, now: datetime) -> None:
        """One indexed count, done at scrape time rather than on every pass."""
        query = (
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                col(OutboundMessage.status) == OutboxStatus.PENDING,
                col(OutboundMessage.next_attempt_at) <= now,
            )
        )
        with engine.connect() as connection:
            self.due.set(connection.execute(query).scalar_one())
