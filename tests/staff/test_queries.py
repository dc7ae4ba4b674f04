"""The read-side queries, on SQLite and PostgreSQL: filters, ordering, pagination, query counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from models import Alert, InboundMessage, OutboundMessage, OutboxStatus
from models.db import session_scope
from scheduler.ops.runtime import open_database
from scheduler.settings import Settings
from scheduler.staff import queries
from scheduler.staff.queries import (
    AlertFilter,
    MessageFilter,
    PageRequest,
    ReplyFilter,
    TreatmentFilter,
)
from scheduler.staff.timeline import EntryKind, merge_timeline, patient_timeline
from scheduler.staff.today import local_day_bounds, today
from tests.support.clinic import (
    DAY1,
    PERFORMED,
    TORONTO,
    Clinic,
    add_alert,
    add_reply,
    build_clinic,
    messages_of,
    register,
    set_status,
)
from tests.support.postgres import PG_ADMIN_URL, pg_admin
from tests.support.settings import make_settings


@pytest.fixture
def database_url(each_database_url: str) -> str:
    """Every test here that touches the database runs on SQLite and on PostgreSQL."""
    return each_database_url


@pytest.fixture
def clinic(engine: Engine, settings: Settings) -> Clinic:
    return build_clinic(engine, settings)


@dataclass(frozen=True)
class Shared:
    engine: Engine
    clinic: Clinic


@contextmanager
def _pg_copy(template: str) -> Iterator[str]:
    name = f"aftercare_test_{uuid.uuid4().hex[:10]}"
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _shared(url: str) -> Iterator[Shared]:
    settings = make_settings(url)
    engine = open_database(settings)
    try:
        yield Shared(engine, build_clinic(engine, settings))
    finally:
        engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """One clinic per database for the tests that only read (building it per test is slow)."""
    if request.param == "sqlite":
        yield from _shared(f"sqlite:///{tmp_path_factory.mktemp('queries') / 'aftercare.db'}")
    else:
        with _pg_copy(request.getfixturevalue("pg_template")) as url:
            yield from _shared(url)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def names(patients: list[Any]) -> list[str]:
    return [p.name for p in patients]


# --- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Éloïse Côté", "eloise cote"),
        ("MARC", "marc"),
        ("Œuvray", "oeuvray"),
        ("Lætitia", "laetitia"),
        ("Søren Łukasz", "soren lukasz"),
        ("François-Xavier", "francois-xavier"),
        ("Straße", "strasse"),
        ("100%_x", "100%_x"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert queries.fold(text) == folded


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"page": 0}, "page"),
        ({"page": 1_000_001}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 201}, "per_page"),
    ],
)
def test_page_request_refuses_impossible_slices(kwargs: dict[str, int], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        PageRequest(**kwargs)


@pytest.mark.parametrize(
    ("total", "per_page", "page", "pages", "has_next"),
    [(0, 10, 1, 1, False), (10, 10, 1, 1, False), (11, 10, 1, 2, True), (11, 10, 2, 2, False)],
)
def test_page_counts(total: int, per_page: int, page: int, pages: int, has_next: bool) -> None:
    found = queries.Page[int]([], total, page, per_page)
    assert (found.pages, found.has_next) == (pages, has_next)


def test_local_day_bounds_follow_dst() -> None:
    # 2026-11-01: clocks go back in Toronto, so that local day lasts 25 hours.
    start, end = local_day_bounds(datetime(2026, 11, 1, 12, tzinfo=TORONTO), TORONTO)
    assert start == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert end - start == timedelta(hours=25)
    start, end = local_day_bounds(datetime(2026, 11, 25, 3, 30, tzinfo=UTC), TORONTO)
    assert start.astimezone(TORONTO) == datetime(2026, 11, 24, tzinfo=TORONTO)
    assert end - start == timedelta(hours=24)


def test_local_day_bounds_refuse_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_day_bounds(datetime(2026, 11, 1, 12), TORONTO)  # noqa: DTZ001


def test_merge_timeline_orders_by_time_then_message_reply_alert() -> None:
    at = datetime(2026, 11, 25, 15, tzinfo=UTC)
    message = OutboundMessage(
        id=1, treatment_id=1, step="day1", channel="sms", due_at=at, expires_at=at,
        next_attempt_at=at, updated_at=at, sent_at=at,
    )  # fmt: skip
    pending = OutboundMessage(
        id=2, treatment_id=1, step="day3", channel="sms", due_at=at + timedelta(days=2),
        expires_at=at, next_attempt_at=at, updated_at=at,
    )  # fmt: skip
    reply = InboundMessage(id=1, channel="sms", from_address="x", body="b", received_at=at)
    alert = Alert(id=1, inbound_id=1, level="urgent", reasons="[]", created_at=at)
    early = InboundMessage(
        id=2, channel="sms", from_address="x", body="a", received_at=at - timedelta(hours=1)
    )
    entries = merge_timeline([pending, message], [reply, early], [alert])
    assert [(e.kind, e.item.id) for e in entries] == [
        (EntryKind.REPLY, 2),
        (EntryKind.MESSAGE, 1),
        (EntryKind.REPLY, 1),
        (EntryKind.ALERT, 1),
        (EntryKind.MESSAGE, 2),
    ]


# --- patients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("eloise", ["Éloïse Côté"]),
        ("ÉLOÏSE", ["Éloïse Côté"]),
        ("côte", ["Éloïse Côté"]),
        ("lefebvre", ["Marc LEFEBVRE"]),
        ("  Marc  ", ["Marc LEFEBVRE"]),
        ("e_s", ["Lee_Smith"]),  # "_" is a letter here, not LIKE's any-character
        ("%", []),
        ("nobody", []),
    ],
)
def test_search_patients_by_name(shared: Shared, q: str, expected: list[str]) -> None:
    engine = shared.engine
    with Session(engine) as s:
        assert names(queries.search_patients(s, q, limit=10)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("613-555-0102", ["Marc LEFEBVRE"]),
        ("+1 (416) 555", ["Ana Lima"]),
        ("0105", ["LeeXSmith"]),
        ("12", []),  # too few digits to mean a phone number
    ],
)
def test_search_patients_by_phone_digits(shared: Shared, q: str, expected: list[str]) -> None:
    engine = shared.engine
    with Session(engine) as s:
        assert names(queries.search_patients(s, q, limit=10)) == expected


def test_search_patients_sorted_by_name_and_limited(shared: Shared) -> None:
    engine = shared.engine
    with Session(engine) as s:
        everyone = queries.search_patients(s, "555", limit=10)
        assert names(everyone) == sorted(names(everyone))
        assert len(everyone) == 5
        assert len(queries.search_patients(s, "555", limit=2)) == 2


def test_empty_search_lists_newest_patients(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        newest = queries.search_patients(s, " ", limit=2)
    # Marc registered last; then the three of PERFORMED, highest id first.
    assert [p.id for p in newest] == [clinic.marc, clinic.leex]


# --- treatments -------------------------------------------------------------------------------


def test_list_treatments_newest_first_with_total(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.list_treatments(s)
    assert found.total == 5
    performed = [row.treatment.performed_at for row in found.items]
    assert performed == sorted(performed, reverse=True)
    assert found.items[0].treatment.id == clinic.t_marc
    assert found.items[-1].treatment.id == clinic.t_ana
    by_id = {row.treatment.id: row for row in found.items}
    roy = by_id[clinic.t_eloise].practitioner
    assert roy is not None and roy.name == "Dr Roy"
    assert by_id[clinic.t_ana].practitioner is None
    assert by_id[clinic.t_ana].patient.name == "Ana Lima"


@pytest.mark.parametrize(
    ("make_filter", "expected"),
    [
        (lambda c: TreatmentFilter(status="cancelled"), lambda c: [c.t_lee]),
        (lambda c: TreatmentFilter(practitioner_id=c.chen), lambda c: [c.t_marc]),
        (lambda c: TreatmentFilter(patient_id=c.eloise), lambda c: [c.t_eloise]),
        (
            lambda c: TreatmentFilter(performed_to=PERFORMED),
            lambda c: [c.t_ana],
        ),
        (
            lambda c: TreatmentFilter(
                status="active", performed_from=PERFORMED, performed_to=PERFORMED + timedelta(1)
            ),
            lambda c: [c.t_marc, c.t_eloise, c.t_leex],
        ),
    ],
)
def test_list_treatments_filters(
    shared: Shared,
    make_filter: Callable[[Clinic], TreatmentFilter],
    expected: Callable[[Clinic], list[int]],
) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.list_treatments(s, make_filter(clinic))
    assert sorted(row.treatment.id or 0 for row in found.items) == sorted(expected(clinic))
    assert found.total == len(expected(clinic))


def test_list_treatments_pages_cover_the_list_once(shared: Shared) -> None:
    engine = shared.engine
    with Session(engine) as s:
        whole = [row.treatment.id for row in queries.list_treatments(s).items]
        pages = [queries.list_treatments(s, page=PageRequest(n, 2)) for n in (1, 2, 3, 4)]
    assert [len(p.items) for p in pages] == [2, 2, 1, 0]
    assert {p.total for p in pages} == {5}
    assert {p.pages for p in pages} == {3}
    assert [row.treatment.id for p in pages for row in p.items] == whole


def test_treatment_detail(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.treatment_detail(s, clinic.t_marc)
        missing = queries.treatment_detail(s, 999_999)
    assert missing is None
    assert found is not None
    assert found.patient.name == "Marc LEFEBVRE"
    assert found.practitioner is not None and found.practitioner.name == "Dr Chen"
    assert sorted((m.step, m.channel) for m in found.messages) == sorted(
        (step, channel) for step in ("day1", "day3", "day7") for channel in ("sms", "email")
    )
    due = [m.due_at for m in found.messages]
    assert due == sorted(due)


# --- outbox -----------------------------------------------------------------------------------


def _day(local: datetime) -> tuple[datetime, datetime]:
    return local_day_bounds(local, TORONTO)


@pytest.mark.parametrize(
    ("make_filter", "expected"),
    [
        (
            lambda c: MessageFilter(statuses=("cancelled",)),
            lambda c: [(c.t_ana, 3), (c.t_lee, 3)],
        ),
        (lambda c: MessageFilter(channel="email"), lambda c: [(c.t_marc, 3)]),
        (lambda c: MessageFilter(treatment_id=c.t_eloise), lambda c: [(c.t_eloise, 3)]),
        (lambda c: MessageFilter(patient_id=c.marc), lambda c: [(c.t_marc, 6)]),
        (
            lambda c: MessageFilter(statuses=("pending",), channel="sms", patient_id=c.marc),
            lambda c: [(c.t_marc, 3)],
        ),
        (
            lambda c: MessageFilter(due_from=_day(DAY1)[0], due_to=_day(DAY1)[1]),
            lambda c: [(c.t_eloise, 1), (c.t_marc, 2), (c.t_lee, 1), (c.t_leex, 1)],
        ),
    ],
)
def test_list_messages_filters(
    shared: Shared,
    make_filter: Callable[[Clinic], MessageFilter],
    expected: Callable[[Clinic], list[tuple[int, int]]],
) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.list_messages(s, make_filter(clinic))
    per_treatment: dict[int, int] = {}
    for row in found.items:
        per_treatment[row.message.treatment_id] = per_treatment.get(row.message.treatment_id, 0) + 1
        assert row.treatment.id == row.message.treatment_id
        assert row.patient.id == row.treatment.patient_id
    assert sorted(per_treatment.items()) == sorted(expected(clinic))
    assert found.total == sum(n for _, n in expected(clinic))


def test_list_messages_in_due_order_and_paged(shared: Shared) -> None:
    engine = shared.engine
    with Session(engine) as s:
        whole = queries.list_messages(s, page=PageRequest(1, 200))
        pages = [queries.list_messages(s, page=PageRequest(n, 5)) for n in range(1, 5)]
    assert whole.total == 18
    keys = [(r.message.due_at, r.message.id or 0) for r in whole.items]
    assert keys == sorted(keys)
    assert [r.message.id for p in pages for r in p.items] == [r.message.id for r in whole.items]
    assert [len(p.items) for p in pages] == [5, 5, 5, 3]


# --- replies and alerts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_filter", "expected"),
    [
        (lambda c: ReplyFilter(), ["stranger", "marc_concern", "eloise_routine", "eloise_urgent",
                                   "marc_urgent_old"]),
        (lambda c: ReplyFilter(handled=False), ["stranger", "marc_concern", "eloise_urgent"]),
        (lambda c: ReplyFilter(handled=True), ["eloise_routine", "marc_urgent_old"]),
        (lambda c: ReplyFilter(level="urgent"), ["eloise_urgent", "marc_urgent_old"]),
        (lambda c: ReplyFilter(patient_id=c.eloise), ["eloise_routine", "eloise_urgent"]),
        (lambda c: ReplyFilter(practitioner_id=c.chen), ["marc_concern", "marc_urgent_old"]),
        (
            lambda c: ReplyFilter(practitioner_id=c.chen, handled=False, level="concern"),
            ["marc_concern"],
        ),
    ],
)  # fmt: skip
def test_list_replies_filters_newest_first(
    shared: Shared,
    make_filter: Callable[[Clinic], ReplyFilter],
    expected: list[str],
) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.list_replies(s, make_filter(clinic))
    assert [row.reply.id for row in found.items] == [clinic.replies[k] for k in expected]
    assert found.total == len(expected)


def test_reply_rows_carry_patient_practitioner_and_alert(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        rows = {row.reply.id: row for row in queries.list_replies(s).items}
    urgent = rows[clinic.replies["eloise_urgent"]]
    assert urgent.patient is not None and urgent.patient.name == "Éloïse Côté"
    assert urgent.practitioner is not None and urgent.practitioner.name == "Dr Roy"
    assert urgent.alert is not None and urgent.alert.id == clinic.alerts["eloise_urgent_open"]
    stranger = rows[clinic.replies["stranger"]]
    assert (stranger.patient, stranger.treatment, stranger.practitioner, stranger.alert) == (
        None,
        None,
        None,
        None,
    )


def test_list_replies_pages(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        first = queries.list_replies(s, page=PageRequest(1, 2))
        third = queries.list_replies(s, page=PageRequest(3, 2))
    assert (first.total, first.pages, len(first.items), len(third.items)) == (5, 3, 2, 1)
    assert third.items[0].reply.id == clinic.replies["marc_urgent_old"]


def test_alerts_open_first_then_urgent_then_newest(
    engine: Engine, settings: Settings, clinic: Clinic
) -> None:
    with session_scope(engine) as s:
        # A newer open urgent alert, and an open routine-level one (defensive ordering).
        newer = add_reply(
            s,
            patient_id=clinic.leex,
            treatment_id=clinic.t_leex,
            body="pain",
            level="urgent",
            received_at=DAY1 - timedelta(minutes=30),
        )
        newer_alert = add_alert(
            s, newer, level="urgent", status="open", created_at=DAY1, practitioner_id=None
        )
    with Session(engine) as s:
        found = queries.list_alerts(s)
    a = clinic.alerts
    assert [row.alert.id for row in found.items] == [
        newer_alert,
        a["eloise_urgent_open"],
        a["marc_concern_escalated"],
        a["marc_urgent_acked"],
    ]
    assert found.total == 4
    first = found.items[1]
    assert first.reply.body == "bleeding and fever"
    assert first.patient is not None and first.patient.name == "Éloïse Côté"
    assert first.practitioner is not None and first.practitioner.name == "Dr Roy"
    assert found.items[0].practitioner is None


@pytest.mark.parametrize(
    ("make_filter", "expected"),
    [
        (
            lambda c: AlertFilter(statuses=queries.UNACKNOWLEDGED),
            ["eloise_urgent_open", "marc_concern_escalated"],
        ),
        (lambda c: AlertFilter(statuses=("acknowledged",)), ["marc_urgent_acked"]),
        (lambda c: AlertFilter(levels=("urgent",)), ["eloise_urgent_open", "marc_urgent_acked"]),
        (
            lambda c: AlertFilter(practitioner_id=c.chen),
            ["marc_concern_escalated", "marc_urgent_acked"],
        ),
        (lambda c: AlertFilter(levels=("concern",), practitioner_id=c.roy), []),
    ],
)
def test_list_alerts_filters(
    shared: Shared,
    make_filter: Callable[[Clinic], AlertFilter],
    expected: list[str],
) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.list_alerts(s, make_filter(clinic))
    assert [row.alert.id for row in found.items] == [clinic.alerts[k] for k in expected]
    assert found.total == len(expected)


def test_alert_row(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        found = queries.alert_row(s, clinic.alerts["marc_concern_escalated"])
        assert queries.alert_row(s, 999_999) is None
    assert found is not None
    assert found.reply.id == clinic.replies["marc_concern"]
    assert found.practitioner is not None and found.practitioner.id == clinic.chen


# --- timeline and today -----------------------------------------------------------------------


def test_patient_timeline(shared: Shared) -> None:
    engine, clinic = shared.engine, shared.clinic
    with Session(engine) as s:
        timeline = patient_timeline(s, clinic.marc)
        assert patient_timeline(s, 999_999) is None
    assert timeline is not None
    assert timeline.patient.name == "Marc LEFEBVRE"
    assert [row.treatment.id for row in timeline.treatments] == [clinic.t_marc]
    kinds = [entry.kind for entry in timeline.entries]
    assert kinds.count(EntryKind.MESSAGE) == 6
    assert kinds.count(EntryKind.REPLY) == 2
    assert kinds.count(EntryKind.ALERT) == 2
    moments = [entry.at for entry in timeline.entries]
    assert moments == sorted(moments)
    # Each reply and its alert share an instant: the reply comes first.
    concern = [e for e in timeline.entries if e.at == timeline.entries[1].at]
    assert [e.kind for e in concern] == [EntryKind.REPLY, EntryKind.ALERT]
    types = {"message": OutboundMessage, "reply": InboundMessage, "alert": Alert}
    assert all(isinstance(e.item, types[e.kind]) for e in timeline.entries)


def test_timeline_places_sent_messages_at_their_send_time(engine: Engine, clinic: Clinic) -> None:
    day1 = messages_of(engine, clinic.t_eloise)[0]
    assert day1.id is not None
    sent_at = DAY1 + timedelta(hours=2)
    set_status(engine, day1.id, OutboxStatus.SENT, at=sent_at)
    with Session(engine) as s:
        timeline = patient_timeline(s, clinic.eloise)
    assert timeline is not None
    entry = next(e for e in timeline.entries if e.item.id == day1.id and e.kind == "message")
    assert entry.at == sent_at


def test_today(engine: Engine, settings: Settings, clinic: Clinic) -> None:
    eloise_day1 = messages_of(engine, clinic.t_eloise)[0]
    leex_day1 = messages_of(engine, clinic.t_leex)[0]
    ana_day3 = messages_of(engine, clinic.t_ana)[1]
    marc_sms = messages_of(engine, clinic.t_marc)
    assert eloise_day1.id and leex_day1.id and ana_day3.id and marc_sms[0].id
    set_status(engine, eloise_day1.id, OutboxStatus.FAILED, at=DAY1)
    set_status(engine, marc_sms[0].id, OutboxStatus.UNDELIVERED, at=DAY1 - timedelta(days=1))
    set_status(engine, leex_day1.id, OutboxStatus.FAILED, at=DAY1 - timedelta(days=10))
    set_status(engine, ana_day3.id, OutboxStatus.FAILED, at=DAY1)  # opted out: nothing to do
    with Session(engine) as s:
        found = today(s, DAY1 + timedelta(hours=8), TORONTO)
    assert found.day_start == datetime(2026, 11, 25, tzinfo=TORONTO)
    assert [r.alert.id for r in found.open_alerts.items] == [
        clinic.alerts["eloise_urgent_open"],
        clinic.alerts["marc_concern_escalated"],
    ]
    # Replies still to handle come loudest first (newest first within a level).
    assert [r.reply.id for r in found.unhandled_replies.items] == [
        clinic.replies[k] for k in ("eloise_urgent", "marc_concern", "stranger")
    ]
    assert [r.message.id for r in found.failed_messages.items] == [eloise_day1.id, marc_sms[0].id]
    due = {(r.message.treatment_id, r.message.channel) for r in found.due_today.items}
    # Lee's treatment was cancelled: its day-1 message is not part of the day.
    assert due == {
        (clinic.t_eloise, "sms"),
        (clinic.t_marc, "sms"),
        (clinic.t_marc, "email"),
        (clinic.t_leex, "sms"),
    }
    assert all(r.message.step == "day1" for r in found.due_today.items)


def test_today_counts_past_its_limit(shared: Shared) -> None:
    engine = shared.engine
    with Session(engine) as s:
        found = today(s, DAY1, TORONTO, limit=1)
    assert (len(found.due_today.items), found.due_today.total) == (1, 4)
    assert (len(found.unhandled_replies.items), found.unhandled_replies.total) == (1, 3)


# --- no query per row -------------------------------------------------------------------------


def _grow(engine: Engine, settings: Settings, clinic: Clinic, count: int) -> None:
    """More treatments, replies and alerts on the existing practitioners."""
    with session_scope(engine) as s:
        for i in range(count):
            patient, treatment, practitioner = register(
                s,
                settings,
                name=f"Extra {i}",
                phone=f"613-555-{200 + i:04d}",
                practitioner="Dr Roy",
            )
            reply = add_reply(
                s,
                patient_id=patient,
                treatment_id=treatment,
                body="fever",
                level="urgent",
                received_at=DAY1 + timedelta(minutes=i),
            )
            add_alert(
                s,
                reply,
                level="urgent",
                status="open",
                created_at=DAY1,
                practitioner_id=practitioner,
            )
            add_reply(
                s,
                patient_id=clinic.marc,
                treatment_id=clinic.t_marc,
                body="again",
                level="routine",
                received_at=DAY1 + timedelta(minutes=i),
            )


CALLS: dict[str, Callable[[Session, Clinic], object]] = {
    "list_treatments": lambda s, c: queries.list_treatments(s),
    "list_messages": lambda s, c: queries.list_messages(s),
    "list_replies": lambda s, c: queries.list_replies(s),
    "list_alerts": lambda s, c: queries.list_alerts(s),
    "treatment_detail": lambda s, c: queries.treatment_detail(s, c.t_marc),
    "patient_timeline": lambda s, c: patient_timeline(s, c.marc),
    "search_patients": lambda s, c: queries.search_patients(s, "e", limit=50),
    "today": lambda s, c: today(s, DAY1, TORONTO),
}


def test_statement_counts_do_not_grow_with_rows(
    engine: Engine, settings: Settings, clinic: Clinic
) -> None:
    def statements() -> dict[str, int]:
        counts = {}
        for name, call in CALLS.items():
            with Session(engine) as s, counting(engine) as seen:
                call(s, clinic)
            counts[name] = len(seen)
        return counts

    before = statements()
    _grow(engine, settings, clinic, 6)
    assert statements() == before
