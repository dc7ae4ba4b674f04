"""Build the FastAPI app around an engine, settings and a clock (nothing global)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from scheduler.clock import Clock, system_clock
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.ops.metrics import Metrics
from scheduler.ops.runtime import ServiceState
from scheduler.settings import Settings
from scheduler.web import error_pages, health, metrics_endpoint, twilio_webhooks, unsubscribe_page
from scheduler.web.access import unguarded_routes
from scheduler.web.api import router as api
from scheduler.web.body_limit import BodyLimitMiddleware
from scheduler.web.i18n import load_catalogues
from scheduler.web.pages import router as staff_pages
from scheduler.web.pages.access import PUBLIC_PAGES
from scheduler.web.request_id import RequestIdMiddleware

Hook = Callable[[], None]


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = system_clock,
    state: ServiceState | None = None,
    metrics_registry: Metrics | None = None,
    notifier: AlertNotifier | None = None,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
) -> FastAPI:
    """The web app; the service passes hooks that start and stop the scheduler with it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_startup:
            on_startup()
        try:
            yield
        finally:
            if on_shutdown:
                on_shutdown()

    life: Callable[[FastAPI], AbstractAsyncContextManager[None]] = lifespan
    # API_DOCS=false: no /docs, /redoc or /openapi.json (the API still works).
    docs = settings.api_docs
    app = FastAPI(
        title="Aftercare",
        version="0.1.0",
        lifespan=life,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.service = state or ServiceState()
    app.state.metrics = metrics_registry or Metrics()
    # One Jinja environment for the app: its compiled templates are reused by every reply.
    app.state.notices = NoticeRenderer(clinic_dir=settings.clinic_templates_dir)
    # Pages an urgent reply before its answer is chosen; without one, the answer says "flagged".
    app.state.notifier = notifier
    app.state.webhook_limiter = twilio_webhooks.db_limiter()
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestIdMiddleware)
    error_pages.install(app)
    load_catalogues()
    app.include_router(health.router)
    app.include_router(metrics_endpoint.router)
    app.include_router(twilio_webhooks.router)
    app.include_router(unsubscribe_page.router)
    app.include_router(api.router)
    app.include_router(staff_pages.router)
    app.mount(staff_pages.STATIC_PATH, staff_pages.static_files(), name="static")
    # A staff page or API route that names no permission would be open to every login.
    unguarded = unguarded_routes([*api.router.routes, *staff_pages.router.routes], PUBLIC_PAGES)
    if unguarded:
        raise RuntimeError(f"routes without an access rule: {', '.join(unguarded)}")
    return app
