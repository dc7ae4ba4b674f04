"""`GET /metrics`: Prometheus text format; the database gauges are computed at scrape time."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from scheduler.ops.metrics import Metrics
from scheduler.web.deps import ClockDep, EngineDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, engine: EngineDep, clock: ClockDep) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.scrape(engine, clock()), media_type=CONTENT_TYPE_LATEST)
