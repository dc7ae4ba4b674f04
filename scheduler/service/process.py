"""`aftercare serve`: the APScheduler dispatch job and the web app, in one process."""

from __future__ import annotations

import gc
import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp

from scheduler.channels.media import build_channels
from scheduler.clock import Clock, system_clock
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.jobs import add_reply_jobs
from scheduler.inbound.photo_jobs import add_photo_job
from scheduler.ops.metrics import Metrics
from scheduler.ops.runtime import ServiceState, describe_db_error, open_database
from scheduler.ops.startup import checked_renderer
from scheduler.outbound.dispatch import Dispatcher
from scheduler.privacy.retention import add_retention_job
from scheduler.settings import Settings
from scheduler.web.app import create_app

log = logging.getLogger(__name__)


class DispatchJob:
    """The periodic job: one pass per run; failures are logged and the next run tries again."""

    def __init__(
        self, dispatcher: Dispatcher, state: ServiceState, clock: Clock, metrics: Metrics
    ) -> None:
        self.dispatcher = dispatcher
        self.state = state
        self.clock = clock
        self.metrics = metrics
        self.failures = 0  # passes failed in a row

    def __call__(self) -> None:
        started = time.perf_counter()
        try:
            report = self.dispatcher.run_pass()
        except Exception as exc:  # the job must survive a database blip; it is logged, not hidden
            self.failures += 1
            why = _describe(exc)
            if self.failures == 1:
                log.exception("dispatch pass failed")
            else:  # an outage fails every pass: one line each, the traceback was logged once
                log.error("dispatch pass failed (%d in a row): %s", self.failures, why)
            self.state.last_error = why
            self.metrics.failed_passes.inc()
        else:
            if self.failures:
                log.warning("dispatch passes work again after %d failed", self.failures)
            self.failures = 0
            self.state.last_error = None
            self.metrics.record_pass(report, time.perf_counter() - started)
        self.state.last_pass_at = self.clock()


def _describe(exc: Exception) -> str:
    # SQLAlchemy's own text carries the SQL and its parameters; /healthz shows this one.
    detail = describe_db_error(exc) if isinstance(exc, SQLAlchemyError) else str(exc)
    return f"{type(exc).__name__}: {detail}"


class _Server(uvicorn.Server):
    """uvicorn, telling the dispatcher about SIGINT/SIGTERM at once, not after its HTTP drain."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def build_scheduler(job: DispatchJob, interval: float) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        job,
        "interval",
        seconds=interval,
        id="dispatch",
        # One pass at a time per process; missed runs collapse into one instead of piling up.
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, int(interval * 2)),
        next_run_time=datetime.now(UTC) + timedelta(seconds=0.5),
    )
    return scheduler


def serve(settings: Settings, *, host: str, port: int, clock: Clock = system_clock) -> None:
    """Run until SIGINT/SIGTERM; the pass in flight completes before the process exits."""
    # APScheduler logs every run at INFO (every few seconds); keep its warnings and errors only.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, log.getEffectiveLevel()))
    engine = open_database(settings)
    renderer = checked_renderer(settings, engine)
    channels = build_channels(settings)
    state = ServiceState(
        stale_after=timedelta(seconds=max(300, 20 * settings.dispatch_interval_seconds))
    )
    metrics = Metrics()
    dispatcher = Dispatcher(engine, settings, channels, renderer, clock=clock)
    scheduler = build_scheduler(
        DispatchJob(dispatcher, state, clock, metrics), settings.dispatch_interval_seconds
    )
    # One notifier for the alert job, the mailbox and the SMS webhook: an urgent reply is paged
    # by the request that stores it, and retried by the job if that page fails.
    notifier = AlertNotifier(engine, settings, channels)
    add_reply_jobs(scheduler, engine, settings, channels, clock, notifier)
    add_photo_job(scheduler, engine, settings, clock, notifier)
    add_retention_job(scheduler, engine, settings, clock)

    def start() -> None:
        # What startup built (libraries, mappers, routes) lives as long as the process. Frozen,
        # a full collection no longer walks it with every request paused (bench/README.md).
        gc.collect()
        gc.freeze()
        scheduler.start()
        state.started_at = clock()
        state.running = True
        log.info(
            "dispatch every %ss (sms: %s, email: %s)",
            settings.dispatch_interval_seconds,
            settings.sms_channel,
            settings.email_channel,
        )

    def stop_claiming() -> None:
        # Nothing is claimed after the signal; the pass in flight finishes (stop() waits for it).
        dispatcher.stop.set()
        if scheduler.running:
            scheduler.pause()

    def stop() -> None:
        log.info("stopping: finishing the dispatch pass in flight")
        dispatcher.stop.set()  # sends not yet started go back to the queue
        scheduler.shutdown(wait=True)
        dispatcher.close()
        state.running = False
        for channel in channels.values():
            channel.close()
        engine.dispose()
        log.info("stopped cleanly")

    app = create_app(
        settings,
        engine,
        clock=clock,
        state=state,
        metrics_registry=metrics,
        notifier=notifier,
        on_startup=start,
        on_shutdown=stop,
    )
    url = engine.url.render_as_string()
    print(banner(host, port, url, api_docs=settings.api_docs), flush=True)
    config = uvicorn_config(app, settings, host=host, port=port)
    # uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown so the previous handler can
    # run; with Python's default one that kills the process (exit 143). A no-op here lets a
    # clean stop exit 0, as process managers expect.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: None)
    _Server(config, stop_claiming).run()


def uvicorn_config(app: ASGIApp, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn as `serve` runs it: our logging, and no `server: uvicorn` header to fingerprint."""
    # log_config=None: uvicorn's loggers (access lines too) go through configure_logging's handler.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
        server_header=False,
    )


def banner(host: str, port: int, database: str, *, api_docs: bool) -> str:
    """What `aftercare serve` prints first: where to point a browser, a probe and an API client."""
    base = f"http://{host}:{port}"
    lines = [
        f"Aftercare listening on {base} (database: {database})",
        f"  staff pages  {base}/   (aftercare staff add EMAIL creates a login)",
        f"  health       {base}/healthz   readiness {base}/readyz",
    ]
    if api_docs:
        lines.append(f"  API docs     {base}/docs")
    return "\n".join(lines)
