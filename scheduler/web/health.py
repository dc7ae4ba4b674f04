"""`GET /healthz`: is the database reachable and is the dispatch job alive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.web.deps import EngineDep, StateDep

router = APIRouter()


@router.get("/healthz")
def healthz(engine: EngineDep, state: StateDep) -> JSONResponse:
    body: dict[str, Any] = {
        "database": "ok",
        "scheduler": "running" if state.running else "stopped",
    }
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        body["database"] = f"unreachable: {type(exc).__name__}"
    body["last_pass_at"] = state.last_pass_at
    body["last_error"] = state.last_error
    healthy = body["database"] == "ok" and state.running
    body["status"] = "ok" if healthy else "unhealthy"
    return JSONResponse(body, status_code=200 if healthy else 503)
