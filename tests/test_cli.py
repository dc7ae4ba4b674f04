"""The `aftercare` command in-process (Typer's CliRunner) against a real SQLite file."""

from __future__ import annotations

import re
import time as timer
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from cli_support import Cli, Run, cli_in, table_rows
from sqlalchemy import inspect, text

from models import OutboundMessage, Patient
from models.db import make_engine
from models.migrate import head_revision
from scheduler.cli import app
from scheduler.compose import message_context
from scheduler.contacts import mask_phone
from scheduler.render import MessageRenderer
from scheduler.settings import Settings

TORONTO = ZoneInfo("America/Toronto")
STEPS = {"day1": 1, "day3": 3, "day7": 7}
SCHEDULED_COLUMNS = 6  # id, step, channel, send at, useful until, status
OUTBOX_COLUMNS = 10  # id, treatment, patient, step, channel, due, status, tries, provider id, note


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


def today() -> date:
    return datetime.now(TORONTO).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=TORONTO)


def shown(moment: datetime) -> str:
    """How the CLI prints a local time."""
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def add(
    cli: Cli,
    *,
    name: str = "Alex Martin",
    phone: str = "613-555-0124",
    env: dict[str, str] | None = None,
    **options: str,
) -> int:
    """`treatment add` that must succeed; returns the new treatment's id."""
    args = ["treatment", "add", "--name", name, "--phone", phone]
    for option, value in options.items():
        args += [f"--{option.replace('_', '-')}", value]
    run = cli(*args, env=env)
    assert run.exit_code == 0, run.stderr
    match = re.search(r"\bTreatment (\d+) registered\b", run.stdout)
    assert match, run.stdout
    return int(match.group(1))


def assert_one_error_line(run: Run, *fragments: str) -> None:
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert len(run.error_lines) == 1, run.stderr
    assert run.error_lines[0].startswith("error:"), run.stderr
    for fragment in fragments:
        assert fragment in run.error_lines[0]


def sms_text(cli: Cli, patient: Patient, step: str = "day1") -> str:
    """The body the console channel prints for this patient (same settings as the CLI runs)."""
    settings = Settings(_env_file=None, database_url=cli.url)
    context = message_context(patient, settings)
    return MessageRenderer().sms("microneedling", step, patient.language, context).text


def by_step(messages: list[OutboundMessage], channel: str = "sms") -> dict[str, OutboundMessage]:
    return {m.step: m for m in messages if m.channel == channel}


# --- treatment add -----------------------------------------------------------------------------


def test_add_stores_due_times_counted_from_the_local_date(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    # 23:30 in Toronto is already the next day in UTC: steps count from the local date.
    treatment_id = add(cli, performed_at=f"{treated_on.isoformat()}T23:30")

    [treatment] = cli.treatments()
    assert treatment.id == treatment_id
    assert treatment.performed_at == at(treated_on, 23, 30)
    assert [(m.step, m.channel, m.due_at, m.status) for m in cli.messages()] == [
        (step, "sms", at(treated_on + timedelta(days=n), 10), "pending")
        for step, n in STEPS.items()
    ]


def test_add_output_lists_the_scheduled_rows(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    run = cli(
        "treatment",
        "add",
        "--name",
        "Alex Martin",
        "--phone",
        "613-555-0124",
        "--performed-at",
        f"{treated_on.isoformat()}T23:30",
    )
    assert run.exit_code == 0, run.stderr
    [treatment] = cli.treatments()
    assert f"Treatment {treatment.id} registered for Alex Martin" in run.stdout
    assert "warning" not in run.stdout
    rows = table_rows(run.stdout, SCHEDULED_COLUMNS)
    assert [(r[1], r[2], r[3], r[5]) for r in rows] == [
        (step, "sms", shown(at(treated_on + timedelta(days=n), 10)), "pending")
        for step, n in STEPS.items()
    ]
    assert [int(r[0]) for r in rows] == [m.id for m in cli.messages()]


@pytest.mark.parametrize(
    ("performed_at", "sends"),
    [
        # Late evening in Toronto is already the next day in UTC.
        (
            "2026-11-24T23:30",
            ["2026-11-25 10:00 EST", "2026-11-27 10:00 EST", "2026-12-01 10:00 EST"],
        ),
        # The same moment given in UTC: still the 24th in Toronto.
        (
            "2026-11-25T04:30+00:00",
            ["2026-11-25 10:00 EST", "2026-11-27 10:00 EST", "2026-12-01 10:00 EST"],
        ),
        # Clocks fall back on 2026-11-01 in Toronto: every send is 10:00 EST, not 09:00.
        (
            "2026-10-31T23:30",
            ["2026-11-01 10:00 EST", "2026-11-03 10:00 EST", "2026-11-07 10:00 EST"],
        ),
        # Clocks spring forward on 2026-03-08.
        (
            "2026-03-07T23:30",
            ["2026-03-08 10:00 EDT", "2026-03-10 10:00 EDT", "2026-03-14 10:00 EDT"],
        ),
    ],
)
def test_add_counts_days_from_the_local_date_across_dst(
    cli: Cli, performed_at: str, sends: list[str]
) -> None:
    args = ["--name", "Alex", "--phone", "613-555-0124", "--performed-at", performed_at]
    run = cli("treatment", "add", *args)
    assert run.exit_code == 0, run.stderr
    rows = table_rows(run.stdout, SCHEDULED_COLUMNS)
    assert [(r[1], r[3]) for r in rows] == list(zip(STEPS, sends, strict=True))


def test_add_long_ago_marks_every_step_expired_and_warns(cli: Cli) -> None:
    add(cli, performed_at="2026-10-31T23:30")  # day 7 stopped being useful on 2026-11-09
    assert [m.status for m in cli.messages()] == ["expired"] * 3
    args = ["--name", "Alex", "--phone", "613-555-0125", "--performed-at", "2026-10-31T12:00"]
    run = cli("treatment", "add", *args)
    assert run.exit_code == 0, run.stderr
    assert "warning" in run.stdout
    assert "useful life" in run.stdout


def test_add_both_channels_schedules_six_rows_and_stores_e164(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    add(
        cli,
        channel="both",
        email="Alex.Martin@Example.com",
        performed_at=f"{treated_on.isoformat()}T15:00",
    )
    messages = cli.messages()
    assert sorted((m.step, m.channel) for m in messages) == sorted(
        (step, channel) for step in STEPS for channel in ("sms", "email")
    )
    for m in messages:
        n = STEPS[m.step]
        assert m.due_at == at(treated_on + timedelta(days=n), 10)
    [patient] = cli.patients()
    assert patient.phone == "+16135550124"
    assert patient.email is not None and patient.email.lower() == "alex.martin@example.com"
    assert patient.preferred_channel == "both"


def test_add_records_in_clinic_consent_without_extra_typing(cli: Cli) -> None:
    before = datetime.now(UTC)
    add(cli)
    after = datetime.now(UTC)
    [patient] = cli.patients()
    assert patient.consent_source == "in-clinic"
    assert before <= patient.consent_at <= after


BAD_INPUT = [
    pytest.param({"phone": "12345"}, "phone", id="invalid-phone"),
    pytest.param({"phone": "800-555-1234"}, "phone", id="toll-free-phone"),
    pytest.param({"email": "bad@"}, "email", id="bad-email"),
    pytest.param({"language": "de"}, "language", id="unknown-language"),
    pytest.param({"performed_at": "garbage"}, "performed_at", id="unparseable-time"),
    pytest.param({"performed_at": "IN_TWO_HOURS"}, "performed_at", id="two-hours-ahead"),
    pytest.param({"channel": "email"}, "email", id="email-channel-without-address"),
    pytest.param({"channel": "pigeon"}, "channel", id="unknown-channel"),
]


@pytest.mark.parametrize(("fields", "named"), BAD_INPUT)
def test_add_refuses_bad_input_with_one_line_and_writes_nothing(
    cli: Cli, fields: dict[str, str], named: str
) -> None:
    add(cli, name="Already There", phone="613-555-0100")  # the database exists and is not empty
    before = cli.counts()
    if fields.get("performed_at") == "IN_TWO_HOURS":
        ahead = datetime.now(UTC) + timedelta(hours=2)
        fields = {"performed_at": ahead.isoformat(timespec="seconds")}
    options = {"name": "Bea Bad", "phone": "613-555-0199", **fields}
    args = ["treatment", "add"]
    for option, value in options.items():
        args += [f"--{option.replace('_', '-')}", value]

    run = cli(*args)

    assert_one_error_line(run, named)
    assert "Traceback" not in run.stderr + run.stdout
    assert cli.counts() == before


def test_add_accepts_a_time_within_the_hour_ahead(cli: Cli) -> None:
    # A clock a little fast on the front-desk PC must not block registration.
    soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat(timespec="seconds")
    add(cli, performed_at=soon)
    assert cli.counts()["treatment"] == 1


# --- treatment cancel / list -------------------------------------------------------------------


def test_cancel_stops_pending_messages_and_keeps_sent_ones(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    day1 = treated_on + timedelta(days=1)
    treatment_id = add(cli, performed_at=f"{treated_on.isoformat()}T23:30")
    sent = cli("dispatch", "--now", f"{day1.isoformat()}T10:00")
    assert sent.exit_code == 0, sent.stderr

    run = cli("treatment", "cancel", str(treatment_id))

    assert run.exit_code == 0, run.stderr
    assert re.search(r"\b2 pending message", run.stdout), run.stdout
    statuses = {step: m.status for step, m in by_step(cli.messages()).items()}
    assert statuses == {"day1": "sent", "day3": "cancelled", "day7": "cancelled"}
    [treatment] = cli.treatments()
    assert treatment.status == "cancelled"
    assert treatment.cancelled_at is not None
    # The day-3 pass finds nothing to send for it.
    later = cli("dispatch", "--now", f"{(treated_on + timedelta(days=3)).isoformat()}T10:00")
    assert later.exit_code == 0
    assert "nothing due" in later.stdout
    assert by_step(cli.messages())["day3"].status == "cancelled"


def test_cancel_unknown_treatment_is_an_error(cli: Cli) -> None:
    add(cli)
    run = cli("treatment", "cancel", "999")
    assert_one_error_line(run, "999")
    assert {m.status for m in cli.messages()} == {"pending"}


def test_treatment_list_shows_the_patient_with_a_masked_phone(cli: Cli) -> None:
    treatment_id = add(cli, name="Alex Martin", phone="613-555-0124")
    run = cli("treatment", "list")
    assert run.exit_code == 0, run.stderr
    [row] = table_rows(run.stdout, 7)
    assert row[0] == str(treatment_id)
    assert row[1] == "Alex Martin"
    assert row[2] == mask_phone("+16135550124")
    assert row[2].endswith("0124")
    for full in ("+16135550124", "6135550124", "613-555-0124", "5550124"):
        assert full not in run.stdout


# --- messages list -----------------------------------------------------------------------------


def test_messages_list_shows_rows_and_filters(cli: Cli) -> None:
    kept = add(cli, name="Alex Martin", phone="613-555-0124")
    dropped = add(cli, name="Sam Roy", phone="613-555-0125")
    assert cli("treatment", "cancel", str(dropped)).exit_code == 0

    everything = table_rows(cli("messages", "list").stdout, OUTBOX_COLUMNS)
    assert sorted(int(r[0]) for r in everything) == sorted(m.id or 0 for m in cli.messages())
    assert len(everything) == 6

    cancelled = table_rows(cli("messages", "list", "--status", "cancelled").stdout, OUTBOX_COLUMNS)
    assert {(r[1], r[2], r[6]) for r in cancelled} == {(str(dropped), "Sam Roy", "cancelled")}
    assert sorted(r[3] for r in cancelled) == sorted(STEPS)

    pending = table_rows(cli("messages", "list", "--status", "pending").stdout, OUTBOX_COLUMNS)
    assert {(r[1], r[6]) for r in pending} == {(str(kept), "pending")}
    assert len(pending) == 3

    one = table_rows(cli("messages", "list", "--treatment", str(kept)).stdout, OUTBOX_COLUMNS)
    assert {r[1] for r in one} == {str(kept)}
    assert len(one) == 3


def test_messages_list_due_shows_only_rows_ready_now(cli: Cli) -> None:
    # A window open all day: yesterday's treatment has its day-1 message due since midnight.
    wide = {"SEND_WINDOW": "00:00-23:59"}
    yesterday = today() - timedelta(days=1)
    due = add(cli, phone="613-555-0124", performed_at=f"{yesterday.isoformat()}T12:00", env=wide)
    add(cli, phone="613-555-0125", env=wide)  # performed now: nothing due before tomorrow

    run = cli("messages", "list", "--due", env=wide)

    assert run.exit_code == 0, run.stderr
    rows = table_rows(run.stdout, OUTBOX_COLUMNS)
    assert [(r[1], r[3], r[4]) for r in rows] == [(str(due), "day1", "sms")]


# --- dispatch ----------------------------------------------------------------------------------


def test_dispatch_sends_day1_at_its_time_and_only_once(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    day1 = treated_on + timedelta(days=1)
    add(cli, performed_at=f"{treated_on.isoformat()}T23:30")
    [patient] = cli.patients()
    body = sms_text(cli, patient)
    assert "Alex" in body
    when = f"{day1.isoformat()}T10:00"

    first = cli("dispatch", "--now", when)
    second = cli("dispatch", "--now", when)

    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert re.search(r"dispatch: .*\bsent 1\b", first.stdout), first.stdout
    assert "nothing due" in second.stdout
    assert (first.stdout + second.stdout).count(body) == 1
    sms = by_step(cli.messages())
    assert sms["day1"].status == "sent"
    assert sms["day1"].attempts == 1
    assert sms["day1"].provider_id is not None and sms["day1"].provider_id.startswith("console-")
    assert sms["day1"].sent_at == at(day1, 10)
    assert (sms["day3"].status, sms["day7"].status) == ("pending", "pending")


def test_dispatch_before_the_due_time_sends_nothing(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    day1 = treated_on + timedelta(days=1)
    add(cli, performed_at=f"{treated_on.isoformat()}T23:30")
    run = cli("dispatch", "--now", f"{day1.isoformat()}T09:59")
    assert run.exit_code == 0, run.stderr
    assert "nothing due" in run.stdout
    assert {m.status for m in cli.messages()} == {"pending"}


def test_dispatch_in_quiet_hours_defers_to_the_next_window(cli: Cli) -> None:
    treated_on = today() - timedelta(days=1)
    due_day = treated_on + timedelta(days=1)
    add(cli, performed_at=f"{treated_on.isoformat()}T23:30")
    [patient] = cli.patients()
    body = sms_text(cli, patient)
    tomorrow = due_day + timedelta(days=1)

    night = cli("dispatch", "--now", f"{due_day.isoformat()}T23:00")

    assert night.exit_code == 0, night.stderr
    assert body not in night.stdout
    assert "deferred 1" in night.stdout
    assert not re.search(r"\bsent \d", night.stdout)
    row = by_step(cli.messages())["day1"]
    assert (row.status, row.attempts, row.sent_at) == ("pending", 0, None)
    assert row.next_attempt_at == at(tomorrow, 10)

    early = cli("dispatch", "--now", f"{tomorrow.isoformat()}T09:59")
    assert body not in early.stdout
    assert by_step(cli.messages())["day1"].status == "pending"

    opening = cli("dispatch", "--now", f"{tomorrow.isoformat()}T10:00")
    assert opening.stdout.count(body) == 1
    row = by_step(cli.messages())["day1"]
    assert (row.status, row.sent_at) == ("sent", at(tomorrow, 10))


def test_dispatch_rejects_an_unparseable_now(cli: Cli) -> None:
    assert_one_error_line(cli("dispatch", "--now", "tomorrow-ish"), "tomorrow-ish")


# --- preview -----------------------------------------------------------------------------------

_SMS_HEADER = re.compile(r"^=== .*\b(day\d+)\b.*\[(\w+)\].*\bSMS\b.*?(\d+) segment", re.MULTILINE)


def sms_headers(output: str) -> list[tuple[str, str, int]]:
    return [(m[1], m[2], int(m[3])) for m in _SMS_HEADER.finditer(output)]


def test_preview_renders_every_sms_with_its_segment_count(cli: Cli) -> None:
    run = cli("preview")
    assert run.exit_code == 0, run.stderr
    headers = sms_headers(run.stdout)
    assert sorted((step, lang) for step, lang, _ in headers) == sorted(
        (step, lang) for step in STEPS for lang in ("en", "fr")
    )
    assert all(1 <= segments <= 4 for _, _, segments in headers)
    # Each header is followed by the message itself, not an empty line.
    for line_no, line in enumerate(lines := run.stdout.splitlines()):
        if _SMS_HEADER.match(line):
            assert lines[line_no + 1].strip()


def test_preview_one_language_and_step(cli: Cli) -> None:
    run = cli("preview", "--language", "fr", "--step", "day3")
    assert run.exit_code == 0, run.stderr
    assert [(step, lang) for step, lang, _ in sms_headers(run.stdout)] == [("day3", "fr")]


@pytest.mark.parametrize(
    ("option", "value"), [("--language", "de"), ("--step", "day5"), ("--kind", "botox")]
)
def test_preview_refuses_unknown_choices(cli: Cli, option: str, value: str) -> None:
    assert_one_error_line(cli("preview", option, value), value)


# --- demo, db upgrade, help --------------------------------------------------------------------


def test_demo_runs_a_whole_lifecycle_in_seconds(cli: Cli) -> None:
    started = timer.monotonic()
    run = cli("demo")
    elapsed = timer.monotonic() - started

    assert run.exit_code == 0, run.stderr
    assert elapsed < 10, f"demo took {elapsed:.1f}s"
    sent_per_pass = [int(n) for n in re.findall(r"dispatch: .*?\bsent (\d+)", run.stdout)]
    assert sum(sent_per_pass) == 9
    assert len(re.findall(r"--- sms to ", run.stdout)) == 6
    assert len(re.findall(r"--- email to ", run.stdout)) == 3
    final = run.stdout.rsplit("Outbox", 1)[1]
    rows = table_rows(final, OUTBOX_COLUMNS)
    assert len(rows) == 9
    assert {r[6] for r in rows} == {"sent"}
    assert Counter(r[3] for r in rows) == {"day1": 3, "day3": 3, "day7": 3}
    # The demo works in its own temporary database, never in DATABASE_URL.
    assert not cli.db_path.exists()


def test_db_upgrade_creates_the_schema_on_a_fresh_file(cli: Cli, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    url = f"sqlite:///{fresh}"
    run = cli("db", "upgrade", env={"DATABASE_URL": url})
    assert run.exit_code == 0, run.stderr
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert {"alembic_version", "patient", "treatment", "outbound_message"} <= tables
    assert revision == head_revision()


def command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        paths.append(prefix)
        # Typer vendors its own click: look for sub-commands by shape, not by click's classes.
        subcommands = getattr(command, "commands", None)
        if isinstance(subcommands, dict):
            for name, sub in subcommands.items():
                walk(sub, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return paths


def test_every_documented_command_exists() -> None:
    documented = {
        ("serve",),
        ("treatment", "add"),
        ("treatment", "import"),
        ("treatment", "cancel"),
        ("treatment", "list"),
        ("messages", "list"),
        ("dispatch",),
        ("preview",),
        ("demo",),
        ("db", "upgrade"),
    }
    assert documented <= set(command_paths())


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "aftercare")
def test_help_works_for_every_command(cli: Cli, path: tuple[str, ...]) -> None:
    run = cli(*path, "--help")
    assert run.exit_code == 0, run.stderr
    assert "Usage:" in run.stdout
    assert " ".join(path) in run.stdout
    assert not cli.db_path.exists()  # help never opens the database


@pytest.mark.parametrize(
    "args",
    [("messages", "list"), ("treatment", "list"), ("db", "upgrade")],
)
def test_an_unreachable_database_is_one_error_line(cli: Cli, args: tuple[str, ...]) -> None:
    run = cli(*args, env={"DATABASE_URL": "sqlite:////nonexistent-dir/aftercare.db"})
    assert_one_error_line(run, "database")
    assert "Traceback" not in run.stdout + run.stderr


def test_an_unknown_log_level_is_a_configuration_error(cli: Cli) -> None:
    run = cli("messages", "list", env={"LOG_LEVEL": "bogus"})
    assert_one_error_line(run, "log_level")
