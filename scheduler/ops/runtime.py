"""What the CLI and the service share at start: the database at the right schema, and state."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from models.db import is_sqlite, make_engine
from models.migrate import is_up_to_date, upgrade
from scheduler.settings import Settings

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The service cannot start as configured; the message says what to do."""


def open_database(settings: Settings) -> Engine:
    """The engine, with the schema current: SQLite upgrades itself, other databases must be."""
    engine = make_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            upgrade(engine)
        elif not is_up_to_date(engine):
            raise StartupError("the database schema is not current: run `aftercare db upgrade`")
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StartupError(f"cannot open the database: {describe_db_error(exc)}") from exc
    return engine


def describe_db_error(exc: SQLAlchemyError) -> str:
    """The driver's own first line, without SQLAlchemy's SQL echo and links (no secrets)."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__


@dataclass
class ServiceState:
    """What /healthz reports about the dispatch job."""

    running: bool = False
    started_at: datetime | None = None
    last_pass_at: datetime | None = None
    last_error: str | None = None
    # A pass that has not finished for this long means the job is stuck (a hung provider call).
    stale_after: timedelta = timedelta(minutes=5)
