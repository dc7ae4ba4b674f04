"""`aftercare staff add` and `aftercare audit`, in-process on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import Cli, clean_environ, cli_in
from sqlmodel import Session, select

from models import StaffUser
from models.db import session_scope
from scheduler import audit
from scheduler.cli import app
from scheduler.staff import verify_password

PASSWORD = "correct horse battery"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


def invoke(cli: Cli, *args: str, stdin: str = "") -> tuple[int, str, str]:
    result = cli.runner.invoke(app, list(args), env={**clean_environ(), **cli.env}, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def staff_rows(cli: Cli) -> list[StaffUser]:
    if not cli.db_path.exists():
        return []
    with Session(cli.engine) as session:
        return list(session.exec(select(StaffUser)).all())


def test_staff_add_reads_the_password_from_stdin_and_stores_only_a_hash(cli: Cli) -> None:
    code, out, err = invoke(
        cli,
        "staff",
        "add",
        "Nadia@Clinic.example",
        "--name",
        "Nadia Roy",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    assert "created for nadia@clinic.example" in out
    [staff] = staff_rows(cli)
    assert (staff.email, staff.name) == ("nadia@clinic.example", "Nadia Roy")
    assert staff.password_hash.startswith("$argon2id$") and PASSWORD not in staff.password_hash
    assert verify_password(staff.password_hash, PASSWORD)


def test_staff_add_asks_twice_and_refuses_a_mismatch(cli: Cli) -> None:
    code, _out, _err = invoke(cli, "staff", "add", "a@clinic.example", stdin="one\ntwo\n" * 3)
    assert code != 0 and staff_rows(cli) == []
    code, _out, err = invoke(
        cli, "staff", "add", "a@clinic.example", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0, err
    assert len(staff_rows(cli)) == 1


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [("b@clinic.example", "short", "at least 10"), ("not-an-email", PASSWORD, "email:")],
)
def test_staff_add_says_what_is_wrong_in_one_line(
    cli: Cli, email: str, password: str, message: str
) -> None:
    code, _out, err = invoke(cli, "staff", "add", email, "--password-stdin", stdin=password)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_staff_add_refuses_an_email_that_has_an_account(cli: Cli) -> None:
    args = ("staff", "add", "c@clinic.example", "--password-stdin")
    assert invoke(cli, *args, stdin=PASSWORD)[0] == 0
    code, _out, err = invoke(cli, *args, stdin=PASSWORD)
    assert code == 1 and "already has an account" in err


def test_audit_prints_the_newest_events_first(cli: Cli) -> None:
    assert (
        invoke(cli, "staff", "add", "d@clinic.example", "--password-stdin", stdin=PASSWORD)[0] == 0
    )
    with session_scope(cli.engine) as session:
        for minute, action in enumerate(("login", "view_timeline", "ack_alert")):
            audit.record(
                session,
                actor="d@clinic.example",
                action=action,
                target="patient:7" if action != "login" else None,
                detail="alert:3" if action == "ack_alert" else None,
                now=datetime(2026, 11, 25, 15, minute, tzinfo=UTC),
            )
    code, out, err = invoke(cli, "audit", "--limit", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert (
        lines[0].startswith("2026-11-25 10:02 EST") and "ack_alert  patient:7  alert:3" in lines[0]
    )
    assert "view_timeline" in lines[1] and "login" not in out
