"""`aftercare staff add` and `aftercare audit`, in-process on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models import AuditEvent, StaffUser
from models.db import session_scope
from scheduler.cli.app import app
from scheduler.staff import audit
from scheduler.staff.accounts import verify_password
from tests.support.cli import Cli, clean_environ, cli_in

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
    code, out, err = invoke(cli, "audit", "--limit", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3
    assert "cli  staff_add  staff:1" in lines[0]  # the account's creation, just now
    assert (
        lines[1].startswith("2026-11-25 10:02 EST") and "ack_alert  patient:7  alert:3" in lines[1]
    )
    assert "view_timeline" in lines[2] and "login" not in out


def one_staff(cli: Cli) -> StaffUser:
    [staff] = staff_rows(cli)
    return staff


def audited(cli: Cli) -> list[tuple[str, str, str | None]]:
    with Session(cli.engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    return [(e.actor, e.action, e.target) for e in events]


@pytest.fixture
def account(cli: Cli) -> StaffUser:
    code, _out, err = invoke(
        cli, "staff", "add", "e@clinic.example", "--name", "Eve", "--password-stdin", stdin=PASSWORD
    )
    assert code == 0, err
    return one_staff(cli)


def test_staff_list_shows_each_account_and_whether_it_can_sign_in(cli: Cli) -> None:
    code, out, _err = invoke(cli, "staff", "list")
    assert code == 0 and "No staff accounts yet" in out
    for email in ("b@clinic.example", "a@clinic.example"):
        assert invoke(cli, "staff", "add", email, "--password-stdin", stdin=PASSWORD)[0] == 0
    assert invoke(cli, "staff", "deactivate", "b@clinic.example")[0] == 0
    code, out, _err = invoke(cli, "staff", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert "a@clinic.example" in lines[0] and "active; last sign-in never" in lines[0]
    assert "b@clinic.example" in lines[1] and "deactivated" in lines[1]


def test_a_new_password_lifts_the_lockout_and_ends_every_session(
    cli: Cli, account: StaffUser
) -> None:
    with session_scope(cli.engine) as session:
        stored = session.get(StaffUser, account.id)
        assert stored is not None
        stored.failed_logins, stored.locked_until = 6, datetime(2099, 1, 1, tzinfo=UTC)
    new = "a much better passphrase"
    code, out, err = invoke(
        cli, "staff", "password", "E@Clinic.example", "--password-stdin", stdin=new
    )
    assert code == 0, err
    assert "New password set for e@clinic.example" in out
    after = one_staff(cli)
    assert verify_password(after.password_hash, new)
    assert not verify_password(after.password_hash, PASSWORD)
    assert (after.failed_logins, after.locked_until) == (0, None)
    assert after.session_epoch == account.session_epoch + 1
    assert audited(cli)[-1] == ("cli", "staff_password", f"staff:{account.id}")


def test_deactivate_ends_sessions_and_activate_lets_the_account_back_in(
    cli: Cli, account: StaffUser
) -> None:
    assert invoke(cli, "staff", "deactivate", "e@clinic.example")[0] == 0
    stopped = one_staff(cli)
    assert not stopped.active and stopped.session_epoch == account.session_epoch + 1
    code, out, _err = invoke(cli, "staff", "activate", "e@clinic.example")
    assert code == 0 and "can sign in again" in out
    back = one_staff(cli)
    assert back.active and back.password_hash == account.password_hash
    assert [action for _, action, _ in audited(cli)] == [
        "staff_add",
        "staff_deactivate",
        "staff_activate",
    ]


def test_signout_ends_sessions_and_keeps_the_password(cli: Cli, account: StaffUser) -> None:
    code, out, err = invoke(cli, "staff", "signout", "e@clinic.example")
    assert code == 0, err
    assert "Every session of e@clinic.example has ended" in out
    after = one_staff(cli)
    assert after.session_epoch == account.session_epoch + 1
    assert after.password_hash == account.password_hash and after.active


@pytest.mark.parametrize(
    "args",
    [("password", "--password-stdin"), ("deactivate",), ("activate",), ("signout",)],
)
def test_an_unknown_account_is_one_error_line_and_changes_nothing(
    cli: Cli, account: StaffUser, args: tuple[str, ...]
) -> None:
    command, *rest = args
    code, _out, err = invoke(cli, "staff", command, "nobody@clinic.example", *rest, stdin=PASSWORD)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and lines == ["error: email: no staff account for nobody@clinic.example"]
    assert one_staff(cli).session_epoch == account.session_epoch
    assert [action for _, action, _ in audited(cli)] == ["staff_add"]
