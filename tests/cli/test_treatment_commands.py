"""`aftercare treatment add / cancel / list` in-process against a real SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.contacts import mask_phone
from tests.support.cli import (
    STEPS,
    Cli,
    add,
    assert_one_error_line,
    at,
    by_step,
    cli_in,
    table_rows,
    today,
)

SCHEDULED_COLUMNS = 6  # id, step, channel, send at, useful until, status


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


def shown(moment: datetime) -> str:
    """How the CLI prints a local time."""
    return moment.strftime("%Y-%m-%d %H:%M %Z")


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


def test_add_warns_when_the_practitioner_cannot_be_paged(cli: Cli) -> None:
    args = ["treatment", "add", "--name", "Alex Martin", "--phone", "613-555-0124"]
    unreachable = cli(*args, "--practitioner", "Dr Nouveau")
    assert unreachable.exit_code == 0, unreachable.stderr
    assert "Dr Nouveau has no phone or email on file" in " ".join(unreachable.stdout.split())
    added = cli("practitioner", "add", "Dr Nouveau", "--phone", "613-555-0177")
    assert added.exit_code == 0, added.stderr
    reachable = cli(*args, "--practitioner", "dr nouveau", "--force")
    assert reachable.exit_code == 0 and "no phone or email" not in reachable.stdout


def test_a_practitioner_is_paged_in_the_language_given(cli: Cli) -> None:
    added = cli("practitioner", "add", "Dre Gagnon", "--phone", "613-555-0178", "--language", "FR")
    assert added.exit_code == 0, added.stderr
    assert "alerts in fr" in added.stdout
    # Updating the phone keeps the language; English is the default.
    cli("practitioner", "add", "dre gagnon", "--phone", "613-555-0179")
    cli("practitioner", "add", "Dr Lee")
    listed = cli("practitioner", "list")
    assert re.search(r"Dre Gagnon +fr +\+16135550179", listed.stdout), listed.stdout
    assert re.search(r"Dr Lee +en +-", listed.stdout), listed.stdout
    assert_one_error_line(
        cli("practitioner", "add", "Dr Lee", "--language", "de"),
        "language: unknown language 'de' (use en or fr)",
    )
