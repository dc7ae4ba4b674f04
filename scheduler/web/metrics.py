"""`GET /metrics`: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from scheduler.metrics import Metrics
from scheduler.web.deps import ClockDep, EngineDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, engine: EngineDep, clock: ClockDep) -> Response:
    registry: Metrics = request.app.state.metrics
    registry.refresh_due(engine, clock())
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
