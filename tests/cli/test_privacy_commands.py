"""`aftercare staff --role`, `token`, `patient export|erase` and `retention run`, in-process on a
real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from models import Alert, ApiToken, AuditEvent, StaffUser
from models.db import session_scope
from scheduler.clock import system_clock
from scheduler.ops.runtime import open_database
from scheduler.web.app import create_app
from tests.cli.test_staff_commands import PASSWORD, invoke
from tests.support.cli import Cli, cli_in
from tests.support.privacy import NAME, REPLY_TEXT, Story, build_story, where_found
from tests.support.settings import make_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


@pytest.fixture
def story(cli: Cli) -> Story:
    engine = open_database(make_settings(cli.url))  # migrated, like the commands' database
    try:
        return build_story(engine, make_settings(cli.url), system_clock())
    finally:
        engine.dispose()


def staff(cli: Cli) -> dict[str, StaffUser]:
    with Session(cli.engine) as session:
        return {s.email: s for s in session.exec(select(StaffUser))}


# --- roles ---------------------------------------------------------------------------------------


def test_staff_add_is_front_desk_unless_a_role_is_named(cli: Cli) -> None:
    args = ("--password-stdin",)
    assert invoke(cli, "staff", "add", "a@clinic.example", *args, stdin=PASSWORD)[0] == 0
    code, out, err = invoke(
        cli, "staff", "add", "b@clinic.example", "--role", "admin", *args, stdin=PASSWORD
    )
    assert code == 0 and "(admin)" in out, err
    roles = {email: s.role for email, s in staff(cli).items()}
    assert roles == {"a@clinic.example": "front-desk", "b@clinic.example": "admin"}
    code, out, _err = invoke(cli, "staff", "list")
    assert "front-desk" in out and "admin" in out


def test_a_practitioner_login_is_linked_to_its_practitioner(cli: Cli) -> None:
    cli("practitioner", "add", "Dr Anne Roy", "--phone", "613-555-0177")
    code, _out, err = invoke(
        cli, "staff", "add", "roy@clinic.example", "--role", "practitioner",
        "--practitioner", "dr anne roy", "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert code == 0, err
    linked = staff(cli)["roy@clinic.example"]
    assert (linked.role, linked.practitioner_id) == ("practitioner", 1)
    code, _out, err = invoke(
        cli, "staff", "add", "x@clinic.example", "--practitioner", "Dr Nobody",
        "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert code == 1 and "no practitioner named 'Dr Nobody'" in err


def test_staff_role_changes_a_role_and_keeps_one_admin(cli: Cli) -> None:
    invoke(cli, "staff", "add", "a@clinic.example", "--role", "admin", "--password-stdin",
           stdin=PASSWORD)  # fmt: skip
    code, out, err = invoke(cli, "staff", "role", "a@clinic.example", "front desk")
    assert code == 1 and "last active admin" in err
    invoke(cli, "staff", "add", "b@clinic.example", "--password-stdin", stdin=PASSWORD)
    code, out, err = invoke(cli, "staff", "role", "b@clinic.example", "admin")
    assert code == 0 and "is now admin" in out
    code, out, err = invoke(cli, "staff", "role", "a@clinic.example", "practitioner")
    assert code == 0, err
    assert staff(cli)["a@clinic.example"].role == "practitioner"
    code, _out, err = invoke(cli, "staff", "role", "a@clinic.example", "doctor")
    assert code == 1 and "unknown role 'doctor'" in err


# --- tokens --------------------------------------------------------------------------------------


def test_a_token_is_shown_once_works_and_can_be_revoked(cli: Cli) -> None:
    code, out, err = invoke(cli, "token", "add", "booking-system", "--scope", "read")
    assert code == 0, err
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("aft_") and len(secret) > 40
    with Session(cli.engine) as session:
        [row] = session.exec(select(ApiToken)).all()
    assert secret not in (row.token_hash, row.prefix) and secret.startswith(row.prefix)
    assert (row.name, row.scope) == ("booking-system", "read")
    settings = make_settings(cli.url)
    engine = open_database(settings)
    with TestClient(create_app(settings, engine)) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/alerts", headers=auth).status_code == 200
        assert client.post("/api/treatments", headers=auth, json={}).status_code == 403
        code, out, err = invoke(cli, "token", "list")
        assert "booking-system" in out and "read" in out and "last used" in out
        assert "never used" not in out
        assert invoke(cli, "token", "revoke", "booking-system")[0] == 0
        assert client.get("/api/alerts", headers=auth).status_code == 401
    engine.dispose()
    code, out, _err = invoke(cli, "token", "list")
    assert "revoked" in out
    code, _out, err = invoke(cli, "token", "add", "booking-system", "--scope", "write")
    assert code == 1 and "exists" in err
    code, _out, err = invoke(cli, "token", "add", "other", "--scope", "admin")
    assert code == 1 and "unknown scope 'admin'" in err
    with Session(cli.engine) as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert "token_add" in actions and "token_revoke" in actions


# --- a patient's data ----------------------------------------------------------------------------


def test_patient_export_as_json_and_html(cli: Cli, story: Story, tmp_path: Path) -> None:
    code, out, err = invoke(cli, "patient", "export", str(story.zoe))
    assert code == 0, err
    found = json.loads(out)
    assert found["patient"]["name"] == NAME
    assert REPLY_TEXT in [r["body"] for r in found["replies"]]
    target = tmp_path / "zoe.html"
    code, _out, err = invoke(
        cli, "patient", "export", str(story.zoe), "--format", "html", "-o", str(target)
    )
    assert code == 0, err
    assert "<h1>Zoé Quintal-Brisebois" in target.read_text(encoding="utf-8")
    with Session(cli.engine) as session:
        exports = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.target, e.detail) for e in exports] == [
        (f"patient:{story.zoe}", "json"),
        (f"patient:{story.zoe}", "html"),
    ]
    assert all(e.actor.startswith("cli") for e in exports)
    code, _out, err = invoke(cli, "patient", "export", "999")
    assert code == 1 and "no patient with id 999" in err
    code, _out, err = invoke(cli, "patient", "export", str(story.zoe), "--format", "pdf")
    assert code == 1 and "format" in err


def test_patient_erase_asks_first_then_erases(cli: Cli, story: Story) -> None:
    code, _out, err = invoke(cli, "patient", "erase", str(story.zoe), stdin="n\n")
    assert code == 1 and "nothing erased" in err
    assert where_found(cli.engine) != []
    code, out, err = invoke(cli, "patient", "erase", str(story.zoe), stdin="y\n")
    assert code == 0, err
    assert f"Patient {story.zoe} erased" in out
    assert where_found(cli.engine) == []
    code, _out, err = invoke(cli, "patient", "erase", str(story.zoe), "--yes")
    assert code == 1 and "already erased" in err


def test_patient_erase_is_refused_while_an_alert_is_open(cli: Cli, story: Story) -> None:
    with session_scope(cli.engine) as session:
        alert = session.get(Alert, story.alert)
        assert alert is not None
        alert.status = "open"
    code, _out, err = invoke(cli, "patient", "erase", str(story.zoe), "--yes")
    assert code == 1 and f"alert #{story.alert} is open" in err


def test_retention_run_dry_then_for_real(cli: Cli, story: Story) -> None:
    env = {"RETENTION_DAYS": "1"}
    run = cli("retention", "run", "--dry-run", env=env)
    assert run.exit_code == 0, run.stderr
    assert "would erase 0 patient(s)" in run.stdout  # messages due in the coming days keep both
    with cli.engine.begin() as connection:  # their whole story, years back
        old = {"old": "2020-01-01 00:00:00"}
        connection.execute(text("UPDATE patient SET created_at = :old"), old)
        connection.execute(text("UPDATE treatment SET performed_at = :old"), old)
        connection.execute(text("UPDATE outbound_message SET due_at = :old, sent_at = NULL"), old)
        connection.execute(text("UPDATE inbound_message SET received_at = :old"), old)
    run = cli("retention", "run", "--dry-run", env=env)
    assert run.exit_code == 0, run.stderr
    assert "would erase 2 patient(s)" in run.stdout
    assert f"patients: {story.zoe}, {story.bob}" in run.stdout
    assert where_found(cli.engine) != []
    run = cli("retention", "run", env=env)
    assert run.exit_code == 0 and "erased 2 patient(s)" in run.stdout
    assert where_found(cli.engine) == []
    run = cli("retention", "run", env={"RETENTION_DAYS": "0"})
    assert run.exit_code == 1 and "retention is off" in run.stderr
