"""`GET /metrics`: Prometheus text format; the database gauges are computed at scrape time."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from scheduler.ops.metrics import Metrics
from scheduler.web.deps import ClockDep, EngineDep, SettingsDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request, engine: EngineDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    """The metrics; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`."""
    expected = settings.metrics_token.get_secret_value()
    if expected:
        sent = request.headers.get("authorization", "")
        scheme, _, given = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(
                status_code=401,
                detail="metrics token required",
                headers={"WWW-Authenticate": "Bearer"},
            )
    registry: Metrics = request.app.state.metrics
    return Response(registry.scrape(engine, clock()), media_type=CONTENT_TYPE_LATEST)
