"""The audit log: who looked at or changed which patient data, and when (append-only).

An event names at most one patient in `target` ("patient:12"); a list names the patients it
showed in `shown` ("3,7,12"), ids only, so that the log itself holds no patient data. What
people typed into a search is never kept, only how many patients it found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, literal, or_
from sqlmodel import Session, col, select

from models.tables import AuditEvent
from scheduler.staff.queries import Page, PageRequest, paginate

_ACTOR_MAX = 320
_TARGET_MAX = 100


def patient_target(patient_id: int | None) -> str | None:
    """How an event names the patient whose data it touched (None: no one patient)."""
    return f"patient:{patient_id}" if patient_id is not None else None


def shown_text(patient_ids: Iterable[int | None]) -> str | None:
    """The ids a list showed, compactly: '3,7,12' (None when it showed nobody)."""
    ids = sorted({i for i in patient_ids if i is not None})
    return ",".join(str(i) for i in ids) or None


def shown_ids(text: str | None) -> set[int]:
    """The ids of `shown_text` back as a set."""
    return {int(part) for part in (text or "").split(",") if part.isdigit()}


def search_detail(found: int) -> str:
    """A search as the log keeps it: how many it found, never what was typed."""
    return f"search ({found} result{'' if found == 1 else 's'})"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    now: datetime,
    shown: Iterable[int | None] = (),
) -> AuditEvent:
    """Add one event to the caller's transaction, so it is kept exactly when the action is."""
    event = AuditEvent(
        at=now,
        actor=actor[:_ACTOR_MAX],
        action=action,
        target=target[:_TARGET_MAX] if target else None,
        detail=detail,
        shown=shown_text(shown),
    )
    session.add(event)
    return event


def recent(session: Session, *, limit: int = 100) -> list[AuditEvent]:
    """The latest events first."""
    query = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(query.limit(limit)).all())


def about_patient(patient_id: int) -> ColumnElement[bool]:
    """SQL: the event touched this patient, or a list showed them."""
    # Commas around the list so that 7 matches ',7,' but not ',17,'.
    listed = (literal(",") + col(AuditEvent.shown) + literal(",")).like(f"%,{patient_id},%")
    return or_(col(AuditEvent.target) == patient_target(patient_id), listed)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # part of the actor, any case
    patient_id: int | None = None
    action: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def search_events(
    session: Session, filters: AuditFilter, *, page: PageRequest = PageRequest()
) -> Page[AuditEvent]:
    """Events matching every filter given, newest first."""
    query = select(AuditEvent)
    if filters.actor:
        needle = filters.actor.strip().lower()
        query = query.where(func.lower(col(AuditEvent.actor)).contains(needle, autoescape=True))
    if filters.patient_id is not None:
        query = query.where(about_patient(filters.patient_id))
    if filters.action:
        query = query.where(col(AuditEvent.action) == filters.action)
    if filters.since is not None:
        query = query.where(col(AuditEvent.at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(AuditEvent.at) < filters.until)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    rows, total = paginate(session, query, page)
    return Page([row[0] for row in rows], total, page.page, page.per_page)


def patient_events(session: Session, patient_id: int) -> list[AuditEvent]:
    """Every event about one patient, oldest first (for their export)."""
    query = select(AuditEvent).where(about_patient(patient_id))
    return list(session.exec(query.order_by(col(AuditEvent.at), col(AuditEvent.id))).all())


def known_actions(session: Session) -> list[str]:
    """The actions the log holds, for the audit page's filter."""
    query = select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))
    return list(session.exec(query).all())


def last_shown(session: Session, actor: str, actions: Iterable[str]) -> set[int] | None:
    """The patients the actor's latest event of these actions showed (None: no such event)."""
    query = (
        select(AuditEvent.id, AuditEvent.shown)
        .where(col(AuditEvent.actor) == actor, col(AuditEvent.action).in_(list(actions)))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
    )
    found = session.exec(query).first()
    return None if found is None else shown_ids(found[1])
