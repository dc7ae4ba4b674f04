"""Probes: `/healthz` (is this process alive and working) and `/readyz` (may it take traffic)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from models.migrate import head_revision
from scheduler.clock import Clock
from scheduler.ops.runtime import ServiceState
from scheduler.web.deps import ClockDep, EngineDep, StateDep

router = APIRouter(tags=["probes"])
# The migration scripts ship with the code; reading them once per process is enough.
_head_revision = lru_cache(maxsize=1)(head_revision)


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, read directly: Alembic's own reader logs two INFO
    lines per call, which a probe every few seconds would turn into noise."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision: str | None = connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar()
        return revision


def scheduler_status(state: ServiceState, clock: Clock) -> str:
    """'running', 'stopped', or 'stuck: …' when no pass finished within `stale_after`."""
    if not state.running:
        return "stopped"
    since = state.last_pass_at or state.started_at
    if since is not None and clock() - since > state.stale_after:
        return "stuck: no dispatch pass finished recently"
    return "running"


@router.get("/healthz")
def healthz(engine: EngineDep, state: StateDep, clock: ClockDep) -> JSONResponse:
    """Liveness: 200 when the database answers and the dispatch job runs and is not stuck.

    A process manager may restart the service on a 503 that lasts (a hung dispatch job).
    """
    scheduler = scheduler_status(state, clock)
    body: dict[str, Any] = {"database": "ok", "scheduler": scheduler}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        body["database"] = f"unreachable: {type(exc).__name__}"
    body["last_pass_at"] = state.last_pass_at.isoformat() if state.last_pass_at else None
    body["last_error"] = state.last_error
    healthy = body["database"] == "ok" and scheduler == "running"
    body["status"] = "ok" if healthy else "unhealthy"
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/readyz")
def readyz(engine: EngineDep, state: StateDep, clock: ClockDep) -> JSONResponse:
    """Readiness: 200 only when the database answers, its schema is at the code's migration
    head and the dispatch job's heartbeat is fresh; 503 with the reasons otherwise."""
    reasons: list[str] = []
    try:
        revision = schema_revision(engine)
    except SQLAlchemyError as exc:
        reasons.append(f"database unreachable: {type(exc).__name__}")
    else:
        head = _head_revision()
        if revision != head:
            reasons.append(f"database schema at {revision or 'no revision'}, code expects {head}")
    scheduler = scheduler_status(state, clock)
    if scheduler != "running":
        reasons.append(f"scheduler {scheduler}")
    body = {"status": "not ready" if reasons else "ready", "reasons": reasons}
    return JSONResponse(body, status_code=503 if reasons else 200)
