"""`aftercare treatment import FILE.csv` end to end: per-row errors, good rows kept, exit codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.cli import Cli, Run, cli_in, write_csv
from tests.support.clinic_folder import NEW_KIND, write_new_kind

MIXED = [
    # Columns in another order than the documented one; a quoted name holding a comma.
    "performed_at,language,phone,name,channel,email,practitioner",
    '2026-11-24T23:30,fr,613-555-0101,"Roy, Amélie",both,amelie@example.com,Dr Lee',  # 2 good
    ",en,12345,Bad Phone,,,",  # 3: phone
    ",de,613-555-0102,Bad Language,,,",  # 4: language
    ",en,613-555-0103,No Email,email,,",  # 5: email channel without an address
    "garbage,en,613-555-0104,Bad Date,,,",  # 6: performed_at
    ",en,613-555-0105,Too Many,sms,,,surplus",  # 7: more fields than the header
    ",,613-555-0106,Zoé Good,,,",  # 8 good: language, channel, performed_at all defaulted
]
MIXED_REJECTS = {
    3: "phone",
    4: "language",
    5: "email",
    6: "performed_at",
    7: "field",
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


def import_file(cli: Cli, path: Path, env: dict[str, str] | None = None) -> Run:
    return cli("treatment", "import", str(path), env=env)


def rejected_lines(run: Run) -> dict[int, str]:
    found: dict[int, str] = {}
    for line in run.error_lines:
        match = re.match(r"line (\d+): (.+)$", line)
        assert match, f"unexpected stderr line: {line!r}"
        found[int(match.group(1))] = match.group(2)
    return found


def summary(run: Run) -> tuple[int, int]:
    match = re.search(r"\b(\d+) registered, (\d+) rejected\b", run.stdout)
    assert match, run.stdout
    return int(match.group(1)), int(match.group(2))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"], ids=["utf8", "utf8-bom"])
def test_mixed_file_keeps_good_rows_and_reports_each_bad_one(
    cli: Cli, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "treatments.csv", MIXED, encoding=encoding)

    run = import_file(cli, path)

    assert run.exit_code == 3, (run.stdout, run.stderr)
    assert summary(run) == (2, 5)
    rejects = rejected_lines(run)
    assert sorted(rejects) == sorted(MIXED_REJECTS)
    for line, reason in MIXED_REJECTS.items():
        assert reason in rejects[line], (line, rejects[line])
    assert cli.counts() == {"patient": 2, "treatment": 2, "outbound_message": 6 + 3}
    patients = {p.phone: p for p in cli.patients()}
    assert set(patients) == {"+16135550101", "+16135550106"}
    amelie = patients["+16135550101"]
    assert (amelie.name, amelie.language, amelie.email) == (
        "Roy, Amélie",
        "fr",
        "amelie@example.com",
    )
    assert patients["+16135550106"].name == "Zoé Good"
    # The ids printed in the summary are the ones stored.
    ids = {t.id for t in cli.treatments()}
    assert all(str(i) in run.stdout for i in ids)


def test_all_rows_bad_exits_1_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        ["name,phone,language", "Bad Phone,12345,en", "Bad Language,613-555-0102,de"],
    )
    run = import_file(cli, path)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert summary(run) == (0, 2)
    assert sorted(rejected_lines(run)) == [2, 3]
    assert cli.counts() == {"patient": 0, "treatment": 0, "outbound_message": 0}


def test_all_rows_good_exits_0(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "good.csv",
        [
            "phone,name,email,channel",
            "613-555-0101,Alex Martin,,sms",
            "613-555-0102,Sam Roy,sam@example.com,email",
            "",  # blank trailing lines from spreadsheets are not rows
            ",,,",
        ],
    )
    run = import_file(cli, path)
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert run.error_lines == []
    assert summary(run) == (2, 0)
    assert cli.counts() == {"patient": 2, "treatment": 2, "outbound_message": 6}
    assert sorted(m.channel for m in cli.messages()) == ["email"] * 3 + ["sms"] * 3


@pytest.mark.parametrize(
    ("header", "row", "named"),
    [
        pytest.param("name,email", "Alex Martin,alex@example.com", "phone", id="missing-phone"),
        pytest.param("name,phone,phon", "Alex Martin,613-555-0124,x", "phon", id="unknown-phon"),
        pytest.param("name,phon", "Alex Martin,613-555-0124", "phone", id="phon-instead"),
    ],
)
def test_header_problems_are_one_error_and_nothing_is_written(
    cli: Cli, tmp_path: Path, header: str, row: str, named: str
) -> None:
    path = write_csv(tmp_path / "header.csv", [header, row])
    run = import_file(cli, path)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert len(run.error_lines) == 1, run.stderr
    assert run.error_lines[0].startswith("error:")
    assert re.search(rf"\b{named}\b", run.error_lines[0])
    assert cli.counts() == {"patient": 0, "treatment": 0, "outbound_message": 0}


def test_empty_file_is_an_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    run = import_file(cli, path)
    assert run.exit_code == 1
    assert len(run.error_lines) == 1 and run.error_lines[0].startswith("error:")


def test_empty_performed_at_is_now_and_empty_channel_is_sms(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "defaults.csv",
        ["name,phone,performed_at,channel,language", "Alex Martin,613-555-0124,,,"],
    )
    before = datetime.now(UTC)
    run = import_file(cli, path)
    after = datetime.now(UTC)
    assert run.exit_code == 0, run.stderr
    [treatment] = cli.treatments()
    assert before <= treatment.performed_at <= after
    assert [(m.step, m.channel) for m in cli.messages()] == [
        ("day1", "sms"),
        ("day3", "sms"),
        ("day7", "sms"),
    ]
    [patient] = cli.patients()
    assert patient.language == "en"  # DEFAULT_LANGUAGE


@pytest.mark.parametrize(
    ("zone", "performed_at", "stored_utc"),
    [
        ("America/Toronto", "2026-11-24T23:30", datetime(2026, 11, 25, 4, 30, tzinfo=UTC)),
        ("America/Toronto", "2026-07-10T09:00", datetime(2026, 7, 10, 13, 0, tzinfo=UTC)),
        ("Europe/Paris", "2026-07-10T09:00", datetime(2026, 7, 10, 7, 0, tzinfo=UTC)),
        # An explicit offset wins over the clinic's zone.
        ("America/Toronto", "2026-07-10T09:00+00:00", datetime(2026, 7, 10, 9, 0, tzinfo=UTC)),
    ],
)
def test_naive_performed_at_is_clinic_local_time(
    cli: Cli, tmp_path: Path, zone: str, performed_at: str, stored_utc: datetime
) -> None:
    path = write_csv(
        tmp_path / "times.csv", ["name,phone,performed_at", f"Alex,613-555-0124,{performed_at}"]
    )
    run = import_file(cli, path, env={"CLINIC_TIMEZONE": zone})
    assert run.exit_code == 0, run.stderr
    [treatment] = cli.treatments()
    assert treatment.performed_at == stored_utc
    assert treatment.performed_at.utcoffset() is not None


def test_non_utf8_file_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "latin1.csv", ["name,phone", "Amélie Roy,613-555-0101"], encoding="latin-1"
    )
    run = import_file(cli, path)
    assert run.exit_code == 1
    assert len(run.error_lines) == 1, run.stderr
    assert run.error_lines[0].startswith("error:")
    assert "UTF-8" in run.error_lines[0]
    assert cli.counts()["treatment"] == 0


def test_non_utf8_byte_late_in_a_large_file_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    rows = [f"Patient {i},613-555-{1000 + i:04d}" for i in range(400)]  # > one 8 KiB read
    path = write_csv(
        tmp_path / "late.csv", ["name,phone", *rows, "Amélie Roy,613-555-0101"], encoding="latin-1"
    )
    run = import_file(cli, path)
    assert run.exit_code == 1
    assert "UTF-8" in run.stderr
    assert cli.counts()["treatment"] == 0


def test_the_kind_column_takes_every_defined_kind_the_clinics_too(cli: Cli, tmp_path: Path) -> None:
    env = {"CLINIC_TEMPLATES_DIR": str(write_new_kind(tmp_path / "clinic"))}
    path = write_csv(
        tmp_path / "kinds.csv",
        [
            "name,phone,kind",
            "Ana Peel,613-555-0201,chemical_peel",
            f"Léa Laser,613-555-0202,{NEW_KIND}",
            "Zoë Filler,613-555-0203, Dermal_Filler ",
            "Bo Botox,613-555-0204,botox",
            "Mia Default,613-555-0205,",
        ],
    )
    run = import_file(cli, path, env=env)
    assert run.exit_code == 3, run.stderr
    assert summary(run) == (4, 1)
    [(line, reason)] = rejected_lines(run).items()
    assert line == 5 and reason.startswith("kind: unknown treatment kind 'botox' (known: ")
    assert f"ipl, {NEW_KIND})" in reason
    kinds = [t.kind for t in cli.treatments()]
    assert kinds == ["chemical_peel", NEW_KIND, "dermal_filler", "microneedling"]
    steps = {m.step for m in cli.messages()}
    assert {"day2", "day5", "day14"} <= steps
