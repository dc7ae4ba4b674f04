"""The bulk CSV import writes exactly what registering its rows one by one writes."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, event

from models.db import make_engine, session_scope
from models.vocabulary import ErrorCode
from scheduler.followups.csv_import import CsvFormatError, import_csv
from scheduler.followups.intake import TreatmentCreate, describe_error
from scheduler.followups.kinds import cached_catalog
from scheduler.followups.plan import PlannedMessage, plan_messages
from scheduler.followups.practitioners import save_practitioner
from scheduler.followups.registration import RegistrationError, register_treatment
from scheduler.followups.registration_rules import (
    PatientDetails,
    new_patient_details,
    outbox_rows,
    updated_patient_details,
)
from scheduler.ops.runtime import open_database
from scheduler.outbound.optout import opt_out_patient
from scheduler.outbound.timing import SendWindow
from scheduler.settings import Settings
from tests.support.postgres import PG_ADMIN_URL
from tests.support.settings import make_settings

TORONTO = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TORONTO)
LATE = "registered after this step's useful life"

HEADER = "name,phone,email,language,channel,performed_at,practitioner,kind,patient"
ROWS = [
    # 2: a new patient on both channels, with a practitioner the database does not know yet.
    "Cam New,613-555-0103,cam@example.com,en,both,2026-11-24T23:30,Dr New,,",
    # 3: the phone of a patient who opted out, said to be her (renamed); all born cancelled.
    "Oli Out,613-555-0101,,,sms,2026-11-25T09:00,Dr Old,,same",
    # 4: the phone of line 2, the same person: email kept, language and channel change.
    "Cam Renamed,613-555-0103,,fr,sms,2026-11-25T08:00,Dr Old,,same",
    # 5: a patient already stored: blank email and language keep theirs; performed_at is now.
    '"Bea, After",(613) 555-0102,,,,,Dr New,,same',
    "Bad Phone,12345,,,,,,,",  # 6: rejected
    # 7: backdated: every step is already past its useful life.
    "Dee Late,613-555-0104,,en,sms,2026-11-15T12:00,,,",
    # 8: the phone of lines 2 and 4 written another way, with a new email.
    "Cam Third,+1 613 555 0103,cam2@example.com,,sms,2026-11-23T10:00,,microneedling,same",
    "Eve Ahead,613-555-0105,,,,2026-11-25T17:30,,,",  # 9: rejected, 2.5 hours ahead
    # 10: the night clocks fell back in Toronto.
    "Fay Dst,613-555-0106,fay@example.com,,email,2026-11-01T01:30,,,",
    # 11 and 12: the same row twice: the second is a duplicate registration, refused.
    "Gus Twice,613-555-0107,,,sms,2026-11-24T12:00,Dr New,,",
    "Gus Twice,613-555-0107,,,sms,2026-11-24T12:00,Dr New,,",
    "Hal Nomail,613-555-0108,,,email,,,,",  # 13: rejected, email channel without an address
    # 14 and 15: practitioners already known, written in other cases and spacing.
    "Ivy Case,613-555-0109,,,sms,2026-11-25T09:30,dr   OLD,,",
    "Jon Case,613-555-0110,,,sms,2026-11-25T09:45,DR NEW,,",
    # 16: another person sharing Cam's phone, treated the day of line 4: her texts would copy his.
    "Kim Shared,613-555-0103,,,sms,2026-11-25T10:00,,,new",
    # 17: Cam's phone again, and nobody said who this is: refused, nobody renamed.
    "Lou Nochoice,613-555-0103,,,sms,,,,",
]
TEXT = "\n".join([HEADER, *ROWS]) + "\n"


@pytest.fixture
def database_url(each_database_url: str) -> str:
    return each_database_url


@pytest.fixture
def twin_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database of the same kind, for the one-by-one registrations."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'twin.db'}"
        return
    template: str = request.getfixturevalue("pg_template")
    name = f"aftercare_twin_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def twin(twin_url: str) -> Iterator[Engine]:
    engine = open_database(make_settings(twin_url))
    yield engine
    engine.dispose()


def seed(engine: Engine, settings: Settings) -> None:
    """What both databases hold before the import: an opted-out patient, another, Dr Old."""
    earlier = datetime(2026, 11, 20, 11, 0, tzinfo=TORONTO)
    with session_scope(engine) as session:
        request = TreatmentCreate(name="Oli Before", phone="613-555-0101")
        done = register_treatment(session, request, settings=settings, now=earlier)
        assert done.patient.id is not None
        opt_out_patient(session, done.patient.id, now=earlier)
        request = TreatmentCreate(
            name="Bea Before", phone="613-555-0102", email="bea@example.com", language="fr"
        )
        register_treatment(session, request, settings=settings, now=earlier)
    with session_scope(engine) as session:
        save_practitioner(session, "Dr Old", now=earlier)


def one_by_one(engine: Engine, settings: Settings) -> tuple[dict[int, int], list[tuple[int, str]]]:
    """The import as it was: each row validated and registered in its own transaction."""
    reader = csv.DictReader(io.StringIO(TEXT, newline=""))
    registered: dict[int, int] = {}
    errors: list[tuple[int, str]] = []
    for row in reader:
        values = {key: (value or "").strip() for key, value in row.items()}
        try:
            request = TreatmentCreate.model_validate(values)
            with session_scope(engine) as session:
                done = register_treatment(session, request, settings=settings, now=NOW)
                assert done.treatment.id is not None
                registered[reader.line_num] = done.treatment.id
        except ValidationError as exc:
            errors.append((reader.line_num, describe_error(exc)))
        except RegistrationError as exc:
            errors.append((reader.line_num, str(exc)))
    return registered, errors


def snapshot(engine: Engine, lines: dict[int, int]) -> dict[str, Any]:
    """Every stored value as the driver returns it (SQLite: the text itself), ids left out."""
    with engine.connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.exec_driver_sql(sql)]

        patients = rows(
            "SELECT phone, name, email, language, preferred_channel, consent_source, consent_at,"
            " created_at FROM patient ORDER BY phone, name"
        )
        opted_out = rows(
            "SELECT medium, address, opted_out_at, source FROM opted_out_address"
            " ORDER BY medium, address"
        )
        practitioners = rows(
            "SELECT name, phone, email, active, created_at FROM practitioner ORDER BY name"
        )
        treatments = rows(
            "SELECT t.id, p.phone, r.name, t.kind, t.performed_at, t.status, t.created_at,"
            " t.cancelled_at FROM treatment t JOIN patient p ON p.id = t.patient_id"
            " LEFT JOIN practitioner r ON r.id = t.practitioner_id ORDER BY t.id"
        )
        messages = rows(
            "SELECT treatment_id, step, channel, due_at, expires_at, status, attempts,"
            " next_attempt_at, claim_token, claimed_at, sent_at, provider_id, segments,"
            " delivery_status, error_code, last_error, updated_at"
            " FROM outbound_message ORDER BY id"
        )
    position = {row[0]: i for i, row in enumerate(treatments)}
    outbox: dict[int, list[tuple[Any, ...]]] = {}
    for message in messages:
        outbox.setdefault(position[message[0]], []).append(message[1:])
    return {
        "patients": patients,
        "opted_out": opted_out,
        "practitioners": practitioners,
        # In id order, each with its outbox rows; a line names its treatment by position.
        "treatments": [(row[1:], outbox[i]) for i, row in enumerate(treatments)],
        "lines": {line: position[treatment_id] for line, treatment_id in lines.items()},
    }


@pytest.mark.parametrize("chunk_rows", [1_000, 3, 1], ids=["one-chunk", "chunks-of-3", "per-row"])
def test_import_writes_what_registering_one_by_one_writes(
    engine: Engine, settings: Settings, twin: Engine, chunk_rows: int
) -> None:
    seed(engine, settings)
    seed(twin, settings)

    report = import_csv(
        io.StringIO(TEXT, newline=""), engine, settings=settings, now=NOW, chunk_rows=chunk_rows
    )
    expected_lines, expected_errors = one_by_one(twin, settings)

    assert report.errors == expected_errors
    assert [line for line, _ in report.errors] == [6, 9, 12, 13, 17]
    assert [line for line, _ in report.registered] == sorted(expected_lines)
    got = snapshot(engine, dict(report.registered))
    expected = snapshot(twin, expected_lines)
    assert got == expected
    # The cases the file was written for did happen (so the equality above means something).
    patients = {row[1]: row for row in got["patients"]}
    assert patients["Cam Third"][0] == patients["Kim Shared"][0] == "+16135550103"
    assert patients["Cam Third"][1:5] == ("Cam Third", "cam2@example.com", "fr", "sms")
    assert patients["Bea, After"][1:4] == ("Bea, After", "bea@example.com", "fr")
    statuses = {line: {m[4] for m in got["treatments"][i][1]} for line, i in got["lines"].items()}
    assert statuses[3] == {"cancelled"} and statuses[7] == {"expired"}
    assert statuses[16] == {"cancelled"}  # not a second copy to the shared phone
    assert "already has a microneedling treatment" in dict(report.errors)[12]
    assert "already used by Cam Third (patient 3), Kim Shared" in dict(report.errors)[17]
    assert statuses[2] == {"pending"} and len(got["treatments"][got["lines"][2]][1]) == 6
    assert [row[0] for row in got["practitioners"]] == ["Dr New", "Dr Old"]
    practitioner_of = {line: got["treatments"][i][0][1] for line, i in got["lines"].items()}
    assert (practitioner_of[14], practitioner_of[15]) == ("Dr Old", "Dr New")


def test_a_person_registered_meanwhile_on_the_same_phone_is_kept_not_renamed(
    engine: Engine, settings: Settings, database_url: str
) -> None:
    """Another desk registers someone on the same phone between the import's read and its
    insert: two people, each with their own name (a patient is a person, not a phone)."""
    other = make_engine(database_url)
    raced: list[str] = []

    def front_desk_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO patient") and not raced:
            raced.append(statement)
            request = TreatmentCreate(name="Front Desk", phone="613-555-0103", language="fr")
            with session_scope(other) as session:
                register_treatment(session, request, settings=settings, now=NOW)

    event.listen(engine, "before_cursor_execute", front_desk_first)
    try:
        report = import_csv(
            io.StringIO(f"{HEADER}\n{ROWS[0]}\n", newline=""), engine, settings=settings, now=NOW
        )
    finally:
        event.remove(engine, "before_cursor_execute", front_desk_first)
        other.dispose()

    assert raced, "the import never inserted a patient"
    assert report.errors == [] and len(report.registered) == 1
    with engine.connect() as conn:
        patients = list(conn.exec_driver_sql("SELECT name, language FROM patient ORDER BY id"))
        treatments = conn.exec_driver_sql("SELECT count(*) FROM treatment").scalar()
    assert [tuple(p) for p in patients] == [("Front Desk", "fr"), ("Cam New", "en")]
    assert treatments == 2


def test_a_file_the_csv_reader_cannot_read_writes_nothing(
    engine: Engine, settings: Settings
) -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    text = f"{HEADER}\n{ROWS[0]}\n{huge},613-555-0199,,,,,,,\n"
    with pytest.raises(CsvFormatError, match="line 3"):
        import_csv(io.StringIO(text, newline=""), engine, settings=settings, now=NOW)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM treatment").scalar() == 0


# --- the rules both paths share ----------------------------------------------------------------


def plan_for(performed_at: datetime) -> list[PlannedMessage]:
    steps = cached_catalog(None).require("microneedling").steps
    return plan_messages(performed_at, TORONTO, SendWindow(time(10), time(19)), steps)


@pytest.mark.parametrize(
    ("performed_at", "opted_out", "expected"),
    [
        (NOW, False, [("pending", None, None)] * 3),
        (NOW, True, [("cancelled", ErrorCode.OPTED_OUT, "patient opted out")] * 3),
        # Day 1 of the 20th was useful until the 22nd 19:00; day 3 until the 25th 19:00.
        (
            datetime(2026, 11, 20, 12, tzinfo=TORONTO),
            False,
            [("expired", None, LATE)] + [("pending", None, None)] * 2,
        ),
        # An opted-out patient's rows say so, even the ones that had also expired.
        (
            datetime(2026, 11, 10, 12, tzinfo=TORONTO),
            True,
            [("cancelled", ErrorCode.OPTED_OUT, "patient opted out")] * 3,
        ),
    ],
)
def test_a_rows_status_is_opt_out_then_expiry_then_pending(
    performed_at: datetime, opted_out: bool, expected: list[tuple[str, str | None, str | None]]
) -> None:
    blocked = {"sms"} if opted_out else set()
    rows = outbox_rows(plan_for(performed_at), "sms", opted_out=blocked, now=NOW)
    assert [(r.status, r.error_code, r.last_error) for r in rows] == expected


def test_both_channels_give_each_step_on_sms_then_email() -> None:
    rows = outbox_rows(plan_for(NOW), "both", now=NOW)
    assert [(r.step, r.channel) for r in rows] == [
        (step, channel) for step in ("day1", "day3", "day7") for channel in ("sms", "email")
    ]


def test_a_later_registration_keeps_what_it_leaves_blank() -> None:
    stored = PatientDetails("Ana Lima", "ana@example.com", "fr", "email")
    blank = TreatmentCreate(name="Ana Lima-Roy", phone="613-555-0124")
    # The name changes only on staff's word (patient=same): never silently.
    assert updated_patient_details(stored, blank) == PatientDetails(
        "Ana Lima", "ana@example.com", "fr", "sms"
    )
    assert updated_patient_details(stored, blank, rename=True) == PatientDetails(
        "Ana Lima-Roy", "ana@example.com", "fr", "sms"
    )
    given = TreatmentCreate(name="Ana", phone="613-555-0124", email="a@example.com", language="en")
    assert updated_patient_details(stored, given) == PatientDetails(
        "Ana Lima", "a@example.com", "en", "sms"
    )
    assert new_patient_details(blank, default_language="fr") == PatientDetails(
        "Ana Lima-Roy", None, "fr", "sms"
    )
