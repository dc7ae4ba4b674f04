"""Retention: the content of patients with no message or reply for RETENTION_DAYS is erased.

A daily job (03:30 clinic time, outside the send window) erases them in batches: one short
transaction per batch, a pause between batches, so that dispatch and the pages keep their
turn at the database (on SQLite there is one writer at a time). Replies from senders matched
to no patient are scrubbed after the same time. Patients with an open alert or a message being
sent are left for the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import ColumnElement, Engine, Exists, exists, func, or_, update
from sqlmodel import Session, col, select

from models import Alert, InboundMessage, OutboundMessage, Patient, ReplyMedia, Treatment
from models.db import session_scope
from models.vocabulary import AlertStatus
from scheduler.clock import Clock
from scheduler.privacy.erasure import ErasureRefused, erase_patient
from scheduler.privacy.patient_data import ERASED, REPLY_SCRUB, erase_photos
from scheduler.settings import Settings
from scheduler.staff import audit

log = logging.getLogger(__name__)

ACTOR = "system:retention"
# Patients per transaction: about 70 ms on SQLite, 130 ms on PostgreSQL (bench/README.md),
# so a dispatch pass waits at most that long for the database.
BATCH_SIZE = 25
PAUSE_SECONDS = 0.2  # between batches: other writers get the database


@dataclass
class RetentionReport:
    """What a run erased (or, dry, would erase)."""

    cutoff: datetime
    dry_run: bool
    patients: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # patient id: why not this time
    strangers: int = 0  # replies matched to no patient
    batches: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would erase" if self.dry_run else "erased"
        line = (
            f"retention (no activity since {self.cutoff:%Y-%m-%d %H:%M} UTC): {verb} "
            f"{len(self.patients)} patient(s) and {self.strangers} reply(ies) from unknown senders"
        )
        if self.skipped:
            line += f"; {len(self.skipped)} left for the next run"
        return line


def cutoff_for(now: datetime, days: int) -> datetime | None:
    """The instant before which content is erased; None when retention is off (0 days)."""
    return now - timedelta(days=days) if days > 0 else None


def _recent_activity(cutoff: datetime) -> list[Exists]:
    """SQL conditions: the patient (Patient in the query) did or got something since cutoff."""
    return [
        exists().where(
            col(Treatment.patient_id) == Patient.id, col(Treatment.performed_at) >= cutoff
        ),
        exists().where(
            col(Treatment.patient_id) == Patient.id,
            col(OutboundMessage.treatment_id) == Treatment.id,
            or_(col(OutboundMessage.due_at) >= cutoff, col(OutboundMessage.sent_at) >= cutoff),
        ),
        exists().where(
            col(InboundMessage.patient_id) == Patient.id,
            col(InboundMessage.received_at) >= cutoff,
        ),
    ]


def candidates(session: Session, cutoff: datetime, *, after_id: int, limit: int) -> list[int]:
    """Ids (ascending, above `after_id`) of patients whose last message or reply is older
    than `cutoff`, not erased yet and with no open alert."""
    quiet = [~condition for condition in _recent_activity(cutoff)]
    open_alert = exists().where(
        col(Alert.patient_id) == Patient.id,
        col(Alert.status).in_([AlertStatus.OPEN, AlertStatus.ESCALATED]),
    )
    query = (
        select(Patient.id)
        .where(
            col(Patient.erased_at).is_(None),
            col(Patient.created_at) < cutoff,
            col(Patient.id) > after_id,
            ~open_alert,
            *quiet,
        )
        .order_by(col(Patient.id))
        .limit(limit)
    )
    return [int(found) for found in session.exec(query) if found is not None]


def _from_strangers(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [
        col(InboundMessage.patient_id).is_(None),
        col(InboundMessage.received_at) < cutoff,
        col(InboundMessage.body) != ERASED,
    ]


def _stranger_replies(session: Session, cutoff: datetime, limit: int) -> list[int]:
    query = select(InboundMessage.id).where(*_from_strangers(cutoff))
    found = session.exec(query.order_by(col(InboundMessage.id)).limit(limit))
    return [int(ident) for ident in found if ident is not None]


def _count_strangers(session: Session, cutoff: datetime) -> int:
    query = select(func.count()).select_from(InboundMessage).where(*_from_strangers(cutoff))
    return int(session.exec(query).one())


def _erase_batch(
    session: Session, ids: list[int], report: RetentionReport, *, now: datetime
) -> None:
    reason = f"retention: no message or reply since {report.cutoff:%Y-%m-%d}"
    for patient_id in ids:
        try:
            # A savepoint each: one refused patient leaves the others of the batch erased.
            with session.begin_nested():
                erase_patient(session, patient_id, by=ACTOR, now=now, reason=reason)
        except ErasureRefused as exc:
            report.skipped[patient_id] = str(exc)
        else:
            report.patients.append(patient_id)


def _scrub_strangers(session: Session, ids: list[int], *, now: datetime) -> int:
    for name, value in REPLY_SCRUB.items():
        column = getattr(InboundMessage, name)
        session.execute(
            update(InboundMessage)
            .where(col(InboundMessage.id).in_(ids), col(column).is_not(None))
            .values({name: value})
        )
    erase_photos(session, col(ReplyMedia.inbound_id).in_(ids))
    audit.record(
        session,
        actor=ACTOR,
        action="erase_replies",
        detail=f"{len(ids)} reply(ies) from unknown senders: " + ",".join(map(str, ids)),
        now=now,
    )
    return len(ids)


def run_retention(
    engine: Engine,
    *,
    days: int,
    now: datetime,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    pause: float = PAUSE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> RetentionReport:
    """Erase (or, with `dry_run`, list) what retention covers, one transaction per batch."""
    started = time.perf_counter()
    cutoff = cutoff_for(now, days)
    if cutoff is None:
        raise ValueError("RETENTION_DAYS is 0: retention is off")
    report = RetentionReport(cutoff, dry_run)
    after = 0
    while True:
        with session_scope(engine) as session:
            ids = candidates(session, cutoff, after_id=after, limit=batch_size)
            if not ids:
                break
            after = ids[-1]
            if dry_run:
                report.patients += ids
            else:
                _erase_batch(session, ids, report, now=now)
        report.batches += 1
        if len(ids) < batch_size:
            break
        sleep(pause)
    if dry_run:
        with session_scope(engine) as session:
            report.strangers = _count_strangers(session, cutoff)
    while not dry_run:
        with session_scope(engine) as session:
            stranger_ids = _stranger_replies(session, cutoff, batch_size)
            if not stranger_ids:
                break
            report.strangers += _scrub_strangers(session, stranger_ids, now=now)
        report.batches += 1
        if len(stranger_ids) < batch_size:
            break
        sleep(pause)
    report.seconds = time.perf_counter() - started
    return report


class RetentionJob:
    """The daily job; a failure is logged and the next day's run starts over."""

    def __init__(self, engine: Engine, settings: Settings, clock: Clock) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    def __call__(self) -> RetentionReport | None:
        if self.settings.retention_days <= 0:
            return None
        try:
            report = run_retention(self.engine, days=self.settings.retention_days, now=self.clock())
        except Exception:  # the service must outlive a failed run; logged with its traceback
            log.exception("retention run failed")
            return None
        log.info("%s in %.1f s", report.summary(), report.seconds)
        return report


def add_retention_job(
    scheduler: BaseScheduler, engine: Engine, settings: Settings, clock: Clock
) -> None:
    """Run retention daily at 03:30 clinic time (nothing is sent then); off with 0 days."""
    if settings.retention_days <= 0:
        return
    scheduler.add_job(
        RetentionJob(engine, settings, clock),
        "cron",
        hour=3,
        minute=30,
        timezone=settings.zone,
        id="retention",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
