"""The other `aftercare` commands in-process: messages list, dispatch, preview, demo, db, help."""

from __future__ import annotations

import re
import time as timer
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import inspect, text

from models.db import make_engine
from models.migrate import head_revision
from scheduler.cli.app import app
from tests.support.cli import (
    STEPS,
    Cli,
    add,
    assert_one_error_line,
    at,
    by_step,
    cli_in,
    sms_text,
    table_rows,
    today,
)

OUTBOX_COLUMNS = 10  # id, treatment, patient, step, channel, due, status, tries, provider id, note


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


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
        ("kinds",),
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
