"""Request-scoped dependencies: one way for every route to reach settings, clock and the DB.

The getters are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool,
a hop per dependency per request (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.clock import Clock
from scheduler.inbound.alerts import AlertNotifier
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.ops.metrics import Metrics
from scheduler.ops.runtime import ServiceState
from scheduler.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_notices(request: Request) -> NoticeRenderer:
    notices: NoticeRenderer = request.app.state.notices
    return notices


async def get_notifier(request: Request) -> AlertNotifier | None:
    notifier: AlertNotifier | None = request.app.state.notifier
    return notifier


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ClockDep = Annotated[Clock, Depends(get_clock)]
StateDep = Annotated[ServiceState, Depends(get_state)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
NoticesDep = Annotated[NoticeRenderer, Depends(get_notices)]
NotifierDep = Annotated[AlertNotifier | None, Depends(get_notifier)]
SessionDep = Annotated[Session, Depends(get_session)]
