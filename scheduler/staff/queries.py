"""Read-side queries for the JSON API and the staff pages: filters, pagination, no N+1 loops."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, case, func, or_
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from models import (
    Alert,
    AlertStatus,
    InboundMessage,
    OutboundMessage,
    Patient,
    Practitioner,
    Treatment,
)
from models.vocabulary import LEVELS_LOUDEST_FIRST, OutboxStatus
from scheduler.outbound.outbox import MessageRow, outbox_join, status_in
from scheduler.staff.scope import EVERYONE, Scope, visible
from scheduler.text_input import clean_line

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # keeps the OFFSET inside a 64-bit integer whatever the page size
UNACKNOWLEDGED = (AlertStatus.OPEN, AlertStatus.ESCALATED)
LEVEL_RANK = {level.value: rank for rank, level in enumerate(LEVELS_LOUDEST_FIRST)}


# --- pagination -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a list to return; pages count from 1."""

    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_PAGE:
            raise ValueError(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the size of the whole list."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session: Session, query: Select[*Ts], page: PageRequest) -> tuple[list[Row[*Ts]], int]:
    """One page of `query`'s rows and the number of rows in all."""
    # Counting the same filtered statement keeps the total and the items from ever disagreeing.
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    total = int(session.execute(counted).scalar_one())
    rows = list(session.execute(query.limit(page.per_page).offset(page.offset)).all())
    return rows, total


# --- patients ---------------------------------------------------------------------------------

# Letters that NFKD does not split into a base letter and an accent.
_LIGATURES = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Lower-case, accent-free form used to compare names: 'Éloïse Œuvray' -> 'eloise oeuvray'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().replace("œ", "oe").replace("æ", "ae")


def _latin_fold_table() -> tuple[str, str, dict[str, str]]:
    # PostgreSQL's translate() maps one character to one; ligatures need replace() after it.
    source, target, longer = [], [], {}
    for code in range(0xC0, 0x180):
        char = chr(code)
        folded = fold(char)
        if folded == char or not folded.isascii():
            continue
        if len(folded) == 1:
            source.append(char)
            target.append(folded)
        else:
            longer[char] = folded
    return "".join(source), "".join(target), longer


_PG_FROM, _PG_TO, _PG_LONGER = _latin_fold_table()


def _folded_name(session: Session) -> ColumnElement[str]:
    """The patient's name folded inside the database, to match `fold(q)`."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # SQLite's lower() knows only ASCII: use the very same Python fold, per connection.
        raw = connection.connection.driver_connection
        raw.create_function("aftercare_fold", 1, fold, deterministic=True)  # type: ignore[union-attr]
        return func.aftercare_fold(col(Patient.name))
    expression: ColumnElement[str] = func.translate(col(Patient.name), _PG_FROM, _PG_TO)
    for char, folded in _PG_LONGER.items():
        expression = func.replace(expression, char, folded)
    return func.lower(expression)


def search_patients(
    session: Session, q: str, *, limit: int = 20, scope: Scope = EVERYONE
) -> list[Patient]:
    """Patients whose name contains `q` (ignoring case and accents) or whose phone has its digits.

    An empty `q` lists the most recently added patients.
    """
    query = select(Patient)
    if not scope.everyone:
        query = query.where(visible(col(Patient.id), scope))
    # PostgreSQL refuses NUL in a query; no name or number holds control characters anyway.
    text = clean_line(q, max_chars=200)
    if not text:
        newest = query.order_by(col(Patient.created_at).desc(), col(Patient.id).desc())
        return list(session.exec(newest.limit(limit)).all())
    matches: list[ColumnElement[bool]] = [
        _folded_name(session).contains(fold(text), autoescape=True)
    ]
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        matches.append(col(Patient.phone).contains(digits, autoescape=True))
    query = query.where(or_(*matches)).order_by(col(Patient.name), col(Patient.id)).limit(limit)
    return list(session.exec(query).all())


# --- treatments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreatmentRow:
    treatment: Treatment
    patient: Patient
    practitioner: Practitioner | None


@dataclass(frozen=True)
class TreatmentDetail:
    treatment: Treatment
    patient: Patient
    practitioner: Practitioner | None
    messages: list[OutboundMessage]


@dataclass(frozen=True)
class TreatmentFilter:
    status: str | None = None
    patient_id: int | None = None
    practitioner_id: int | None = None
    performed_from: datetime | None = None  # inclusive
    performed_to: datetime | None = None  # exclusive
    scope: Scope = EVERYONE


def treatment_rows() -> Select[Treatment, Patient, Practitioner]:
    """Treatments joined to their patient and (if any) practitioner."""
    return (
        select_rows(Treatment, Patient, Practitioner)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
        .outerjoin(Practitioner, col(Practitioner.id) == Treatment.practitioner_id)
    )


def list_treatments(
    session: Session,
    filters: TreatmentFilter = TreatmentFilter(),
    *,
    page: PageRequest = PageRequest(),
) -> Page[TreatmentRow]:
    """Treatments, most recently performed first."""
    query = treatment_rows()
    if filters.status is not None:
        query = query.where(col(Treatment.status) == filters.status)
    if filters.patient_id is not None:
        query = query.where(col(Treatment.patient_id) == filters.patient_id)
    if filters.practitioner_id is not None:
        query = query.where(col(Treatment.practitioner_id) == filters.practitioner_id)
    if filters.performed_from is not None:
        query = query.where(col(Treatment.performed_at) >= filters.performed_from)
    if filters.performed_to is not None:
        query = query.where(col(Treatment.performed_at) < filters.performed_to)
    if not filters.scope.everyone:
        query = query.where(visible(col(Treatment.patient_id), filters.scope))
    query = query.order_by(col(Treatment.performed_at).desc(), col(Treatment.id).desc())
    rows, total = paginate(session, query, page)
    return Page([TreatmentRow(t, p, pr) for t, p, pr in rows], total, page.page, page.per_page)


def treatment_detail(session: Session, treatment_id: int) -> TreatmentDetail | None:
    """A treatment with its patient, practitioner and every outbox row, or None."""
    found = session.execute(treatment_rows().where(col(Treatment.id) == treatment_id)).one_or_none()
    if found is None:
        return None
    treatment, patient, practitioner = found
    messages = session.exec(
        select(OutboundMessage)
        .where(col(OutboundMessage.treatment_id) == treatment_id)
        .order_by(col(OutboundMessage.due_at), col(OutboundMessage.channel))
    ).all()
    return TreatmentDetail(treatment, patient, practitioner, list(messages))


# --- outbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageFilter:
    statuses: Sequence[str] = ()
    channel: str | None = None
    treatment_id: int | None = None
    patient_id: int | None = None
    due_from: datetime | None = None  # inclusive
    due_to: datetime | None = None  # exclusive
    ready_at: datetime | None = None  # only pending rows ready to go at this instant
    scope: Scope = EVERYONE


def message_query(filters: MessageFilter) -> Select[OutboundMessage, Treatment, Patient]:
    """Outbox rows with their treatment and patient, filtered, in no particular order."""
    query = outbox_join()
    if filters.statuses:
        narrowed = filters.treatment_id is not None or filters.patient_id is not None
        query = query.where(status_in(filters.statuses, narrowed=narrowed))
    if filters.channel is not None:
        query = query.where(col(OutboundMessage.channel) == filters.channel)
    if filters.treatment_id is not None:
        query = query.where(col(OutboundMessage.treatment_id) == filters.treatment_id)
    if filters.patient_id is not None:
        query = query.where(col(Treatment.patient_id) == filters.patient_id)
    if filters.due_from is not None:
        query = query.where(col(OutboundMessage.due_at) >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(col(OutboundMessage.due_at) < filters.due_to)
    if filters.ready_at is not None:
        query = query.where(
            col(OutboundMessage.status) == OutboxStatus.PENDING,
            col(OutboundMessage.next_attempt_at) <= filters.ready_at,
        )
    if not filters.scope.everyone:
        query = query.where(visible(col(Treatment.patient_id), filters.scope))
    return query


def list_messages(
    session: Session,
    filters: MessageFilter = MessageFilter(),
    *,
    page: PageRequest = PageRequest(),
) -> Page[MessageRow]:
    """Outbox rows with their treatment and patient, in due order."""
    query = message_query(filters).order_by(col(OutboundMessage.due_at), col(OutboundMessage.id))
    rows, total = paginate(session, query, page)
    return Page([MessageRow(m, t, p) for m, t, p in rows], total, page.page, page.per_page)


# --- replies and alerts -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyRow:
    reply: InboundMessage
    patient: Patient | None  # None: a sender we do not know
    treatment: Treatment | None
    practitioner: Practitioner | None
    alert: Alert | None


@dataclass(frozen=True)
class ReplyFilter:
    level: str | None = None
    handled: bool | None = None  # None: both
    patient_id: int | None = None
    practitioner_id: int | None = None
    loudest_first: bool = False  # urgent, then concern, then routine; newest first within
    scope: Scope = EVERYONE


def list_replies(
    session: Session,
    filters: ReplyFilter = ReplyFilter(),
    *,
    page: PageRequest = PageRequest(),
) -> Page[ReplyRow]:
    """Patient replies, newest first."""
    query = (
        select_rows(InboundMessage, Patient, Treatment, Practitioner, Alert)
        .outerjoin(Patient, col(Patient.id) == InboundMessage.patient_id)
        .outerjoin(Treatment, col(Treatment.id) == InboundMessage.treatment_id)
        .outerjoin(Practitioner, col(Practitioner.id) == Treatment.practitioner_id)
        .outerjoin(Alert, col(Alert.inbound_id) == InboundMessage.id)
    )
    if filters.level is not None:
        query = query.where(col(InboundMessage.level) == filters.level)
    if filters.handled is True:
        query = query.where(col(InboundMessage.handled_at).is_not(None))
    elif filters.handled is False:
        query = query.where(col(InboundMessage.handled_at).is_(None))
    if filters.patient_id is not None:
        query = query.where(col(InboundMessage.patient_id) == filters.patient_id)
    if filters.practitioner_id is not None:
        query = query.where(col(Treatment.practitioner_id) == filters.practitioner_id)
    if not filters.scope.everyone:
        query = query.where(visible(col(InboundMessage.patient_id), filters.scope))
    newest = (col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
    if filters.loudest_first:
        level = case(LEVEL_RANK, value=col(InboundMessage.level), else_=len(LEVEL_RANK))
        query = query.order_by(level, *newest)
    else:
        query = query.order_by(*newest)
    rows, total = paginate(session, query, page)
    items = [ReplyRow(r, p, t, pr, a) for r, p, t, pr, a in rows]
    return Page(items, total, page.page, page.per_page)


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    reply: InboundMessage
    patient: Patient | None
    practitioner: Practitioner | None


@dataclass(frozen=True)
class AlertFilter:
    levels: Sequence[str] = ()
    statuses: Sequence[str] = ()
    practitioner_id: int | None = None
    scope: Scope = EVERYONE


def _alert_rows() -> Select[Alert, InboundMessage, Patient, Practitioner]:
    return (
        select_rows(Alert, InboundMessage, Patient, Practitioner)
        .join(InboundMessage, col(InboundMessage.id) == Alert.inbound_id)
        .outerjoin(Patient, col(Patient.id) == Alert.patient_id)
        .outerjoin(Practitioner, col(Practitioner.id) == Alert.practitioner_id)
    )


def alert_row(session: Session, alert_id: int) -> AlertRow | None:
    """One alert with its reply, patient and practitioner, or None."""
    found = session.execute(_alert_rows().where(col(Alert.id) == alert_id)).one_or_none()
    return AlertRow(*found) if found is not None else None


def list_alerts(
    session: Session,
    filters: AlertFilter = AlertFilter(),
    *,
    page: PageRequest = PageRequest(),
) -> Page[AlertRow]:
    """Alerts: unacknowledged first, urgent before concern, then newest."""
    query = _alert_rows()
    if filters.levels:
        query = query.where(col(Alert.level).in_(list(filters.levels)))
    if filters.statuses:
        query = query.where(col(Alert.status).in_(list(filters.statuses)))
    if filters.practitioner_id is not None:
        query = query.where(col(Alert.practitioner_id) == filters.practitioner_id)
    if not filters.scope.everyone:
        query = query.where(visible(col(Alert.patient_id), filters.scope))
    unacknowledged = case((col(Alert.status).in_(list(UNACKNOWLEDGED)), 0), else_=1)
    level = case(LEVEL_RANK, value=col(Alert.level), else_=len(LEVEL_RANK))
    query = query.order_by(
        unacknowledged, level, col(Alert.created_at).desc(), col(Alert.id).desc()
    )
    rows, total = paginate(session, query, page)
    items = [AlertRow(a, r, p, pr) for a, r, p, pr in rows]
    return Page(items, total, page.page, page.per_page)
