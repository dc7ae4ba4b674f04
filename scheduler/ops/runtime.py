"""Wiring shared by the CLI and the service: settings, database, renderer, channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from models.db import is_sqlite, make_engine
from models.migrate import is_up_to_date, upgrade
from models.vocabulary import LANGUAGES
from scheduler.contacts import display_phone
from scheduler.followups.plan import KINDS
from scheduler.inbound.notice_texts import NoticeRenderer
from scheduler.outbound.render import MessageContext, MessageRenderer
from scheduler.settings import Settings

log = logging.getLogger(__name__)
SAMPLE_CONTEXT = MessageContext(
    first_name="Marie-Josée",
    clinic_name="Clinique Esthétique Ottawa",
    clinic_phone="613-555-0100",
    unsubscribe_url="https://clinic.example/unsubscribe/sample-token",
)


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


def checked_renderer(settings: Settings) -> MessageRenderer:
    """A renderer whose every template was rendered once; refuses to start on a broken one."""
    renderer = MessageRenderer()
    steps = {name: [step.name for step in kind.steps] for name, kind in KINDS.items()}
    problems = [str(p) for p in renderer.check_all(steps, LANGUAGES, SAMPLE_CONTEXT)]
    # Answers to replies and practitioner alerts are checked the same way.
    problems += NoticeRenderer().check_all()
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise StartupError(f"message templates have problems:\n{listing}")
    # The sample name is fixed; this clinic's own name may push an SMS into one more segment.
    # That costs money, not correctness, so it is a warning rather than a refusal to start.
    own = replace(
        SAMPLE_CONTEXT,
        clinic_name=settings.clinic_name,
        clinic_phone=display_phone(settings.clinic_phone),
    )
    for problem in renderer.check_all(steps, LANGUAGES, own):
        log.warning("with CLINIC_NAME=%r: %s", settings.clinic_name, problem)
    return renderer


@dataclass
class ServiceState:
    """What /healthz reports about the dispatch job."""

    running: bool = False
    started_at: datetime | None = None
    last_pass_at: datetime | None = None
    last_error: str | None = None
    # A pass that has not finished for this long means the job is stuck (a hung provider call).
    stale_after: timedelta = timedelta(minutes=5)
