"""One dispatch pass: claim due rows, render, send through the channels, record each outcome."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Row
from sqlmodel import Session, col, select

from models import (
    InboundMessage,
    OutboundMessage,
    OutboxStatus,
    Patient,
    Treatment,
    TreatmentStatus,
)
from models.db import session_scope
from models.vocabulary import ErrorCode, Medium
from scheduler.channels.base import (
    Channel,
    DeliveryError,
    ErrorKind,
    OutgoingMessage,
)
from scheduler.channels.media import MEDIA, address_of, concurrency_of, rate_of
from scheduler.clock import Clock
from scheduler.contacts import mask_address
from scheduler.outbound.claims import claim_batch, finish, recover_stale
from scheduler.outbound.compose import compose
from scheduler.outbound.delivery_reports import purge_early_reports, replay_early_reports_for
from scheduler.outbound.optout import address_key, opt_out_address, opted_out
from scheduler.outbound.outbox import outbox_join
from scheduler.outbound.ratelimit import RateLimiter
from scheduler.outbound.recovery import UNKNOWN_OUTCOME, may_send
from scheduler.outbound.render import MessageRenderer
from scheduler.outbound.timing import Action, SendWindow, backoff_delay, decide
from scheduler.settings import Settings

log = logging.getLogger(__name__)
# Staff answering a reply received this recently may write outside the send window.
ANSWER_ANYTIME = timedelta(hours=24)


@dataclass
class PassReport:
    """What one pass did; printed by `aftercare dispatch` and logged by the service."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    deferred: int = 0
    released: int = 0
    recovered: int = 0

    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in asdict(self).items() if v) or "nothing due"


@dataclass(frozen=True)
class _Job:
    row_id: int
    patient_id: int
    step: str
    attempts: int
    segments: int | None
    message: OutgoingMessage
    # Past this, another process may soon recover the claim and send it: don't start it here.
    send_by: datetime


class _Released:
    """Stopping, or the claim is getting old: the job was not started and goes back to the queue."""


_Outcome = str | DeliveryError | _Released


class Dispatcher:
    """Works through the outbox in passes; safe to run from several processes at once."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        channels: Mapping[str, Channel],
        renderer: MessageRenderer,
        *,
        clock: Clock,
        limiters: Mapping[str, RateLimiter] | None = None,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.channels = channels
        self.renderer = renderer
        self.clock = clock
        # Limiters outlive a pass: the rate holds across back-to-back passes too.
        self.limiters = limiters or {
            medium: RateLimiter(rate_of(settings, medium)) for medium in MEDIA
        }
        self.concurrency: dict[str, int] = {m: concurrency_of(settings, m) for m in MEDIA}
        self.rng = rng or random.Random()
        self.stop = stop or threading.Event()
        self.window = SendWindow(*settings.window)
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()

    def run_pass(self) -> PassReport:
        """Claim one batch and see every claimed row to an outcome."""
        now = self.clock()
        report = PassReport()
        timeout = timedelta(seconds=self.settings.claim_timeout_seconds)
        report.recovered = recover_stale(self.engine, now=now, timeout=timeout)
        purge_early_reports(self.engine, now=now)
        token, ids = claim_batch(self.engine, now=now, limit=self.settings.dispatch_batch_size)
        report.claimed = len(ids)
        if ids:
            jobs = self._prepare(token, ids, now, report)
            self._send_all(token, jobs, report)
        if report.claimed or report.recovered:
            log.info("dispatch pass: %s", report.summary())
        return report

    def _prepare(self, token: str, ids: list[int], now: datetime, report: PassReport) -> list[_Job]:
        with Session(self.engine) as session:
            rows = session.execute(outbox_join().where(col(OutboundMessage.id).in_(ids))).all()
        # One lookup each for the batch: opted-out addresses, and the replies staff answer.
        with Session(self.engine) as session:
            blocked = opted_out(
                session,
                [
                    (row.channel, address)
                    for row, _, patient in rows
                    if (address := address_of(patient, Medium(row.channel)))
                ],
            )
            answered = self._recent_replies(session, rows, now)
        jobs = []
        for row, treatment, patient in rows:
            assert row.id is not None and patient.id is not None
            channel = self.channels.get(row.channel)
            can_reconcile = channel is not None and channel.can_reconcile
            if not may_send(row.error_code, can_reconcile=can_reconcile):
                # First: "cancelled" or "expired" would tell staff it never went out.
                self._close(
                    token,
                    row.id,
                    OutboxStatus.FAILED,
                    now,
                    UNKNOWN_OUTCOME,
                    code=ErrorCode.INTERRUPTED,
                )
                log.warning("outbox #%s was interrupted mid-send; left to staff", row.id)
                report.failed += 1
                continue
            if treatment.status == TreatmentStatus.CANCELLED:
                self._close(token, row.id, OutboxStatus.CANCELLED, now, "treatment cancelled")
                report.cancelled += 1
                continue
            address = address_of(patient, Medium(row.channel))
            if address is not None and address_key(row.channel, address) in blocked:
                self._close(
                    token,
                    row.id,
                    OutboxStatus.CANCELLED,
                    now,
                    "patient opted out",
                    code=ErrorCode.OPTED_OUT,
                )
                report.cancelled += 1
                continue
            decision = decide(
                now,
                row.expires_at,
                self.settings.zone,
                self.window,
                anytime=row.reply_to_id in answered,
            )
            if decision.action is Action.EXPIRE:
                self._close(token, row.id, OutboxStatus.EXPIRED, now, "past its useful life")
                report.expired += 1
                continue
            if decision.action is Action.DEFER:
                finish(
                    self.engine,
                    row.id,
                    token,
                    status=OutboxStatus.PENDING,
                    next_attempt_at=decision.until,
                    updated_at=now,
                )
                report.deferred += 1
                continue
            try:
                message, segments = compose(
                    row, treatment, patient, settings=self.settings, renderer=self.renderer
                )
            except Exception as exc:  # a broken template or record must not stall the batch
                log.exception("cannot render outbox #%s", row.id)
                self._close(
                    token, row.id, OutboxStatus.FAILED, now, f"cannot render: {exc}", code="render"
                )
                report.failed += 1
                continue
            # Half the timeout: a send started before then ends (provider timeout) long before
            # recover_stale could hand the row to another process.
            send_by = now + timedelta(seconds=self.settings.claim_timeout_seconds / 2)
            jobs.append(
                _Job(row.id, patient.id, row.step, row.attempts, segments, message, send_by)
            )
        return jobs

    @staticmethod
    def _recent_replies(
        session: Session, rows: Sequence[Row[OutboundMessage, Treatment, Patient]], now: datetime
    ) -> set[int]:
        """Replies received in the last ANSWER_ANYTIME that staff messages in `rows` answer:
        those answers may go outside the send window (the patient just wrote to us)."""
        ids = {row.reply_to_id for row, _, _ in rows if row.reply_to_id is not None}
        if not ids:
            return set()
        found = session.exec(
            select(InboundMessage.id).where(
                col(InboundMessage.id).in_(ids),
                col(InboundMessage.received_at) >= now - ANSWER_ANYTIME,
            )
        ).all()
        return {reply_id for reply_id in found if reply_id is not None}

    def _send_all(self, token: str, jobs: list[_Job], report: PassReport) -> None:
        futures: dict[Future[_Outcome], _Job] = {
            self._pool(job.message.medium).submit(self._send_one, job): job for job in jobs
        }
        sent: list[str] = []
        looked = time.monotonic()
        for future in as_completed(futures):
            outcome = future.result()
            self._record(token, futures[future], outcome, report)
            if isinstance(outcome, str):
                sent.append(outcome)
            # Status reports that beat their SID here are looked up for many SIDs at once, at
            # least every second: a query per message cost a third of a pass's time.
            if sent and time.monotonic() - looked >= 1.0:
                replay_early_reports_for(self.engine, sent, now=self.clock())
                sent, looked = [], time.monotonic()
        if sent:
            replay_early_reports_for(self.engine, sent, now=self.clock())

    def _pool(self, medium: str) -> ThreadPoolExecutor:
        # Kept across passes: each worker thread keeps its provider connection warm (a TLS
        # handshake per worker per pass otherwise).
        with self._pools_lock:
            if medium not in self._pools:
                self._pools[medium] = ThreadPoolExecutor(
                    self.concurrency[medium], thread_name_prefix=f"send-{medium}"
                )
            return self._pools[medium]

    def close(self) -> None:
        """Stop the sender threads (after the pass in flight); the channels stay open."""
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=True)

    def _send_one(self, job: _Job) -> _Outcome:
        if self.stop.is_set():
            return _Released()
        self.limiters[job.message.medium].acquire()
        if self.clock() >= job.send_by:  # a long pass (slow provider, tight rate): requeue it
            return _Released()
        try:
            return self.channels[job.message.medium].send(job.message)
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # a channel bug: retry (bounded by max_attempts), never lose it
            log.exception("channel %s raised unexpectedly", job.message.medium)
            return DeliveryError(f"unexpected: {exc}", kind=ErrorKind.TRANSIENT, code="unexpected")

    def _record(self, token: str, job: _Job, outcome: _Outcome, report: PassReport) -> None:
        now = self.clock()
        who = mask_address(job.message.to)
        if isinstance(outcome, _Released):
            finish(self.engine, job.row_id, token, status=OutboxStatus.PENDING, updated_at=now)
            report.released += 1
            return
        attempts = job.attempts + 1
        if isinstance(outcome, str):
            finish(
                self.engine,
                job.row_id,
                token,
                status=OutboxStatus.SENT,
                provider_id=outcome,
                sent_at=now,
                attempts=attempts,
                segments=job.segments,
                error_code=None,
                last_error=None,
                updated_at=now,
            )
            log.info("sent #%s %s by %s to %s", job.row_id, job.step, job.message.medium, who)
            report.sent += 1
            return
        error = outcome
        if error.kind is ErrorKind.UNAVAILABLE:
            # The channel is down or misconfigured: wait without spending the message's attempts.
            delay = self._backoff(1, error.retry_after)
            finish(
                self.engine,
                job.row_id,
                token,
                status=OutboxStatus.PENDING,
                next_attempt_at=now + delay,
                error_code=error.code,
                last_error=str(error),
                updated_at=now,
            )
            log.error(
                "channel %s unavailable, #%s waits %.0fs: %s",
                job.message.medium,
                job.row_id,
                delay.total_seconds(),
                error,
            )
            report.retrying += 1
            return
        if error.kind is ErrorKind.TRANSIENT and attempts < self.settings.max_attempts:
            delay = self._backoff(attempts, error.retry_after)
            finish(
                self.engine,
                job.row_id,
                token,
                status=OutboxStatus.PENDING,
                attempts=attempts,
                next_attempt_at=now + delay,
                error_code=error.code,
                last_error=str(error),
                updated_at=now,
            )
            log.warning(
                "retrying #%s to %s in %.0fs: %s", job.row_id, who, delay.total_seconds(), error
            )
            report.retrying += 1
            return
        reason = str(error)
        if error.kind is ErrorKind.TRANSIENT:
            reason = f"gave up after {attempts} attempts: {error}"
        finish(
            self.engine,
            job.row_id,
            token,
            status=OutboxStatus.FAILED,
            attempts=attempts,
            error_code=error.code,
            last_error=reason,
            updated_at=now,
        )
        log.warning("failed #%s to %s: %s", job.row_id, who, reason)
        report.failed += 1
        if error.kind is ErrorKind.OPTED_OUT:
            with session_scope(self.engine) as session:
                report.cancelled += opt_out_address(
                    session, job.message.medium, job.message.to, now=now, source="carrier"
                )

    def _backoff(self, attempt: int, retry_after: float | None) -> timedelta:
        return backoff_delay(
            attempt,
            base=self.settings.retry_base_seconds,
            cap=self.settings.retry_max_seconds,
            retry_after=retry_after,
            rng=self.rng,
        )

    def _close(
        self,
        token: str,
        row_id: int,
        status: OutboxStatus,
        now: datetime,
        why: str,
        *,
        code: str | None = None,
    ) -> None:
        finish(
            self.engine,
            row_id,
            token,
            status=status,
            last_error=why,
            error_code=code,
            updated_at=now,
        )
