"""`GET /healthz`: is the database reachable and is the dispatch job alive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.web.deps import ClockDep, EngineDep, StateDep

router = APIRouter()


@router.get("/healthz")
def healthz(engine: EngineDep, state: StateDep, clock: ClockDep) -> JSONResponse:
    scheduler = "running" if state.running else "stopped"
    since = state.last_pass_at or state.started_at
    if state.running and since is not None and clock() - since > state.stale_after:
        scheduler = "stuck: no dispatch pass finished recently"
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
